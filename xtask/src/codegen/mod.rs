//! `cargo xtask codegen [--check]`: generates, from the action specs in
//! `plugins/<plugin>/api/*.toml`,
//! - per plugin crate: `plugins/<plugin>/src/api/` (typed requests with validation, response
//!   structs, the `SPEC` of each action, `ACTIONS` and `dispatch`, which parses a request and
//!   calls its handler `crate::actions::<module>::handle` directly);
//! - for the gateway: `crates/gateway/src/catalog/generated.rs` (every specified action, for
//!   `NotImplemented` answers and `ccgate actions`) and `crates/gateway/src/catalog/openapi.json`
//!   (OpenAPI 3.1, served at `/openapi.json`);
//! - `docs/api-reference.md`;
//! - from the plugin crates found under `plugins/<name>/Cargo.toml` (`plugins.rs`): their
//!   workspace membership, gateway features, built-in list, config default and, per crate,
//!   `src/api/export.rs` (the dynamic-library export with its entities).
//!
//! `--check` writes nothing and fails when a generated file is missing, stale, or no longer
//! generated (a leftover module of a removed spec).

mod markdown;
mod openapi;
pub mod plugins;
mod rust;
mod spec;
mod tree;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub use spec::{Spec, load_all};

/// The plugins whose cached lists show `plugin`'s data: those that serve a
/// `list_cache = "serve"` action and use one of `plugin`'s queries (`api/uses.toml`), sorted.
/// `plugin`'s `list_cache = "invalidate"` writes drop their pages too (so flows' lists show a
/// number bound by numbers' ModifyPhoneNumber at once, and numbers' lists a renamed flow).
pub fn list_cache_dependents<'a>(
    plugin: &str,
    by_plugin: &BTreeMap<&'a str, Vec<&Spec>>,
    uses: &BTreeMap<String, spec::Uses>,
) -> Vec<&'a str> {
    let prefix = format!("{plugin}.");
    by_plugin
        .iter()
        .filter(|(other, specs)| {
            **other != plugin
                && specs
                    .iter()
                    .any(|s| s.list_cache.as_deref() == Some("serve"))
                && uses
                    .get(**other)
                    .is_some_and(|u| u.queries.iter().any(|q| q.starts_with(&prefix)))
        })
        .map(|(other, _)| *other)
        .collect()
}

/// Every generated file: repository-relative path → content.
pub fn generate(root: &Path) -> anyhow::Result<BTreeMap<PathBuf, String>> {
    let specs = load_all(root)?;
    let shapes = spec::load_shapes(root)?;
    let (queries, uses) = spec::load_queries(root)?;
    let crates = plugins::discover(root)?;
    let mut files = BTreeMap::new();
    let mut by_plugin: BTreeMap<&str, Vec<&Spec>> = BTreeMap::new();
    // Every plugin crate gets its `api` module, also one that serves no action yet.
    for krate in &crates {
        by_plugin.entry(&krate.name).or_default();
    }
    for s in &specs {
        if s.plugin_has_crate {
            by_plugin.entry(&s.plugin).or_default().push(s);
        }
    }
    for (plugin, list) in &by_plugin {
        let dir = PathBuf::from(format!("plugins/{plugin}/src/api"));
        for s in list {
            files.insert(
                dir.join(format!("{}.rs", s.module())),
                rustfmt(&rust::action_module(s))?,
            );
        }
        let mut extra = vec!["errors"];
        let offered: Vec<&spec::Query> = queries.iter().filter(|q| q.plugin == *plugin).collect();
        // A list cache is invalidated across replicas through a query the host sends the
        // plugin, so such a plugin gets `api::queries::dispatch` even if it offers no query.
        let list_cache = list.iter().any(|s| s.list_cache.is_some());
        if !offered.is_empty() || list_cache {
            extra.push("queries");
            files.insert(
                dir.join("queries.rs"),
                rustfmt(&rust::queries_module(plugin, &offered, list_cache))?,
            );
        }
        if let Some(u) = uses.get(*plugin).filter(|u| !u.queries.is_empty()) {
            let used: Vec<&spec::Query> = queries
                .iter()
                .filter(|q| u.queries.contains(&format!("{}.{}", q.plugin, q.name)))
                .collect();
            extra.push("clients");
            files.insert(
                dir.join("clients.rs"),
                rustfmt(&rust::clients_module(plugin, &used))?,
            );
        }
        let own_shapes = shapes.get(*plugin).filter(|s| !s.is_empty());
        if let Some(own) = own_shapes {
            extra.push("shapes");
            files.insert(
                dir.join("shapes.rs"),
                rustfmt(&rust::shapes_module(plugin, own))?,
            );
        }
        if let Some(krate) = crates.iter().find(|c| c.name == *plugin && c.dynamic) {
            extra.push("export");
            files.insert(
                dir.join("export.rs"),
                rustfmt(&plugins::export_module(krate))?,
            );
        }
        files.insert(
            dir.join("errors.rs"),
            rustfmt(&rust::errors_module(plugin, list)?)?,
        );
        files.insert(
            dir.join("mod.rs"),
            rustfmt(&rust::api_module(
                plugin,
                list,
                &extra,
                &list_cache_dependents(plugin, &by_plugin, &uses),
            ))?,
        );
    }
    files.insert(
        PathBuf::from("crates/gateway/src/plugins/builtin.rs"),
        rustfmt(&plugins::builtin_module(&crates))?,
    );
    files.extend(plugins::block_files(root, &crates)?);
    files.insert(
        PathBuf::from("crates/gateway/src/catalog/generated.rs"),
        rustfmt(&catalog(&specs))?,
    );
    let version = workspace_version(root)?;
    let mut doc = serde_json::to_string_pretty(&openapi::document(&specs, &version))?;
    doc.push('\n');
    files.insert(
        PathBuf::from("crates/gateway/src/catalog/openapi.json"),
        doc,
    );
    files.insert(
        PathBuf::from("docs/api-reference.md"),
        markdown::reference(&specs),
    );
    files.insert(
        PathBuf::from("docs/plugin-contracts.md"),
        markdown::contracts(&queries, &uses),
    );
    Ok(files)
}

fn workspace_version(root: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let doc: toml::Table = toml::from_str(&text)?;
    doc.get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .context("workspace.package.version missing")
}

/// `crates/gateway/src/catalog/generated.rs`.
fn catalog(specs: &[Spec]) -> String {
    let mut out = rust::header("`plugins/*/api/*.toml`");
    out.push_str("//! Every action ccgate specifies, with the plugin that owns it.\n\nuse ccgate_plugin_sdk::{ActionSpec, AuthModes, Dialect, Envelope, InstanceScope, Role, Roles};\n\nuse super::Entry;\n\n/// Every specified action, by plugin folder and spec file name.\npub const CATALOG: &[Entry] = &[\n");
    for s in specs {
        let spec_line = rust::spec_const(s);
        let _ = writeln!(
            out,
            "    Entry {{ plugin: {:?}, spec: {spec_line}, summary: {:?}, has_handler: {}, file: {:?} }},",
            s.plugin,
            s.summary,
            s.implemented(),
            s.file
        );
    }
    out.push_str("];\n");
    out
}

/// Formats Rust source with the toolchain's rustfmt (edition 2024).
fn rustfmt(source: &str) -> anyhow::Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("spawn rustfmt")?;
    child
        .stdin
        .take()
        .context("rustfmt stdin")?
        .write_all(source.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "rustfmt failed on generated code: {}\n{source}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Files under the generated directories that `generate` no longer produces.
fn leftovers(root: &Path, files: &BTreeMap<PathBuf, String>) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = files
        .keys()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut extra = Vec::new();
    for dir in dirs
        .iter()
        .filter(|d| d.ends_with("src/api") && root.join(d).is_dir())
    {
        for entry in std::fs::read_dir(root.join(dir))? {
            let rel = dir.join(entry?.file_name());
            if !files.contains_key(&rel) {
                extra.push(rel);
            }
        }
    }
    Ok(extra)
}

/// Paths whose content differs from what `generate` produces (missing, stale or leftover).
pub fn stale(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let files = generate(root)?;
    let mut out: Vec<PathBuf> = files
        .iter()
        .filter(|(path, content)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(content.as_str())
        })
        .map(|(p, _)| p.clone())
        .collect();
    out.extend(leftovers(root, &files)?);
    Ok(out)
}

/// `cargo xtask codegen [--check]`.
pub fn run(root: &Path, rest: &[String]) -> anyhow::Result<()> {
    let check = rest.iter().any(|a| a == "--check");
    if check {
        let stale = stale(root)?;
        if !stale.is_empty() {
            for p in &stale {
                eprintln!("stale generated file: {}", p.display());
            }
            bail!("generated files are stale: run `cargo xtask codegen` and commit the result");
        }
        eprintln!("generated files are up to date");
        let hand_written = hand_written_error_codes(root)?;
        if !hand_written.is_empty() {
            for line in &hand_written {
                eprintln!("{line}");
            }
            bail!(
                "plugins raise error codes by hand: use `crate::api::errors::<code>(..)` (add the code to the spec's [[error]] list)"
            );
        }
        return Ok(());
    }
    let files = generate(root)?;
    for extra in leftovers(root, &files)? {
        std::fs::remove_file(root.join(&extra))?;
        eprintln!("removed {}", extra.display());
    }
    let mut written = 0;
    for (path, content) in &files {
        let full = root.join(path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&full, content)?;
        written += 1;
        eprintln!("wrote {}", path.display());
    }
    eprintln!("{} generated files, {written} changed", files.len());
    Ok(())
}

/// Error codes a plugin raises by hand instead of through its generated constructors
/// (`api::errors::*`): `file:line: text` for every call of an [`ApiError`] constructor that
/// takes a code, in plugin sources outside `src/api/` (generated) and outside tests.
/// `ApiError::internal()` and `ApiError::not_implemented(..)` stay allowed: they carry no
/// domain code.
///
/// [`ApiError`]: https://docs.rs/ccgate-plugin-sdk
pub fn hand_written_error_codes(root: &Path) -> anyhow::Result<Vec<String>> {
    const FORBIDDEN: &[&str] = &[
        "ApiError::new(",
        "ApiError::conflict(",
        "ApiError::not_exists(",
        "ApiError::invalid(",
        "ApiError::missing(",
        "ApiError::enumeration(",
        "ApiError::minimum(",
        "ApiError::maximum(",
    ];
    let mut found = Vec::new();
    let mut stack = vec![root.join("plugins")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if path.is_dir() {
                let skip =
                    rel.ends_with("/src/api") || rel.ends_with("/target") || rel.contains("/tests");
                if !skip {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || rel.ends_with("testutil.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            // Unit tests sit at the end of a module, in `#[cfg(test)] mod tests`.
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                if FORBIDDEN.iter().any(|f| line.contains(f))
                    && !line.trim_start().starts_with("//")
                {
                    found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}
