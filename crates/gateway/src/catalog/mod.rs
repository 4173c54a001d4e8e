//! The catalog of every action ccgate specifies (`plugins/<plugin>/api/*.toml`, generated into
//! [`CATALOG`] and `openapi.json` by `cargo xtask codegen`), and what this deployment does with
//! each: serve it, or answer 501 `NotImplemented` instead of "unknown action".

use std::sync::OnceLock;

use ccgate_plugin_sdk::{ActionSpec, ApiError, Dialect};

use crate::registry::Registry;
use crate::routes::{Lookup, PathTable};

mod generated;

pub use generated::CATALOG;

/// The OpenAPI 3.1 document of every specified action, served at `GET /openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// One specified action.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The plugin folder that owns the spec (`flows`, `agents`, ...).
    pub plugin: &'static str,
    /// Routing, auth, instance scope and envelope.
    pub spec: ActionSpec,
    /// One or two sentences.
    pub summary: &'static str,
    /// Whether a plugin crate of this repository has a handler for it.
    pub has_handler: bool,
    /// The spec file, relative to the repository.
    pub file: &'static str,
}

/// What a deployment does with a specified action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A loaded plugin serves it.
    Served,
    /// Its plugin has a handler, but this deployment does not load that plugin (compiled out,
    /// or left out of `[plugins] enabled`).
    PluginNotLoaded,
    /// Specified only: no plugin implements it yet.
    NotImplemented,
}

impl Status {
    /// The word `ccgate actions` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Served => "served",
            Status::PluginNotLoaded => "plugin-not-loaded",
            Status::NotImplemented => "not-implemented",
        }
    }
}

/// The Alibaba RPC action `action` of `version`, if specified.
pub fn rpc(version: &str, action: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| {
        e.spec.dialect == Dialect::AliyunRpc && e.spec.version == version && e.spec.action == action
    })
}

/// The route templates of every path-routed spec, built on first use.
///
/// Panics (on first use) if two specs' templates conflict or one is malformed; the test
/// `catalog_templates_build` keeps that from shipping.
fn templates() -> &'static PathTable<&'static Entry> {
    static TABLE: OnceLock<PathTable<&'static Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = PathTable::new();
        for e in CATALOG
            .iter()
            .filter(|e| e.spec.dialect != Dialect::AliyunRpc)
        {
            if let Some((method, template)) = e.spec.route {
                table
                    .insert(method, template, e)
                    .unwrap_or_else(|err| panic!("{}: {err}", e.file));
            }
        }
        table
    })
}

/// The path-routed (Huawei) action a request to `method path` names, if specified; `{name}`
/// segments of a spec's path match any one segment ([`crate::routes`]).
pub fn path(method: &str, path: &str) -> Option<&'static Entry> {
    match templates().lookup(method, path) {
        Lookup::Found(m) => Some(m.leaf.value),
        _ => None,
    }
}

/// The path-routed action declared with exactly `method template`, if specified.
pub fn path_template(method: &str, template: &str) -> Option<&'static Entry> {
    templates().get(method, template).map(|l| l.value)
}

/// Whether `version` is an API version some spec uses.
pub fn knows_version(version: &str) -> bool {
    CATALOG.iter().any(|e| e.spec.version == version)
}

/// What `registry` does with `entry`.
pub fn status(entry: &Entry, registry: &Registry) -> Status {
    let served = match entry.spec.route {
        Some((m, p)) => registry.path_template(m, p).is_some(),
        None => registry
            .rpc(entry.spec.version, entry.spec.action)
            .is_some(),
    };
    if served {
        Status::Served
    } else if entry.has_handler {
        Status::PluginNotLoaded
    } else {
        Status::NotImplemented
    }
}

/// The 501 `NotImplemented` answer for a specified action nothing serves here.
pub fn not_implemented(entry: &Entry) -> ApiError {
    let message = if entry.has_handler {
        format!(
            "The action {} ({}) is served by plugin {}, which this deployment does not load.",
            entry.spec.action, entry.spec.version, entry.plugin
        )
    } else {
        format!(
            "The action {} ({}) is specified but not implemented by this gateway (plugin {}).",
            entry.spec.action, entry.spec.version, entry.plugin
        )
    };
    ApiError::new(501, "NotImplemented", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_every_action_of_the_index_once() {
        // shared/reference/actions.md lists 76 actions; 4 more are undocumented ones the
        // official SDKs send, 18 more from the 2020 SDK (`[source] sdk`, plugins/README.md):
        // the agent desk's 8 agent-state actions and 7 call actions, StartBack2BackCall, and
        // the workbench's UpdateConfigItems and ListConfigItems.
        assert_eq!(CATALOG.len(), 98);
        assert!(rpc("2020-07-01", "UpdateConfigItems").is_some_and(|e| e.has_handler));
        assert!(rpc("2017-07-05", "GetRecordOssUploadParam").is_some_and(|e| !e.has_handler));
        let mut keys: Vec<_> = CATALOG
            .iter()
            .map(|e| (e.spec.dialect as u8, e.spec.version, e.spec.action))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), CATALOG.len());
        assert!(rpc("2017-07-05", "DialEx").is_some_and(|e| e.has_handler));
        assert!(
            rpc("2017-07-05", "GetConversationDetailByContactId").is_some_and(|e| !e.has_handler)
        );
        assert!(rpc("2020-07-01", "ListPhoneNumbers").is_some_and(|e| e.has_handler));
        assert!(rpc("2020-07-01", "DialEx").is_none());
        assert!(knows_version("2020-07-01") && !knows_version("2019-01-01"));
    }

    #[test]
    fn the_openapi_document_is_json_with_every_action() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let operations: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(operations, CATALOG.len());
    }

    #[test]
    fn catalog_templates_build() {
        let n = CATALOG.iter().filter(|e| e.spec.route.is_some()).count();
        assert!(n >= 2);
        assert_eq!(templates().len(), n);
        assert!(
            path_template("GET", "/rest/isales/v1/openapi/campaigns/{vdnId}")
                .is_some_and(|e| e.spec.dialect == Dialect::HuaweiIsales)
        );
    }

    #[test]
    fn huawei_paths_match_their_templates() {
        let e = path("GET", "/rest/isales/v1/openapi/campaigns/vdn-7").unwrap();
        assert_eq!(e.spec.action, "queryCampaigns");
        assert!(path("GET", "/rest/isales/v1/openapi/campaigns/").is_none());
        assert!(path("GET", "/rest/isales/v1/openapi/campaigns/a/b").is_none());
        assert!(path("POST", "/rest/isales/v1/openapi/campaigns/vdn-7").is_none());
    }

    #[test]
    fn not_implemented_names_the_action_and_plugin() {
        let e = not_implemented(rpc("2017-07-05", "DialEx").unwrap());
        assert_eq!((e.status, e.code.as_ref()), (501, "NotImplemented"));
        assert!(e.message.contains("DialEx") && e.message.contains("plugin calls"));
    }
}
