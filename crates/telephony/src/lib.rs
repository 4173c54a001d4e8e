//! # ccgate-telephony: the SIP engine
//!
//! Places real calls by third-party call control (RFC 3725): for each call it sets up two SIP
//! dialogs as a user agent client and passes each party's SDP to the other, so media flows
//! between the parties and never through ccgate. It is a host service: the gateway starts it
//! ([`Telephony::start`]) on its own thread with its own Tokio runtime (never on HTTP workers),
//! plugins command it through the port of the plugin SDK
//! ([`ccgate_plugin_sdk::telephony`]), and everything it sees on the wire comes back as
//! [`CallEvent`]s on a channel the gateway turns into durable events.
//!
//! SIP itself is rsipstack (pinned), with two things it lacks done here: the ACK of a 2xx that
//! must carry an SDP answer and be sent late (RFC 3725 Flows I, III and IV; [`ack`]), and its
//! re-sending when the 2xx is retransmitted (RFC 3261 §13.2.2.4).
//!
//! Research, flows and limits: `shared/reference/telephony.md`; operator docs:
//! `docs/telephony.md`.

pub mod ack;
mod call;
pub mod config;
mod engine;
pub mod registrar;
pub mod routing;
pub mod sdp;
mod trunk_registration;

pub use call::inbound::{InboundRouter, NoInbound};
/// The telephony port of the plugin SDK.
pub use ccgate_plugin_sdk::telephony as port;
pub use ccgate_plugin_sdk::telephony::{
    CallEvent, CallEventKind, CallStarted, HungUp, Leg, LegId, Party, StartCall, Target,
};
pub use config::TelephonyConfig;
pub use engine::Telephony;
pub use registrar::{DeviceCredential, DeviceDirectory, NoDevices};

use ccgate_plugin_sdk::ApiError;

/// Why the engine refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The target cannot be routed (no trunk for the number, no agent PBX, bad URI).
    #[error("{0}")]
    NoRoute(String),
    /// A parameter is out of range.
    #[error("{0}")]
    Invalid(String),
    /// A call with this id is live.
    #[error("call {0} is already live")]
    Duplicate(String),
    /// The engine has stopped (shutdown) or could not send.
    #[error("the SIP engine is not available: {0}")]
    Unavailable(String),
}

impl PortError {
    /// The error in the API's terms: 400 `Telephony.NoRoute`, 400 `Telephony.InvalidParameter`,
    /// 409 `Telephony.DuplicateCall`, 503 `Telephony.Unavailable`.
    pub fn to_api(&self) -> ApiError {
        match self {
            PortError::NoRoute(m) => ApiError::new(400, "Telephony.NoRoute", m.clone()),
            PortError::Invalid(m) => ApiError::new(400, "Telephony.InvalidParameter", m.clone()),
            PortError::Duplicate(_) => {
                ApiError::new(409, "Telephony.DuplicateCall", self.to_string())
            }
            PortError::Unavailable(_) => {
                ApiError::new(503, "Telephony.Unavailable", self.to_string())
            }
        }
    }
}

/// Now, UTC milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
