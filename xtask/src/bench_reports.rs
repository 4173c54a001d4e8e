//! `cargo xtask seed-reports` and `cargo xtask bench-reports`: the reports benchmark of issue 13
//! (docs/benchmarks.md, "Reports (issue 13)").
//!
//! The generator is the example `seed_reports` of the reports plugin
//! (`plugins/reports/examples/seed_reports.rs`), not code in xtask: it writes through the agents
//! and reports plugins' own entities and `ccgate_reports::ingest::fragments_of` /
//! `rebuild::rebuild`, and xtask must not depend on the plugin crates (`cargo xtask codegen`
//! regenerates their `api/` modules, so it has to build when they do not). xtask only runs
//! `cargo run --release` on it, and `bench/reports.sh` for the whole benchmark.

use std::process::Command;

use anyhow::{Context, bail};

/// `cargo xtask seed-reports --database URL [...]`: every argument goes to the generator.
pub fn seed(args: &[String]) -> anyhow::Result<()> {
    if !args.iter().any(|a| a == "--database") {
        bail!(
            "usage: cargo xtask seed-reports --database <url> [--calls 1000000] [--agents 500] \
             [--groups 20] [--months 12] [--instance bench-inst] [--end YYYY-MM-DD] [--seed 1] \
             [--reset] [--create-database]"
        );
    }
    let mut all = vec![
        "run",
        "--release",
        "-p",
        "ccgate-reports",
        "--example",
        "seed_reports",
        "--",
    ];
    all.extend(args.iter().map(String::as_str));
    crate::run("cargo", &all)
}

/// `cargo xtask bench-reports [--databases sqlite,postgres] [--calls N]`: seed, criterion and
/// wrk per database (`bench/reports.sh`; its other settings come from the environment).
pub fn bench(args: &[String]) -> anyhow::Result<()> {
    let mut cmd = Command::new("bash");
    crate::without_cargo_run_env(&mut cmd);
    cmd.arg("bench/reports.sh");
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--databases" => cmd.env("DATABASES", value.replace(',', " ")),
            "--calls" => cmd.env("CALLS", value),
            _ => bail!(
                "usage: cargo xtask bench-reports [--databases sqlite,postgres] [--calls N] \
                 (other settings: environment of bench/reports.sh)"
            ),
        };
    }
    eprintln!("$ bash bench/reports.sh {}", args.join(" "));
    let status = cmd.status().context("spawn bench/reports.sh")?;
    if !status.success() {
        bail!("bench/reports.sh failed: {status}");
    }
    Ok(())
}
