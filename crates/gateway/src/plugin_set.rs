//! Which plugins serve this process: the enabled built-ins plus the configured plugin libraries,
//! each domain once.

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
/// settings.
///
/// Errors: the first plugin that refuses its settings, as one line naming the key
/// (`plugins.numbers.list_cache_ttl_ms: invalid type: ...`).
pub async fn init(plugins: &[Arc<dyn Plugin>], settings: &PluginSettings) -> Result<(), String> {
    for name in settings.tables.keys() {
        let known = plugins.iter().any(|p| p.name() == name)
            || plugins::builtin().iter().any(|p| p.name() == name);
        if !known {
            tracing::warn!(
                table = %format!("plugins.{name}"),
                "settings for a plugin that is neither built in nor loaded; ignored"
            );
        }
    }
    for plugin in plugins {
        let table = settings
            .tables
            .get(plugin.name())
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        plugin.init(&table).await?;
    }
    Ok(())
}
