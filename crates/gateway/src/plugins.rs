//! The built-in plugins, one Cargo feature each (`plugin-<name>`), filtered at run time by
//! `[plugins] enabled`.

use std::sync::Arc;

use ccgate_plugin_sdk::Plugin;

use crate::registry::RegistryError;

/// Every plugin compiled into this binary.
#[allow(clippy::vec_init_then_push)]
pub fn builtin() -> Vec<Arc<dyn Plugin>> {
    // One push per feature; clippy's vec![] suggestion cannot carry #[cfg] per element.
    #[allow(unused_mut)]
    let mut all: Vec<Arc<dyn Plugin>> = Vec::new();
    #[cfg(feature = "plugin-flows")]
    all.push(Arc::new(ccgate_flows::FlowsPlugin::default()));
    #[cfg(feature = "plugin-numbers")]
    all.push(Arc::new(ccgate_numbers::NumbersPlugin::new()));
    all
}

/// The built-in plugins named in `enabled`, in the order they are built in.
///
/// Errors: [`RegistryError::UnknownPlugin`] for a name that is not built in.
pub fn enabled(enabled: &[String]) -> Result<Vec<Arc<dyn Plugin>>, RegistryError> {
    let all = builtin();
    // `CCGATE__PLUGINS__ENABLED=""` parses as one empty name: it means "none".
    let enabled: Vec<&String> = enabled.iter().filter(|n| !n.trim().is_empty()).collect();
    for name in &enabled {
        if !all.iter().any(|p| p.name() == name.as_str()) {
            let available = all.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
            return Err(RegistryError::UnknownPlugin {
                name: name.to_string(),
                available,
            });
        }
    }
    Ok(all
        .into_iter()
        .filter(|p| enabled.iter().any(|n| *n == p.name()))
        .collect())
}
