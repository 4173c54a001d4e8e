//! Start-up: settings → master key → database → migrations → plugins → demo bootstrap →
//! background work (plugin tasks, event delivery) → HTTP server, with the ordered shutdown of
//! [`crate::lifecycle`].

use std::path::Path;
use std::sync::Arc;

use actix_web::web;
use anyhow::Context as _;
use sea_orm::DatabaseConnection;

use crate::admin;
use crate::auth::bearer::TokenService;
use crate::crypto::MasterKey;
use crate::registry::Registry;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{lifecycle, plugin_set, store};

/// Everything a command needs: settings, key, pool (migrated) and registry.
pub struct Core {
    /// Effective settings.
    pub settings: Settings,
    /// Master key for secrets at rest.
    pub master: MasterKey,
    /// The migrated pool.
    pub db: DatabaseConnection,
    /// Enabled plugins.
    pub registry: Arc<Registry>,
}

impl Core {
    /// Loads the master key, connects, builds the registry and runs all migrations.
    ///
    /// Errors: bad key, unreachable database, unknown plugin in config, failed migration.
    pub async fn open(settings: Settings) -> anyhow::Result<Self> {
        let master = MasterKey::load_or_create(
            &settings.security.master_key,
            Path::new(&settings.security.master_key_file),
        )?;
        let db = store::connect_with(
            &settings.database.url,
            settings.database.max_connections,
            Some(std::time::Duration::from_millis(
                settings.database.acquire_timeout_ms,
            )),
        )
        .await
        .with_context(|| format!("connect to {}", redact(&settings.database.url)))?;
        let registry = Arc::new(Registry::new(plugin_set::plugins(plugin_set::load(
            &settings.plugins,
        )?))?);
        store::migrate(&db, &registry).await.context("migrate")?;
        registry.set_master(master.clone());
        plugin_set::init(registry.plugins(), &settings.plugins)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        Ok(Self {
            settings,
            master,
            db,
            registry,
        })
    }

    /// The token service (creates the signing key on first use).
    pub async fn tokens(&self) -> anyhow::Result<TokenService> {
        Ok(TokenService::load_or_create(&self.db, &self.master).await?)
    }

    /// Creates the demo account on an empty database when `[bootstrap] demo` is on.
    pub async fn bootstrap(&self) -> anyhow::Result<Option<admin::Demo>> {
        if !self.settings.bootstrap.demo {
            return Ok(None);
        }
        Ok(admin::bootstrap_demo(
            &self.db,
            &self.registry,
            &self.master,
            &self.settings.bootstrap.demo_instance,
        )
        .await?)
    }
}

/// Hides a password in a database URL for logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Starts the background work (every plugin's tasks, the event delivery), then runs the HTTP
/// server until SIGINT/SIGTERM, then shuts down in order: drain in-flight requests, stop the
/// background work, call each plugin's `shutdown` (see [`crate::lifecycle`]).
///
/// Before binding, it waits for the next whole second: that second is the replay start fence
/// (`auth::replay`), so no request this process accepts can have been stamped in a second an
/// earlier process may have served. The server and its connection limits (`[limits]`: head
/// timeout, keep-alive, a server-wide cap split over the workers, the per-address count) are
/// `http::server`'s. The open-files limit is raised to its hard maximum so the caps, not
/// the descriptor table, decide.
///
/// The demo account (`[bootstrap] demo`, [`Core::bootstrap`]) is created only once the listener
/// is bound, and handed to `on_listening` then (which prints its one-time secret): a busy
/// port stops start-up before any secret exists, so none is lost.
pub async fn serve(
    core: Core,
    on_listening: impl FnOnce(Option<admin::Demo>, &str),
) -> anyhow::Result<()> {
    let tokens = core.tokens().await?;
    let cluster = crate::cluster::Cluster::connect(&core.settings.cluster).await?;
    if let Some(c) = &cluster {
        tracing::info!(
            replica = c.replica(),
            "cluster: sharing nonces, rate limits and cache invalidations through Redis"
        );
        core.registry.set_cluster(Arc::clone(c));
    }
    let bind = core.settings.server.bind.clone();
    let workers = match core.settings.server.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let limits = core.settings.limits.clone();
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open-files limit");
    }
    let now = chrono::Utc::now();
    let into_next_second = 1_000 - u64::from(now.timestamp_subsec_millis());
    tokio::time::sleep(std::time::Duration::from_millis(into_next_second)).await;
    let plugins = core.registry.plugins().to_vec();
    let shutdown = core.settings.shutdown.clone();
    let background = lifecycle::Background::start(
        &plugins,
        &core.db,
        &core.settings.events,
        &lifecycle::process_owner(&core.settings.server.host_id),
    )?;
    let telephony = match core.settings.telephony.clone() {
        Some(config) => {
            let router =
                crate::telephony::PluginRouter::new(core.db.clone(), Arc::clone(&core.registry));
            let host = crate::telephony::HostTelephony::start(
                config,
                core.db.clone(),
                core.master.clone(),
                Box::new(router),
            )
            .context("[telephony]")?;
            tracing::info!(udp = %host.engine.local_udp(), "SIP engine started");
            core.registry.set_telephony(host.engine.clone());
            Some(host)
        }
        None => None,
    };
    crate::metrics::start_upkeep();
    core.registry.set_tokens(tokens.clone());
    let tel = core.settings.telephony.as_ref();
    core.registry.set_endpoints(crate::host::endpoints(
        &bind,
        tel.and_then(|t| t.public_host.as_deref()),
        telephony.as_ref().map(|h| h.engine.local_udp()),
        tel.and_then(|t| t.listen_tcp),
    ));
    let webhooks_stop = ccgate_plugin_sdk::StopSignal::new();
    let webhooks = crate::webhooks::start(
        core.db.clone(),
        Arc::clone(&core.registry),
        webhooks_stop.clone(),
    );
    let demo_for = (
        core.settings.bootstrap.demo,
        core.settings.bootstrap.demo_instance.clone(),
        core.db.clone(),
        Arc::clone(&core.registry),
        core.master.clone(),
    );
    let state = web::Data::new(AppState::new(
        core.settings,
        core.db,
        core.registry,
        core.master,
        tokens,
        cluster.clone(),
    ));
    let cluster_stop = ccgate_plugin_sdk::StopSignal::new();
    let cluster_tasks = match &cluster {
        Some(c) => c.start_invalidation(
            Arc::new(crate::cluster::sink::Replica::new(&state)),
            cluster_stop.clone(),
        ),
        None => Vec::new(),
    };
    let streams_end = state.streams_end.clone();
    let server = crate::http::server::build(state, &bind, workers, &limits)?;
    tracing::info!(%bind, "ccgate listening");
    let (demo_on, demo_instance, db, registry, master) = demo_for;
    let demo = if demo_on {
        admin::bootstrap_demo(&db, &registry, &master, &demo_instance).await?
    } else {
        None
    };
    on_listening(demo, &bind);
    let served = lifecycle::serve_until(
        server,
        lifecycle::termination(),
        background,
        &plugins,
        &shutdown,
        Some(streams_end),
    )
    .await;
    webhooks_stop.raise();
    cluster_stop.raise();
    for task in cluster_tasks {
        let _ = task.await;
    }
    if let Some(task) = webhooks {
        let _ = task.await;
    }
    // Live calls end after the last request was answered; their final events go to the
    // durable log and reach subscribers on the next start if delivery has already stopped.
    if let Some(host) = telephony {
        host.stop(std::time::Duration::from_secs(shutdown.tasks_secs))
            .await;
    }
    served
}
