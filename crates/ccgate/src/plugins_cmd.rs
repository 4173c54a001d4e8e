//! `ccgate plugins`: the plugins this configuration serves, built in or loaded from libraries,
//! with version, library path and actions. Loads the libraries exactly as `serve` does (so a bad
//! library fails here with the same one-line error), but opens no database.

use ccgate_gateway::plugin_set::{self, PluginKind};
use ccgate_gateway::settings::Settings;

/// Prints one block per plugin: name, kind, version and path, then its actions.
///
/// Errors: the same start-up errors as `serve` for `[plugins]` (unknown built-in, missing or
/// invalid library, ABI mismatch, a domain served twice).
pub fn run(settings: &Settings) -> anyhow::Result<()> {
    let loaded = plugin_set::load(&settings.plugins)?;
    if loaded.is_empty() {
        println!("no plugins enabled");
        return Ok(());
    }
    println!("{:<10} {:<9} {:<9} PATH", "PLUGIN", "KIND", "VERSION");
    for p in &loaded {
        let (kind, path) = match &p.kind {
            PluginKind::BuiltIn => ("built-in", "-".to_string()),
            PluginKind::Dynamic(path) => ("dynamic", path.display().to_string()),
        };
        println!(
            "{:<10} {:<9} {:<9} {path}",
            p.plugin.name(),
            kind,
            p.plugin.version()
        );
        let mut actions = p.plugin.actions();
        actions.sort_by_key(|a| (a.version, a.action));
        for a in actions {
            let route = a
                .route
                .map(|(m, path)| format!(" ({m} {path})"))
                .unwrap_or_default();
            println!("    {} {}{route}", a.version, a.action);
        }
    }
    Ok(())
}
