//! `ccgate actions`: every specified action (the catalog generated from
//! `plugins/*/api/*.toml`) with its plugin and what this deployment does with it, plus any
//! action a loaded plugin serves without a spec in this build (a dynamic plugin's own).

use ccgate_gateway::catalog::{self, CATALOG};
use ccgate_gateway::registry::Registry;
use ccgate_gateway::sdk::{ActionSpec, AuthModes, Dialect};

/// One output row.
struct Row {
    version: &'static str,
    action: &'static str,
    route: String,
    plugin: String,
    status: &'static str,
    auth: &'static str,
}

fn row(spec: &ActionSpec, plugin: String, status: &'static str) -> Row {
    Row {
        version: spec.version,
        action: spec.action,
        route: spec
            .route
            .map(|(m, p)| format!("{m} {p}"))
            .unwrap_or_else(|| "/ (RPC)".into()),
        plugin,
        status,
        auth: match (spec.dialect, spec.auth) {
            (Dialect::HuaweiCcManagement, _) => "HUAWEI-TOKEN",
            (Dialect::HuaweiIsales, _) => "HUAWEI-AUTH-V2",
            (Dialect::AliyunRpc, AuthModes::AkOrBearer) => "AK/BEARERTOKEN",
            (Dialect::AliyunRpc, AuthModes::BearerOnly) => "BEARERTOKEN",
        },
    }
}

/// Prints the table, sorted by plugin, version and action.
pub fn run(registry: &Registry) {
    let mut rows: Vec<Row> = CATALOG
        .iter()
        .map(|e| {
            let status = catalog::status(e, registry);
            row(&e.spec, e.plugin.to_string(), status.as_str())
        })
        .collect();
    for r in registry.all_routes() {
        let specified = match r.spec.route {
            Some((m, p)) => catalog::path_template(m, p).is_some(),
            None => catalog::rpc(r.spec.version, r.spec.action).is_some(),
        };
        if !specified {
            rows.push(row(&r.spec, r.plugin.name().to_string(), "served"));
        }
    }
    rows.sort_by(|a, b| (&a.plugin, a.version, a.action).cmp(&(&b.plugin, b.version, b.action)));
    println!(
        "{:<18} {:<24} {:<40} {:<18} {:<15} ROUTE",
        "PLUGIN", "VERSION", "ACTION", "STATUS", "AUTH"
    );
    for r in &rows {
        println!(
            "{:<18} {:<24} {:<40} {:<18} {:<15} {}",
            r.plugin, r.version, r.action, r.status, r.auth, r.route
        );
    }
    let served = rows.iter().filter(|r| r.status == "served").count();
    println!("{} actions, {served} served", rows.len());
}
