//! Test support: the calls plugin over an in-memory database with fake numbers and agents
//! plugins and the SDK's fake telephony.

use std::sync::{Arc, Mutex};

use ccgate_plugin_sdk::sea_orm::EntityTrait;
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::telephony::{CallEvent, CallEventKind};
use ccgate_plugin_sdk::testing::{FakePlugin, TestEnv};
use ccgate_plugin_sdk::{ActionSpec, ApiResult, EventContext, Plugin, StoredEvent};

use crate::storage::{cdr, event_log, records};
use crate::{CallsPlugin, Settings};

/// The instance of every test.
pub const INSTANCE: &str = "ccc-test";

/// The outbound numbers the fake numbers plugin knows for [`INSTANCE`], in order.
pub const NUMBERS: [&str; 2] = ["02566040852", "02566040853"];

/// An inbound number of [`INSTANCE`] bound to skill groups `sg-2` (never a READY agent) and
/// `sg-1` (agent1 READY unless busy), in that order.
pub const QUEUE_NUMBER: &str = NUMBERS[0];
/// An inbound number of [`INSTANCE`] bound to contact flow `flow-1` only.
pub const FLOW_NUMBER: &str = "02566040860";
/// An inbound number of [`INSTANCE`] bound to contact flow `flow-2` and skill group `sg-1`.
pub const FLOW_AND_QUEUE_NUMBER: &str = "02566040861";

/// The queries the fake agents plugin was asked, as (name, args).
pub type Asked = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake numbers plugin answering `outbound` from `numbers` and `inbound` for
/// [`QUEUE_NUMBER`], [`FLOW_NUMBER`] and [`FLOW_AND_QUEUE_NUMBER`].
fn fake_numbers(numbers: &'static [&'static str]) -> FakePlugin {
    FakePlugin::new("numbers").answer("inbound", |args| {
        let number = args["Number"].as_str().unwrap_or_default();
        let (groups, flow) = match number {
            QUEUE_NUMBER => (vec!["sg-2", "sg-1"], ""),
            FLOW_NUMBER => (vec![], "flow-1"),
            FLOW_AND_QUEUE_NUMBER => (vec!["sg-1"], "flow-2"),
            _ => return Ok(json!({"Found": false, "InstanceId": "", "PhoneNumberId": "", "Number": "", "Usage": "", "SkillGroupIds": [], "ContactFlowId": ""})),
        };
        Ok(json!({"Found": true, "InstanceId": INSTANCE, "PhoneNumberId": format!("id-{number}"), "Number": number, "Usage": "Inbound", "SkillGroupIds": groups, "ContactFlowId": flow}))
    })
    .answer("outbound", move |args| {
        let wanted = args["Number"].as_str().unwrap_or_default();
        let list: Vec<Value> = numbers
            .iter()
            .filter(|n| wanted.is_empty() || **n == wanted)
            .map(|n| json!({"PhoneNumberId": format!("id-{n}"), "Number": n, "Usage": "Bidirection"}))
            .collect();
        Ok(json!({ "PhoneNumbers": list }))
    })
}

/// A fake agents plugin: `reserve` finds agent `agent1` (extension 8001, READY unless
/// `busy`), skill group `sales` / `sg-1` (READY agent `agent1` unless `busy`) and `sg-2` (no
/// READY agent); `transition` applies.
fn fake_agents(asked: Asked, busy: bool) -> FakePlugin {
    let a1 = asked.clone();
    FakePlugin::new("agents")
        .answer("reserve", move |args| {
            a1.lock().unwrap().push(("reserve".into(), args.clone()));
            let user = args["user"].as_str().unwrap_or_default();
            let group = args["skill_group"].as_str().unwrap_or_default();
            let second = agent_two(user);
            let first = matches!(user.split('@').next(), Some("agent1" | "u-1"));
            let found = first || matches!(group, "sales" | "sg-1" | "sg-2") || second;
            let reserved = found && !busy && group != "sg-2";
            let (id, login, name, ext) = if second {
                ("u-2", "agent2", "Agent Two", "8002")
            } else {
                ("u-1", "agent1", "Agent One", "8001")
            };
            Ok(json!({
                "found": found,
                "reserved": reserved,
                "user_id": if reserved { id } else { "" },
                "login_name": if reserved { login } else { "" },
                "display_name": if reserved { name } else { "" },
                "extension": if reserved { ext } else { "" },
                "skill_group_id": if reserved && !group.is_empty() { "sg-1" } else { "" },
                "reason": if found && !reserved { "agent agent1 is TALKING, not READY" } else if found { "" } else { "no such agent" },
            }))
        })
        .answer("transition", move |args| {
            asked.lock().unwrap().push(("transition".into(), args.clone()));
            Ok(json!({"applied": true, "found": true, "state": "READY", "seq": 1, "reason": ""}))
        })
        .answer("caller", |args| {
            let r = args["login_name"].as_str().unwrap_or_default();
            let (id, login) = match r.split('@').next().unwrap_or_default() {
                "agent1" | "u-1" => ("u-1", "agent1"),
                "agent2" | "u-2" => ("u-2", "agent2"),
                _ => return Ok(json!({"found": false, "user_id": "", "login_name": "", "role": "", "led_skill_group_ids": [],
                    "ram_id": "", "display_name": "", "extension": "", "phone": "", "roles": []})),
            };
            Ok(json!({"found": true, "user_id": id, "login_name": login, "role": "agent", "led_skill_group_ids": [],
                "ram_id": "", "display_name": login, "extension": "", "phone": "", "roles": ["agent"]}))
        })
}

/// Whether `user` names the fake's second agent (`agent2`, `u-2`).
fn agent_two(user: &str) -> bool {
    matches!(user.split('@').next(), Some("agent2" | "u-2"))
}

/// The plugin under test in its environment.
pub struct Harness {
    /// The environment (database, fake telephony).
    pub env: TestEnv,
    /// The calls plugin.
    pub calls: Arc<CallsPlugin>,
    /// The fake agents plugin's queries.
    pub asked: Asked,
}

impl Harness {
    /// Default settings, numbers [`NUMBERS`], agent `agent1` READY.
    pub async fn new() -> Self {
        Self::build(Settings::default(), &NUMBERS, false).await
    }

    /// As [`Harness::new`], with an instance that has no outbound number.
    pub async fn without_numbers() -> Self {
        Self::build(Settings::default(), &[], false).await
    }

    /// As [`Harness::new`], with `settings` and agent `agent1` busy when `busy`.
    pub async fn build(settings: Settings, numbers: &'static [&'static str], busy: bool) -> Self {
        Self::build_with(settings, numbers, busy, true).await
    }

    /// As [`Harness::build`], without the agents plugin unless `agents`.
    pub async fn build_with(
        settings: Settings,
        numbers: &'static [&'static str],
        busy: bool,
        agents: bool,
    ) -> Self {
        let calls = Arc::new(CallsPlugin::with_settings(settings));
        let asked = Asked::default();
        let mut plugins: Vec<Arc<dyn Plugin>> = vec![
            calls.clone() as Arc<dyn Plugin>,
            Arc::new(fake_numbers(numbers)),
        ];
        if agents {
            plugins.push(Arc::new(fake_agents(asked.clone(), busy)));
        }
        let env = TestEnv::new(plugins).await;
        Self { env, calls, asked }
    }

    /// Asks the plugin's `route_inbound` as the gateway does (system context: role admin, no
    /// instance, no account) for a call from `caller` to `called` arriving at `at_ms`; the
    /// answer as JSON.
    pub async fn route_inbound(&self, called: &str, caller: &str, at_ms: i64) -> ApiResult<Value> {
        let mut ctx = self.env.ctx(crate::api::dial_ex::SPEC, INSTANCE);
        ctx.instance_id = None;
        ctx.account_id = String::new();
        ctx.account_instances = Vec::new();
        let call = ccgate_plugin_sdk::telephony::InboundCall {
            called: called.into(),
            caller: caller.into(),
            at_ms,
        };
        let args = ccgate_plugin_sdk::serde_json::to_value(call).unwrap();
        self.calls
            .query(&ctx, ccgate_plugin_sdk::telephony::ROUTE_INBOUND, args)
            .await
    }

    /// Calls `spec` on [`INSTANCE`].
    pub async fn call(&self, spec: ActionSpec, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env.call(spec, INSTANCE, pairs).await
    }

    /// The record of `id`.
    pub async fn cdr(&self, id: &str) -> cdr::Model {
        records::find(&self.env.db, INSTANCE, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no record {id}"))
    }

    /// Every record.
    pub async fn all_cdrs(&self) -> Vec<cdr::Model> {
        cdr::Entity::find().all(&self.env.db).await.unwrap()
    }

    /// The event log of `id`.
    pub async fn log(&self, id: &str) -> Vec<event_log::Model> {
        records::log_of(&self.env.db, id).await.unwrap()
    }

    /// Delivers engine event `seq` of call `id` at `1_000 * seq` ms, as the host would.
    pub async fn feed(&self, id: &str, seq: u32, kind: CallEventKind) {
        let ev = CallEvent {
            call_id: id.into(),
            instance_id: INSTANCE.into(),
            seq,
            at_ms: 1_000 * i64::from(seq),
            kind,
        };
        let stored = StoredEvent {
            id: i64::from(seq),
            topic: "telephony.call".into(),
            stream: id.into(),
            payload: ccgate_plugin_sdk::serde_json::to_string(&ev).unwrap(),
            recorded_at: Default::default(),
        };
        let ctx = EventContext {
            db: self.env.db.clone(),
            subscriber: crate::CALL_RECORDS,
            attempt: 1,
        };
        self.calls.on_event(&ctx, 0, &stored).await.unwrap();
    }

    /// Calls `spec` on [`INSTANCE`] as agent `login` (`u-1` for agent1, `u-2` for agent2) with
    /// a Bearer token, as the gateway would after its access checks.
    pub async fn call_as(
        &self,
        login: &str,
        spec: ActionSpec,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let mut ctx = self.env.ctx(spec, INSTANCE);
        ctx.role = ccgate_plugin_sdk::Role::Agent;
        ctx.principal = ccgate_plugin_sdk::Principal::Bearer {
            subject: login.to_string(),
        };
        ctx.caller_scope = Some(ccgate_plugin_sdk::CallerScope {
            user_id: if login == "agent2" { "u-2" } else { "u-1" }.to_string(),
            login_name: login.to_string(),
            role: ccgate_plugin_sdk::Role::Agent,
            led_skill_group_ids: Vec::new(),
        });
        ccgate_plugin_sdk::testing::call(self.calls.as_ref(), &ctx, pairs)
            .await
            .map(Value::Object)
    }

    /// The `calls.call_ended` events published so far, in order.
    pub async fn calls_ended(&self) -> Vec<crate::events::CallEnded> {
        self.env
            .published()
            .await
            .into_iter()
            .filter(|e| e.topic == "calls.call_ended")
            .map(|e| {
                let ended: crate::events::CallEnded =
                    ccgate_plugin_sdk::serde_json::from_str(&e.payload).unwrap();
                assert_eq!(e.stream, ended.contact_id);
                ended
            })
            .collect()
    }

    /// The `calls.agent_leg` events published so far, as (user, what).
    pub async fn agent_legs(&self) -> Vec<(String, String)> {
        self.env
            .published()
            .await
            .into_iter()
            .filter(|e| e.topic == "calls.agent_leg")
            .map(|e| {
                let v = e.json().unwrap();
                (
                    v["user_id"].as_str().unwrap().to_string(),
                    v["what"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

impl Harness {
    /// A MakeCall of agent1 to `13188880000`, bridged (engine events 1-5); its JobId.
    pub async fn bridged_make_call(&self) -> String {
        use ccgate_plugin_sdk::telephony::LegId;
        let v = self
            .call_as(
                "agent1",
                crate::api::make_call_v2020::SPEC,
                &[("Callee", "13188880000")],
            )
            .await
            .unwrap();
        let id = v["Data"]["CallContext"]["JobId"]
            .as_str()
            .unwrap()
            .to_string();
        let events = [
            CallEventKind::Inviting {
                leg: LegId::First,
                uri: "sip:8001@fake".into(),
            },
            CallEventKind::Answered { leg: LegId::First },
            CallEventKind::Inviting {
                leg: LegId::Second,
                uri: "sip:13188880000@fake".into(),
            },
            CallEventKind::Answered { leg: LegId::Second },
            CallEventKind::Bridged,
        ];
        for (i, k) in events.into_iter().enumerate() {
            self.feed(&id, i as u32 + 1, k).await;
        }
        id
    }
}
