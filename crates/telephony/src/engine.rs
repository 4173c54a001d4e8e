//! The engine's thread, runtime and command loop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ccgate_plugin_sdk::telephony::{CallEvent, CallStarted, HungUp, StartCall, Transfer};
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Method, StatusCode};
use rsipstack::transaction::TransactionReceiver;
use rsipstack::transaction::endpoint::{EndpointInnerRef, EndpointOption};
use rsipstack::transport::TransportLayer;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::udp::UdpConnection;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::PortError;
use crate::call::inbound::{self, InboundRouter};
use crate::call::{self, CallCommand};
use crate::config::TelephonyConfig;
use crate::registrar::{DeviceDirectory, Registrar};

/// What the engine's tasks share.
pub(crate) struct Shared {
    pub(crate) config: TelephonyConfig,
    pub(crate) endpoint: EndpointInnerRef,
    pub(crate) dialogs: Arc<DialogLayer>,
    /// `sip:ccgate@<host>:<port>`: our Contact.
    pub(crate) contact: String,
    /// `<host>:<port>` of the UDP listener (From host).
    pub(crate) own_host_port: String,
    pub(crate) events: mpsc::UnboundedSender<CallEvent>,
    pub(crate) calls: Mutex<HashMap<String, mpsc::UnboundedSender<CallCommand>>>,
    pub(crate) registrar: Registrar,
    pub(crate) router: Box<dyn InboundRouter>,
}

enum Command {
    Start(StartCall, oneshot::Sender<Result<CallStarted, PortError>>),
    HangUp(String, oneshot::Sender<bool>),
    Hold(String, bool, oneshot::Sender<bool>),
    Transfer(Transfer, oneshot::Sender<Result<bool, PortError>>),
    Shutdown(oneshot::Sender<()>),
}

/// The running SIP engine: a handle the gateway keeps and any runtime can call.
pub struct Telephony {
    commands: mpsc::UnboundedSender<Command>,
    udp: SocketAddr,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Telephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telephony").field("udp", &self.udp).finish()
    }
}

impl Telephony {
    /// Binds the listeners of `config` and starts the engine on its own thread (named
    /// `ccgate-sip`, a two-worker Tokio runtime). The registrar checks device credentials in
    /// `devices`, inbound INVITEs go where `router` says; every [`CallEvent`] goes to `events`.
    ///
    /// Errors: one line for an invalid config or a listen address that cannot be bound.
    pub fn start(
        config: TelephonyConfig,
        devices: Box<dyn DeviceDirectory>,
        router: Box<dyn InboundRouter>,
        events: mpsc::UnboundedSender<CallEvent>,
    ) -> Result<Self, String> {
        config.validate()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<SocketAddr, String>>();
        let thread = std::thread::Builder::new()
            .name("ccgate-sip".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("ccgate-sip-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("telephony runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(run(config, devices, router, events, rx, ready_tx));
            })
            .map_err(|e| format!("telephony thread: {e}"))?;
        let udp = ready_rx
            .recv()
            .map_err(|_| "telephony: the engine thread ended during start-up".to_string())??;
        Ok(Self {
            commands: tx,
            udp,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The bound UDP address (the port is real when the config asked for port 0).
    pub fn local_udp(&self) -> SocketAddr {
        self.udp
    }

    /// Starts a call; returns once the first INVITE is on the wire.
    ///
    /// Errors: [`PortError`].
    pub async fn start_call(&self, req: StartCall) -> Result<CallStarted, PortError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Start(req, tx))
            .map_err(|_| PortError::Unavailable("stopped".into()))?;
        rx.await
            .map_err(|_| PortError::Unavailable("stopped".into()))?
    }

    /// Ends a call (CANCEL while ringing, BYE once answered); `found` is false for a call that
    /// is not live.
    ///
    /// Errors: [`PortError::Unavailable`] after shutdown.
    pub async fn hang_up(&self, call_id: &str) -> Result<HungUp, PortError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::HangUp(call_id.to_string(), tx))
            .map_err(|_| PortError::Unavailable("stopped".into()))?;
        let found = rx
            .await
            .map_err(|_| PortError::Unavailable("stopped".into()))?;
        Ok(HungUp { found })
    }

    /// Holds (`held`) or retrieves a bridged call; `found` is false when the call is not live
    /// or not bridged yet. Returns once both re-INVITEs were answered.
    ///
    /// Errors: [`PortError::Unavailable`] after shutdown.
    pub async fn hold(&self, call_id: &str, held: bool) -> Result<HungUp, PortError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Hold(call_id.to_string(), held, tx))
            .map_err(|_| PortError::Unavailable("stopped".into()))?;
        let found = rx.await.unwrap_or(false);
        Ok(HungUp { found })
    }

    /// Starts a blind transfer of a bridged call; `found` is false when the call is not live or
    /// not bridged. Returns once the new party is being called; the outcome comes as events.
    ///
    /// Errors: [`PortError::NoRoute`] / [`PortError::Invalid`] for the new target;
    /// [`PortError::Unavailable`] after shutdown.
    pub async fn transfer(&self, req: Transfer) -> Result<HungUp, PortError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Transfer(req, tx))
            .map_err(|_| PortError::Unavailable("stopped".into()))?;
        let found = rx.await.unwrap_or(Ok(false))?;
        Ok(HungUp { found })
    }

    /// Ends every live call (each gets its `Released` and `Ended` events), stops the engine
    /// and joins its thread. Idempotent.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
        let thread = self.thread.lock().map(|mut t| t.take()).ok().flatten();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

async fn bind(
    config: &TelephonyConfig,
    token: &CancellationToken,
) -> Result<(TransportLayer, SocketAddr), String> {
    let layer = TransportLayer::new(token.clone());
    let udp = UdpConnection::create_connection(config.listen_udp, None, Some(token.child_token()))
        .await
        .map_err(|e| format!("telephony.listen_udp {}: {e}", config.listen_udp))?;
    let bound: SocketAddr = udp
        .get_addr()
        .get_socketaddr()
        .map_err(|e| format!("telephony.listen_udp: {e}"))?;
    layer.add_transport(udp.into());
    if let Some(tcp) = config.listen_tcp {
        let listener = TcpListenerConnection::new(tcp, None)
            .await
            .map_err(|e| format!("telephony.listen_tcp {tcp}: {e}"))?;
        layer.add_transport(listener.into());
    }
    Ok((layer, bound))
}

async fn run(
    config: TelephonyConfig,
    devices: Box<dyn DeviceDirectory>,
    router: Box<dyn InboundRouter>,
    events: mpsc::UnboundedSender<CallEvent>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    ready: std::sync::mpsc::Sender<Result<SocketAddr, String>>,
) {
    let token = CancellationToken::new();
    let (layer, bound) = match bind(&config, &token).await {
        Ok(b) => b,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let endpoint = EndpointBuilder::new()
        .with_cancel_token(token.clone())
        .with_transport_layer(layer)
        .with_user_agent("ccgate")
        .with_option(EndpointOption {
            auto_ack_2xx: false,
            ..EndpointOption::default()
        })
        .build();
    let incoming = match endpoint.incoming_transactions() {
        Ok(i) => i,
        Err(e) => {
            let _ = ready.send(Err(format!("telephony: {e}")));
            return;
        }
    };
    let host = config.own_host();
    let own_host_port = format!("{host}:{}", bound.port());
    let shared = Arc::new(Shared {
        dialogs: Arc::new(DialogLayer::new(endpoint.inner.clone())),
        endpoint: endpoint.inner.clone(),
        contact: format!("sip:ccgate@{own_host_port}"),
        own_host_port,
        config,
        events,
        calls: Mutex::new(HashMap::new()),
        registrar: Registrar::new(devices),
        router,
    });
    let serving = {
        let endpoint = endpoint.inner.clone();
        tokio::spawn(async move {
            let _ = endpoint.serve().await;
        })
    };
    tokio::spawn(serve_incoming(shared.clone(), incoming));
    for trunk in shared.config.trunks.iter().filter(|t| t.register) {
        tokio::spawn(crate::trunk_registration::keep_registered(
            shared.endpoint.clone(),
            trunk.clone(),
        ));
    }
    tracing::info!(udp = %bound, "SIP engine listening");
    let _ = ready.send(Ok(bound));

    while let Some(cmd) = commands.recv().await {
        match cmd {
            Command::Start(req, reply) => {
                let result = call::spawn(shared.clone(), req).await;
                let _ = reply.send(result);
            }
            Command::HangUp(id, reply) => {
                let sender = shared
                    .calls
                    .lock()
                    .ok()
                    .and_then(|calls| calls.get(&id).cloned());
                let found = sender.is_some_and(|s| s.send(CallCommand::HangUp).is_ok());
                let _ = reply.send(found);
            }
            Command::Hold(id, held, reply) => {
                let sender = shared.calls.lock().ok().and_then(|c| c.get(&id).cloned());
                match sender {
                    Some(s) => {
                        if let Err(mpsc::error::SendError(CallCommand::Hold(_, reply))) =
                            s.send(CallCommand::Hold(held, reply))
                        {
                            let _ = reply.send(false);
                        }
                    }
                    None => {
                        let _ = reply.send(false);
                    }
                }
            }
            Command::Transfer(req, reply) => {
                let sender = shared
                    .calls
                    .lock()
                    .ok()
                    .and_then(|c| c.get(&req.call_id).cloned());
                match sender {
                    Some(s) => {
                        if let Err(mpsc::error::SendError(CallCommand::Transfer(_, reply))) =
                            s.send(CallCommand::Transfer(req, reply))
                        {
                            let _ = reply.send(Ok(false));
                        }
                    }
                    None => {
                        let _ = reply.send(Ok(false));
                    }
                }
            }
            Command::Shutdown(reply) => {
                let live: Vec<_> = shared
                    .calls
                    .lock()
                    .map(|c| c.values().cloned().collect())
                    .unwrap_or_default();
                for s in live {
                    let _ = s.send(CallCommand::Shutdown);
                }
                // Each call sends its BYE/CANCEL and its last events; give them a moment.
                for _ in 0..60 {
                    if shared.calls.lock().map(|c| c.is_empty()).unwrap_or(true) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                token.cancel();
                serving.abort();
                let _ = reply.send(());
                break;
            }
        }
    }
}

/// Requests that reach ccgate: in-dialog ones (BYE, re-INVITE…) go to their dialog; others
/// are answered here.
async fn serve_incoming(shared: Arc<Shared>, mut incoming: TransactionReceiver) {
    while let Some(mut tx) = incoming.recv().await {
        if let Some(mut dialog) = shared.dialogs.match_dialog(&tx) {
            tokio::spawn(async move {
                if let Err(e) = dialog.handle(&mut tx).await {
                    tracing::debug!(error = %e, "in-dialog request");
                }
            });
            continue;
        }
        if tx.original.method == Method::Register {
            let shared = shared.clone();
            tokio::spawn(async move { shared.registrar.handle(&mut tx).await });
            continue;
        }
        if tx.original.method == Method::Invite {
            tokio::spawn(inbound::handle(shared.clone(), tx));
            continue;
        }
        let status = match tx.original.method {
            Method::Options => StatusCode::OK,
            Method::Ack => continue,
            Method::Bye | Method::Cancel => StatusCode::CallTransactionDoesNotExist,
            _ => StatusCode::MethodNotAllowed,
        };
        tokio::spawn(async move {
            let _ = tx.reply(status).await;
        });
    }
}
