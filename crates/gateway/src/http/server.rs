//! The HTTP server: actix-server accepting TCP connections, each wrapped in
//! [`EnvelopeIo`](super::wire::EnvelopeIo) (actix's own refusals become envelopes, the
//! per-address [`Slot`](super::connections::Slot) lives there), then actix-http's HTTP/1
//! service running the app of [`crate::app::configure`].
//!
//! This is what actix-web's `HttpServer` assembles (actix-web 4.18 `server.rs`, `listen`), with
//! the stream wrapper added: `HttpServer` offers no way to wrap the stream. HTTP/2 and TLS are
//! not served (the build enables neither; put a TLS terminator in front).

use std::future::ready;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use actix_http::HttpService;
use actix_http::error::DispatchError;
use actix_service::{ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};
use anyhow::Context as _;

use super::connections::{ConnInfo, ConnectionCounter};
use super::wire::EnvelopeIo;
use crate::app::configure;
use crate::settings::LimitSettings;
use crate::state::AppState;

/// Binds `bind` and builds the server for `state` with `workers` workers and `limits`; run it
/// with `.await`. It does not watch signals itself: [`crate::lifecycle::serve_until`] stops it
/// gracefully (draining requests for up to `[shutdown] drain_secs`) on SIGTERM and SIGINT alike,
/// where actix-server's own handling would drop in-flight requests on SIGINT.
///
/// Errors: `bind` does not resolve or cannot be bound.
pub fn build(
    state: web::Data<AppState>,
    bind: &str,
    workers: usize,
    limits: &LimitSettings,
) -> anyhow::Result<actix_server::Server> {
    let addr = bind
        .to_socket_addrs()
        .with_context(|| format!("resolve {bind}"))?
        .next()
        .with_context(|| format!("{bind} resolves to no address"))?;
    let counter = ConnectionCounter::new(limits.max_connections_per_ip);
    let host_id: Arc<str> = state.settings.server.host_id.as_str().into();
    let head_timeout = Duration::from_millis(limits.head_timeout_ms);
    let keep_alive = Duration::from_secs(limits.keep_alive_secs);
    let server = actix_server::Server::build()
        .workers(workers)
        .max_concurrent_connections(limits.max_connections.div_ceil(workers).max(1))
        .backlog(2048)
        .shutdown_timeout(state.settings.shutdown.drain_secs)
        .disable_signals()
        .bind("ccgate", addr, move || {
            let counter = Arc::clone(&counter);
            let host_id = Arc::clone(&host_id);
            let app = App::new().configure(configure(state.clone()));
            fn_service(move |io: TcpStream| {
                let peer = io.peer_addr().ok();
                let _ = io.set_nodelay(true);
                let slot = peer.map(|p| counter.enter(p.ip()));
                ready(Ok::<_, DispatchError>((
                    EnvelopeIo::new(io, Arc::clone(&host_id), slot),
                    peer,
                )))
            })
            .and_then(
                HttpService::build()
                    .keep_alive(keep_alive)
                    .client_request_timeout(head_timeout)
                    // The builder's default is 0 (no limit) where actix-web's HttpServer uses 1 s:
                    // the time a closing connection may take to shut down.
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .local_addr(addr)
                    .on_connect_ext(|io: &EnvelopeIo, ext| {
                        if let Some(slot) = io.slot() {
                            ext.insert(ConnInfo {
                                ip: slot.ip,
                                over: slot.over,
                            });
                        }
                    })
                    .h1(map_config(app, |_| AppConfig::default())),
            )
        })
        .with_context(|| format!("bind {bind}"))?
        .run();
    Ok(server)
}
