//! The C-ABI export of this plugin (feature `dynamic`), for ccgate to load as a library.

ccgate_plugin_abi::export_plugin!(
    crate::NumbersPlugin::new(),
    entities = [
        crate::storage::phone_number::Entity,
        crate::storage::number_skill_group::Entity
    ]
);
