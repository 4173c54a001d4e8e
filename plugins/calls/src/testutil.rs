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

/// The queries the fake agents plugin was asked, as (name, args).
pub type Asked = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake numbers plugin answering `outbound` from `numbers`.
fn fake_numbers(numbers: &'static [&'static str]) -> FakePlugin {
    FakePlugin::new("numbers").answer("outbound", move |args| {
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
/// `busy`) and skill group `sales` (READY agent `agent1` unless `busy`); `transition` applies.
fn fake_agents(asked: Asked, busy: bool) -> FakePlugin {
    let a1 = asked.clone();
    FakePlugin::new("agents")
        .answer("reserve", move |args| {
            a1.lock().unwrap().push(("reserve".into(), args.clone()));
            let user = args["user"].as_str().unwrap_or_default();
            let group = args["skill_group"].as_str().unwrap_or_default();
            let found = user.split('@').next() == Some("agent1") || group == "sales";
            let reserved = found && !busy;
            Ok(json!({
                "found": found,
                "reserved": reserved,
                "user_id": if reserved { "u-1" } else { "" },
                "login_name": if reserved { "agent1" } else { "" },
                "display_name": if reserved { "Agent One" } else { "" },
                "extension": if reserved { "8001" } else { "" },
                "skill_group_id": if reserved && !group.is_empty() { "sg-1" } else { "" },
                "reason": if found && busy { "agent agent1 is TALKING, not READY" } else if found { "" } else { "no such agent" },
            }))
        })
        .answer("transition", move |args| {
            asked.lock().unwrap().push(("transition".into(), args.clone()));
            Ok(json!({"applied": true, "found": true, "state": "READY", "seq": 1, "reason": ""}))
        })
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
        let calls = Arc::new(CallsPlugin::with_settings(settings));
        let asked = Asked::default();
        let env = TestEnv::new(vec![
            calls.clone() as Arc<dyn Plugin>,
            Arc::new(fake_numbers(numbers)),
            Arc::new(fake_agents(asked.clone(), busy)),
        ])
        .await;
        Self { env, calls, asked }
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
