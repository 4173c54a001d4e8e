//! `cargo xtask`: project automation (rust-analyzer's xtask convention).
//!
//! - `cargo xtask test`  — Rust tests, then the end-to-end SDK suite (tests/e2e) against the
//!   real binary on SQLite, PostgreSQL and MariaDB (`--databases sqlite,postgres,mysql`).
//! - `cargo xtask ci`    — what `.ci/run` runs: generated files up to date, fmt check, clippy
//!   `-D warnings`, then `test`.
//! - `cargo xtask codegen [--check]` — regenerate (or check) everything generated from the action
//!   specs `plugins/*/api/*.toml` (see `codegen/mod.rs`).
//! - `cargo xtask dist`  — release binary plus `SHA256SUMS` in `target/dist/`, and every plugin
//!   as a library in `target/dist/plugins/` (`dist_plugins.rs`).
//! - `cargo xtask plugins` — every plugin as a debug library, checked for linked runtimes.
//! - `cargo xtask fuzz [SECONDS]` — every cargo-fuzz target of `fuzz/` for SECONDS each (default
//!   20; `fuzz/run.sh`, docs/fuzzing.md); `ci` runs each for [`CI_FUZZ_SECONDS`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod codegen;
mod dist;
mod dist_plugins;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("ci") => ci(&args[1..]),
        Some("codegen") => codegen::run(&root, &args[1..]),
        Some("dist") => dist::dist(&root).and_then(|out| dist_plugins::dist(&root, &out)),
        Some("plugins") => dist_plugins::plugins(&root),
        Some("fuzz") => {
            let seconds = args.get(1).map_or("20", String::as_str);
            run("bash", &["fuzz/run.sh", seconds])
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <test|ci> [--databases sqlite,postgres,mysql] | codegen [--check] | dist | plugins | fuzz [SECONDS]"
            );
            bail!("unknown or missing command")
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("spawn {program}"))?;
    if !status.success() {
        bail!("{program} {} failed: {status}", args.join(" "));
    }
    Ok(())
}

/// Seconds each fuzz target runs in `cargo xtask ci` (a smoke run: the parsers still build under
/// the fuzzer and their seed corpora pass; docs/fuzzing.md records the long runs).
const CI_FUZZ_SECONDS: &str = "10";

fn ci(rest: &[String]) -> anyhow::Result<()> {
    // Every action of shared/reference/actions.md has exactly one well-formed spec...
    run("python3", &["tools/check_specs.py"])?;
    // ...and everything generated from the specs is up to date.
    codegen::run(&project_root(), &["--check".to_string()])?;
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The plugin side of the boundary compiles only in a plugin library's feature set.
    run(
        "cargo",
        &[
            "clippy",
            "-p",
            "ccgate-plugin-abi",
            "-p",
            "ccgate-test-plugin",
            "--features",
            "ccgate-plugin-abi/guest,ccgate-test-plugin/dynamic",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    test(rest)?;
    // Unoptimized: the smoke run needs the targets built, not many executions, and a release
    // build of the gateway's dependencies under the fuzzer's flags takes twice as long.
    eprintln!("$ FUZZ_DEV=1 bash fuzz/run.sh {CI_FUZZ_SECONDS}");
    let status = Command::new("bash")
        .args(["fuzz/run.sh", CI_FUZZ_SECONDS])
        .env("FUZZ_DEV", "1")
        .status()
        .context("spawn fuzz/run.sh")?;
    if !status.success() {
        bail!("fuzz/run.sh failed: {status}");
    }
    Ok(())
}

fn test(rest: &[String]) -> anyhow::Result<()> {
    let databases = match rest {
        [flag, value, ..] if flag == "--databases" => value.clone(),
        _ => {
            std::env::var("CCGATE_E2E_DATABASES").unwrap_or_else(|_| "sqlite,postgres,mysql".into())
        }
    };
    // The gateway's event tests (tests/it/events.rs) run on the same backends as the e2e suite.
    eprintln!("$ CCGATE_TEST_DATABASES={databases} cargo test --workspace --all-targets");
    let status = Command::new("cargo")
        .args(["test", "--workspace", "--all-targets"])
        .env("CCGATE_TEST_DATABASES", &databases)
        .status()
        .context("spawn cargo test")?;
    if !status.success() {
        bail!("cargo test --workspace --all-targets failed: {status}");
    }
    run("cargo", &["build", "-p", "ccgate"])?;
    dist_plugins::plugins(&project_root())?;
    let venv = Path::new(".venv");
    if !venv.join("bin/python").exists() {
        run("python3", &["-m", "venv", ".venv"])?;
    }
    run(
        ".venv/bin/pip",
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "tests/e2e/requirements.txt",
        ],
    )?;
    eprintln!("$ CCGATE_E2E_DATABASES={databases} .venv/bin/pytest tests/e2e");
    let status = Command::new(".venv/bin/pytest")
        .args(["tests/e2e", "-q", "-p", "no:cacheprovider"])
        .env("CCGATE_E2E_DATABASES", &databases)
        .env("CCGATE_BIN", "target/debug/ccgate")
        .status()
        .context("spawn pytest")?;
    if !status.success() {
        bail!("end-to-end tests failed: {status}");
    }
    dist_plugins::e2e_dynamic(&databases)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Editing a spec without running `cargo xtask codegen` fails here (and in `cargo xtask ci`).
    #[test]
    fn generated_files_are_up_to_date() {
        let stale = crate::codegen::stale(&crate::project_root()).expect("specs load");
        assert!(
            stale.is_empty(),
            "stale generated files (run `cargo xtask codegen`): {stale:?}"
        );
    }

    /// A plugin raises the codes its specs list, through the generated `api::errors`
    /// constructors, so the OpenAPI document and the API reference show every code a client
    /// can get.
    #[test]
    fn plugins_raise_error_codes_only_through_generated_constructors() {
        let found = crate::codegen::hand_written_error_codes(&crate::project_root()).unwrap();
        assert!(
            found.is_empty(),
            "use `crate::api::errors::<code>(..)` (add the code to the spec's [[error]] list):\n{}",
            found.join("\n")
        );
    }
}
