//! One place to add a plugin: everything that lists the plugin crates is generated from the
//! crates found under `plugins/<name>/Cargo.toml`, so adding a domain is creating its folder
//! (`cargo xtask new-plugin <name>`) and running `cargo xtask codegen`.
//!
//! Whole files:
//! - `crates/gateway/src/plugins/builtin.rs`: `builtin()`, one
//!   `#[cfg(feature = "plugin-<name>")] all.push(Arc::new(ccgate_<name>::<Camel>Plugin::default()))`
//!   per plugin crate;
//! - `plugins/<name>/src/api/export.rs` of every crate with a `dynamic` feature: the C-ABI export
//!   (`ccgate_plugin_abi::export_plugin!`) with the entities found in `src/storage/`
//!   ([`entities`]).
//!
//! Marked blocks inside hand-written files (the text between `# @generated begin <block>` and
//! `# @generated end <block>` is rewritten, the rest of the file is kept as is):
//! - `Cargo.toml`: `plugin-members` (workspace members), `plugin-dependencies`
//!   (`[workspace.dependencies]`);
//! - `crates/gateway/Cargo.toml`: `plugin-features` (`default` and one `plugin-<name>` feature per
//!   plugin), `plugin-dependencies` (the optional dependencies);
//! - `crates/ccgate/Cargo.toml`: `plugin-features` (forwarded to the gateway);
//! - `config/default.toml`: `plugins` (`[plugins] enabled`, every plugin crate).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use heck::ToUpperCamelCase;

use super::rust::header;

/// A plugin crate, `plugins/<name>/Cargo.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCrate {
    /// The folder name, which is also the plugin's config name (`flows`, `satisfaction-sms`).
    pub name: String,
    /// The Cargo package, `ccgate-<name>`.
    pub package: String,
    /// The library crate, `ccgate_<name>` with `-` as `_`.
    pub lib: String,
    /// The plugin struct, `<UpperCamelName>Plugin` (`FlowsPlugin`, `SatisfactionSmsPlugin`).
    pub plugin_struct: String,
    /// The package's `description`, documenting its gateway feature.
    pub description: Option<String>,
    /// Whether it declares the `dynamic` feature (built as a library, exported by
    /// `src/api/export.rs`).
    pub dynamic: bool,
    /// The sea-orm entities of `src/storage/` (`crate::storage::<module>::Entity`), sorted.
    pub entities: Vec<String>,
}

/// The `Plugin` struct name of plugin `name`: `flows` → `FlowsPlugin`.
pub fn plugin_struct(name: &str) -> String {
    format!("{}Plugin", name.to_upper_camel_case())
}

/// Every plugin crate under `root/plugins/`, sorted by name.
///
/// Errors: a manifest that does not parse, a package not named `ccgate-<folder>`, or a crate
/// whose `src/lib.rs` does not define `pub struct <Camel>Plugin`.
pub fn discover(root: &Path) -> anyhow::Result<Vec<PluginCrate>> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("plugins"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest_rel = format!("plugins/{name}/Cargo.toml");
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml"))?)
                .with_context(|| format!("{manifest_rel}: not a valid manifest"))?;
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{manifest_rel}: no package name"))?
            .to_string();
        if package != format!("ccgate-{name}") {
            bail!("{manifest_rel}: the package must be named ccgate-{name}, not {package}");
        }
        let description = manifest
            .get("package")
            .and_then(|p| p.get("description"))
            .and_then(|d| d.as_str())
            .map(str::to_string);
        let dynamic = manifest
            .get("features")
            .and_then(|f| f.get("dynamic"))
            .is_some();
        let plugin_struct = plugin_struct(&name);
        let lib_rs = dir.join("src/lib.rs");
        let lib_text = std::fs::read_to_string(&lib_rs)
            .with_context(|| format!("plugins/{name}/src/lib.rs missing"))?;
        if !lib_text.contains(&format!("pub struct {plugin_struct}")) {
            bail!(
                "plugins/{name}/src/lib.rs must define `pub struct {plugin_struct}` (with `Default`): the gateway builds it in as `{}::{plugin_struct}::default()`",
                package.replace('-', "_")
            );
        }
        out.push(PluginCrate {
            lib: package.replace('-', "_"),
            package,
            plugin_struct,
            description,
            dynamic,
            entities: entities(&dir)?,
            name,
        });
    }
    Ok(out)
}

/// The sea-orm entities of a plugin crate: every `src/storage/**/*.rs` whose code derives
/// `DeriveEntityModel` (one entity per module file, as sea-orm's `Entity` naming requires),
/// named by its module path: `src/storage/phone_number.rs` → `crate::storage::phone_number::Entity`,
/// `src/storage/calls/mod.rs` → `crate::storage::calls::Entity`. Sorted.
///
/// Errors: a file deriving `DeriveEntityModel` twice.
pub fn entities(plugin_dir: &Path) -> anyhow::Result<Vec<String>> {
    let storage = plugin_dir.join("src/storage");
    let mut out = Vec::new();
    if !storage.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![storage.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let derives = text
                .lines()
                .filter(|l| {
                    let t = l.trim_start();
                    !t.starts_with("//") && t.contains("DeriveEntityModel")
                })
                .count();
            if derives == 0 {
                continue;
            }
            if derives > 1 {
                bail!(
                    "{}: derives DeriveEntityModel {derives} times; put each entity in its own module file",
                    path.display()
                );
            }
            let rel = path.strip_prefix(&storage).unwrap_or(&path);
            let mut segments: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let file = segments.pop().unwrap_or_default();
            let stem = file.trim_end_matches(".rs");
            if stem != "mod" {
                segments.push(stem.to_string());
            }
            let mut module = String::from("crate::storage");
            for s in &segments {
                module.push_str("::");
                module.push_str(s);
            }
            out.push(format!("{module}::Entity"));
        }
    }
    out.sort();
    Ok(out)
}

/// `crates/gateway/src/plugins/builtin.rs`.
pub fn builtin_module(plugins: &[PluginCrate]) -> String {
    let mut out = header("`plugins/*/Cargo.toml`");
    out.push_str("//! The built-in plugins: one per plugin crate under `plugins/`, each compiled in with its\n//! gateway feature `plugin-<name>` (all of them by default).\n\nuse std::sync::Arc;\n\nuse ccgate_plugin_sdk::Plugin;\n\n");
    out.push_str("/// Every plugin compiled into this binary, in name order.\n#[allow(clippy::vec_init_then_push)]\npub fn builtin() -> Vec<Arc<dyn Plugin>> {\n    // One push per feature; clippy's vec![] suggestion cannot carry #[cfg] per element.\n    #[allow(unused_mut)]\n    let mut all: Vec<Arc<dyn Plugin>> = Vec::new();\n");
    for p in plugins {
        let _ = writeln!(
            out,
            "    #[cfg(feature = \"plugin-{}\")]\n    all.push(Arc::new({}::{}::default()));",
            p.name, p.lib, p.plugin_struct
        );
    }
    out.push_str("    all\n}\n");
    out
}

/// `plugins/<name>/src/api/export.rs` of a crate with a `dynamic` feature.
pub fn export_module(p: &PluginCrate) -> String {
    let mut out = header(&format!(
        "`plugins/{0}/Cargo.toml` and the entities of `plugins/{0}/src/storage/`",
        p.name
    ));
    let _ = writeln!(
        out,
        "//! The C-ABI export of the `{}` plugin (feature `dynamic`), for ccgate to load it as a\n//! library: the plugin value, and the sea-orm entities whose column types the host's\n//! database proxy reads values as (every `DeriveEntityModel` of `src/storage/`).\n",
        p.name
    );
    let _ = writeln!(
        out,
        "#[cfg(feature = \"dynamic\")]\nccgate_plugin_abi::export_plugin!(crate::{}::default(), entities = [{}]);",
        p.plugin_struct,
        p.entities.join(", ")
    );
    out
}

/// A marked block of a hand-written file: `# @generated begin <name> ...` through
/// `# @generated end <name>`.
struct Block<'a> {
    name: &'a str,
    /// The lines between the markers, without indentation (the begin marker's is added).
    lines: Vec<String>,
}

/// `text` with each block's lines replaced.
///
/// Errors: a block whose markers are missing, duplicated or out of order.
fn replace_blocks(file: &str, text: &str, blocks: &[Block]) -> anyhow::Result<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for block in blocks {
        let begin_tag = format!("# @generated begin {}", block.name);
        let end_tag = format!("# @generated end {}", block.name);
        let is_tag = |line: &str, tag: &str| {
            line.trim_start()
                .strip_prefix(tag)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':', '(']))
        };
        let begins: Vec<usize> = (0..lines.len())
            .filter(|&i| is_tag(&lines[i], &begin_tag))
            .collect();
        let ends: Vec<usize> = (0..lines.len())
            .filter(|&i| is_tag(&lines[i], &end_tag))
            .collect();
        let (&[begin], &[end]) = (begins.as_slice(), ends.as_slice()) else {
            bail!(
                "{file}: needs exactly one `{begin_tag}` line and one `{end_tag}` line (found {} and {})",
                begins.len(),
                ends.len()
            );
        };
        if end < begin {
            bail!("{file}: `{end_tag}` comes before `{begin_tag}`");
        }
        let indent: String = lines[begin]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let body: Vec<String> = block.lines.iter().map(|l| format!("{indent}{l}")).collect();
        lines.splice(begin + 1..end, body);
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// A TOML array of strings, on one line when short, else one item per line.
fn toml_list(key: &str, items: &[String]) -> Vec<String> {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    let one = format!("{key} = [{}]", quoted.join(", "));
    if one.len() <= 100 {
        return vec![one];
    }
    let mut out = vec![format!("{key} = [")];
    out.extend(quoted.iter().map(|q| format!("    {q},")));
    out.push("]".into());
    out
}

/// The hand-written files with generated blocks, rewritten: repository-relative path → content.
///
/// Errors: a file that cannot be read, or whose markers are missing.
pub fn block_files(
    root: &Path,
    plugins: &[PluginCrate],
) -> anyhow::Result<BTreeMap<PathBuf, String>> {
    let features: Vec<String> = plugins
        .iter()
        .map(|p| format!("plugin-{}", p.name))
        .collect();
    let mut gateway_features = toml_list("default", &features);
    let mut ccgate_features = gateway_features.clone();
    for p in plugins {
        let doc = p
            .description
            .clone()
            .unwrap_or_else(|| format!("The {} plugin.", p.name));
        gateway_features.push(format!("## {doc}"));
        gateway_features.push(format!("plugin-{} = [\"dep:{}\"]", p.name, p.package));
        ccgate_features.push(format!(
            "plugin-{0} = [\"ccgate-gateway/plugin-{0}\"]",
            p.name
        ));
    }
    let names: Vec<String> = plugins.iter().map(|p| p.name.clone()).collect();
    let edits: Vec<(&str, Vec<Block>)> = vec![
        (
            "Cargo.toml",
            vec![
                Block {
                    name: "plugin-members",
                    lines: plugins
                        .iter()
                        .map(|p| format!("\"plugins/{}\",", p.name))
                        .collect(),
                },
                Block {
                    name: "plugin-dependencies",
                    lines: plugins
                        .iter()
                        .map(|p| format!("{} = {{ path = \"plugins/{}\" }}", p.package, p.name))
                        .collect(),
                },
            ],
        ),
        (
            "crates/gateway/Cargo.toml",
            vec![
                Block {
                    name: "plugin-features",
                    lines: gateway_features,
                },
                Block {
                    name: "plugin-dependencies",
                    lines: plugins
                        .iter()
                        .map(|p| format!("{} = {{ workspace = true, optional = true }}", p.package))
                        .collect(),
                },
            ],
        ),
        (
            "crates/ccgate/Cargo.toml",
            vec![Block {
                name: "plugin-features",
                lines: ccgate_features,
            }],
        ),
        (
            "config/default.toml",
            vec![Block {
                name: "plugins",
                lines: toml_list("enabled", &names),
            }],
        ),
    ];
    let mut out = BTreeMap::new();
    for (file, blocks) in edits {
        let text =
            std::fs::read_to_string(root.join(file)).with_context(|| format!("read {file}"))?;
        out.insert(PathBuf::from(file), replace_blocks(file, &text, &blocks)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_replaced_in_place_with_the_marker_indentation() {
        let text = "members = [\n    \"a\",\n    # @generated begin m (codegen)\n    \"old\",\n    # @generated end m\n    \"z\",\n]\n";
        let out = replace_blocks(
            "x.toml",
            text,
            &[Block {
                name: "m",
                lines: vec!["\"p/one\",".into(), "\"p/two\",".into()],
            }],
        )
        .unwrap();
        assert_eq!(
            out,
            "members = [\n    \"a\",\n    # @generated begin m (codegen)\n    \"p/one\",\n    \"p/two\",\n    # @generated end m\n    \"z\",\n]\n"
        );
        // Idempotent.
        let again = replace_blocks(
            "x.toml",
            &out,
            &[Block {
                name: "m",
                lines: vec!["\"p/one\",".into(), "\"p/two\",".into()],
            }],
        )
        .unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn missing_or_ambiguous_markers_are_refused() {
        let block = || Block {
            name: "m",
            lines: vec![],
        };
        let e = replace_blocks("x.toml", "a = 1\n", &[block()]).unwrap_err();
        assert!(e.to_string().contains("# @generated begin m"), "{e}");
        // `m` is not `mx`.
        let e = replace_blocks(
            "x.toml",
            "# @generated begin mx\n# @generated end mx\n",
            &[block()],
        )
        .unwrap_err();
        assert!(e.to_string().contains("found 0 and 0"), "{e}");
        let e = replace_blocks(
            "x.toml",
            "# @generated end m\n# @generated begin m\n",
            &[block()],
        )
        .unwrap_err();
        assert!(e.to_string().contains("comes before"), "{e}");
    }

    #[test]
    fn entities_are_named_by_module_path() {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("src/storage");
        std::fs::create_dir_all(storage.join("calls")).unwrap();
        let entity =
            "#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\npub struct Model {}\n";
        std::fs::write(
            storage.join("mod.rs"),
            "//! DeriveEntityModel in a comment\n",
        )
        .unwrap();
        std::fs::write(storage.join("phone_number.rs"), entity).unwrap();
        std::fs::write(storage.join("calls/mod.rs"), entity).unwrap();
        std::fs::write(storage.join("calls/leg.rs"), entity).unwrap();
        std::fs::write(storage.join("migration.rs"), "pub struct Migrator;\n").unwrap();
        assert_eq!(
            entities(dir.path()).unwrap(),
            [
                "crate::storage::calls::Entity",
                "crate::storage::calls::leg::Entity",
                "crate::storage::phone_number::Entity",
            ]
        );
        std::fs::write(storage.join("two.rs"), format!("{entity}{entity}")).unwrap();
        assert!(entities(dir.path()).is_err());
    }

    #[test]
    fn the_repository_plugins_are_found_with_their_entities() {
        let found = discover(&crate::project_root()).unwrap();
        let flows = found.iter().find(|p| p.name == "flows").unwrap();
        assert_eq!(flows.package, "ccgate-flows");
        assert_eq!(flows.lib, "ccgate_flows");
        assert_eq!(flows.plugin_struct, "FlowsPlugin");
        assert!(flows.dynamic);
        assert_eq!(
            flows.entities,
            [
                "crate::storage::contact_flow::Entity",
                "crate::storage::contact_flow_version::Entity"
            ]
        );
        assert_eq!(plugin_struct("satisfaction-sms"), "SatisfactionSmsPlugin");
    }
}
