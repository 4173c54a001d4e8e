//! The cost of the plugin boundary: the same numbers actions served by the built-in plugin and by
//! the plugin loaded from its library (`libccgate_numbers.so`, release), called the way the
//! gateway calls them (`Plugin::handle` with a request context), on one SQLite database with
//! 1,000 numbers.
//!
//! - `ListPhoneNumbers_2020_cached`: a cached page — the boundary's fixed cost (request and
//!   reply serialized, one FFI future polled);
//! - `CheckNumberAvaliable`: one indexed read — the fixed cost plus one statement and its row
//!   through the storage proxy.
//!
//! Build the library first: `cargo rustc --release -p ccgate-numbers --lib --crate-type cdylib
//! --features dynamic` (or `cargo xtask dist`); `CCGATE_NUMBERS_LIB=PATH` overrides its path.
//! Run: `cargo bench -p ccgate-gateway --bench plugin_boundary`. Figures in docs/benchmarks.md.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use ccgate_gateway::dynamic;
use ccgate_gateway::registry::{Registry, RegistryServices};
use ccgate_gateway::sdk::{ActionSpec, Context, ErrorStyle, Params, Plugin, Principal};
use criterion::{Criterion, criterion_group, criterion_main};

const INSTANCE: &str = "bench-inst";

/// `cargo test --all-targets` runs benches once as tests (no `--bench` argument).
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    !has("--bench") || has("--test") || has("--list")
}

/// The release library (benchmarks), or a debug one built here (test mode).
fn library() -> PathBuf {
    if let Some(path) = std::env::var_os("CCGATE_NUMBERS_LIB") {
        return PathBuf::from(path);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !test_mode() {
        return root.join("target/release/libccgate_numbers.so");
    }
    let status = std::process::Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "rustc",
            "-p",
            "ccgate-numbers",
            "--lib",
            "--crate-type",
            "cdylib",
            "--features",
            "dynamic",
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "building the numbers library failed");
    root.join("target/debug/libccgate_numbers.so")
}

fn ctx(db: &sea_orm::DatabaseConnection, reg: &Arc<Registry>, spec: ActionSpec) -> Context {
    Context {
        request_id: "BENCH-REQUEST".into(),
        account_id: "acc".into(),
        principal: Principal::AccessKey { id: "ak".into() },
        role: ccgate_plugin_sdk::Role::Admin,
        caller_scope: None,
        token: None,
        spec,
        instance_id: Some(INSTANCE.into()),
        account_instances: vec![INSTANCE.into()],
        db: db.clone(),
        services: Arc::new(RegistryServices(reg.clone())),
        clock: Default::default(),
    }
}

fn params(pairs: &[(&str, &str)], style: ErrorStyle) -> Params {
    Params::from_pairs(pairs, style)
}

fn bench_boundary(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let db = rt
        .block_on(ccgate_gateway::store::connect(&url, 4))
        .expect("sqlite");
    let lib = library();
    let dynamic: Arc<dyn Plugin> = Arc::new(dynamic::load(&lib).unwrap_or_else(|e| {
        panic!("{e}; build it with `cargo rustc --release -p ccgate-numbers --lib --crate-type cdylib --features dynamic`")
    }));
    let builtin: Arc<dyn Plugin> = Arc::new(ccgate_numbers::NumbersPlugin::new());
    let plugins = [("builtin", builtin), ("dynamic", dynamic)];
    let registries: Vec<Arc<Registry>> = plugins
        .iter()
        .map(|(_, p)| Arc::new(Registry::new(vec![p.clone()]).unwrap()))
        .collect();

    rt.block_on(async {
        plugins[0].1.migrate(&db).await.unwrap();
        plugins[1].1.migrate(&db).await.unwrap();
        let bulk = ActionSpec::rpc("2017-07-05", "AddBulkPhoneNumbers");
        for batch in 0..10 {
            let numbers: Vec<(String, String)> = (0..100)
                .map(|i| {
                    (
                        format!("PhoneNumber.{}", i + 1),
                        format!("138{:08}", batch * 100 + i),
                    )
                })
                .collect();
            let mut pairs: Vec<(&str, &str)> = numbers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            pairs.push(("InstanceId", INSTANCE));
            pairs.push(("Usage", "Bidirection"));
            plugins[0]
                .1
                .handle(
                    &ctx(&db, &registries[0], bulk),
                    index(&*plugins[0].1, bulk),
                    &params(&pairs, ErrorStyle::Legacy),
                )
                .await
                .expect("seed");
        }
    });

    let list = ActionSpec::rpc("2020-07-01", "ListPhoneNumbers");
    let list_params = params(
        &[
            ("InstanceId", INSTANCE),
            ("PageNumber", "3"),
            ("PageSize", "20"),
        ],
        ErrorStyle::V2020,
    );
    let check = ActionSpec::rpc("2017-07-05", "CheckNumberAvaliable");
    let check_params = params(
        &[("InstanceId", INSTANCE), ("Callee", "13800000420")],
        ErrorStyle::Legacy,
    );
    // Both paths give the same answers.
    rt.block_on(async {
        let a = plugins[0]
            .1
            .handle(
                &ctx(&db, &registries[0], list),
                index(&*plugins[0].1, list),
                &list_params,
            )
            .await
            .unwrap();
        let b = plugins[1]
            .1
            .handle(
                &ctx(&db, &registries[1], list),
                index(&*plugins[1].1, list),
                &list_params,
            )
            .await
            .unwrap();
        assert_eq!(a, b);
        let a = plugins[0]
            .1
            .handle(
                &ctx(&db, &registries[0], check),
                index(&*plugins[0].1, check),
                &check_params,
            )
            .await;
        let b = plugins[1]
            .1
            .handle(
                &ctx(&db, &registries[1], check),
                index(&*plugins[1].1, check),
                &check_params,
            )
            .await;
        assert_eq!(a, b);
    });

    let mut g = c.benchmark_group("plugin_boundary");
    for ((name, plugin), reg) in plugins.iter().zip(&registries) {
        let list_ctx = ctx(&db, reg, list);
        let (list_index, check_index) = (index(&**plugin, list), index(&**plugin, check));
        g.bench_function(format!("ListPhoneNumbers_2020_cached/{name}"), |b| {
            b.to_async(&rt).iter(|| async {
                black_box(
                    plugin
                        .handle(&list_ctx, list_index, &list_params)
                        .await
                        .unwrap(),
                )
            })
        });
        let check_ctx = ctx(&db, reg, check);
        g.bench_function(format!("CheckNumberAvaliable/{name}"), |b| {
            b.to_async(&rt).iter(|| async {
                black_box(
                    plugin
                        .handle(&check_ctx, check_index, &check_params)
                        .await
                        .ok(),
                )
            })
        });
    }
    g.finish();
}

/// The index of `spec` in `plugin`'s actions (what the registry hands `Plugin::handle`).
fn index(plugin: &dyn Plugin, spec: ActionSpec) -> usize {
    spec.index_in(&plugin.actions())
        .expect("the plugin serves the action")
}

criterion_group!(benches, bench_boundary);
criterion_main!(benches);
