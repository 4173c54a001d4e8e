//! The agent state machine: one per agent, every transition validated here and nowhere else.
//!
//! ```text
//!             SignInGroup             ReadyForService
//!   OFFLINE ─────────────▶ SIGNED_IN ───────────────▶ READY ◀──────────┐
//!      ▲                      │  TakeBreak            │ ▲ │ calls:ring  │ ReadyForService
//!      │ SignOutGroup         ▼                       │ │ ▼             │ (or TakeBreak)
//!      └──────────────────  BREAK ◀── TakeBreak ──────┘ │ RINGING ──▶ TALKING ──▶ WORKING
//!        (not on a call)      └── ReadyForService ──────┘  │ calls:answer  calls:hang-up
//!                                                          └─ calls:no-answer ─▶ READY
//! ```
//!
//! - SIGNED_IN is the state between signing in and the first ReadyForService; the 2020 API
//!   shows it as `BREAK` with break code `Warm-up` (the SDK's models document that code).
//! - SignInGroup again while signed in changes the signed skill groups and keeps the state.
//! - An agent on a call (RINGING or TALKING) can neither take a break, sign out nor go ready:
//!   the call must end first. WORKING (after-call work) may go ready, on break or offline.
//! - Reset (ResetAgentState, 2017 ResetUserStatus) is the administrator's way out of a stuck
//!   state: a signed-in agent becomes READY, one that is not stays OFFLINE; a call state is
//!   cleared.
//!
//! [`decide`] is pure: it takes the current [`Snapshot`] and a [`Command`] and answers the
//! [`Change`] to store or a [`Refusal`] whose message says why. `store` persists a change.

pub mod store;
pub mod views;

use serde::{Deserialize, Serialize};

/// An agent's state. Stored and streamed by [`AgentState::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgentState {
    /// Not signed in (签出).
    Offline,
    /// Signed in, not yet ready (签入); 2020 `BREAK` + `Warm-up`.
    SignedIn,
    /// Waiting for a call (等待).
    Ready,
    /// On a break (小休), with a reason code.
    Break,
    /// A call is offered to the agent (振铃).
    Ringing,
    /// On a call (通话).
    Talking,
    /// After-call work (处理).
    Working,
}

impl AgentState {
    /// Every state.
    pub const ALL: [AgentState; 7] = [
        AgentState::Offline,
        AgentState::SignedIn,
        AgentState::Ready,
        AgentState::Break,
        AgentState::Ringing,
        AgentState::Talking,
        AgentState::Working,
    ];

    /// The stored name: `OFFLINE`, `SIGNED_IN`, `READY`, `BREAK`, `RINGING`, `TALKING`,
    /// `WORKING`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AgentState::Offline => "OFFLINE",
            AgentState::SignedIn => "SIGNED_IN",
            AgentState::Ready => "READY",
            AgentState::Break => "BREAK",
            AgentState::Ringing => "RINGING",
            AgentState::Talking => "TALKING",
            AgentState::Working => "WORKING",
        }
    }

    /// The state stored as `name`; unknown names read as `OFFLINE`.
    pub fn parse(name: &str) -> AgentState {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .unwrap_or(AgentState::Offline)
    }

    /// The 2020-07-01 `UserState` / `State`: SIGNED_IN shows as `BREAK` (with break code
    /// [`WARM_UP`]), the others by their own name.
    pub const fn v2020(self) -> &'static str {
        match self {
            AgentState::SignedIn => "BREAK",
            other => other.as_str(),
        }
    }

    /// The 2017 event name of entering this state (seed 004 §9.8 `Event.N`): 签出, 签入, 等待,
    /// 小休, 振铃, 通话, 处理.
    pub const fn event_name(self) -> &'static str {
        match self {
            AgentState::Offline => "签出",
            AgentState::SignedIn => "签入",
            AgentState::Ready => "等待",
            AgentState::Break => "小休",
            AgentState::Ringing => "振铃",
            AgentState::Talking => "通话",
            AgentState::Working => "处理",
        }
    }

    /// The state entered by the 2017 event `name` (the inverse of [`Self::event_name`]);
    /// `None` for the call events this plugin does not log (放弃, 结束, 拨号...).
    pub fn from_event_name(name: &str) -> Option<AgentState> {
        Self::ALL.into_iter().find(|s| s.event_name() == name)
    }

    /// The 2017 ListRealTimeAgent `StateDesc` (seed 004 §9.7: 未上线 = not online, 空闲 = idle).
    pub const fn desc_zh(self) -> &'static str {
        match self {
            AgentState::Offline => "未上线",
            AgentState::SignedIn => "签入",
            AgentState::Ready => "空闲",
            AgentState::Break => "小休",
            AgentState::Ringing => "振铃",
            AgentState::Talking => "通话",
            AgentState::Working => "话后处理",
        }
    }

    /// Whether the agent is signed in (every state but OFFLINE).
    pub const fn signed_in(self) -> bool {
        !matches!(self, AgentState::Offline)
    }

    /// Whether the agent is on a call (RINGING or TALKING).
    pub const fn on_call(self) -> bool {
        matches!(self, AgentState::Ringing | AgentState::Talking)
    }
}

/// The 2020 break code of SIGNED_IN.
pub const WARM_UP: &str = "Warm-up";

/// What the state machine knows about an agent before a transition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The current state ([`AgentState::Offline`] for an agent never signed in).
    pub state: Option<AgentState>,
    /// The current break code (empty unless BREAK).
    pub break_code: String,
    /// The skill groups signed into.
    pub skill_group_ids: Vec<String>,
    /// The current call, if any.
    pub job_id: String,
    /// The device signed in with.
    pub device_id: String,
    /// Signed in for outbound only (2020 `OutboundScenario`).
    pub outbound_scenario: bool,
}

impl Snapshot {
    /// The current state, OFFLINE when the agent never signed in.
    pub fn current(&self) -> AgentState {
        self.state.unwrap_or(AgentState::Offline)
    }
}

/// A request to change an agent's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// SignInGroup: sign into `skill_group_ids` (added to the current ones when `additive`).
    SignIn {
        /// The groups to sign into (already checked to be the agent's groups).
        skill_group_ids: Vec<String>,
        /// 2020 `Additivity`: add to the groups signed into instead of replacing them.
        additive: bool,
        /// The device (2020 `DeviceId`).
        device_id: String,
    },
    /// SignOutGroup.
    SignOut,
    /// ReadyForService (`outbound_scenario`: ready for outbound calls only).
    Ready {
        /// 2020 `OutboundScenario`.
        outbound_scenario: bool,
    },
    /// TakeBreak with a reason code.
    TakeBreak {
        /// 2020 `Code`.
        code: String,
    },
    /// ResetAgentState / ResetUserStatus.
    Reset,
    /// calls: a call (`job_id`) is offered to a READY agent.
    Ring {
        /// The call.
        job_id: String,
    },
    /// calls: the agent answered.
    Answer,
    /// calls: the offered call was not answered (or the caller gave up): back to READY.
    NoAnswer,
    /// calls: the call ended: after-call work.
    HangUp,
}

impl Command {
    /// The action (or calls event) named in the state log's `cause` and in refusals.
    pub const fn name(&self) -> &'static str {
        match self {
            Command::SignIn { .. } => "SignInGroup",
            Command::SignOut => "SignOutGroup",
            Command::Ready { .. } => "ReadyForService",
            Command::TakeBreak { .. } => "TakeBreak",
            Command::Reset => "ResetAgentState",
            Command::Ring { .. } => "calls.ring",
            Command::Answer => "calls.answer",
            Command::NoAnswer => "calls.no-answer",
            Command::HangUp => "calls.hang-up",
        }
    }
}

/// The state to store after an accepted command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The state entered (may equal the current one: SignInGroup changing groups).
    pub state: AgentState,
    /// The state left.
    pub previous: AgentState,
    /// Break code after the change.
    pub break_code: String,
    /// Skill groups signed into after the change.
    pub skill_group_ids: Vec<String>,
    /// The call after the change.
    pub job_id: String,
    /// The device after the change.
    pub device_id: String,
    /// Outbound-only after the change.
    pub outbound_scenario: bool,
}

/// Why a command was refused: the agent's state and the reason, for the
/// `InvalidAgentState` message ("The agent is TALKING: ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The state the agent is in.
    pub state: AgentState,
    /// Why the command cannot run in it.
    pub reason: String,
}

/// Decides `command` for an agent in `now`: the change to store, or why not.
pub fn decide(now: &Snapshot, command: &Command) -> Result<Change, Refusal> {
    use AgentState::*;
    let current = now.current();
    let refuse = |reason: String| {
        Err(Refusal {
            state: current,
            reason,
        })
    };
    let mut next = Change {
        state: current,
        previous: current,
        break_code: now.break_code.clone(),
        skill_group_ids: now.skill_group_ids.clone(),
        job_id: now.job_id.clone(),
        device_id: now.device_id.clone(),
        outbound_scenario: now.outbound_scenario,
    };
    let on_call = |what: &str| {
        format!(
            "{what} is not possible while the agent is on a call ({}); the call must end first",
            current.as_str()
        )
    };
    match command {
        Command::SignIn {
            skill_group_ids,
            additive,
            device_id,
        } => {
            if current.on_call() {
                return refuse(on_call("SignInGroup"));
            }
            if *additive && current.signed_in() {
                for g in skill_group_ids {
                    if !next.skill_group_ids.contains(g) {
                        next.skill_group_ids.push(g.clone());
                    }
                }
            } else {
                next.skill_group_ids = skill_group_ids.clone();
            }
            if !device_id.is_empty() {
                next.device_id = device_id.clone();
            }
            if current == Offline {
                next.state = SignedIn;
                next.break_code = WARM_UP.to_string();
                next.outbound_scenario = false;
            }
        }
        Command::SignOut => {
            if current.on_call() {
                return refuse(on_call("SignOutGroup"));
            }
            if current == Offline {
                return refuse("the agent is not signed in".into());
            }
            next.state = Offline;
            next.break_code.clear();
            next.skill_group_ids.clear();
            next.job_id.clear();
            next.outbound_scenario = false;
        }
        Command::Ready { outbound_scenario } => {
            if current.on_call() {
                return refuse(on_call("ReadyForService"));
            }
            if current == Offline {
                return refuse(
                    "the agent must sign in (SignInGroup) before ReadyForService".into(),
                );
            }
            next.state = Ready;
            next.break_code.clear();
            next.job_id.clear();
            next.outbound_scenario = *outbound_scenario;
        }
        Command::TakeBreak { code } => {
            if current.on_call() {
                return refuse(on_call("TakeBreak"));
            }
            if current == Offline {
                return refuse("the agent must sign in (SignInGroup) before TakeBreak".into());
            }
            next.state = Break;
            next.break_code = code.clone();
            next.job_id.clear();
        }
        Command::Reset => {
            next.state = if current.signed_in() { Ready } else { Offline };
            next.break_code.clear();
            next.job_id.clear();
        }
        Command::Ring { job_id } => {
            if current != Ready {
                return refuse(format!(
                    "only a READY agent can be offered a call (it is {})",
                    current.as_str()
                ));
            }
            next.state = Ringing;
            next.job_id = job_id.clone();
        }
        Command::Answer => {
            if current != Ringing {
                return refuse(format!(
                    "only a RINGING agent can answer (it is {})",
                    current.as_str()
                ));
            }
            next.state = Talking;
        }
        Command::NoAnswer => {
            if current != Ringing {
                return refuse(format!(
                    "only a RINGING agent can miss a call (it is {})",
                    current.as_str()
                ));
            }
            next.state = Ready;
            next.job_id.clear();
        }
        Command::HangUp => {
            if current != Talking {
                return refuse(format!(
                    "only a TALKING agent can hang up (it is {})",
                    current.as_str()
                ));
            }
            next.state = Working;
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::AgentState::*;
    use super::*;

    fn at(state: AgentState) -> Snapshot {
        Snapshot {
            state: Some(state),
            skill_group_ids: if state == Offline {
                vec![]
            } else {
                vec!["g1".into()]
            },
            job_id: if matches!(state, Ringing | Talking | Working) {
                "job-1".into()
            } else {
                String::new()
            },
            ..Snapshot::default()
        }
    }

    fn commands() -> Vec<Command> {
        vec![
            Command::SignIn {
                skill_group_ids: vec!["g2".into()],
                additive: false,
                device_id: "dev".into(),
            },
            Command::SignOut,
            Command::Ready {
                outbound_scenario: false,
            },
            Command::TakeBreak {
                code: "Lunch".into(),
            },
            Command::Reset,
            Command::Ring {
                job_id: "job-2".into(),
            },
            Command::Answer,
            Command::NoAnswer,
            Command::HangUp,
        ]
    }

    /// The whole table: for every state and every command, the state reached or refused (`-`).
    #[test]
    fn every_transition_allowed_and_refused() {
        let expected: &[(AgentState, [Option<AgentState>; 9])] = &[
            //        SignIn           SignOut        Ready        Break        Reset          Ring           Answer         NoAnswer     HangUp
            (
                Offline,
                [
                    Some(SignedIn),
                    None,
                    None,
                    None,
                    Some(Offline),
                    None,
                    None,
                    None,
                    None,
                ],
            ),
            (
                SignedIn,
                [
                    Some(SignedIn),
                    Some(Offline),
                    Some(Ready),
                    Some(Break),
                    Some(Ready),
                    None,
                    None,
                    None,
                    None,
                ],
            ),
            (
                Ready,
                [
                    Some(Ready),
                    Some(Offline),
                    Some(Ready),
                    Some(Break),
                    Some(Ready),
                    Some(Ringing),
                    None,
                    None,
                    None,
                ],
            ),
            (
                Break,
                [
                    Some(Break),
                    Some(Offline),
                    Some(Ready),
                    Some(Break),
                    Some(Ready),
                    None,
                    None,
                    None,
                    None,
                ],
            ),
            (
                Ringing,
                [
                    None,
                    None,
                    None,
                    None,
                    Some(Ready),
                    None,
                    Some(Talking),
                    Some(Ready),
                    None,
                ],
            ),
            (
                Talking,
                [
                    None,
                    None,
                    None,
                    None,
                    Some(Ready),
                    None,
                    None,
                    None,
                    Some(Working),
                ],
            ),
            (
                Working,
                [
                    Some(Working),
                    Some(Offline),
                    Some(Ready),
                    Some(Break),
                    Some(Ready),
                    None,
                    None,
                    None,
                    None,
                ],
            ),
        ];
        for (from, row) in expected {
            for (command, want) in commands().iter().zip(row) {
                let got = decide(&at(*from), command);
                match want {
                    Some(to) => {
                        let change = got.unwrap_or_else(|r| {
                            panic!("{from:?} + {} refused: {}", command.name(), r.reason)
                        });
                        assert_eq!(change.state, *to, "{from:?} + {}", command.name());
                        assert_eq!(change.previous, *from);
                    }
                    None => {
                        let refusal = got.expect_err(&format!("{from:?} + {}", command.name()));
                        assert_eq!(refusal.state, *from);
                        assert!(!refusal.reason.is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        let r = decide(&at(Talking), &Command::TakeBreak { code: "x".into() }).unwrap_err();
        assert!(r.reason.contains("on a call"), "{}", r.reason);
        let r = decide(
            &at(Offline),
            &Command::Ready {
                outbound_scenario: false,
            },
        )
        .unwrap_err();
        assert!(r.reason.contains("sign in"), "{}", r.reason);
    }

    #[test]
    fn groups_codes_and_calls_are_carried() {
        // Signing in: the groups given, Warm-up.
        let c = decide(
            &at(Offline),
            &Command::SignIn {
                skill_group_ids: vec!["a".into(), "b".into()],
                additive: true,
                device_id: "d1".into(),
            },
        )
        .unwrap();
        assert_eq!(c.skill_group_ids, vec!["a", "b"]);
        assert_eq!(c.break_code, WARM_UP);
        assert_eq!(c.device_id, "d1");
        // Additive while signed in: added once, state kept.
        let c = decide(
            &at(Ready),
            &Command::SignIn {
                skill_group_ids: vec!["g1".into(), "g3".into()],
                additive: true,
                device_id: String::new(),
            },
        )
        .unwrap();
        assert_eq!(
            (c.state, c.skill_group_ids.clone()),
            (Ready, vec!["g1".into(), "g3".into()])
        );
        // Break code set, then cleared by Ready.
        let c = decide(
            &at(Ready),
            &Command::TakeBreak {
                code: "Lunch".into(),
            },
        )
        .unwrap();
        assert_eq!(c.break_code, "Lunch");
        let mut s = at(Break);
        s.break_code = "Lunch".into();
        let c = decide(
            &s,
            &Command::Ready {
                outbound_scenario: true,
            },
        )
        .unwrap();
        assert_eq!((c.break_code.as_str(), c.outbound_scenario), ("", true));
        // The call follows ring → answer → hang-up, and is gone after ready.
        let c = decide(&at(Ready), &Command::Ring { job_id: "j".into() }).unwrap();
        assert_eq!(c.job_id, "j");
        let c = decide(
            &at(Working),
            &Command::Ready {
                outbound_scenario: false,
            },
        )
        .unwrap();
        assert_eq!(c.job_id, "");
        // Sign out forgets the groups.
        let c = decide(&at(Break), &Command::SignOut).unwrap();
        assert!(c.skill_group_ids.is_empty());
    }

    #[test]
    fn names_round_trip() {
        for s in AgentState::ALL {
            assert_eq!(AgentState::parse(s.as_str()), s);
            assert_eq!(AgentState::from_event_name(s.event_name()), Some(s));
        }
        assert_eq!(AgentState::SignedIn.v2020(), "BREAK");
        assert_eq!(AgentState::from_event_name("放弃"), None);
    }
}
