//! A small ccgate process for the crash and shutdown tests of events and tasks
//! (`crates/gateway/tests/it/events.rs`): the core migrations, the test plugin
//! (`crates/plugin-abi/test-plugin`, built in or loaded from its library), and the host's
//! background work (the plugin's tasks and the event delivery) of [`ccgate_gateway::lifecycle`].
//!
//! ```text
//! events_node DB_URL PLUGIN run [STREAM:FIRST:COUNT ...]
//! events_node DB_URL PLUGIN serve
//! ```
//!
//! `PLUGIN` is `builtin` or the path of the test plugin's library.
//!
//! - `run` starts the background work, then records changes `FIRST..FIRST+COUNT` of each
//!   `STREAM` and publishes their events (one transaction per change, printing `published <id>`
//!   after each commit), waits until subscriber `testing.ledger` has stored the position of the
//!   newest event, stops the background work and shuts the plugin down, and prints
//!   `delivered <position>`. With `CCGATE_FAULT_EVENTS` (debug builds) the delivery holds at a
//!   fault point instead, for the test to kill the process.
//! - `serve` also serves HTTP on 127.0.0.1 (printing `listening <addr>`; `GET /slow` answers
//!   after 1 s) until SIGTERM or SIGINT, then shuts down in order, logging each step.
//!
//! Leases last 1 s and the log is polled every 100 ms, so a restarted process takes over fast.

use std::sync::Arc;
use std::time::Duration;

use ccgate_gateway::lifecycle::{self, Background};
use ccgate_gateway::registry::Registry;
use ccgate_gateway::sdk::Plugin;
use ccgate_gateway::settings::{EventSettings, ShutdownSettings};
use ccgate_gateway::{dynamic, events, store};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, plugin, command, rest @ ..] = args.as_slice() else {
        anyhow::bail!(
            "usage: events_node DB_URL builtin|LIBRARY run|serve [STREAM:FIRST:COUNT ...]"
        );
    };
    let plugin: Arc<dyn Plugin> = if plugin == "builtin" {
        Arc::new(ccgate_test_plugin::TestPlugin)
    } else {
        Arc::new(dynamic::load(std::path::Path::new(plugin))?)
    };
    let db = store::connect(url, 4).await?;
    let registry = Registry::new(vec![plugin])?;
    store::migrate(&db, &registry).await?;
    let plugins = registry.plugins().to_vec();
    let settings = EventSettings {
        poll_ms: 100,
        batch: 2,
        lease_secs: 1,
        retry_max_ms: 400,
    };
    let background = Background::start(
        &plugins,
        &db,
        &settings,
        &lifecycle::process_owner("events-node"),
    )?;
    let limits = ShutdownSettings {
        drain_secs: 5,
        tasks_secs: 5,
        plugin_secs: 5,
    };
    match command.as_str() {
        "run" => {
            for spec in rest {
                let parts: Vec<&str> = spec.split(':').collect();
                let [stream, first, count] = parts.as_slice() else {
                    anyhow::bail!("{spec}: expected STREAM:FIRST:COUNT");
                };
                let first: u32 = first.parse()?;
                for seq in first..first + count.parse::<u32>()? {
                    let id =
                        ccgate_test_plugin::ledger::publish_change(&db, stream, seq, "").await?;
                    println!("published {id}");
                }
            }
            let target = events::head(&db).await?;
            let position = loop {
                let p = events::position(&db, ccgate_test_plugin::ledger::SUBSCRIBER).await?;
                if p >= target {
                    break p;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            background
                .stop(Duration::from_secs(limits.tasks_secs))
                .await;
            lifecycle::shutdown_plugins(&plugins, Duration::from_secs(limits.plugin_secs)).await;
            println!("delivered {position}");
            Ok(())
        }
        "serve" => {
            let server = actix_web::HttpServer::new(|| {
                actix_web::App::new().route(
                    "/slow",
                    actix_web::web::get().to(|| async {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        "slow answer"
                    }),
                )
            })
            .workers(1)
            .disable_signals()
            .shutdown_timeout(limits.drain_secs)
            .bind("127.0.0.1:0")?;
            println!("listening {}", server.addrs()[0]);
            lifecycle::serve_until(
                server.run(),
                lifecycle::termination(),
                background,
                &plugins,
                &limits,
                None,
            )
            .await
        }
        other => anyhow::bail!("unknown command {other}"),
    }
}
