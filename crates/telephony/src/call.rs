//! One call: two SIP dialogs set up and torn down by the controller (RFC 3725).
//!
//! Flow IV (§4.4): INVITE A with SDP without media → 200 → ACK; INVITE B without SDP → 200 with
//! offer2 → re-INVITE A with offer2' (our `o=` line, version + 1) → 200 with answer2' → ACK A →
//! ACK B with answer2'. Flow III (§4.3) differs only in A's first INVITE (no SDP) and its ACK
//! (a black-hole answer). Flow I (§4.1, B an automaton): INVITE A without SDP → 200 with offer1
//! → INVITE B with offer1 → 200 with answer1 → ACK B → ACK A with answer1.
//!
//! The controller owns both dialogs to the end (§7): a failed B gets A a BYE with a `Reason`
//! header (§6, RFC 3326), a BYE from either side gets the other a BYE, a ring timeout CANCELs,
//! and the maximum call duration BYEs both.

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::telephony::{
    CallEventKind, CallStarted, Leg, LegId, Party, StartCall, Transfer,
};
use rsipstack::dialog::DialogId;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invitation::{InviteAsyncResult, InviteOption};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, Response, StatusCode, StatusCodeKind};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

#[path = "inbound.rs"]
pub(crate) mod inbound;

use crate::PortError;
use crate::config::{CallerIdStyle, Flow};
use crate::engine::Shared;
use crate::routing::{self, Route};
use crate::sdp::{Origin, with_direction};

/// What the engine tells a live call.
#[derive(Debug)]
pub(crate) enum CallCommand {
    /// The API hangs the call up.
    HangUp,
    /// ccgate is stopping.
    Shutdown,
    /// Hold (`true`) or retrieve; answers whether the call was bridged.
    Hold(bool, oneshot::Sender<bool>),
    /// Blind transfer; answers whether the call was bridged, or why the target cannot be
    /// called.
    Transfer(Transfer, oneshot::Sender<Result<bool, PortError>>),
}

/// The SDP state of a bridged call: what each party last offered or answered, and the 2xx that
/// made each dialog (its route set).
struct Media {
    a_2xx: Response,
    b_2xx: Response,
    from_a: Vec<u8>,
    from_b: Vec<u8>,
    /// Our `o=` line towards B (adopted from the SDP B received).
    origin_b: Origin,
}

/// Why we CANCELled a ringing leg.
#[derive(Debug, Clone, Copy)]
enum Cancel {
    Timeout,
    HangUp,
    Shutdown,
    /// The inbound caller hung up (CANCEL) while the second leg rang.
    Abandoned,
}

impl Cancel {
    /// The call's release cause: 480 for no answer (RFC 3725 §6's example), 487 otherwise.
    fn cause(self) -> (u16, &'static str) {
        match self {
            Cancel::Timeout => (480, "No answer"),
            Cancel::HangUp => (487, "Hung up through the API"),
            Cancel::Shutdown => (487, "ccgate shutting down"),
            Cancel::Abandoned => (487, "The caller hung up while ringing"),
        }
    }
}

/// How a leg's INVITE ended.
enum Outcome {
    Answered(Response),
    Failed(u16, String),
    Cancelled(Cancel),
}

/// A leg being called or in a call.
struct Dialing {
    dialog: InviteDialog,
    states: DialogStateReceiver,
    states_open: bool,
    /// The INVITE's transaction (client legs; `None` for an inbound caller's server dialog).
    join: Option<JoinHandle<InviteAsyncResult>>,
    ringing: bool,
    confirmed: Option<DialogId>,
}

/// Checks and routes `req`, registers the call and starts it; answers once the first INVITE
/// is sent.
pub(crate) async fn spawn(shared: Arc<Shared>, req: StartCall) -> Result<CallStarted, PortError> {
    if req.call_id.is_empty() || req.call_id.len() > 64 {
        return Err(PortError::Invalid(
            "call_id must have 1 to 64 characters".into(),
        ));
    }
    if req.ring_timeout_seconds > 120 {
        return Err(PortError::Invalid(
            "ring_timeout_seconds must be 1..=120".into(),
        ));
    }
    let registered = |user: &str| shared.registrar.contact_of(&req.instance_id, user);
    let route = |leg: &Leg| {
        routing::resolve(&shared.config, &registered, &leg.target).map_err(|e| match e {
            routing::RouteError::Invalid(m) => PortError::Invalid(m),
            other => PortError::NoRoute(other.to_string()),
        })
    };
    let first_route = route(&req.first)?;
    let second_route = route(&req.second)?;
    let (commands_tx, commands) = mpsc::unbounded_channel();
    {
        let mut calls = shared
            .calls
            .lock()
            .map_err(|_| PortError::Unavailable("poisoned".into()))?;
        if calls.contains_key(&req.call_id) {
            return Err(PortError::Duplicate(req.call_id.clone()));
        }
        calls.insert(req.call_id.clone(), commands_tx);
    }
    let ring = match req.ring_timeout_seconds {
        0 => shared.config.ring_timeout_seconds,
        s => s,
    };
    let max = match req.max_duration_seconds {
        0 => shared.config.max_call_seconds,
        s => s.min(shared.config.max_call_seconds),
    };
    let origin = Origin::new(&shared.config.own_host());
    let call = Call {
        shared: shared.clone(),
        seq: 0,
        ring: Duration::from_secs(u64::from(ring)),
        max: Duration::from_secs(u64::from(max)),
        commands,
        origin,
        first_route,
        second_route,
        req,
    };
    let (started_tx, started_rx) = oneshot::channel();
    tokio::spawn(call.run(started_tx));
    started_rx
        .await
        .map_err(|_| PortError::Unavailable("the call ended during start-up".into()))?
}

struct Call {
    shared: Arc<Shared>,
    req: StartCall,
    seq: u32,
    ring: Duration,
    max: Duration,
    commands: mpsc::UnboundedReceiver<CallCommand>,
    origin: Origin,
    first_route: Route,
    second_route: Route,
}

fn reason_of(resp: &Response) -> String {
    resp.wire_reason
        .clone()
        .unwrap_or_else(|| phrase(&resp.status_code))
}

fn phrase(status: &StatusCode) -> String {
    let text = status.to_string();
    let code = status.code().to_string();
    text.trim_start_matches(code.as_str()).trim().to_string()
}

/// A final refusal by the called party itself (busy, decline, no common media) rather than
/// by the network or our CANCEL.
fn refused_by_party(code: u16) -> bool {
    matches!(code, 486 | 488 | 600 | 603 | 606)
}

fn reason_header(code: u16, text: &str) -> String {
    format!("SIP;cause={code};text=\"{}\"", text.replace('"', "'"))
}

fn sanitize_user(s: &str) -> String {
    let user: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '.'))
        .take(64)
        .collect();
    if user.is_empty() {
        "ccgate".into()
    } else {
        user
    }
}

impl Call {
    fn emit(&mut self, kind: CallEventKind) {
        self.emit_at(kind, crate::now_ms());
    }

    fn emit_at(&mut self, kind: CallEventKind, at_ms: i64) {
        self.seq += 1;
        let event = ccgate_plugin_sdk::telephony::CallEvent {
            call_id: self.req.call_id.clone(),
            instance_id: self.req.instance_id.clone(),
            seq: self.seq,
            at_ms,
            kind,
        };
        tracing::debug!(call = %event.call_id, seq = event.seq, kind = ?event.kind, "call event");
        let _ = self.shared.events.send(event);
    }

    async fn run(mut self, started: oneshot::Sender<Result<CallStarted, PortError>>) {
        let released = self.place(started).await;
        if let Some((by, sip_code, reason)) = released {
            self.emit(CallEventKind::Released {
                by,
                sip_code,
                reason,
            });
            self.emit(CallEventKind::Ended);
        }
        if let Ok(mut calls) = self.shared.calls.lock() {
            calls.remove(&self.req.call_id);
        }
    }

    fn invite(
        &self,
        leg: LegId,
        body: Option<Vec<u8>>,
        call_id: Option<String>,
    ) -> Result<Dialing, String> {
        let (spec, route) = match leg {
            LegId::First => (&self.req.first, &self.first_route),
            LegId::Second => (&self.req.second, &self.second_route),
        };
        self.invite_to(spec, route, body, call_id)
    }

    fn invite_to(
        &self,
        spec: &Leg,
        route: &Route,
        body: Option<Vec<u8>>,
        call_id: Option<String>,
    ) -> Result<Dialing, String> {
        let user = sanitize_user(&spec.caller_id);
        let caller = format!("sip:{user}@{}", self.shared.own_host_port);
        let mut headers = Vec::new();
        if route.caller_id == CallerIdStyle::Pai {
            headers.push(Header::PAssertedIdentity(format!("<{caller}>").into()));
        }
        let opt = InviteOption {
            caller: caller
                .as_str()
                .try_into()
                .map_err(|e| format!("From: {e}"))?,
            callee: route
                .uri
                .as_str()
                .try_into()
                .map_err(|e| format!("Request-URI {}: {e}", route.uri))?,
            contact: self
                .shared
                .contact
                .as_str()
                .try_into()
                .map_err(|e| format!("Contact: {e}"))?,
            content_type: body.as_ref().map(|_| "application/sdp".to_string()),
            offer: body,
            credential: route
                .credential
                .clone()
                .map(|(username, password, realm)| Credential {
                    username,
                    password,
                    realm,
                    auth_username: None,
                }),
            headers: if headers.is_empty() {
                None
            } else {
                Some(headers)
            },
            call_id,
            ..Default::default()
        };
        let (tx, states) = self.shared.dialogs.new_dialog_state_channel();
        let (dialog, join) = self
            .shared
            .dialogs
            .do_invite_async(opt, tx)
            .map_err(|e| format!("INVITE: {e}"))?;
        Ok(Dialing {
            dialog,
            states,
            states_open: true,
            join: Some(join),
            ringing: false,
            confirmed: None,
        })
    }

    /// Waits for the leg's final response, CANCELling it on ring timeout, API hang-up or
    /// shutdown.
    async fn await_final(&mut self, leg: LegId, d: &mut Dialing) -> Outcome {
        self.await_final_watching(leg, d, None).await
    }

    /// [`Self::await_final`], also CANCELling the leg when `caller` (an inbound caller's
    /// dialog) ends first: the caller abandoned.
    async fn await_final_watching(
        &mut self,
        leg: LegId,
        d: &mut Dialing,
        mut caller: Option<&mut Dialing>,
    ) -> Outcome {
        let deadline = tokio::time::Instant::now() + self.ring;
        let mut cancelled: Option<Cancel> = None;
        let Some(join) = d.join.as_mut() else {
            return Outcome::Failed(500, "not a client leg".into());
        };
        let caller_open = caller.as_ref().is_some_and(|c| c.states_open);
        loop {
            tokio::select! {
                st = async {
                    match caller.as_mut() {
                        Some(c) => c.states.recv().await,
                        None => std::future::pending().await,
                    }
                }, if caller_open && cancelled.is_none() => {
                    if matches!(st, Some(DialogState::Terminated(..)) | None) {
                        cancelled = Some(Cancel::Abandoned);
                        if let Err(e) = d.dialog.cancel().await {
                            tracing::debug!(call = %self.req.call_id, error = %e, "CANCEL");
                        }
                    }
                }
                st = d.states.recv(), if d.states_open => match st {
                    Some(DialogState::Early(_, resp)) if !d.ringing
                        && matches!(resp.status_code.code(), 180 | 183) => {
                        d.ringing = true;
                        self.emit(CallEventKind::Ringing { leg });
                    }
                    Some(_) => {}
                    None => d.states_open = false,
                },
                res = &mut *join => {
                    return match res {
                        Ok(Ok((id, Some(resp)))) if resp.status_code.kind() == StatusCodeKind::Successful => {
                            d.confirmed = Some(id);
                            match cancelled {
                                // The 2xx crossed our CANCEL: the stack ends that session.
                                Some(why) => Outcome::Cancelled(why),
                                None => Outcome::Answered(resp),
                            }
                        }
                        Ok(Ok((_, Some(resp)))) => match cancelled {
                            Some(why) => Outcome::Cancelled(why),
                            None => Outcome::Failed(resp.status_code.code(), reason_of(&resp)),
                        },
                        Ok(Ok((_, None))) => match cancelled {
                            Some(why) => Outcome::Cancelled(why),
                            None => Outcome::Failed(408, "No final response".into()),
                        },
                        Ok(Err(e)) => match (cancelled, e) {
                            (Some(why), _) => Outcome::Cancelled(why),
                            (None, rsipstack::Error::DialogError(m, _, status)) => {
                                let code = status.code();
                                let text = if code >= 400 { phrase(&status) } else { m };
                                Outcome::Failed(if code >= 400 { code } else { 500 }, text)
                            }
                            (None, rsipstack::Error::TransactionError(m, _)) => Outcome::Failed(408, m),
                            (None, other) => Outcome::Failed(503, other.to_string()),
                        },
                        Err(e) => Outcome::Failed(500, format!("INVITE task: {e}")),
                    };
                }
                _ = tokio::time::sleep_until(deadline), if cancelled.is_none() => {
                    cancelled = Some(Cancel::Timeout);
                    if let Err(e) = d.dialog.cancel().await {
                        tracing::debug!(call = %self.req.call_id, error = %e, "CANCEL");
                    }
                }
                cmd = self.commands.recv(), if cancelled.is_none() => {
                    let why = match cmd {
                        Some(CallCommand::HangUp) => Cancel::HangUp,
                        // Not bridged yet: nothing to hold or transfer.
                        Some(CallCommand::Hold(_, reply)) => {
                            let _ = reply.send(false);
                            continue;
                        }
                        Some(CallCommand::Transfer(_, reply)) => {
                            let _ = reply.send(Ok(false));
                            continue;
                        }
                        Some(CallCommand::Shutdown) | None => Cancel::Shutdown,
                    };
                    cancelled = Some(why);
                    if let Err(e) = d.dialog.cancel().await {
                        tracing::debug!(call = %self.req.call_id, error = %e, "CANCEL");
                    }
                }
            }
        }
    }

    async fn ack(
        &self,
        d: &Dialing,
        resp: &Response,
        dialog_2xx: Option<&Response>,
        body: Option<Vec<u8>>,
    ) {
        let invite = d.dialog.initial_request();
        if let Err(e) =
            crate::ack::send(&self.shared.endpoint, &invite, resp, dialog_2xx, body).await
        {
            tracing::warn!(call = %self.req.call_id, error = %e, "ACK not sent");
        }
    }

    async fn bye(&self, d: &Dialing, reason: Option<String>) {
        let headers = reason.map(|r| vec![Header::Reason(r.into())]);
        if let Err(e) = d.dialog.bye_with_headers(headers).await {
            tracing::debug!(call = %self.req.call_id, error = %e, "BYE");
        }
    }

    fn forget(&self, d: &Dialing) {
        if let Some(id) = &d.confirmed {
            self.shared.dialogs.remove_dialog(id);
        }
    }

    /// Sets the call up and holds it until it ends; the release cause, or `None` when not
    /// even the first INVITE could be sent (the error went to `started`).
    async fn place(
        &mut self,
        started: oneshot::Sender<Result<CallStarted, PortError>>,
    ) -> Option<(Party, u16, String)> {
        let automaton_b = self.second_route.flow == Flow::I;
        let mut a_flow = if automaton_b {
            Flow::I
        } else {
            self.first_route.flow
        };
        let first_body = |o: &mut Origin, f: Flow| (f == Flow::Iv).then(|| o.no_media_offer());
        let body = first_body(&mut self.origin, a_flow);
        let mut a = match self.invite(LegId::First, body, None) {
            Ok(d) => d,
            Err(e) => {
                let _ = started.send(Err(PortError::Invalid(e)));
                return None;
            }
        };
        let uri = self.first_route.uri.clone();
        self.emit(CallEventKind::Inviting {
            leg: LegId::First,
            uri: uri.clone(),
        });
        let _ = started.send(Ok(CallStarted {
            call_id: self.req.call_id.clone(),
            first_uri: uri.clone(),
        }));
        let mut outcome = self.await_final(LegId::First, &mut a).await;
        if a_flow == Flow::Iv && matches!(outcome, Outcome::Failed(488, _)) {
            // RFC 3725 §5: UAs that refuse an offer without media get Flow III.
            tracing::info!(call = %self.req.call_id, "488 to Flow IV: retrying as Flow III");
            a_flow = Flow::Iii;
            // A new INVITE (new Call-ID): the phone sees a second call attempt.
            a = match self.invite(LegId::First, None, None) {
                Ok(d) => d,
                Err(e) => return Some((Party::System, 503, e)),
            };
            self.emit(CallEventKind::Inviting {
                leg: LegId::First,
                uri,
            });
            outcome = self.await_final(LegId::First, &mut a).await;
        }
        let resp_a = match outcome {
            Outcome::Answered(r) => r,
            Outcome::Failed(code, reason) => {
                self.emit(CallEventKind::Failed {
                    leg: LegId::First,
                    sip_code: code,
                    reason: reason.clone(),
                });
                let by = if refused_by_party(code) {
                    Party::First
                } else {
                    Party::System
                };
                return Some((by, code, reason));
            }
            Outcome::Cancelled(why) => {
                let (code, text) = why.cause();
                self.emit(CallEventKind::Failed {
                    leg: LegId::First,
                    sip_code: 487,
                    reason: text.into(),
                });
                return Some((Party::System, code, text.into()));
            }
        };
        self.emit(CallEventKind::Answered { leg: LegId::First });
        let offer1 = resp_a.body.clone();
        match a_flow {
            Flow::Iv => self.ack(&a, &resp_a, None, None).await,
            Flow::Iii => {
                let bh = self.origin.black_hole_answer(&offer1);
                self.ack(&a, &resp_a, None, Some(bh)).await
            }
            // Flow I: A's ACK waits for B's answer.
            Flow::I => {}
        }

        let second_body = (a_flow == Flow::I).then(|| offer1.clone());
        let mut b = match self.invite(LegId::Second, second_body, None) {
            Ok(d) => d,
            Err(e) => {
                self.emit(CallEventKind::Failed {
                    leg: LegId::Second,
                    sip_code: 503,
                    reason: e.clone(),
                });
                self.end_first_after_failure(&a, &resp_a, a_flow, &offer1, 503, &e)
                    .await;
                return Some((Party::System, 503, e));
            }
        };
        self.emit(CallEventKind::Inviting {
            leg: LegId::Second,
            uri: self.second_route.uri.clone(),
        });
        // A may hang up while B rings: then B is CANCELled (RFC 3725 §7 applied early).
        let resp_b = match self
            .await_final_watching(LegId::Second, &mut b, Some(&mut a))
            .await
        {
            Outcome::Answered(r) => r,
            Outcome::Failed(code, reason) => {
                self.emit(CallEventKind::Failed {
                    leg: LegId::Second,
                    sip_code: code,
                    reason: reason.clone(),
                });
                self.end_first_after_failure(&a, &resp_a, a_flow, &offer1, code, &reason)
                    .await;
                let by = if refused_by_party(code) {
                    Party::Second
                } else {
                    Party::System
                };
                return Some((by, code, reason));
            }
            Outcome::Cancelled(why) => {
                let (code, text) = why.cause();
                self.emit(CallEventKind::Failed {
                    leg: LegId::Second,
                    sip_code: 487,
                    reason: text.into(),
                });
                if matches!(why, Cancel::Abandoned) {
                    // A is gone already: nothing to BYE.
                    self.forget(&a);
                    return Some((
                        Party::First,
                        487,
                        "The first party hung up while the second rang".into(),
                    ));
                }
                self.end_first_after_failure(&a, &resp_a, a_flow, &offer1, code, text)
                    .await;
                return Some((Party::System, code, text.into()));
            }
        };
        self.emit(CallEventKind::Answered { leg: LegId::Second });

        let media = match self.bridge(&a, &resp_a, &b, &resp_b, a_flow).await {
            Ok(m) => m,
            Err((code, text)) => {
                let reason = Some(reason_header(code, &text));
                self.bye(&a, reason.clone()).await;
                self.bye(&b, reason).await;
                self.forget(&a);
                self.forget(&b);
                return Some((Party::System, code, text));
            }
        };
        self.emit(CallEventKind::Bridged);
        let released = self.in_call(&mut a, &mut b, Some(media)).await;
        self.forget(&a);
        self.forget(&b);
        Some(released)
    }

    /// B failed: A (answered) gets a BYE with a Reason header (RFC 3725 §6).
    async fn end_first_after_failure(
        &self,
        a: &Dialing,
        resp_a: &Response,
        a_flow: Flow,
        offer1: &[u8],
        code: u16,
        text: &str,
    ) {
        if a_flow == Flow::I {
            // A's 2xx still waits for its ACK: answer it (black hole) before the BYE.
            let mut o = Origin::new(&self.shared.config.own_host());
            self.ack(a, resp_a, None, Some(o.black_hole_answer(offer1)))
                .await;
        }
        self.bye(a, Some(reason_header(code, text))).await;
        self.forget(a);
    }

    /// Exchanges the SDP so that media flows between A and B.
    async fn bridge(
        &mut self,
        a: &Dialing,
        resp_a: &Response,
        b: &Dialing,
        resp_b: &Response,
        a_flow: Flow,
    ) -> Result<Media, (u16, String)> {
        if a_flow == Flow::I {
            self.ack(b, resp_b, None, None).await;
            self.ack(a, resp_a, None, Some(resp_b.body.clone())).await;
            // A got B's SDP as its answer and B got A's offer: later offers continue those.
            self.origin = Origin::adopt(&resp_b.body, &self.shared.config.own_host());
            return Ok(Media {
                a_2xx: resp_a.clone(),
                b_2xx: resp_b.clone(),
                from_a: resp_a.body.clone(),
                from_b: resp_b.body.clone(),
                origin_b: Origin::adopt(&resp_a.body, &self.shared.config.own_host()),
            });
        }
        let offer2 = self.origin.rewrite(&resp_b.body);
        let reinvite = a
            .dialog
            .reinvite(
                Some(vec![Header::ContentType("application/sdp".into())]),
                Some(offer2),
            )
            .await;
        match reinvite {
            Ok(Some(r)) if r.status_code.kind() == StatusCodeKind::Successful => {
                self.ack(a, &r, Some(resp_a), None).await;
                self.ack(b, resp_b, None, Some(r.body.clone())).await;
                Ok(Media {
                    a_2xx: resp_a.clone(),
                    b_2xx: resp_b.clone(),
                    from_a: r.body.clone(),
                    from_b: resp_b.body.clone(),
                    origin_b: Origin::adopt(&r.body, &self.shared.config.own_host()),
                })
            }
            other => {
                // B's 2xx must be ACKed before its BYE: a black hole keeps it silent.
                let bh = self.origin.black_hole_answer(&resp_b.body);
                self.ack(b, resp_b, None, Some(bh)).await;
                Err(match other {
                    Ok(Some(r)) => (r.status_code.code(), reason_of(&r)),
                    Ok(None) => (500, "re-INVITE not sent".into()),
                    Err(e) => (500, format!("re-INVITE: {e}")),
                })
            }
        }
    }

    /// The bridged call, until one side hangs up, the API hangs up, or the maximum duration;
    /// holds and transfers on the way.
    async fn in_call(
        &mut self,
        a: &mut Dialing,
        b: &mut Dialing,
        mut media: Option<Media>,
    ) -> (Party, u16, String) {
        let max = tokio::time::sleep(self.max);
        tokio::pin!(max);
        loop {
            tokio::select! {
                st = a.states.recv(), if a.states_open => match st {
                    Some(DialogState::Terminated(_, why)) => {
                        return self.other_side_ends(Party::First, why, b).await;
                    }
                    Some(_) => {}
                    None => a.states_open = false,
                },
                st = b.states.recv(), if b.states_open => match st {
                    Some(DialogState::Terminated(_, why)) => {
                        return self.other_side_ends(Party::Second, why, a).await;
                    }
                    Some(_) => {}
                    None => b.states_open = false,
                },
                cmd = self.commands.recv() => {
                    let text = match cmd {
                        // Hold and transfer re-INVITE as the UAC of both dialogs, which an
                        // inbound caller's dialog is not (`media` is None): refused.
                        Some(CallCommand::Hold(held, reply)) => {
                            let Some(m) = media.as_mut() else {
                                let _ = reply.send(false);
                                continue;
                            };
                            self.hold(a, b, m, held).await;
                            let _ = reply.send(true);
                            continue;
                        }
                        Some(CallCommand::Transfer(t, reply)) => {
                            let Some(m) = media.as_mut() else {
                                let _ = reply.send(Ok(false));
                                continue;
                            };
                            match self.transfer(a, b, m, t, reply).await {
                                Some(released) => return released,
                                None => continue,
                            }
                        }
                        Some(CallCommand::HangUp) => "Hung up through the API",
                        Some(CallCommand::Shutdown) | None => "ccgate shutting down",
                    };
                    let reason = Some(reason_header(200, text));
                    self.bye(a, reason.clone()).await;
                    self.bye(b, reason).await;
                    return (Party::System, 200, text.into());
                }
                _ = &mut max => {
                    let text = "Maximum call duration";
                    let reason = Some(reason_header(200, text));
                    self.bye(a, reason.clone()).await;
                    self.bye(b, reason).await;
                    return (Party::System, 200, text.into());
                }
            }
        }
    }

    /// Sends `sdp` to the party of `d` in a re-INVITE and ACKs its 2xx; its answer.
    async fn reoffer(&self, d: &Dialing, dialog_2xx: &Response, sdp: Vec<u8>) -> Option<Vec<u8>> {
        let r = d
            .dialog
            .reinvite(
                Some(vec![Header::ContentType("application/sdp".into())]),
                Some(sdp),
            )
            .await;
        match r {
            Ok(Some(r)) if r.status_code.kind() == StatusCodeKind::Successful => {
                self.ack(d, &r, Some(dialog_2xx), None).await;
                Some(r.body)
            }
            other => {
                tracing::warn!(call = %self.req.call_id, outcome = ?other.map(|r| r.map(|r| r.status_code)), "re-INVITE refused");
                None
            }
        }
    }

    /// Hold: each party gets the other's SDP marked `a=inactive` (RFC 3264 §8.4), so no media
    /// flows; retrieve: each gets the other's SDP as it was.
    async fn hold(&mut self, a: &Dialing, b: &Dialing, m: &mut Media, held: bool) {
        let dir = |sdp: &[u8]| {
            if held {
                with_direction(sdp, "inactive")
            } else {
                sdp.to_vec()
            }
        };
        let to_a = self.origin.rewrite(&dir(&m.from_b));
        if self.reoffer(a, &m.a_2xx, to_a).await.is_some() {
            self.emit(CallEventKind::Held {
                leg: LegId::First,
                held,
            });
        }
        let to_b = m.origin_b.rewrite(&dir(&m.from_a));
        if self.reoffer(b, &m.b_2xx, to_b).await.is_some() {
            self.emit(CallEventKind::Held {
                leg: LegId::Second,
                held,
            });
        }
    }

    /// Blind transfer: the leg that is not `t.keep` is replaced by `t.to`. `Some(release)` when
    /// the call ended on the way (hang-up or shutdown while the new party rang).
    async fn transfer(
        &mut self,
        a: &mut Dialing,
        b: &mut Dialing,
        m: &mut Media,
        t: Transfer,
        reply: oneshot::Sender<Result<bool, PortError>>,
    ) -> Option<(Party, u16, String)> {
        let registered = |user: &str| {
            self.shared
                .registrar
                .contact_of(&self.req.instance_id, user)
        };
        let route = match routing::resolve(&self.shared.config, &registered, &t.to.target) {
            Ok(r) => r,
            Err(e) => {
                let _ = reply.send(Err(match e {
                    routing::RouteError::Invalid(m) => PortError::Invalid(m),
                    other => PortError::NoRoute(other.to_string()),
                }));
                return None;
            }
        };
        let _ = reply.send(Ok(true));
        let other = match t.keep {
            LegId::First => LegId::Second,
            LegId::Second => LegId::First,
        };
        self.emit(CallEventKind::Transferring {
            keep: t.keep,
            uri: route.uri.clone(),
        });
        let mut new = match self.invite_to(&t.to, &route, None, None) {
            Ok(d) => d,
            Err(e) => {
                self.emit(CallEventKind::Failed {
                    leg: other,
                    sip_code: 503,
                    reason: e,
                });
                return None;
            }
        };
        self.emit(CallEventKind::Inviting {
            leg: other,
            uri: route.uri.clone(),
        });
        let saved_ring = self.ring;
        if t.ring_timeout_seconds > 0 {
            self.ring = Duration::from_secs(u64::from(t.ring_timeout_seconds.min(120)));
        }
        let outcome = self.await_final(other, &mut new).await;
        self.ring = saved_ring;
        let resp_new = match outcome {
            Outcome::Answered(r) => r,
            Outcome::Failed(code, reason) => {
                self.emit(CallEventKind::Failed {
                    leg: other,
                    sip_code: code,
                    reason,
                });
                return None;
            }
            Outcome::Cancelled(why) => {
                let (code, text) = why.cause();
                self.emit(CallEventKind::Failed {
                    leg: other,
                    sip_code: 487,
                    reason: text.into(),
                });
                if matches!(why, Cancel::Timeout) {
                    return None;
                }
                let reason = Some(reason_header(code, text));
                self.bye(a, reason.clone()).await;
                self.bye(b, reason).await;
                return Some((Party::System, code, text.into()));
            }
        };
        self.emit(CallEventKind::Answered { leg: other });
        let offer = resp_new.body.clone();
        let (kept, kept_2xx, old) = match t.keep {
            LegId::First => (&*a, &m.a_2xx, &mut *b),
            LegId::Second => (&*b, &m.b_2xx, &mut *a),
        };
        let to_kept = match t.keep {
            LegId::First => self.origin.rewrite(&offer),
            LegId::Second => m.origin_b.rewrite(&offer),
        };
        let Some(answer) = self.reoffer(kept, kept_2xx, to_kept).await else {
            let mut bh = Origin::new(&self.shared.config.own_host());
            self.ack(&new, &resp_new, None, Some(bh.black_hole_answer(&offer)))
                .await;
            self.bye(&new, Some(reason_header(488, "Not Acceptable Here")))
                .await;
            self.emit(CallEventKind::Failed {
                leg: other,
                sip_code: 488,
                reason: "The kept party refused the new party's media".into(),
            });
            return None;
        };
        self.ack(&new, &resp_new, None, Some(answer.clone())).await;
        self.bye(old, Some(reason_header(200, "Transferred"))).await;
        self.forget(old);
        std::mem::swap(old, &mut new);
        let host = self.shared.config.own_host();
        match t.keep {
            LegId::First => {
                m.b_2xx = resp_new;
                m.from_b = offer;
                m.from_a = answer.clone();
                m.origin_b = Origin::adopt(&answer, &host);
            }
            LegId::Second => {
                m.a_2xx = resp_new;
                m.from_a = offer;
                m.from_b = answer.clone();
                self.origin = Origin::adopt(&answer, &host);
            }
        }
        self.emit(CallEventKind::Bridged);
        None
    }

    /// One side's dialog ended: BYE the other (RFC 3725 §7).
    async fn other_side_ends(
        &self,
        side: Party,
        why: TerminatedReason,
        other: &Dialing,
    ) -> (Party, u16, String) {
        self.bye(other, None).await;
        match why {
            // The remote party's BYE: UasBye on a dialog we called, UacBye on an inbound
            // caller's (ccgate is its UAS).
            TerminatedReason::UasBye | TerminatedReason::UacBye => {
                (side, 200, "Normal call clearing".into())
            }
            TerminatedReason::Timeout => (Party::System, 408, "Request Timeout".into()),
            other_reason => (Party::System, 500, format!("{other_reason:?}")),
        }
    }
}
