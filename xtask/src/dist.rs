//! `cargo xtask dist`: a stripped release build of the `ccgate` binary in `<target>/dist/`
//! (`target/`, or `CARGO_TARGET_DIR`), with the systemd unit and a settings file to start from
//! (`packaging/`), and a `SHA256SUMS` file (`sha256sum -c SHA256SUMS` format) over everything
//! shipped. The unit is checked with `systemd-analyze verify` ([`verify_unit`]), which `cargo
//! xtask ci` runs too, against the debug binary it builds anyway.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::run;

/// The cargo profile of what `dist` ships (workspace `Cargo.toml`): `release` with the symbol
/// tables and debuginfo stripped. Not named `dist`: a custom profile builds into
/// `<target>/<name>/`, and `<target>/dist/` is this command's output.
pub const PROFILE: &str = "dist-release";

/// The systemd unit, relative to the repository root.
pub const UNIT: &str = "packaging/ccgate.service";

/// The settings file the unit starts the binary with (`/etc/ccgate/ccgate.toml`), relative to
/// the repository root.
pub const SETTINGS: &str = "packaging/ccgate.toml";

/// Where the unit expects the binary; [`verify_unit`] points it at a built one instead.
const INSTALLED_BINARY: &str = "/usr/local/bin/ccgate";

/// Most `systemd-analyze security` exposure the unit may have, in tenths (its `--threshold`
/// unit: 0 safest, 100 unsandboxed): the unit scores 15 ("1.5 OK") with systemd 252, without
/// its sandboxing section 84.
const MAX_EXPOSURE_TENTHS: u32 = 25;

/// Builds the stripped release binary and writes `target/dist/{ccgate, ccgate.service,
/// ccgate.toml, SHA256SUMS}` (the unit verified against the built binary); returns the
/// directory.
pub fn dist(root: &Path) -> anyhow::Result<PathBuf> {
    run(
        "cargo",
        &["build", "--profile", PROFILE, "--locked", "-p", "ccgate"],
    )?;
    let out = crate::target_dir(root).join("dist");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let binary = format!("ccgate{}", std::env::consts::EXE_SUFFIX);
    std::fs::copy(
        crate::target_dir(root).join(PROFILE).join(&binary),
        out.join(&binary),
    )
    .context("copy the release binary")?;
    for file in [UNIT, SETTINGS] {
        let name = Path::new(file).file_name().expect("a file name");
        std::fs::copy(root.join(file), out.join(name)).with_context(|| format!("copy {file}"))?;
    }
    verify_unit(root, &out.join(&binary))?;
    write_checksums(&out)?;
    eprintln!("dist: {}", out.display());
    Ok(out)
}

/// Checks [`UNIT`] with `systemd-analyze verify`, on a copy whose `ExecStart` runs `binary`
/// (verify requires the command to exist and be executable), and fails on any complaint:
/// verify exits 0 on unknown keys and unparsable values, which it only prints. Then checks the
/// sandboxing with `systemd-analyze security --offline=true` (exposure at most
/// [`MAX_EXPOSURE_TENTHS`]).
///
/// Errors: `systemd-analyze` missing (Debian package `systemd`), a unit without
/// `ExecStart=/usr/local/bin/ccgate`, or one systemd complains about.
pub fn verify_unit(root: &Path, binary: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(root.join(UNIT)).with_context(|| format!("read {UNIT}"))?;
    verify_unit_text(
        &text,
        binary,
        &crate::target_dir(root).join("xtask-unit-check"),
    )
}

/// [`verify_unit`] of the unit `text`, copied into `dir`.
fn verify_unit_text(text: &str, binary: &Path, dir: &Path) -> anyhow::Result<()> {
    let binary = std::path::absolute(binary)?;
    let unit = with_exec_start(text, &binary)
        .with_context(|| format!("{UNIT} has no `ExecStart={INSTALLED_BINARY} ...` line"))?;
    std::fs::create_dir_all(dir)?;
    let copy = dir.join("ccgate.service");
    std::fs::write(&copy, unit)?;

    eprintln!(
        "$ systemd-analyze verify {UNIT} (ExecStart={})",
        binary.display()
    );
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .context("run systemd-analyze (Debian package systemd)")?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    if !verify.status.success() || !said.trim().is_empty() {
        bail!(
            "systemd-analyze verify {UNIT}: {}\n{}",
            verify.status,
            said.trim_end()
        );
    }

    eprintln!("$ systemd-analyze security --offline=true --threshold={MAX_EXPOSURE_TENTHS} {UNIT}");
    let security = Command::new("systemd-analyze")
        .args([
            "security",
            "--offline=true",
            "--no-pager",
            &format!("--threshold={MAX_EXPOSURE_TENTHS}"),
        ])
        .arg(&copy)
        .output()
        .context("run systemd-analyze security")?;
    let report = String::from_utf8_lossy(&security.stdout);
    let overall = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or("no overall exposure level printed")
        .trim();
    if !security.status.success() {
        bail!(
            "systemd-analyze security {UNIT}: exposure above {} ({overall}):\n{report}{}",
            f64::from(MAX_EXPOSURE_TENTHS) / 10.0,
            String::from_utf8_lossy(&security.stderr)
        );
    }
    eprintln!("{UNIT}: verified; {overall}");
    Ok(())
}

/// `unit` with `ExecStart=/usr/local/bin/ccgate ...` running `binary` instead; `None` without
/// such a line.
fn with_exec_start(unit: &str, binary: &Path) -> Option<String> {
    let mut found = false;
    let lines: Vec<String> = unit
        .lines()
        .map(|line| {
            match line
                .strip_prefix("ExecStart=")
                .and_then(|cmd| cmd.strip_prefix(INSTALLED_BINARY))
                .filter(|rest| rest.is_empty() || rest.starts_with(' '))
            {
                Some(rest) => {
                    found = true;
                    format!("ExecStart={}{rest}", binary.display())
                }
                None => line.to_string(),
            }
        })
        .collect();
    found.then(|| lines.join("\n") + "\n")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_is_pointed_at_a_built_binary() {
        let unit = "[Service]\nExecStart=/usr/local/bin/ccgate --config /etc/ccgate/ccgate.toml serve\nRestart=on-failure\n";
        assert_eq!(
            with_exec_start(unit, Path::new("/w/target/debug/ccgate")).unwrap(),
            "[Service]\nExecStart=/w/target/debug/ccgate --config /etc/ccgate/ccgate.toml serve\nRestart=on-failure\n"
        );
        assert!(with_exec_start("[Service]\nExecStart=/usr/bin/true\n", Path::new("/x")).is_none());
        assert!(
            with_exec_start(
                "[Service]\nExecStart=/usr/local/bin/ccgate2 serve\n",
                Path::new("/x")
            )
            .is_none()
        );
    }

    /// The shipped unit passes `systemd-analyze verify` and `security`; an unknown key, a bad
    /// value (both only printed by verify, which exits 0) or a sandboxing line removed fails.
    #[test]
    fn systemd_analyze_accepts_the_unit_and_refuses_broken_ones() {
        if Command::new("systemd-analyze")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("systemd-analyze is not installed (Debian systemd): skipped");
            return;
        }
        let unit = std::fs::read_to_string(crate::project_root().join(UNIT)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Any existing executable stands in for the binary.
        let binary = std::env::current_exe().unwrap();
        verify_unit_text(&unit, &binary, dir.path()).unwrap();
        for (broken, why) in [
            (
                unit.replace("Restart=on-failure", "Restart=sometimes"),
                "restart specifier",
            ),
            (
                unit.replace("[Service]\n", "[Service]\nRestartSecs=2s\n"),
                "Unknown key 'RestartSecs'",
            ),
            (
                {
                    let (head, tail) = unit.split_once("# Sandboxing").unwrap();
                    head.to_string() + &tail[tail.find("[Install]").unwrap()..]
                },
                "exposure above",
            ),
        ] {
            let e = verify_unit_text(&broken, &binary, dir.path()).unwrap_err();
            assert!(format!("{e:#}").contains(why), "{why}: {e:#}");
        }
        let e = verify_unit_text(&unit, &dir.path().join("missing"), dir.path()).unwrap_err();
        assert!(format!("{e:#}").contains("not executable"), "{e:#}");
    }

    /// The shipped unit names the binary where [`verify_unit`] expects it, starts the server
    /// with the settings file it documents, and gives the graceful drain time before SIGKILL.
    #[test]
    fn the_unit_serves_with_etc_settings_and_outlasts_the_drain() {
        let root = crate::project_root();
        let unit = std::fs::read_to_string(root.join(UNIT)).unwrap();
        assert!(
            unit.lines().any(|l| l
                == format!("ExecStart={INSTALLED_BINARY} --config /etc/ccgate/ccgate.toml serve")),
            "{unit}"
        );
        let stop_secs: u64 = unit
            .lines()
            .find_map(|l| l.strip_prefix("TimeoutStopSec=")?.strip_suffix('s'))
            .expect("TimeoutStopSec=<n>s")
            .parse()
            .unwrap();
        let defaults: toml::Table =
            toml::from_str(&std::fs::read_to_string(root.join("config/default.toml")).unwrap())
                .unwrap();
        let drain = defaults["shutdown"]["drain_secs"].as_integer().unwrap() as u64;
        let tasks = defaults["shutdown"]["tasks_secs"].as_integer().unwrap() as u64;
        assert!(
            stop_secs > drain + tasks,
            "TimeoutStopSec={stop_secs}s leaves the drain ({drain}s) and tasks ({tasks}s) no time"
        );
    }
}
