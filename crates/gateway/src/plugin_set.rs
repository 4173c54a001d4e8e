//! Which plugins serve this process: the enabled built-ins plus the configured plugin libraries,
//! each domain once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ccgate_plugin_sdk::Plugin;

use crate::dynamic::{self, LoadError};
use crate::plugins;
use crate::registry::RegistryError;
use crate::settings::PluginSettings;

/// Where a plugin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginKind {
    /// Compiled into this binary.
    BuiltIn,
    /// Loaded from this library file.
    Dynamic(PathBuf),
}

/// A plugin and where it comes from.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// The plugin.
    pub plugin: Arc<dyn Plugin>,
    /// Built in or loaded.
    pub kind: PluginKind,
}

/// Why the plugin set could not be assembled. Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// An unknown built-in name in `[plugins] enabled`.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A library that cannot be loaded, or that serves a domain already served.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// The enabled built-ins (in build order), then the libraries of `[plugins] libraries` and
/// `[plugins] directory`, each loaded and initialised.
///
/// Errors: an unknown built-in name; a library that is missing, not a loadable library, not a
/// ccgate plugin, built for another ABI or build, or whose domain is already served (by a
/// built-in or an earlier library) — one line naming the file and the reason.
pub fn load(settings: &PluginSettings) -> Result<Vec<LoadedPlugin>, CatalogError> {
    let mut all: Vec<LoadedPlugin> = plugins::enabled(&settings.enabled)?
        .into_iter()
        .map(|plugin| LoadedPlugin {
            plugin,
            kind: PluginKind::BuiltIn,
        })
        .collect();
    for path in dynamic::configured_paths(&settings.libraries, &settings.directory)? {
        let plugin = dynamic::load(&path)?;
        let name = plugin.name();
        if let Some(prev) = all.iter().find(|p| p.plugin.name() == name) {
            let reason = match &prev.kind {
                PluginKind::BuiltIn => format!(
                    "domain {name:?} is also enabled as a built-in plugin; remove it from \
                     [plugins] enabled or drop this library"
                ),
                PluginKind::Dynamic(other) => format!(
                    "domain {name:?} is already served by plugin library {}",
                    other.display()
                ),
            };
            return Err(LoadError { path, reason }.into());
        }
        all.push(LoadedPlugin {
            plugin: Arc::new(plugin),
            kind: PluginKind::Dynamic(path),
        });
    }
    Ok(all)
}

/// The plugins alone, for the registry.
pub fn plugins(loaded: Vec<LoadedPlugin>) -> Vec<Arc<dyn Plugin>> {
    loaded.into_iter().map(|l| l.plugin).collect()
}

/// Hands each plugin its `[plugins.<name>]` table (`Plugin::init`), in registration order.
///
/// A table naming no plugin that is built in or loaded is a misspelling or a leftover: it is
/// reported (warn) and ignored, so that disabling a plugin does not require deleting its
/// settings. A variable cannot spell `-` in its name, so a table that names no plugin until its
/// `_` are read as `-` is that plugin's ([`tables_by_plugin`]).
///
/// Errors: the first plugin that refuses its settings, as one line naming the key
/// (`plugins.numbers.list_cache_ttl_ms: invalid type: ...`).
pub async fn init(plugins: &[Arc<dyn Plugin>], settings: &PluginSettings) -> Result<(), String> {
    let known = |name: &str| {
        plugins.iter().any(|p| p.name() == name)
            || plugins::builtin().iter().any(|p| p.name() == name)
    };
    let tables = tables_by_plugin(&settings.tables, known);
    for name in tables.keys() {
        if !known(name) {
            tracing::warn!(
                table = %format!("plugins.{name}"),
                "settings for a plugin that is neither built in nor loaded; ignored"
            );
        }
    }
    for plugin in plugins {
        let table = tables
            .get(plugin.name())
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        plugin.init(&table).await?;
    }
    Ok(())
}

/// The settings tables by plugin name. `CCGATE__PLUGINS__DEVICE_DIAGNOSTICS__RETENTION_DAYS`
/// arrives as table `device_diagnostics`: a table whose name is no plugin's (`known`) but is
/// one once its `_` are read as `-` is that plugin's, merged over the plugin's table from the
/// file (the environment wins, as it does for every setting). Other tables are kept as they are.
fn tables_by_plugin(
    tables: &BTreeMap<String, serde_json::Value>,
    known: impl Fn(&str) -> bool,
) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    let mut from_environment = Vec::new();
    for (name, table) in tables {
        let hyphenated = name.replace('_', "-");
        if hyphenated != *name && !known(name) && known(&hyphenated) {
            from_environment.push((hyphenated, table));
        } else {
            out.insert(name.clone(), table.clone());
        }
    }
    for (name, table) in from_environment {
        merge(out.entry(name).or_insert(serde_json::Value::Null), table);
    }
    out
}

/// Writes `from` over `into`: objects key by key, anything else replaced.
fn merge(into: &mut serde_json::Value, from: &serde_json::Value) {
    match (into, from) {
        (serde_json::Value::Object(into), serde_json::Value::Object(from)) => {
            for (key, value) in from {
                merge(
                    into.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
        (into, from) => *into = from.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::tables_by_plugin;

    /// `device_diagnostics` (all the environment can spell) is the `device-diagnostics`
    /// plugin's table, over what the file set; names of no plugin either way stay as they are.
    #[test]
    fn an_environment_table_name_with_underscores_is_the_hyphenated_plugins() {
        let tables = serde_json::from_value(json!({
            "device-diagnostics": {"retention_days": 30, "other": "file"},
            "device_diagnostics": {"retention_days": "7"},
            "numbers": {"list_cache_ttl_ms": 5},
            "no_such_plugin": {"x": 1},
        }))
        .unwrap();
        let known = |n: &str| ["device-diagnostics", "numbers"].contains(&n);
        assert_eq!(
            serde_json::to_value(tables_by_plugin(&tables, known)).unwrap(),
            json!({
                "device-diagnostics": {"retention_days": "7", "other": "file"},
                "numbers": {"list_cache_ttl_ms": 5},
                "no_such_plugin": {"x": 1},
            })
        );
    }
}
