//! `agents.reserve` and the agent legs of calls (`agents.follow-calls`, after-call work).

use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::{EventContext, StoredEvent};

use crate::calls::{self, AgentLeg};
use crate::state::store;
use crate::state::{AgentState, Command};
use crate::storage::users;
use crate::testutil::{Harness, INSTANCE, Member};

/// Signs `m` into `groups` and makes it READY at `at_ms`.
async fn ready(h: &Harness, m: &Member, groups: &[&str], at_ms: i64) {
    let agent = users::find(&h.env.db, INSTANCE, &m.id)
        .await
        .unwrap()
        .unwrap();
    let sign_in = Command::SignIn {
        skill_group_ids: groups.iter().map(|g| g.to_string()).collect(),
        additive: false,
        device_id: "d".into(),
    };
    for c in [
        sign_in,
        Command::Ready {
            outbound_scenario: false,
        },
    ] {
        store::apply(&h.env.db, &agent, &c, at_ms)
            .await
            .unwrap()
            .unwrap();
    }
}

async fn state_of(h: &Harness, m: &Member) -> (AgentState, String) {
    let s = store::load(&h.env.db, &m.id).await.unwrap();
    (s.current(), s.job_id)
}

async fn reserve(h: &Harness, user: &str, group: &str, job: &str) -> Value {
    h.query(
        "reserve",
        json!({"instance_id": INSTANCE, "job_id": job, "user": user, "skill_group": group}),
    )
    .await
}

#[tokio::test]
async fn a_group_reserves_its_best_ready_agent_once() {
    let h = Harness::new().await;
    let sales = h.group(INSTANCE, "sales").await;
    let alice = h.user(INSTANCE, "alice", "agent", &[&sales]).await;
    let bob = h.user(INSTANCE, "bob", "agent", &[&sales]).await;
    let carol = h.user(INSTANCE, "carol", "agent", &[&sales]).await;
    // Bob has been READY longest; Carol is READY but not signed into sales.
    ready(&h, &alice, &[&sales], 2_000).await;
    ready(&h, &bob, &[&sales], 1_000).await;
    ready(&h, &carol, &[], 500).await;

    let v = reserve(&h, "", "sales", "call-1").await;
    assert_eq!(
        (v["found"].as_bool(), v["reserved"].as_bool()),
        (Some(true), Some(true)),
        "{v}"
    );
    assert_eq!(v["user_id"], bob.id.as_str());
    assert_eq!(v["skill_group_id"], sales.as_str());
    assert!(!v["extension"].as_str().unwrap().is_empty());
    assert_eq!(
        state_of(&h, &bob).await,
        (AgentState::Ringing, "call-1".into())
    );
    // Bob is taken: the next call gets Alice, the one after nobody.
    assert_eq!(
        reserve(&h, "", &sales, "call-2").await["user_id"],
        alice.id.as_str()
    );
    let v = reserve(&h, "", "sales", "call-3").await;
    assert_eq!(
        (v["found"].as_bool(), v["reserved"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(v["reason"].as_str().unwrap().contains("READY"), "{v}");
    let v = reserve(&h, "", "nope", "call-4").await;
    assert_eq!(v["found"], false);
}

#[tokio::test]
async fn a_named_agent_is_reserved_by_ram_id_at_domain_only_when_ready() {
    let h = Harness::new().await;
    let sales = h.group(INSTANCE, "sales").await;
    let alice = h.user(INSTANCE, "alice", "agent", &[&sales]).await;
    let v = reserve(&h, &format!("{}@ccc.example", alice.ram), "", "call-1").await;
    assert_eq!(
        (v["found"].as_bool(), v["reserved"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(v["reason"].as_str().unwrap().contains("OFFLINE"), "{v}");
    ready(&h, &alice, &[&sales], 1_000).await;
    let v = reserve(&h, "alice", "", "call-1").await;
    assert_eq!(v["reserved"], true);
    assert_eq!(v["login_name"], "alice");
    assert_eq!(reserve(&h, "nobody", "", "call-2").await["found"], false);
}

fn delivered(leg: &AgentLeg, id: i64) -> StoredEvent {
    StoredEvent {
        id,
        topic: "calls.agent_leg".into(),
        stream: leg.call_id.clone(),
        payload: ccgate_plugin_sdk::serde_json::to_string(leg).unwrap(),
        recorded_at: Default::default(),
    }
}

#[tokio::test]
async fn call_legs_move_the_agent_and_after_call_work_ends() {
    let h = Harness::new().await;
    let sales = h.group(INSTANCE, "sales").await;
    let alice = h.user(INSTANCE, "alice", "agent", &[&sales]).await;
    ready(&h, &alice, &[&sales], 1_000).await;
    reserve(&h, "alice", "", "call-1").await;
    let leg = |what: &str, call: &str| AgentLeg {
        instance_id: INSTANCE.into(),
        user_id: alice.id.clone(),
        call_id: call.into(),
        what: what.into(),
    };
    let ctx = EventContext {
        db: h.env.db.clone(),
        subscriber: crate::FOLLOW_CALLS,
        attempt: 1,
    };
    h.agents
        .on_event(&ctx, 0, &delivered(&leg("answered", "call-1"), 1))
        .await
        .unwrap();
    assert_eq!(state_of(&h, &alice).await.0, AgentState::Talking);
    // A redelivery, and a leg of another call, change nothing.
    h.agents
        .on_event(&ctx, 0, &delivered(&leg("answered", "call-1"), 1))
        .await
        .unwrap();
    h.agents
        .on_event(&ctx, 0, &delivered(&leg("released", "call-9"), 2))
        .await
        .unwrap();
    assert_eq!(state_of(&h, &alice).await.0, AgentState::Talking);
    h.agents
        .on_event(&ctx, 0, &delivered(&leg("released", "call-1"), 3))
        .await
        .unwrap();
    assert_eq!(state_of(&h, &alice).await.0, AgentState::Working);
    // After-call work lasts after_call_work_seconds (10 by default).
    let since = store::load(&h.env.db, &alice.id).await.unwrap();
    assert_eq!(since.current(), AgentState::Working);
    let now = ccgate_plugin_sdk::time::now_ms();
    assert_eq!(
        calls::end_after_call_work(&h.env.db, 10, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        calls::end_after_call_work(&h.env.db, 10, now + 11_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        state_of(&h, &alice).await,
        (AgentState::Ready, String::new())
    );

    // A missed call: back to READY; with after-call work 0 a release goes straight to READY.
    reserve(&h, "alice", "", "call-2").await;
    assert!(
        calls::follow(&h.env.db, &leg("missed", "call-2"), 10, now)
            .await
            .unwrap()
    );
    assert_eq!(state_of(&h, &alice).await.0, AgentState::Ready);
    reserve(&h, "alice", "", "call-3").await;
    calls::follow(&h.env.db, &leg("answered", "call-3"), 0, now)
        .await
        .unwrap();
    calls::follow(&h.env.db, &leg("released", "call-3"), 0, now)
        .await
        .unwrap();
    assert_eq!(state_of(&h, &alice).await.0, AgentState::Ready);
}
