//! The C-ABI export of this plugin (feature `dynamic`), for ccgate to load as a library.

ccgate_plugin_abi::export_plugin!(
    crate::FlowsPlugin::default(),
    entities = [
        crate::storage::contact_flow::Entity,
        crate::storage::contact_flow_version::Entity
    ]
);
