//! Plugin libraries: every plugin crate with a `dynamic` feature built as a `cdylib`, each in its
//! own cargo invocation (one invocation for all would unify their features and drag the host's
//! dependencies in), and a check that no library links an async runtime, database driver, web
//! framework or log subscriber of its own (../shared/design/ARCHITECTURE.md §4).
//!
//! - `cargo xtask plugins` builds the debug libraries (what tests/e2e loads in dynamic mode) and
//!   checks them (dependency graph and symbol table);
//! - `cargo xtask dist` adds the stripped release libraries to `target/dist/plugins/` (in
//!   `SHA256SUMS`): their dependency graph is checked, and their symbol tables are gone (profile
//!   [`crate::dist::PROFILE`]), so the symbol check is the debug libraries' above (stricter:
//!   without inlining, every function of a linked crate keeps its own symbol). The dynamic symbol
//!   table the loader needs stays: each library must export `ccgate_plugin_entry`, and the
//!   shipped binary must load them all (`ccgate plugins`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::run;

/// A plugin crate that can be built as a library.
#[derive(Debug, Clone)]
pub struct PluginCrate {
    /// Cargo package name, e.g. `ccgate-flows`.
    pub package: String,
    /// The library file cargo writes, e.g. `libccgate_flows.so`.
    pub file: String,
}

/// The crates under `plugins/*` whose Cargo.toml declares a `dynamic` feature, by name.
pub fn plugin_crates(root: &Path) -> anyhow::Result<Vec<PluginCrate>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("plugins"))? {
        let manifest = entry?.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if !text
            .lines()
            .any(|l| l.trim_start().starts_with("dynamic ="))
        {
            continue;
        }
        let package = text
            .lines()
            .find_map(|l| {
                let l = l.trim();
                l.strip_prefix("name = \"")
                    .and_then(|r| r.strip_suffix('"'))
                    .map(str::to_string)
            })
            .with_context(|| format!("no package name in {}", manifest.display()))?;
        let file = format!(
            "{}{}.{}",
            std::env::consts::DLL_PREFIX,
            package.replace('-', "_"),
            std::env::consts::DLL_EXTENSION
        );
        out.push(PluginCrate { package, file });
    }
    out.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(out)
}

/// Builds every plugin crate as a library (debug, or `--profile dist-release --locked`), one
/// cargo invocation each; returns the crates and the paths cargo wrote
/// (`target/<profile>/lib*.so`).
pub fn build_plugin_libraries(
    root: &Path,
    release: bool,
) -> anyhow::Result<Vec<(PluginCrate, PathBuf)>> {
    let profile = if release {
        crate::dist::PROFILE
    } else {
        "debug"
    };
    let mut built = Vec::new();
    for krate in plugin_crates(root)? {
        let mut args = vec![
            "rustc",
            "-p",
            &krate.package,
            "--lib",
            "--crate-type",
            "cdylib",
            "--features",
            "dynamic",
        ];
        if release {
            args.extend(["--profile", crate::dist::PROFILE, "--locked"]);
        }
        run("cargo", &args)?;
        let path = crate::target_dir(root).join(profile).join(&krate.file);
        if !path.exists() {
            bail!(
                "cargo built {} but {} is missing",
                krate.package,
                path.display()
            );
        }
        built.push((krate, path));
    }
    Ok(built)
}

/// Crates a plugin library must not carry a copy of: the host owns all I/O and logging.
const FORBIDDEN: &[&str] = &["tokio", "sqlx", "actix", "tracing_subscriber"];

/// Fails when a plugin library links tokio, sqlx, actix or tracing-subscriber of its own:
/// tokio, sqlx and actix may not even be in the crate's normal dependency graph with the
/// `dynamic` feature (`cargo tree`), and none of the four may have code in the library (its
/// symbol table, `nm`; tracing-subscriber is in sea-orm-migration's graph but only its unused
/// CLI calls it, so the linker drops it).
pub fn check_plugin_links(root: &Path, libs: &[(PluginCrate, PathBuf)]) -> anyhow::Result<()> {
    let mut problems = check_plugin_dependencies(root, libs)?;
    for (_, path) in libs {
        let nm = Command::new("nm")
            .args(["--demangle", "--defined-only"])
            .arg(path)
            .output()
            .context("run nm (binutils) on the plugin library")?;
        if !nm.status.success() {
            bail!("nm {} failed", path.display());
        }
        let symbols = String::from_utf8_lossy(&nm.stdout);
        let mut linked: Vec<&str> = FORBIDDEN
            .iter()
            .copied()
            .filter(|c| symbols.lines().any(|l| mentions_crate(l, c)))
            .collect();
        linked.dedup();
        if !linked.is_empty() {
            problems.push(format!(
                "{} links its own {}",
                path.display(),
                linked.join(", ")
            ));
        }
    }
    fail_on(problems)?;
    eprintln!(
        "plugin libraries: {} checked, none links tokio, sqlx, actix or tracing-subscriber",
        libs.len()
    );
    Ok(())
}

fn fail_on(problems: Vec<String>) -> anyhow::Result<()> {
    if !problems.is_empty() {
        bail!(
            "plugin libraries must not carry their own runtime, driver or subscriber:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// The dependency-graph half of [`check_plugin_links`] (`cargo tree`: no tokio, sqlx or actix
/// with the `dynamic` feature); returns the problems found.
fn check_plugin_dependencies(
    root: &Path,
    libs: &[(PluginCrate, PathBuf)],
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (krate, _) in libs {
        let tree = Command::new("cargo")
            .current_dir(root)
            .args([
                "tree",
                "-p",
                &krate.package,
                "--features",
                "dynamic",
                "-e",
                "normal",
                "--prefix",
                "none",
            ])
            .output()
            .context("run cargo tree")?;
        if !tree.status.success() {
            bail!("cargo tree -p {} failed", krate.package);
        }
        let mut deps: Vec<String> = String::from_utf8_lossy(&tree.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| {
                let n = name.replace('-', "_");
                ["tokio", "sqlx", "actix"]
                    .iter()
                    .any(|f| n == *f || n.starts_with(&format!("{f}_")))
            })
            .map(str::to_string)
            .collect();
        deps.sort();
        deps.dedup();
        if !deps.is_empty() {
            problems.push(format!(
                "{}: depends on {} with the dynamic feature",
                krate.package,
                deps.join(", ")
            ));
        }
    }
    Ok(problems)
}

/// The name of the one symbol a plugin library exports (`ccgate_plugin_abi::ffi::ENTRY_SYMBOL`).
const ENTRY_SYMBOL: &str = "ccgate_plugin_entry";

/// Fails unless every library's dynamic symbol table (`nm -D`, what `dlsym` reads; stripping
/// keeps it) defines [`ENTRY_SYMBOL`].
pub fn check_entry_exports(libs: &[(PluginCrate, PathBuf)]) -> anyhow::Result<()> {
    for (_, path) in libs {
        let nm = Command::new("nm")
            .args(["--dynamic", "--defined-only"])
            .arg(path)
            .output()
            .context("run nm (binutils) on the plugin library")?;
        let exported = String::from_utf8_lossy(&nm.stdout)
            .lines()
            .any(|l| l.split_whitespace().last() == Some(ENTRY_SYMBOL));
        if !nm.status.success() || !exported {
            bail!(
                "{} does not export {ENTRY_SYMBOL} (nm -D): the host cannot load it",
                path.display()
            );
        }
    }
    Ok(())
}

/// Whether a demangled symbol names an item of crate `name` (or `name_*`): `name::` or
/// `name_xyz::` at a path start.
fn mentions_crate(symbol: &str, name: &str) -> bool {
    let bytes = symbol.as_bytes();
    let mut from = 0;
    while let Some(i) = symbol[from..].find(name) {
        let start = from + i;
        let before_ok =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let rest = &symbol[start + name.len()..];
        let after_ok = rest.starts_with("::")
            || (rest.starts_with('_')
                && rest
                    .split("::")
                    .next()
                    .is_some_and(|seg| seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                && rest.contains("::"));
        if before_ok && after_ok {
            return true;
        }
        from = start + name.len();
    }
    false
}

/// `cargo xtask plugins`: builds the debug libraries and checks them.
pub fn plugins(root: &Path) -> anyhow::Result<()> {
    let libs = build_plugin_libraries(root, false)?;
    check_plugin_links(root, &libs)?;
    check_entry_exports(&libs)?;
    for (_, path) in &libs {
        eprintln!("plugin library: {}", path.display());
    }
    Ok(())
}

/// The plugin part of `cargo xtask dist`: stripped release libraries, checked (dependency
/// graph, entry export), copied to `<out>/plugins/` with their own checksums, then loaded by
/// the shipped binary (`<out>/ccgate --config <out>/ccgate.toml plugins` serving every domain
/// from `<out>/plugins/`).
pub fn dist(root: &Path, out: &Path) -> anyhow::Result<()> {
    let libs = build_plugin_libraries(root, true)?;
    fail_on(check_plugin_dependencies(root, &libs)?)?;
    check_entry_exports(&libs)?;
    let dir = out.join("plugins");
    std::fs::create_dir_all(&dir)?;
    for (krate, path) in &libs {
        std::fs::copy(path, dir.join(&krate.file))
            .with_context(|| format!("copy {}", path.display()))?;
    }
    crate::dist::write_checksums(&dir)?;
    check_shipped_binary_loads(out, &dir, &libs)?;
    eprintln!("dist: {} plugin libraries in {}", libs.len(), dir.display());
    Ok(())
}

/// Runs `ccgate plugins` of `out` (no database opened) with no built-in domain and every
/// library of `dir`: each must be listed as loaded.
fn check_shipped_binary_loads(
    out: &Path,
    dir: &Path,
    libs: &[(PluginCrate, PathBuf)],
) -> anyhow::Result<()> {
    let binary = out.join(format!("ccgate{}", std::env::consts::EXE_SUFFIX));
    let settings = out.join("ccgate.toml");
    eprintln!(
        "$ CCGATE__PLUGINS__ENABLED= CCGATE__PLUGINS__DIRECTORY={} {} --config {} plugins",
        dir.display(),
        binary.display(),
        settings.display()
    );
    let listed = Command::new(&binary)
        .arg("--config")
        .arg(&settings)
        .arg("plugins")
        .env("CCGATE__PLUGINS__ENABLED", "")
        .env("CCGATE__PLUGINS__DIRECTORY", dir)
        .output()
        .context("run the shipped ccgate")?;
    let text = String::from_utf8_lossy(&listed.stdout);
    if !listed.status.success() {
        bail!(
            "the shipped ccgate does not load the shipped plugin libraries: {}\n{text}{}",
            listed.status,
            String::from_utf8_lossy(&listed.stderr)
        );
    }
    let missing: Vec<&str> = libs
        .iter()
        .map(|(krate, _)| krate.file.as_str())
        .filter(|file| {
            !text
                .lines()
                .any(|l| l.contains(" dynamic ") && l.trim_end().ends_with(file))
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "`ccgate plugins` does not list {} as loaded:\n{text}",
            missing.join(", ")
        );
    }
    eprintln!(
        "dist: the shipped binary loads all {} shipped plugin libraries",
        libs.len()
    );
    Ok(())
}

/// The dynamic pass of `cargo xtask test`: SDK suites against a gateway that loads every domain
/// from its library: flows, numbers and hostile input on the selected databases (SQLite,
/// PostgreSQL, MariaDB), agents and calls on the first of them.
pub fn e2e_dynamic(databases: &str) -> anyhow::Result<()> {
    let selected: Vec<&str> = databases
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if selected.is_empty() {
        return Ok(());
    }
    // Flows and numbers on every selected backend (their storage crosses the boundary statement
    // by statement); hostile input (issue 9) and the agents, calls and workbench suites, which
    // exercise the boundary (decoding, caller scope, directory lookup, state stream, telephony
    // host queries, call events) rather than the backends, on the first one only, to keep CI
    // under 30 minutes (the built-in pass runs the hostile suite on every backend).
    let dbs = selected.join(",");
    pytest_dynamic(
        &dbs,
        &["tests/e2e/test_flows.py", "tests/e2e/test_numbers.py"],
    )?;
    pytest_dynamic(
        selected[0],
        &[
            // Hostile input through the plugin boundary as well (issue 9).
            "tests/e2e/test_hostile.py",
            // Agents and roles as libraries (issue 11).
            "tests/e2e/test_agents.py",
            // Calls as a library: the telephony host queries and the call events (issue 12).
            "tests/e2e/test_calls.py",
            // Workbench and device diagnostics as libraries: the token grant in the context and
            // the host queries auth.refresh_token, crypto.seal/open, host.endpoints (issue 14).
            "tests/e2e/test_workbench.py",
        ],
    )
}

fn pytest_dynamic(dbs: &str, files: &[&str]) -> anyhow::Result<()> {
    eprintln!(
        "$ CCGATE_E2E_PLUGINS=dynamic CCGATE_E2E_DATABASES={dbs} .venv/bin/pytest {}",
        files.join(" ")
    );
    let status = Command::new(".venv/bin/pytest")
        .args(files)
        .args(["-q", "-p", "no:cacheprovider"])
        .env("CCGATE_E2E_PLUGINS", "dynamic")
        .env("CCGATE_E2E_DATABASES", dbs)
        .env(
            "CCGATE_BIN",
            crate::target_dir(&crate::project_root()).join("debug/ccgate"),
        )
        .env(
            "CCGATE_E2E_PLUGIN_DIR",
            crate::target_dir(&crate::project_root()).join("debug"),
        )
        .status()
        .context("spawn pytest")?;
    if !status.success() {
        bail!("end-to-end tests with dynamic plugins failed: {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_of_forbidden_crates_are_recognised() {
        assert!(mentions_crate(
            "tokio::runtime::park::CachedParkThread::block_on",
            "tokio"
        ));
        assert!(mentions_crate(
            "<sqlx_core::pool::Pool<DB> as Clone>::clone",
            "sqlx"
        ));
        assert!(mentions_crate(
            "core::ptr::drop_in_place<actix_web::app::App>",
            "actix"
        ));
        assert!(mentions_crate(
            "tracing_subscriber::fmt::format::Format::new",
            "tracing_subscriber"
        ));
        assert!(!mentions_crate(
            "tracing_core::dispatcher::get_default",
            "tracing_subscriber"
        ));
        assert!(!mentions_crate("my_tokio::thing", "tokio"));
        assert!(!mentions_crate("ccgate_plugin_abi::guest::init", "tokio"));
        assert!(!mentions_crate(
            "sea_orm::driver::proxy::ProxyDatabaseConnection::new",
            "sqlx"
        ));
    }
}
