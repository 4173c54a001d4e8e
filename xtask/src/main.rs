//! `cargo xtask`: project automation (rust-analyzer's xtask convention).
//!
//! - `cargo xtask test`  — Rust tests, then the end-to-end SDK suite (tests/e2e) against the
//!   real binary on SQLite, PostgreSQL and MariaDB (`--databases sqlite,postgres,mysql`).
//! - `cargo xtask ci`    — what `.ci/run` runs: generated files up to date, fmt check, clippy
//!   `-D warnings`, then `test`, then the systemd unit checked against the debug binary `test`
//!   built (`verify-unit`).
//! - `cargo xtask codegen [--check]` — regenerate (or check) everything generated from the action
//!   specs `plugins/*/api/*.toml` and from the plugin crates `plugins/*/Cargo.toml` (workspace
//!   members, gateway features, built-in list, config default, dynamic exports; see
//!   `codegen/mod.rs`).
//! - `cargo xtask new-plugin <name>` — scaffold `plugins/<name>/` with one example action and
//!   register it by running codegen (`scaffold.rs`); `cargo xtask remove-plugin <name>` undoes
//!   it (the folder moves to `target/removed-plugins/`).
//! - `cargo xtask scaffold-check` — in a copy of the working tree: `new-plugin hello`, build, and
//!   call its example action served built in and as a library (`scaffold_check.rs`; `ci` runs
//!   it).
//! - `cargo xtask dist`  — stripped release binary (profile `dist-release`), the systemd unit
//!   `packaging/ccgate.service` (verified) and the settings file it starts with
//!   `packaging/ccgate.toml`, plus `SHA256SUMS`, in `target/dist/`, and every plugin as a
//!   stripped library in `target/dist/plugins/`, loaded once by the shipped binary (`dist.rs`,
//!   `dist_plugins.rs`).
//! - `cargo xtask verify-unit [BINARY]` — `systemd-analyze verify` and `security` on
//!   `packaging/ccgate.service`, its `ExecStart` pointed at BINARY (default: the debug binary).
//! - `cargo xtask plugins` — every plugin as a debug library, checked for linked runtimes.
//! - `cargo xtask seed-reports --database <url> [...]` — the reports benchmark's data (1,000,000
//!   calls, 500 agents, 12 months by default); `cargo xtask bench-reports [--databases
//!   sqlite,postgres] [--calls N]` — seed, criterion and wrk per database (`bench_reports.rs`,
//!   `bench/reports.sh`, docs/benchmarks.md "Reports (issue 13)").
//! - `cargo xtask fuzz [SECONDS]` — every cargo-fuzz target of `fuzz/` for SECONDS each (default
//!   20; `fuzz/run.sh`, docs/fuzzing.md); `ci` runs each for [`CI_FUZZ_SECONDS`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod bench_reports;
mod codegen;
mod dist;
mod dist_plugins;
mod scaffold;
mod scaffold_check;

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
        Some("verify-unit") => {
            let binary = args
                .get(1)
                .map_or_else(|| target_dir(&root).join("debug/ccgate"), |b| root.join(b));
            dist::verify_unit(&root, &binary)
        }
        Some("new-plugin") => match &args[1..] {
            [name] => scaffold::new_plugin(&root, name),
            _ => bail!("usage: cargo xtask new-plugin <name>   (name: [a-z][a-z0-9-]*)"),
        },
        Some("remove-plugin") => match &args[1..] {
            [name] => scaffold::remove_plugin(&root, name),
            _ => bail!("usage: cargo xtask remove-plugin <name>"),
        },
        Some("scaffold-check") => scaffold_check::scaffold_check(&root),
        Some("seed-reports") => bench_reports::seed(&args[1..]),
        Some("bench-reports") => bench_reports::bench(&args[1..]),
        Some("fuzz") => {
            let seconds = args.get(1).map_or("20", String::as_str);
            run("bash", &["fuzz/run.sh", seconds])
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <test|ci> [--databases sqlite,postgres,mysql] | codegen [--check] | new-plugin <name> | remove-plugin <name> | scaffold-check | dist | verify-unit [BINARY] | plugins | fuzz [SECONDS] | seed-reports --database <url> [...] | bench-reports [--databases sqlite,postgres] [--calls N]"
            );
            bail!("unknown or missing command")
        }
    }
}

/// The repository root: the parent of xtask's manifest directory, which `cargo run` (the
/// `cargo xtask` alias) and `cargo test` set at run time. Read at run time, not with `env!`:
/// cargo names a path crate's build by its path relative to the workspace root, so a copy of
/// the repository building into the same target directory (`cargo xtask scaffold-check`) runs
/// the very binary built here, whose compile-time path would point back at this checkout.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// The cargo target directory: `CARGO_TARGET_DIR` (relative to `root`, where xtask runs) or
/// `root/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Removes from `cmd`'s environment what `cargo run` set for xtask itself (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, ...). A build script that reruns when one of them changes (ring's does, on
/// `CARGO_MANIFEST_DIR`) would otherwise be rebuilt, with everything above it, whenever a build
/// alternates between xtask and a terminal.
pub fn without_cargo_run_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_MANIFEST_")
            || matches!(
                k.as_ref(),
                "CARGO_PRIMARY_PACKAGE" | "CARGO_CRATE_NAME" | "CARGO_BIN_NAME"
            )
        {
            cmd.env_remove(&key);
        }
    }
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    without_cargo_run_env(&mut cmd);
    let status = cmd
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
    // The systemd unit against the debug binary `test` built: systemd-analyze verify needs the
    // ExecStart command to exist, and a release build only for this would double CI's build.
    dist::verify_unit(
        &project_root(),
        &target_dir(&project_root()).join("debug/ccgate"),
    )?;
    // A scaffolded plugin is served built in and as a library with nothing edited by hand
    // outside its folder (after `test`, so the dependencies are built).
    scaffold_check::scaffold_check(&project_root())?;
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
        .env(
            "CCGATE_BIN",
            target_dir(&project_root()).join("debug/ccgate"),
        )
        .status()
        .context("spawn pytest")?;
    if !status.success() {
        bail!("end-to-end tests failed: {status}");
    }
    e2e_replicas(&databases)?;
    dist_plugins::e2e_dynamic(&databases)?;
    Ok(())
}

/// The SDK modules that need no SIP phone (the phones register with one replica), run again
/// through two replicas behind nginx on one PostgreSQL sharing the machine's Redis, one
/// request to each in turn (issue 15, `CCGATE_E2E_REPLICAS=2`, tests/e2e/conftest.py).
const REPLICA_MODULES: &[&str] = &[
    "tests/e2e/test_auth.py",
    "tests/e2e/test_catalog.py",
    "tests/e2e/test_flows.py",
    "tests/e2e/test_numbers.py",
    "tests/e2e/test_isolation.py",
    "tests/e2e/test_huawei.py",
    "tests/e2e/test_storage.py",
    "tests/e2e/test_platform.py",
    "tests/e2e/test_agents.py",
];

fn e2e_replicas(databases: &str) -> anyhow::Result<()> {
    if !databases.split(',').any(|d| d.trim() == "postgres") {
        eprintln!("(the two-replica pass runs on PostgreSQL, which {databases:?} leaves out)");
        return Ok(());
    }
    eprintln!("$ CCGATE_E2E_REPLICAS=2 CCGATE_E2E_DATABASES=postgres .venv/bin/pytest <modules>");
    let status = Command::new(".venv/bin/pytest")
        .args(REPLICA_MODULES)
        .args(["-q", "-p", "no:cacheprovider"])
        .env("CCGATE_E2E_DATABASES", "postgres")
        .env("CCGATE_E2E_REPLICAS", "2")
        .env(
            "CCGATE_BIN",
            target_dir(&project_root()).join("debug/ccgate"),
        )
        .status()
        .context("spawn pytest")?;
    if !status.success() {
        bail!("end-to-end tests through two replicas failed: {status}");
    }
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
