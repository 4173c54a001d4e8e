//! `cargo xtask dist`: a release build of the `ccgate` binary in `<target>/dist/` (`target/`, or
//! `CARGO_TARGET_DIR`), with a `SHA256SUMS` file (`sha256sum -c SHA256SUMS` format) over
//! everything shipped.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::run;

/// Builds the release binary and writes `target/dist/{ccgate,SHA256SUMS}`; returns the
/// directory.
pub fn dist(root: &Path) -> anyhow::Result<PathBuf> {
    run("cargo", &["build", "--release", "--locked", "-p", "ccgate"])?;
    let out = crate::target_dir(root).join("dist");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let binary = format!("ccgate{}", std::env::consts::EXE_SUFFIX);
    std::fs::copy(
        crate::target_dir(root).join("release").join(&binary),
        out.join(&binary),
    )
    .context("copy the release binary")?;
    write_checksums(&out)?;
    eprintln!("dist: {}", out.display());
    Ok(out)
}

/// Writes `SHA256SUMS` over every file in `dir` (sorted by name, `<hex>  <name>` lines).
pub fn write_checksums(dir: &Path) -> anyhow::Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    names.sort();
    let mut sums = String::new();
    for name in names {
        let bytes = std::fs::read(dir.join(&name))?;
        let _ = writeln!(sums, "{}  {name}", hex::encode(Sha256::digest(&bytes)));
    }
    std::fs::write(dir.join("SHA256SUMS"), sums)?;
    Ok(())
}
