//! Plugins loaded from dynamic libraries: the test plugin (`crates/plugin-abi/test-plugin`)
//! and the domain plugins, each built as a `cdylib` in its own cargo invocation, loaded through
//! the gateway's loader, and served over the real app (SQLite) or called directly (SQLite and
//! PostgreSQL).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::test::TestRequest;
use ccgate_gateway::plugin_set::{self, PluginKind};
use ccgate_gateway::registry::{Registry, RegistryServices};
use ccgate_gateway::sdk::sea_orm::{self, ConnectionTrait};
use ccgate_gateway::sdk::{ActionSpec, Context, ErrorStyle, Params, Plugin, Principal};
use ccgate_gateway::settings::PluginSettings;
use serde_json::{Value, json};

use super::aliyun::v1;
use super::common::{TestApp, app_with};

// ---------------------------------------------------------------------------------------------
// Building the libraries

pub(super) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/gateway is two levels below the root")
        .to_path_buf()
}

/// Where `cargo rustc` puts a debug cdylib of `package`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds `package` as a cdylib with `features` (own cargo invocation, as `cargo xtask dist`
/// does) and copies it to a stable name in a temp dir, so later builds with other features
/// cannot replace it.
fn build(package: &str, features: &str, copy_as: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _serial = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = copies().join(copy_as);
    if out.exists() {
        return out;
    }
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args([
            "rustc",
            "-p",
            package,
            "--lib",
            "--crate-type",
            "cdylib",
            "--features",
            features,
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "building {package} as a library failed");
    let file = format!(
        "{}{}.{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_EXTENSION
    );
    std::fs::copy(target_dir().join("debug").join(file), &out).expect("copy the library");
    out
}

fn copies() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        install_capture();
        tempfile::tempdir().expect("temp dir")
    })
    .path()
}

pub(super) fn test_plugin() -> PathBuf {
    build("ccgate-test-plugin", "dynamic", "libtesting.so")
}

fn settings(enabled: &[&str], libraries: &[&Path]) -> PluginSettings {
    PluginSettings {
        enabled: enabled.iter().map(|s| s.to_string()).collect(),
        libraries: libraries.iter().map(|p| p.display().to_string()).collect(),
        directory: String::new(),
        tables: Default::default(),
    }
}

fn load_error(s: &PluginSettings) -> String {
    match plugin_set::load(s) {
        Ok(_) => panic!("expected a start-up error"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Capturing the host's log events (installed before the first library learns the host's level)

#[derive(Debug, Clone)]
struct Captured {
    target: String,
    message: String,
    request_id: String,
}

static EVENTS: Mutex<Vec<Captured>> = Mutex::new(Vec::new());

struct Capture;

#[derive(Default)]
struct Visit {
    message: String,
    request_id: String,
}

impl tracing::field::Visit for Visit {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "request_id" {
            self.request_id = value.to_string();
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::INFO)
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut v = Visit::default();
        event.record(&mut v);
        EVENTS.lock().unwrap().push(Captured {
            target: event.metadata().target().to_string(),
            message: v.message,
            request_id: v.request_id,
        });
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn install_capture() {
    let _ = tracing::subscriber::set_global_default(Capture);
}

// ---------------------------------------------------------------------------------------------
// An app serving the test plugin from its library

async fn call(t: &TestApp, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("InstanceId", "inst-1")];
    all.extend_from_slice(params);
    let (uri, _) = v1("testAK", "testSecret", "2017-07-05", action, &all);
    t.json(TestRequest::post().uri(&uri)).await
}

#[actix_web::test]
async fn a_panicking_handler_answers_internal_error_and_the_gateway_keeps_serving() {
    let lib = test_plugin();
    let loaded = plugin_set::load(&settings(&[], &[&lib])).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].kind, PluginKind::Dynamic(lib.clone()));
    assert_eq!(loaded[0].plugin.name(), "testing");
    assert_eq!(loaded[0].plugin.version(), "0.0.1-test");
    let t = app_with(plugin_set::plugins(loaded), 900).await;

    for _ in 0..2 {
        let (status, body) = call(&t, "TestPanic", &[]).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["Code"], "InternalError");
        assert_eq!(
            body["Message"], "The request processing has failed due to some unknown error.",
            "the panic message stays in the log"
        );

        let (status, body) = call(&t, "TestEcho", &[("Name", "值")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["Params"]["Name"], "值");
        assert_eq!(body["Instance"], "inst-1");
        assert_eq!(body["Success"], true);
    }

    // The plugin's events reach the host's subscriber with the request's RequestId; the panic
    // is logged, not printed.
    let (_, body) = call(&t, "TestEcho", &[]).await;
    let request_id = body["RequestId"].as_str().unwrap().to_string();
    let events = EVENTS.lock().unwrap().clone();
    assert!(
        events.iter().any(|e| e.target == "ccgate::plugin"
            && e.message == "echo from the test plugin"
            && e.request_id == request_id),
        "no forwarded echo event with RequestId {request_id} in {events:#?}"
    );
    assert!(
        events.iter().any(|e| e.target == "ccgate::plugin"
            && e.message.contains("boom from the test plugin")
            && e.message.contains("plugin panicked at")
            && e.request_id.len() == 36),
        "no forwarded panic event in {events:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Storage through the proxy: transactions, savepoints, types, unique violations

fn ctx_for(
    db: &sea_orm::DatabaseConnection,
    registry: &Arc<Registry>,
    action: &'static str,
) -> Context {
    Context {
        request_id: uuid::Uuid::new_v4().to_string().to_uppercase(),
        account_id: "acc".into(),
        principal: Principal::AccessKey { id: "ak".into() },
        role: ccgate_plugin_sdk::Role::Admin,
        caller_scope: None,
        token: None,
        spec: ActionSpec::rpc("2017-07-05", action),
        instance_id: Some("inst-1".into()),
        account_instances: vec!["inst-1".into()],
        db: db.clone(),
        services: Arc::new(RegistryServices(registry.clone())),
        clock: Default::default(),
    }
}

async fn exercise_storage(db: sea_orm::DatabaseConnection) {
    let loaded = plugin_set::load(&settings(&[], &[&test_plugin()])).unwrap();
    let registry = Arc::new(Registry::new(plugin_set::plugins(loaded)).unwrap());
    let plugin = registry.plugins()[0].clone();
    plugin.migrate(&db).await.unwrap();
    plugin
        .migrate(&db)
        .await
        .expect("migrations are idempotent");
    let write = |id: &str, rollback: bool| {
        let mut p = vec![("Id", id.to_string())];
        if rollback {
            p.push(("Rollback", "true".into()));
        }
        let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Params::from_pairs(&pairs, ErrorStyle::Legacy)
    };
    let ctx = ctx_for(&db, &registry, "TestWrite");

    let committed = plugin.handle(&ctx, 2, &write("a", false)).await.unwrap();
    assert_eq!(
        committed.into_value(),
        json!({"SeenInside": true, "Row": {"Small": 2_000_000_000, "Big": 1_i64 << 40, "Flag": true, "Note": null}})
    );

    let rolled_back = plugin.handle(&ctx, 2, &write("b", true)).await.unwrap();
    assert_eq!(
        rolled_back.into_value(),
        json!({"SeenInside": true, "Row": null}),
        "the row was visible inside the transaction and gone after its rollback"
    );

    let duplicate = plugin
        .handle(&ctx, 2, &write("a", false))
        .await
        .unwrap_err();
    assert_eq!(
        (duplicate.status, duplicate.code.as_ref()),
        (409, "Conflict.Id"),
        "a unique violation is recognisable inside the plugin"
    );
    // The failed transaction was rolled back: the connection is usable again.
    let again = plugin.handle(&ctx, 2, &write("c", false)).await.unwrap();
    assert_eq!(again.into_value()["Row"]["Big"], json!(1_i64 << 40));
}

#[tokio::test]
async fn storage_runs_on_the_hosts_sqlite_pool_with_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let db = ccgate_gateway::store::connect(&url, 4).await.unwrap();
    exercise_storage(db).await;
}

#[tokio::test]
async fn storage_runs_on_the_hosts_postgres_pool_with_transactions() {
    let admin_url = std::env::var("CCGATE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let server = sea_orm::Database::connect(admin_url.as_str())
        .await
        .expect("PostgreSQL for tests (set CCGATE_TEST_POSTGRES)");
    let name = format!("ccgate_dyn_{}", uuid::Uuid::new_v4().simple());
    server
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let db = ccgate_gateway::store::connect(url.as_str(), 4)
        .await
        .unwrap();
    exercise_storage(db.clone()).await;
    db.close().await.unwrap();
    server
        .execute_unprepared(&format!("DROP DATABASE {name}"))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Start-up errors: one line naming the file and the reason

#[test]
fn bad_libraries_stop_start_up_with_one_line_naming_file_and_reason() {
    let dir = copies();

    let missing = dir.join("libmissing.so");
    let e = load_error(&settings(&[], &[&missing]));
    assert_eq!(
        e,
        format!("plugin library {}: file not found", missing.display())
    );

    let corrupt = dir.join("libcorrupt.so");
    std::fs::write(&corrupt, b"\x7fELF this is not really a shared object").unwrap();
    let e = load_error(&settings(&[], &[&corrupt]));
    assert!(
        e.starts_with(&format!(
            "plugin library {}: not a loadable library (",
            corrupt.display()
        )),
        "{e}"
    );

    let wrong_abi = build("ccgate-test-plugin", "wrong-abi", "libwrongabi.so");
    let e = load_error(&settings(&[], &[&wrong_abi]));
    assert_eq!(
        e,
        format!(
            "plugin library {}: ABI version mismatch: the library was built for plugin ABI {}, \
             this ccgate loads ABI {}; rebuild the plugin from this ccgate's sources",
            wrong_abi.display(),
            ccgate_plugin_abi::ffi::ABI_VERSION + 1,
            ccgate_plugin_abi::ffi::ABI_VERSION
        )
    );

    let no_entry = build("ccgate-test-plugin", "no-entry", "libnoentry.so");
    let e = load_error(&settings(&[], &[&no_entry]));
    assert_eq!(
        e,
        format!(
            "plugin library {}: not a ccgate plugin (it exports no ccgate_plugin_entry symbol)",
            no_entry.display()
        )
    );

    let lib = test_plugin();
    let copy = dir.join("libtesting-copy.so");
    std::fs::copy(&lib, &copy).unwrap();
    let e = load_error(&settings(&[], &[&lib, &copy]));
    assert_eq!(
        e,
        format!(
            "plugin library {}: domain \"testing\" is already served by plugin library {}",
            copy.display(),
            lib.display()
        )
    );
    assert!(!e.contains('\n'));
}

#[test]
fn a_domain_enabled_built_in_and_loaded_as_a_library_stops_start_up() {
    let flows = build("ccgate-flows", "dynamic", "libflows.so");
    let e = load_error(&settings(&["flows"], &[&flows]));
    assert_eq!(
        e,
        format!(
            "plugin library {}: domain \"flows\" is also enabled as a built-in plugin; remove it \
             from [plugins] enabled or drop this library",
            flows.display()
        )
    );
    let loaded = plugin_set::load(&settings(&["numbers"], &[&flows])).unwrap();
    let kinds: Vec<_> = loaded
        .iter()
        .map(|l| (l.plugin.name(), l.kind.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("numbers", PluginKind::BuiltIn),
            ("flows", PluginKind::Dynamic(flows.clone()))
        ]
    );
    assert_eq!(
        loaded[1].plugin.actions(),
        ccgate_flows::FlowsPlugin::default().actions(),
        "the library declares the same actions as the built-in copy"
    );
}
