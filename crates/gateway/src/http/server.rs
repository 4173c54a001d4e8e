//! The HTTP server: actix-server accepting TCP connections, each wrapped in
//! [`EnvelopeIo`](super::wire::EnvelopeIo) (actix's own refusals become envelopes, the
//! per-address [`Slot`](super::connections::Slot) lives there), then actix-http's HTTP/1
//! service running the app of [`crate::app::configure`].
//!
//! This is what actix-web's `HttpServer` assembles (actix-web 4.18 `server.rs`, `listen`), with
//! the stream wrapper added: `HttpServer` offers no way to wrap the stream. HTTP/2 is not
//! served.
//!
//! TLS (issue 15): with `[server] tls_cert` and `tls_key` set, the listener speaks HTTPS only.
//! Each accepted connection takes its per-address slot first, then does the rustls handshake
//! (TLS 1.2 and 1.3 on the ring provider, ALPN `http/1.1`), which must finish within `[limits]
//! head_timeout_ms` or the connection is dropped (a client that never sends a ClientHello
//! holds nothing for longer); the TLS stream is then wrapped in `EnvelopeIo` like a plain TCP
//! stream, so envelopes, the request log, `x-acs-request-id` and `/metrics` are the same over
//! both. A plain-HTTP request to a TLS port fails the handshake and is not served. Without
//! them, the listener is plain HTTP and the connection path is the TCP one, unchanged. The
//! certificate and key are read once at start-up ([`tls_config`]); replacing them takes a
//! restart.

use std::future::ready;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use actix_http::HttpService;
use actix_http::error::DispatchError;
use actix_service::{ServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};
use anyhow::{Context as _, anyhow};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use super::connections::{ConnInfo, ConnectionCounter};
use super::wire::EnvelopeIo;
use crate::app::configure;
use crate::settings::LimitSettings;
use crate::state::AppState;

/// Binds `bind` and builds the server for `state` with `workers` workers and `limits`; run it
/// with `.await`. It does not watch signals itself: [`crate::lifecycle::serve_until`] stops it
/// gracefully (draining requests for up to `[shutdown] drain_secs`) on SIGTERM and SIGINT alike,
/// where actix-server's own handling would drop in-flight requests on SIGINT. It serves HTTPS
/// when `state`'s `[server] tls_cert` and `tls_key` are set (see the module docs), plain HTTP
/// otherwise.
///
/// Errors: `bind` does not resolve or cannot be bound; the TLS files cannot be read or do not
/// make a certificate and its key (one line naming the setting and the file, [`tls_config`]).
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
    let tls = match state
        .settings
        .server
        .tls_files()
        .map_err(anyhow::Error::msg)?
    {
        Some((cert, key)) => {
            let acceptor = TlsAcceptor::from(tls_config(cert, key)?);
            tracing::info!(cert, key, "TLS on: the listener serves HTTPS only");
            Some(acceptor)
        }
        None => None,
    };
    let counter = ConnectionCounter::new(limits.max_connections_per_ip);
    let host_id: Arc<str> = state.settings.server.host_id.as_str().into();
    let timing = Timing {
        head_timeout: Duration::from_millis(limits.head_timeout_ms),
        keep_alive: Duration::from_secs(limits.keep_alive_secs),
        local_addr: addr,
    };
    let builder = actix_server::Server::build()
        .workers(workers)
        .max_concurrent_connections(limits.max_connections.div_ceil(workers).max(1))
        .backlog(2048)
        .shutdown_timeout(state.settings.shutdown.drain_secs)
        .disable_signals();
    let builder = match tls {
        None => builder.bind("ccgate", addr, move || {
            let counter = Arc::clone(&counter);
            let host_id = Arc::clone(&host_id);
            fn_service(move |io: TcpStream| {
                let peer = io.peer_addr().ok();
                let _ = io.set_nodelay(true);
                let slot = peer.map(|p| counter.enter(p.ip()));
                ready(Ok::<_, DispatchError>((
                    EnvelopeIo::new(io, Arc::clone(&host_id), slot),
                    peer,
                )))
            })
            .and_then(http1(&state, timing, false))
        }),
        Some(acceptor) => builder.bind("ccgate", addr, move || {
            let counter = Arc::clone(&counter);
            let host_id = Arc::clone(&host_id);
            let acceptor = acceptor.clone();
            fn_service(move |io: TcpStream| {
                let peer = io.peer_addr().ok();
                let _ = io.set_nodelay(true);
                // Taken before the handshake: a client holding many handshakes open counts.
                let slot = peer.map(|p| counter.enter(p.ip()));
                let handshake = acceptor.accept(io);
                let host_id = Arc::clone(&host_id);
                async move {
                    match tokio::time::timeout(timing.head_timeout, handshake).await {
                        Ok(Ok(tls)) => Ok((EnvelopeIo::new(tls, host_id, slot), peer)),
                        Ok(Err(e)) => {
                            tracing::debug!(?peer, error = %e, "TLS handshake failed");
                            Err(DispatchError::Io(e))
                        }
                        Err(_) => {
                            tracing::debug!(?peer, "TLS handshake not finished in time");
                            Err(DispatchError::Io(io::ErrorKind::TimedOut.into()))
                        }
                    }
                }
            })
            .and_then(http1(&state, timing, true))
        }),
    };
    let server = builder.with_context(|| format!("bind {bind}"))?.run();
    Ok(server)
}

/// The connection timings of [`http1`].
#[derive(Clone, Copy)]
struct Timing {
    /// `[limits] head_timeout_ms`: for the TLS handshake, then for each request head.
    head_timeout: Duration,
    /// `[limits] keep_alive_secs`.
    keep_alive: Duration,
    /// The listener's address.
    local_addr: SocketAddr,
}

/// actix-http's HTTP/1 service running the app over connections of stream `S` (`secure`:
/// TLS, so that the requests' connection info says `https`).
fn http1<S>(
    state: &web::Data<AppState>,
    timing: Timing,
    secure: bool,
) -> impl ServiceFactory<
    (EnvelopeIo<S>, Option<SocketAddr>),
    Config = (),
    Response = (),
    Error = DispatchError,
    InitError = (),
> + use<S>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let app = App::new().configure(configure(state.clone()));
    let builder = HttpService::build()
        .keep_alive(timing.keep_alive)
        .client_request_timeout(timing.head_timeout)
        // The builder's default is 0 (no limit) where actix-web's HttpServer uses 1 s: the
        // time a closing connection may take to shut down.
        .client_disconnect_timeout(Duration::from_secs(1))
        .local_addr(timing.local_addr);
    let builder = if secure { builder.secure() } else { builder };
    builder
        .on_connect_ext(|io: &EnvelopeIo<S>, ext| {
            if let Some(slot) = io.slot() {
                ext.insert(ConnInfo {
                    ip: slot.ip,
                    over: slot.over,
                });
            }
        })
        .h1(map_config(app, |_| AppConfig::default()))
}

/// The rustls server configuration of `[server] tls_cert` (`cert`: PEM certificate chain, the
/// server's certificate first) and `tls_key` (`key`: PEM private key, PKCS#8, PKCS#1 or SEC1):
/// TLS 1.2 and 1.3 on the ring provider, no client certificates, ALPN `http/1.1`.
///
/// Errors, each one line naming the setting and the file: a file cannot be read, holds no PEM
/// certificate (or private key) or bad PEM; the key does not match the certificate, or either
/// is not one rustls can use.
pub fn tls_config(cert: &str, key: &str) -> anyhow::Result<Arc<ServerConfig>> {
    let read_error = |setting: &str, path: &str, what: &str, e: pem::Error| match e {
        pem::Error::Io(e) => anyhow!("server.{setting}: cannot read {path}: {e}"),
        pem::Error::NoItemsFound => anyhow!("server.{setting}: {path} holds no PEM {what}"),
        e => anyhow!("server.{setting}: {path} is not a valid PEM {what} file: {e}"),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| read_error("tls_cert", cert, "certificate", e))?;
    if chain.is_empty() {
        return Err(read_error(
            "tls_cert",
            cert,
            "certificate",
            pem::Error::NoItemsFound,
        ));
    }
    let private_key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| read_error("tls_key", key, "private key", e))?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| anyhow!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, private_key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => anyhow!(
                    "server.tls_key: the key in {key} does not match the certificate in {cert}"
                ),
                e => anyhow!(
                    "server.tls_cert, server.tls_key: {cert} and {key} are not a usable \
                     certificate and key: {e}"
                ),
            })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 certificate for `localhost` / 127.0.0.1 (valid until 2126), its key,
    /// and another key.
    const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBmDCCAT6gAwIBAgIUFpeIbOkVtDvX69aC3omUGkOftXEwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNTE4NTUyOFoYDzIxMjYxMTEx
MTg1NTI4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQefT2QSKaf5q/StYGeztvbC+Cy5fmQqXAFYvVwQXkvMD/45Bf9TZ/Q
mgo1n6Jti3Ef5qsNY3mSt/FkNilUQ8oGo2wwajAdBgNVHQ4EFgQUww1/32zjz73K
WoRUSjNp/wmHjBUwHwYDVR0jBBgwFoAUww1/32zjz73KWoRUSjNp/wmHjBUwGgYD
VR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0E
AwIDSAAwRQIgfKllp28RnRslzra9Rmss72lvPtcaYHzLAcQigUsYUdICIQCyyjCf
hpUCxlwyUxaketz0XP253ijrQ0z3tBxnVrYAZg==
-----END CERTIFICATE-----
";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4kVAlHFrbB3UzsSo
Wy0vBPbxEa/iLgLYD7FFp2NlX6yhRANCAAQefT2QSKaf5q/StYGeztvbC+Cy5fmQ
qXAFYvVwQXkvMD/45Bf9TZ/Qmgo1n6Jti3Ef5qsNY3mSt/FkNilUQ8oG
-----END PRIVATE KEY-----
";
    const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgz6AL28QOYnMwRwdK
VLgTmOzamt+DkLlgMm1vAOsYlbChRANCAARsxMNzFEPh8e/kKBhvGD8mbcp4rhD2
eeEeO1Y5mueS2XU74tfCJYhEdEhzZubxWuje2oc6GHti6p6R5suubIrF
-----END PRIVATE KEY-----
";

    fn files(dir: &tempfile::TempDir) -> (String, String, String) {
        let path = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p.to_str().unwrap().to_string()
        };
        (
            path("cert.pem", CERT),
            path("key.pem", KEY),
            path("other.pem", OTHER_KEY),
        )
    }

    #[test]
    fn bad_tls_files_stop_start_up_with_one_line_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, other) = files(&dir);
        let err = |cert: &str, key: &str| tls_config(cert, key).unwrap_err().to_string();
        let missing = dir.path().join("nope.pem");
        let missing = missing.to_str().unwrap();
        let e = err(missing, &key);
        assert!(
            e.starts_with(&format!("server.tls_cert: cannot read {missing}: ")),
            "{e}"
        );
        let e = err(&cert, missing);
        assert!(
            e.starts_with(&format!("server.tls_key: cannot read {missing}: ")),
            "{e}"
        );
        assert_eq!(
            err(&key, &key),
            format!("server.tls_cert: {key} holds no PEM certificate")
        );
        assert_eq!(
            err(&cert, &cert),
            format!("server.tls_key: {cert} holds no PEM private key")
        );
        assert_eq!(
            err(&cert, &other),
            format!("server.tls_key: the key in {other} does not match the certificate in {cert}")
        );
        for e in [err(missing, &key), err(&cert, &other)] {
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[tokio::test]
    async fn the_tls_listener_negotiates_http_1_1() {
        use actix_web::rt::net::TcpListener;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_rustls::TlsConnector;
        use tokio_rustls::rustls::pki_types::ServerName;

        let dir = tempfile::tempdir().unwrap();
        let (cert, key, _) = files(&dir);
        let acceptor = TlsAcceptor::from(tls_config(&cert, &key).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (io, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(io).await.unwrap();
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf).await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap())
            .unwrap();
        let mut client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        client.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let io = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = TlsConnector::from(Arc::new(client))
            .connect(name, io)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        tls.write_all(b"hello").await.unwrap();
        let mut echo = Vec::new();
        tls.read_to_end(&mut echo).await.unwrap();
        assert_eq!(echo, b"hello");
        server.await.unwrap();
    }
}
