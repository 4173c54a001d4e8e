//! Inbound calls: an INVITE from a trunk to one of the instances' numbers.
//!
//! ccgate acts as a back-to-back user agent (RFC 3261 §6 "B2BUA"): it asks the router (the
//! gateway, which asks the calls plugin) where the call goes, rings the caller (180), sends the
//! caller's offer to the chosen party (an agent's device or PBX extension, or a media server)
//! in a new INVITE, ACKs that party's 200 and answers the caller with its SDP, so media flows
//! between the two directly. A CANCEL from the caller while the party rings CANCELs the party;
//! a refusal or no answer is passed back to the caller as a final response.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ccgate_plugin_sdk::telephony::{
    CallEventKind, InboundCall, InboundRoute, Leg, LegId, Party, StartCall, Target,
};
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use tokio::sync::mpsc;

use super::{Call, Cancel, Dialing, Outcome, reason_header, refused_by_party};
use crate::config::{CallerIdStyle, Flow};
use crate::engine::Shared;
use crate::routing::{self, Route};
use crate::sdp::Origin;

/// Where inbound calls go: the gateway asks the calls plugin.
#[async_trait]
pub trait InboundRouter: Send + Sync + 'static {
    /// The route of `call` (connect to a party, or refuse with a SIP status).
    async fn route(&self, call: InboundCall) -> InboundRoute;
}

/// A router that refuses every inbound call with 480 (deployments that take no inbound calls,
/// engine tests).
pub struct NoInbound;

#[async_trait]
impl InboundRouter for NoInbound {
    async fn route(&self, _: InboundCall) -> InboundRoute {
        InboundRoute {
            connect: false,
            call_id: String::new(),
            instance_id: String::new(),
            to: None,
            ring_timeout_seconds: 0,
            max_duration_seconds: 0,
            sip_code: 480,
            reason: "No inbound calls here".into(),
        }
    }
}

fn user_of(uri: &rsipstack::sip::Uri) -> String {
    uri.auth
        .as_ref()
        .map(|a| a.user.clone())
        .unwrap_or_default()
}

async fn refuse(tx: &mut Transaction, code: u16, reason: &str) {
    let headers = vec![Header::Reason(reason_header(code, reason).into())];
    if let Err(e) = tx.reply_with(StatusCode::from(code), headers, None).await {
        tracing::debug!(error = %e, "inbound refusal");
    }
}

/// The events of a routed call that ended before its party was called: the router already
/// recorded it (and reserved its agent), so it must see it end.
fn ended_at_once(
    shared: &Shared,
    route: &InboundRoute,
    caller: &str,
    called: &str,
    at_ms: i64,
    code: u16,
    reason: &str,
) {
    let kinds = [
        CallEventKind::Offered {
            leg: LegId::First,
            from: caller.to_string(),
            to: called.to_string(),
        },
        CallEventKind::Failed {
            leg: LegId::Second,
            sip_code: code,
            reason: reason.to_string(),
        },
        CallEventKind::Released {
            by: Party::System,
            sip_code: code,
            reason: reason.to_string(),
        },
        CallEventKind::Ended,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let _ = shared.events.send(ccgate_plugin_sdk::telephony::CallEvent {
            call_id: route.call_id.clone(),
            instance_id: route.instance_id.clone(),
            seq: i as u32 + 1,
            at_ms: if i == 0 { at_ms } else { crate::now_ms() },
            kind,
        });
    }
}

/// Serves one inbound INVITE to its end.
pub(crate) async fn handle(shared: Arc<Shared>, mut tx: Transaction) {
    let at_ms = crate::now_ms();
    let req = tx.original.clone();
    let called = user_of(&req.uri);
    let caller = req
        .from_header()
        .ok()
        .and_then(|f| f.typed().ok())
        .map(|f| user_of(&f.uri))
        .unwrap_or_default();
    if !crate::sdp::has_media(&req.body) {
        // An INVITE without an offer would need the offer from the callee's 200 (RFC 3261
        // §13.2.1 late offer); not supported for inbound calls yet.
        refuse(&mut tx, 488, "An SDP offer is required").await;
        return;
    }
    let route = shared
        .router
        .route(InboundCall {
            called: called.clone(),
            caller: caller.clone(),
            at_ms,
        })
        .await;
    let to = match (route.connect, route.to.clone()) {
        (true, Some(to)) if !route.call_id.is_empty() => to,
        _ => {
            let code = if route.sip_code >= 400 {
                route.sip_code
            } else {
                480
            };
            tracing::info!(%called, %caller, code, reason = %route.reason, "inbound call refused");
            refuse(&mut tx, code, &route.reason).await;
            return;
        }
    };
    let registered = |user: &str| shared.registrar.contact_of(&route.instance_id, user);
    let second_route = match routing::resolve(&shared.config, &registered, &to.target) {
        Ok(r) => Route {
            // The caller's offer goes to the party as it is.
            flow: Flow::I,
            ..r
        },
        Err(e) => {
            tracing::warn!(%called, error = %e, "inbound call: the party cannot be routed");
            let reason = "The answering party cannot be reached";
            refuse(&mut tx, 480, reason).await;
            ended_at_once(&shared, &route, &caller, &called, at_ms, 480, reason);
            return;
        }
    };
    let (commands_tx, commands) = mpsc::unbounded_channel();
    let registered_call = shared.calls.lock().is_ok_and(|mut calls| {
        if calls.contains_key(&route.call_id) {
            return false;
        }
        calls.insert(route.call_id.clone(), commands_tx);
        true
    });
    if !registered_call {
        refuse(&mut tx, 500, "Duplicate call id").await;
        return;
    }
    let (state_tx, states) = shared.dialogs.new_dialog_state_channel();
    let contact = shared.contact.as_str().try_into().ok();
    let dialog = match shared
        .dialogs
        .get_or_create_server_invite(&tx, state_tx, None, contact)
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "inbound dialog");
            if let Ok(mut calls) = shared.calls.lock() {
                calls.remove(&route.call_id);
            }
            refuse(&mut tx, 500, "Server Internal Error").await;
            ended_at_once(
                &shared,
                &route,
                &caller,
                &called,
                at_ms,
                500,
                "Server Internal Error",
            );
            return;
        }
    };
    // The server transaction runs in its own task (responses, the caller's ACK and CANCEL).
    let mut driver = dialog.clone();
    tokio::spawn(async move {
        if let Err(e) = driver.handle(&mut tx).await {
            tracing::debug!(error = %e, "inbound transaction");
        }
    });
    let ring = match route.ring_timeout_seconds {
        0 => shared.config.ring_timeout_seconds,
        s => s.min(120),
    };
    let max = match route.max_duration_seconds {
        0 => shared.config.max_call_seconds,
        s => s.min(shared.config.max_call_seconds),
    };
    let caller_leg = Leg {
        target: Target::Uri {
            uri: req.uri.to_string(),
        },
        caller_id: caller.clone(),
    };
    let call = Call {
        shared: shared.clone(),
        seq: 0,
        ring: Duration::from_secs(u64::from(ring)),
        max: Duration::from_secs(u64::from(max)),
        commands,
        origin: Origin::new(&shared.config.own_host()),
        first_route: Route {
            uri: req.uri.to_string(),
            flow: Flow::I,
            credential: None,
            caller_id: CallerIdStyle::From,
        },
        second_route,
        req: StartCall {
            call_id: route.call_id.clone(),
            instance_id: route.instance_id.clone(),
            first: caller_leg,
            second: to,
            ring_timeout_seconds: ring,
            max_duration_seconds: max,
        },
    };
    let customer = Dialing {
        dialog,
        states,
        states_open: true,
        join: None,
        ringing: false,
        confirmed: None,
    };
    call.run_inbound(customer, req.body, called, caller, at_ms)
        .await;
}

impl Call {
    async fn run_inbound(
        mut self,
        mut customer: Dialing,
        offer: Vec<u8>,
        called: String,
        caller: String,
        at_ms: i64,
    ) {
        self.emit_at(
            CallEventKind::Offered {
                leg: LegId::First,
                from: caller,
                to: called,
            },
            at_ms,
        );
        let released = self.connect_inbound(&mut customer, offer).await;
        self.emit(CallEventKind::Released {
            by: released.0,
            sip_code: released.1,
            reason: released.2,
        });
        self.emit(CallEventKind::Ended);
        self.forget(&customer);
        if let Ok(mut calls) = self.shared.calls.lock() {
            calls.remove(&self.req.call_id);
        }
    }

    async fn connect_inbound(
        &mut self,
        customer: &mut Dialing,
        offer: Vec<u8>,
    ) -> (Party, u16, String) {
        if let Err(e) = customer.dialog.ringing(None, None) {
            tracing::debug!(call = %self.req.call_id, error = %e, "180 to the caller");
        }
        let mut party = match self.invite(LegId::Second, Some(offer), None) {
            Ok(d) => d,
            Err(e) => {
                self.emit(CallEventKind::Failed {
                    leg: LegId::Second,
                    sip_code: 503,
                    reason: e.clone(),
                });
                let _ = customer
                    .dialog
                    .reject(Some(StatusCode::TemporarilyUnavailable), Some(e.clone()));
                return (Party::System, 503, e);
            }
        };
        self.emit(CallEventKind::Inviting {
            leg: LegId::Second,
            uri: self.second_route.uri.clone(),
        });
        let resp = match self
            .await_final_watching(LegId::Second, &mut party, Some(customer))
            .await
        {
            Outcome::Answered(r) => r,
            Outcome::Failed(code, reason) => {
                self.emit(CallEventKind::Failed {
                    leg: LegId::Second,
                    sip_code: code,
                    reason: reason.clone(),
                });
                let _ = customer
                    .dialog
                    .reject(Some(StatusCode::from(code)), Some(reason.clone()));
                let by = if refused_by_party(code) {
                    Party::Second
                } else {
                    Party::System
                };
                return (by, code, reason);
            }
            Outcome::Cancelled(why) => {
                let (code, text) = why.cause();
                self.emit(CallEventKind::Failed {
                    leg: LegId::Second,
                    sip_code: 487,
                    reason: text.into(),
                });
                if matches!(why, Cancel::Abandoned) {
                    return (Party::First, 487, text.into());
                }
                let _ = customer
                    .dialog
                    .reject(Some(StatusCode::from(code)), Some(text.into()));
                return (Party::System, code, text.into());
            }
        };
        self.emit(CallEventKind::Answered { leg: LegId::Second });
        self.ack(&party, &resp, None, None).await;
        let accepted = customer.dialog.accept(
            Some(vec![Header::ContentType("application/sdp".into())]),
            Some(resp.body.clone()),
        );
        if let Err(e) = accepted {
            let text = format!("answering the caller: {e}");
            self.bye(&party, Some(reason_header(500, &text))).await;
            self.forget(&party);
            return (Party::System, 500, text);
        }
        customer.confirmed = Some(customer.dialog.id());
        self.emit(CallEventKind::Answered { leg: LegId::First });
        self.emit(CallEventKind::Bridged);
        let released = self.in_call(customer, &mut party, None).await;
        self.forget(&party);
        released
    }
}
