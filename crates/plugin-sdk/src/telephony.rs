//! The telephony port: how a plugin places real calls without linking a SIP stack.
//!
//! The SIP engine is a host service (crate `ccgate-telephony`, run by the gateway on its own
//! runtime thread). A plugin, built in or loaded as a library, reaches it in two ways:
//! - **commands** are host queries ([`crate::context::HOST_SERVICES`]): [`start_call`]
//!   ([`START_CALL`]) and [`hang_up`] ([`HANG_UP`]), made with the request's [`Context`];
//! - **what happens on the wire** comes back as [`CallEvent`]s on the host's durable event log,
//!   topic [`CALL_EVENT_TOPIC`], stream = the call id. A plugin subscribes to it like to any
//!   other topic ([`crate::Subscription`]); per call, events arrive in [`CallEvent::seq`] order
//!   and every call ends with exactly one [`CallEventKind::Ended`].
//!
//! A call is two legs set up by third-party call control (RFC 3725): the engine calls the
//! first leg, and once it answered calls the second and passes each side's SDP to the other,
//! so media flows directly between the parties (RFC 3725 §4.4 Flow IV by default, §4.3 Flow III
//! per peer and after a `488`, §4.1 Flow I to automata such as a media server).

use serde::{Deserialize, Serialize};

use crate::context::{Context, HOST_SERVICES};
use crate::error::{ApiError, ApiResult};
use crate::events::DomainEvent;

/// Host query: start a call ([`StartCall`] → [`CallStarted`]).
pub const START_CALL: &str = "telephony.start_call";
/// Host query: end a call ([`HangUp`] → [`HungUp`]).
pub const HANG_UP: &str = "telephony.hang_up";
/// Host query: put one leg of a bridged call on hold or take it off hold ([`Hold`] →
/// [`HungUp`], `found` false when the call is not bridged).
pub const HOLD: &str = "telephony.hold";
/// Host query: blind transfer ([`Transfer`] → [`HungUp`], `found` false when the call is not
/// bridged).
pub const TRANSFER: &str = "telephony.transfer";
/// Host query: set an agent device's registrar credentials ([`SetDevice`] → [`DeviceSet`]).
pub const SET_DEVICE: &str = "telephony.set_device";
/// The plugin query (of plugin [`INBOUND_ROUTER`]) the host asks when an INVITE arrives from a
/// trunk ([`InboundCall`] → [`InboundRoute`]).
pub const ROUTE_INBOUND: &str = "route_inbound";
/// The plugin that routes inbound calls.
pub const INBOUND_ROUTER: &str = "calls";
/// Topic of [`CallEvent`] on the host's event log; the stream is the call id.
pub const CALL_EVENT_TOPIC: &str = "telephony.call";
/// The plugin that keeps the outbox of call-event webhooks; the host delivers them
/// (`docs/telephony.md` "Webhooks").
pub const WEBHOOK_OUTBOX: &str = "calls";
/// The plugin query (of plugin [`WEBHOOK_OUTBOX`]) the host's delivery loop asks for the
/// webhooks due now ([`WebhookDue`] → [`WebhookBatch`]): at most one per call, the call's
/// oldest undelivered one, signed and ready to POST.
pub const WEBHOOK_DUE: &str = "webhook_due";
/// The plugin query (of plugin [`WEBHOOK_OUTBOX`]) by which the host reports what the
/// receivers answered ([`WebhookResults`] → `{}`).
pub const WEBHOOK_DONE: &str = "webhook_done";

/// Whom a leg calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A telephone number, dialled through the SIP trunk whose number prefix matches it
    /// (longest prefix wins; `[[telephony.trunks]]` in the config file).
    Number {
        /// Digits, optionally with a leading `+`.
        number: String,
    },
    /// An agent: at the contact their device registered with ccgate's registrar (devices set
    /// with RegisterDevice), else as `sip:<extension>@<telephony.agents.pbx>` on the existing
    /// PBX.
    Agent {
        /// The agent's UserId (agents plugin), whose registered device is called.
        #[serde(default)]
        user_id: String,
        /// The agent's extension (agents plugin: 8001, 8002…), for the PBX.
        extension: String,
    },
    /// A SIP URI used as given (e.g. a media server's route point, RFC 3725 Flow I).
    Uri {
        /// `sip:` or `sips:` URI.
        uri: String,
    },
}

/// One leg of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// Whom to call.
    pub target: Target,
    /// The number or name this party sees as the caller (From user part; P-Asserted-Identity
    /// on trunks that want it).
    pub caller_id: String,
}

/// Which leg an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegId {
    /// The leg called first (StartBack2BackCall: the caller; DialEx: the customer).
    First,
    /// The leg called once the first answered.
    Second,
}

/// Who ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The first leg's party hung up (sent BYE) or refused.
    First,
    /// The second leg's party hung up or refused.
    Second,
    /// ccgate: an API hang-up, a ring timeout, the maximum call duration, a failed leg, a
    /// shutdown.
    System,
}

/// Starts a call: first leg, then second, bridged. Answer: [`CallStarted`] once the first
/// INVITE is on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartCall {
    /// The call id, chosen by the caller (the contact id of the CDR), unique; events carry it.
    pub call_id: String,
    /// The instance the call belongs to (carried in the events).
    pub instance_id: String,
    /// Called first.
    pub first: Leg,
    /// Called once the first leg answered.
    pub second: Leg,
    /// How long each leg may ring before it is CANCELled, seconds (1..=120).
    pub ring_timeout_seconds: u32,
    /// The longest the bridged call may last before ccgate BYEs both legs, seconds; `0` takes
    /// the engine's configured maximum.
    pub max_duration_seconds: u32,
}

/// The answer to [`StartCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStarted {
    /// The call id of the request.
    pub call_id: String,
    /// The SIP URI the first INVITE went to.
    pub first_uri: String,
}

/// Ends a call in whatever state it is: CANCELs a ringing leg, BYEs answered ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangUp {
    /// The call.
    pub call_id: String,
}

/// The answer to [`HangUp`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HungUp {
    /// Whether the call was live in this engine (false: unknown or already ended).
    pub found: bool,
}

/// Holds or retrieves one leg: ccgate re-INVITEs that party with its current SDP marked
/// `a=inactive` (hold) or as it was (retrieve), and the other party likewise, so no media flows
/// while held (RFC 3264 §8.4; ccgate has no media of its own to play music).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The call.
    pub call_id: String,
    /// `true` to hold, `false` to retrieve.
    pub hold: bool,
}

/// Blind transfer: the party of `keep` stays, the other leg is replaced by `to` (RFC 3725 §4
/// applied to the new party: INVITE without SDP, re-INVITE the kept party with its offer, ACK
/// with the answer), and the replaced party gets a BYE once the new one answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The call.
    pub call_id: String,
    /// The leg that stays.
    pub keep: LegId,
    /// Who replaces the other leg.
    pub to: Leg,
    /// How long the new party may ring, seconds (0: the engine's default).
    pub ring_timeout_seconds: u32,
}

/// A call arriving at ccgate: an INVITE from a trunk (the customer calls one of the
/// instances' numbers). The host asks [`INBOUND_ROUTER`]'s [`ROUTE_INBOUND`] query with it,
/// using a system context (role admin, no instance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundCall {
    /// The number called (Request-URI user part, digits).
    pub called: String,
    /// The caller's number (From user part).
    pub caller: String,
    /// When the INVITE arrived, UTC milliseconds.
    pub at_ms: i64,
}

/// What to do with an [`InboundCall`]: connect it to `to` (the customer is the first leg, `to`
/// the second), or refuse it with `sip_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRoute {
    /// Connect (`true`) or refuse.
    pub connect: bool,
    /// The call id (contact id) the events will carry; the router created its record.
    #[serde(default)]
    pub call_id: String,
    /// The instance the called number belongs to (empty when unknown).
    #[serde(default)]
    pub instance_id: String,
    /// Who answers (connect only).
    #[serde(default)]
    pub to: Option<Leg>,
    /// How long `to` may ring, seconds (0: the engine's default).
    #[serde(default)]
    pub ring_timeout_seconds: u32,
    /// Longest call, seconds (0: the engine's maximum).
    #[serde(default)]
    pub max_duration_seconds: u32,
    /// Refusal: the SIP status for the caller (404 not a number of ours, 480 nobody to answer).
    #[serde(default)]
    pub sip_code: u16,
    /// Refusal: the reason phrase.
    #[serde(default)]
    pub reason: String,
}

/// Sets (creates or replaces) the credentials an agent's device REGISTERs with: AOR
/// `sip:<device_id>@<instance_id>`, digest user name `device_id`, realm `instance_id`
/// (2020 `RegisterDevice`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDevice {
    /// The instance.
    pub instance_id: String,
    /// The DeviceId: 1-64 letters, digits, `.`, `_` or `-`, unique per instance.
    pub device_id: String,
    /// The agent the device rings for (agents plugin UserId).
    pub user_id: String,
    /// The digest password: 6-64 printable ASCII characters.
    pub password: String,
}

/// The answer to [`SetDevice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSet {
    /// Whether the device is new (false: its credentials were replaced).
    pub created: bool,
}

/// Something that happened to a call, as the engine saw it on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    /// The call ([`StartCall::call_id`]).
    pub call_id: String,
    /// The instance ([`StartCall::instance_id`]).
    pub instance_id: String,
    /// 1, 2, 3… per call, without gaps, in the order things happened.
    pub seq: u32,
    /// When, UTC milliseconds since the Unix epoch (the moment the SIP message was sent or
    /// received).
    pub at_ms: i64,
    /// What happened.
    #[serde(flatten)]
    pub kind: CallEventKind,
}

/// What happened ([`CallEvent::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEventKind {
    /// The leg's INVITE was sent to `uri`.
    Inviting {
        /// The leg.
        leg: LegId,
        /// The Request-URI.
        uri: String,
    },
    /// The leg's first 180 or 183 arrived.
    Ringing {
        /// The leg.
        leg: LegId,
    },
    /// The leg answered (200 OK to its INVITE).
    Answered {
        /// The leg.
        leg: LegId,
    },
    /// The leg did not answer: a final error response (486 busy, 480/487 no answer after our
    /// CANCEL, 488 no common media…), a timeout or an unreachable target.
    Failed {
        /// The leg.
        leg: LegId,
        /// SIP status code (408 for a transaction timeout, 503 for a transport failure).
        sip_code: u16,
        /// Reason phrase or explanation.
        reason: String,
    },
    /// Both legs answered and each received the other's SDP: media flows between them.
    Bridged,
    /// The call ends: who ended it, and why as a SIP code (`200` for a normal BYE, `486`,
    /// `480`…; RFC 3326 Reason).
    Released {
        /// Who ended it.
        by: Party,
        /// SIP-style cause.
        sip_code: u16,
        /// Human-readable cause (`"Normal call clearing"`, `"No answer"`, `"Busy Here"`).
        reason: String,
    },
    /// An inbound call arrived: the first leg is the caller, whose INVITE ccgate answers once
    /// the second leg answered (a back-to-back user agent; the caller's offer goes to the
    /// second leg as it is).
    Offered {
        /// Always [`LegId::First`].
        leg: LegId,
        /// The caller's number.
        from: String,
        /// The number called.
        to: String,
    },
    /// A leg was put on hold (`held`) or taken off hold.
    Held {
        /// The leg.
        leg: LegId,
        /// On hold after this event.
        held: bool,
    },
    /// A blind transfer starts: the leg that is not `keep` will be replaced by `uri`; the new
    /// party's `inviting`, `ringing`, `answered` (as that leg) and `bridged` follow, or `failed`
    /// (the call then goes on with the old party).
    Transferring {
        /// The leg that stays.
        keep: LegId,
        /// The new party's Request-URI.
        uri: String,
    },
    /// The last event of every call: no leg is left.
    Ended,
}

impl DomainEvent for CallEvent {
    const TOPIC: &'static str = CALL_EVENT_TOPIC;
    fn stream(&self) -> String {
        self.call_id.clone()
    }
}

/// Starts a call through the host's SIP engine.
///
/// Errors: 503 `Telephony.NotConfigured` when this deployment has no `[telephony]`; 400
/// `Telephony.NoRoute` when no trunk routes the number (or no agent PBX is configured); 503
/// `Telephony.Unavailable` when the engine is not running; 409 `Telephony.DuplicateCall` for a
/// call id already live.
pub async fn start_call(ctx: &Context, req: &StartCall) -> ApiResult<CallStarted> {
    crate::query::call(ctx, HOST_SERVICES, START_CALL, req)
        .await?
        .ok_or_else(not_configured)
}

/// Ends a call ([`HangUp`]).
///
/// Errors: as [`start_call`].
pub async fn hang_up(ctx: &Context, call_id: &str) -> ApiResult<HungUp> {
    let req = HangUp {
        call_id: call_id.to_string(),
    };
    crate::query::call(ctx, HOST_SERVICES, HANG_UP, &req)
        .await?
        .ok_or_else(not_configured)
}

/// Sets a device's registrar credentials ([`SetDevice`]). Works without `[telephony]` too, so
/// devices can be provisioned before the engine is configured.
///
/// Errors: 400 `InvalidParameter` for a malformed DeviceId or password; storage failures.
pub async fn set_device(ctx: &Context, req: &SetDevice) -> ApiResult<DeviceSet> {
    crate::query::call(ctx, HOST_SERVICES, SET_DEVICE, req)
        .await?
        .ok_or_else(ApiError::internal)
}

/// Holds or retrieves a call ([`Hold`]); `found` false when the call is not live and bridged.
///
/// Errors: as [`start_call`].
pub async fn hold(ctx: &Context, call_id: &str, hold: bool) -> ApiResult<HungUp> {
    let req = Hold {
        call_id: call_id.to_string(),
        hold,
    };
    crate::query::call(ctx, HOST_SERVICES, HOLD, &req)
        .await?
        .ok_or_else(not_configured)
}

/// Blind-transfers a call ([`Transfer`]); `found` false when the call is not live and bridged.
/// The outcome arrives as events.
///
/// Errors: as [`start_call`].
pub async fn transfer(ctx: &Context, req: &Transfer) -> ApiResult<HungUp> {
    crate::query::call(ctx, HOST_SERVICES, TRANSFER, req)
        .await?
        .ok_or_else(not_configured)
}

/// 503 `Telephony.NotConfigured`.
pub fn not_configured() -> ApiError {
    ApiError::new(
        503,
        "Telephony.NotConfigured",
        "This deployment places no calls: configure [telephony] (listen address, trunks, agent PBX) in the config file.",
    )
}

/// Arguments of [`WEBHOOK_DUE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDue {
    /// The most requests to answer.
    pub limit: u32,
    /// Now, UTC epoch milliseconds (rows whose next attempt is later are not due).
    pub now_ms: i64,
}

/// One signed webhook request, ready to POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRequest {
    /// The outbox row, to report in [`WebhookResult::id`].
    pub id: i64,
    /// `http://` URL.
    pub url: String,
    /// Headers to send (signature, timestamp, event id, content type).
    pub headers: Vec<(String, String)>,
    /// The JSON body, exactly as signed.
    pub body: String,
}

/// The answer of [`WEBHOOK_DUE`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookBatch {
    /// The requests, oldest first, at most one per call.
    pub requests: Vec<WebhookRequest>,
}

/// What a receiver answered to one [`WebhookRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookResult {
    /// [`WebhookRequest::id`].
    pub id: i64,
    /// The HTTP status; 0 when no response came (connection refused, timeout).
    pub status: u16,
    /// Why no response came (empty otherwise).
    #[serde(default)]
    pub error: String,
}

/// Arguments of [`WEBHOOK_DONE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookResults {
    /// One per request sent.
    pub results: Vec<WebhookResult>,
    /// When the answers came, UTC epoch milliseconds.
    pub now_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_a_flat_json_form() {
        let ev = CallEvent {
            call_id: "c1".into(),
            instance_id: "i".into(),
            seq: 3,
            at_ms: 1_700_000_000_000,
            kind: CallEventKind::Failed {
                leg: LegId::Second,
                sip_code: 486,
                reason: "Busy Here".into(),
            },
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["event"], "failed");
        assert_eq!(json["leg"], "second");
        assert_eq!(json["sip_code"], 486);
        let back: CallEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, ev);
        let target = serde_json::to_value(Target::Agent {
            user_id: "u1".into(),
            extension: "8001".into(),
        })
        .unwrap();
        assert_eq!(
            target,
            serde_json::json!({"kind": "agent", "user_id": "u1", "extension": "8001"})
        );
    }
}
