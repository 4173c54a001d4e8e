//! An agent's working day through the 2020-07-01 agent desk and what the state reports show
//! of it: SignInGroup, ReadyForService, TakeBreak, SignOutGroup, ResetAgentState,
//! PollUserStatus, ListRealtimeAgentStates, ListAgentStateLogs, and the 2017 ListAgentEvents,
//! ListAgentStates, ListRealTimeAgent, ListSkillGroupStates, ResetUserStatus.

use ccgate_plugin_sdk::serde_json::{Value, json};

use crate::testutil::{Harness, INSTANCE, Member, OTHER_INSTANCE};

const T0: i64 = 1_764_900_000_000;

struct Team {
    h: Harness,
    sales: String,
    support: String,
    alice: Member,
    bob: Member,
}

async fn team() -> Team {
    let mut h = Harness::new().await;
    h.env.clock = ccgate_plugin_sdk::time::Clock::fixed(T0);
    let sales = h.group(INSTANCE, "sales").await;
    let support = h.group(INSTANCE, "support").await;
    let alice = h
        .user(INSTANCE, "alice", "agent", &[&sales, &support])
        .await;
    let bob = h.user(INSTANCE, "bob", "agent", &[&sales]).await;
    Team {
        h,
        sales,
        support,
        alice,
        bob,
    }
}

impl Team {
    async fn desk(&self, action: &str, user: &Member, extra: &[(&str, &str)]) -> Value {
        let mut pairs = vec![("UserId", user.login.as_str())];
        pairs.extend_from_slice(extra);
        self.h.call_2020(action, &pairs).await.unwrap()["Data"].clone()
    }

    async fn sign_in(&self, user: &Member, groups: &[&str]) -> Value {
        let list = serde_json_list(groups);
        self.desk(
            "SignInGroup",
            user,
            &[("SignedSkillGroupIdList", &list), ("DeviceId", "webrtc-1")],
        )
        .await
    }
}

fn serde_json_list(items: &[&str]) -> String {
    ccgate_plugin_sdk::serde_json::to_string(items).unwrap()
}

#[tokio::test]
async fn a_working_day_moves_through_the_states_and_is_logged_exactly() {
    let t = team().await;
    let d = t.sign_in(&t.alice, &[&t.sales]).await;
    assert_eq!(d["UserState"], "BREAK");
    assert_eq!(d["BreakCode"], "Warm-up");
    assert_eq!(d["UserId"], format!("alice@{INSTANCE}"));
    assert_eq!(
        d["SignedSkillGroupIdList"],
        json!([format!("sales@{INSTANCE}")])
    );
    assert_eq!(d["DeviceId"], "webrtc-1");
    t.h.env.clock.advance_ms(60_000);
    let d = t.desk("ReadyForService", &t.alice, &[]).await;
    assert_eq!(
        (d["UserState"].as_str(), d["BreakCode"].as_str()),
        (Some("READY"), Some(""))
    );
    t.h.env.clock.advance_ms(600_000);
    let d = t.desk("TakeBreak", &t.alice, &[("Code", "Lunch")]).await;
    assert_eq!(
        (d["UserState"].as_str(), d["BreakCode"].as_str()),
        (Some("BREAK"), Some("Lunch"))
    );
    t.h.env.clock.advance_ms(1_800_000);
    t.desk("ReadyForService", &t.alice, &[]).await;
    t.h.env.clock.advance_ms(120_000);
    let d = t.desk("SignOutGroup", &t.alice, &[]).await;
    assert_eq!(d["UserState"], "OFFLINE");
    assert_eq!(d["SignedSkillGroupIdList"], json!([]));
    // Signing out again changes nothing and logs nothing.
    let d = t.desk("SignOutGroup", &t.alice, &[]).await;
    assert_eq!(d["UserState"], "OFFLINE");

    // 2020 log: each state once, with its start and duration.
    let v =
        t.h.call_2020(
            "ListAgentStateLogs",
            &[
                ("AgentId", &format!("alice@{INSTANCE}")),
                ("StartTime", &T0.to_string()),
            ],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, i64, i64)> = v["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["State"].as_str().unwrap().to_string(),
                e["BreakCode"].as_str().unwrap().to_string(),
                e["StartTime"].as_i64().unwrap() - T0,
                e["Duration"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Break".into(), "Warm-up".into(), 0, 60),
            ("Ready".into(), String::new(), 60_000, 600),
            ("Break".into(), "Lunch".into(), 660_000, 1800),
            ("Ready".into(), String::new(), 2_460_000, 120),
            ("Offline".into(), String::new(), 2_580_000, 0),
        ]
    );
    // 2017 events with their Chinese names, in order, inside the hour; the filter works.
    let v =
        t.h.call(
            "ListAgentEvents",
            &[
                ("RamId.1", &t.alice.ram),
                ("StartTime", &T0.to_string()),
                ("StopTime", &(T0 + 3_600_000).to_string()),
            ],
        )
        .await
        .unwrap();
    let events: Vec<&str> = v["AgentEventList"]["AgentEvent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["签入", "等待", "小休", "等待", "签出"]);
    let first = &v["AgentEventList"]["AgentEvent"][0];
    assert_eq!(first["EventTime"], T0);
    assert_eq!(first["LoginName"], "alice");
    assert_eq!(
        first["SkillGroupIds"]["SkillGroup"][0]["SkillGroupName"],
        "sales"
    );
    let v =
        t.h.call(
            "ListAgentEvents",
            &[
                ("RamId.1", &t.alice.ram),
                ("Event.1", "小休"),
                ("StartTime", &T0.to_string()),
                ("StopTime", &(T0 + 3_600_000).to_string()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        v["AgentEventList"]["AgentEvent"].as_array().unwrap().len(),
        1
    );
    // Every transition was published for the other plugins and the stream.
    let published = t.h.env.published().await;
    assert_eq!(
        published
            .iter()
            .filter(|e| e.topic == "agents.state_changed")
            .count(),
        5
    );
}

#[tokio::test]
async fn refused_transitions_say_why_and_store_nothing() {
    let t = team().await;
    let e =
        t.h.call_2020("ReadyForService", &[("UserId", "alice")])
            .await
            .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "InvalidAgentState"));
    assert!(
        e.message.contains("OFFLINE") && e.message.contains("SignInGroup"),
        "{}",
        e.message
    );
    let e =
        t.h.call_2020("TakeBreak", &[("UserId", "alice"), ("Code", "x")])
            .await
            .unwrap_err();
    assert_eq!(e.code.as_ref(), "InvalidAgentState");
    // On a call: no break, no sign-out (calls moves agents there through `transition`).
    t.sign_in(&t.alice, &[&t.sales]).await;
    t.desk("ReadyForService", &t.alice, &[]).await;
    let ring = t
        .h
        .query("transition", json!({"instance_id": INSTANCE, "user_id": "alice", "command": "ring", "job_id": "job-1"}))
        .await;
    assert_eq!(ring["applied"], true);
    assert_eq!(ring["state"], "RINGING");
    for action in ["TakeBreak", "SignOutGroup", "ReadyForService"] {
        let e =
            t.h.call_2020(action, &[("UserId", "alice"), ("Code", "x")])
                .await
                .unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidAgentState", "{action}");
        assert!(
            e.message.contains("RINGING") && e.message.contains("on a call"),
            "{}",
            e.message
        );
    }
    // A refused call transition is data, not an error.
    let again = t
        .h
        .query("transition", json!({"instance_id": INSTANCE, "user_id": "alice", "command": "hang_up", "job_id": ""}))
        .await;
    assert_eq!(
        (again["applied"].as_bool(), again["state"].as_str()),
        (Some(false), Some("RINGING"))
    );
    // Reset ends the stuck call: READY.
    let d = t.desk("ResetAgentState", &t.alice, &[]).await;
    assert_eq!(d["UserState"], "READY");
    assert_eq!(d["JobId"], "");
}

#[tokio::test]
async fn sign_in_checks_groups_and_users() {
    let t = team().await;
    // Bob is no member of support.
    let list = serde_json_list(&[&t.support]);
    let e =
        t.h.call_2020(
            "SignInGroup",
            &[
                ("UserId", "bob"),
                ("SignedSkillGroupIdList", &list),
                ("DeviceId", "d"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
    let e =
        t.h.call_2020(
            "SignInGroup",
            &[
                ("UserId", "bob"),
                ("SignedSkillGroupIdList", "[\"nope\"]"),
                ("DeviceId", "d"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
    let e =
        t.h.call_2020(
            "SignInGroup",
            &[
                ("UserId", "bob"),
                ("SignedSkillGroupIdList", "{}"),
                ("DeviceId", "d"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(e.code.as_ref(), "InvalidParameter");
    let e =
        t.h.call_2020(
            "SignInGroup",
            &[
                ("UserId", "carol"),
                ("SignedSkillGroupIdList", "[]"),
                ("DeviceId", "d"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
    // An AccessKey caller must name the agent.
    let e =
        t.h.call_2020(
            "SignInGroup",
            &[("SignedSkillGroupIdList", "[]"), ("DeviceId", "d")],
        )
        .await
        .unwrap_err();
    assert_eq!(e.code.as_ref(), "Parameter.Null");
    // Every id form names the same agent; 2020 group ids work too; additive sign-in adds.
    let sales_2020 = format!("[\"sales@{INSTANCE}\"]");
    for who in [t.alice.id.clone(), format!("alice@{INSTANCE}")] {
        t.h.call_2020(
            "SignInGroup",
            &[
                ("UserId", &who),
                ("SignedSkillGroupIdList", &sales_2020),
                ("DeviceId", "d"),
            ],
        )
        .await
        .unwrap();
    }
    let support_list = serde_json_list(&[&t.support]);
    let d = t
        .desk(
            "SignInGroup",
            &t.alice,
            &[
                ("SignedSkillGroupIdList", &support_list),
                ("DeviceId", "d"),
                ("Additivity", "true"),
            ],
        )
        .await;
    assert_eq!(
        d["SignedSkillGroupIdList"],
        json!([format!("sales@{INSTANCE}"), format!("support@{INSTANCE}")])
    );
    // Users of another instance are not found.
    let carl = t.h.user(OTHER_INSTANCE, "carl", "agent", &[]).await;
    let e =
        t.h.call_2020("PollUserStatus", &[("UserId", &carl.id)])
            .await
            .unwrap_err();
    assert_eq!(e.code.as_ref(), "NotExists.UserId");
}

#[tokio::test]
async fn poll_answers_the_context_and_records_the_heartbeat() {
    let t = team().await;
    let v =
        t.h.call_2020("PollUserStatus", &[("UserId", "bob")])
            .await
            .unwrap();
    assert_eq!(v["Data"]["ContextId"], 0);
    assert_eq!(v["Data"]["UserContext"]["UserState"], "OFFLINE");
    assert_eq!(v["Data"]["UserContext"]["Heartbeat"], 0);
    t.sign_in(&t.bob, &[&t.sales]).await;
    t.h.env.clock.advance_ms(5_000);
    let v =
        t.h.call_2020("PollUserStatus", &[("UserId", "bob")])
            .await
            .unwrap();
    assert_eq!(v["Data"]["ContextId"], 1);
    assert_eq!(v["Data"]["UserContext"]["Heartbeat"], T0 + 5_000);
    assert_eq!(v["Data"]["UserContext"]["UserState"], "BREAK");
    assert_eq!(v["Data"]["CallContext"], Value::Null);
}

#[tokio::test]
async fn skill_group_and_agent_state_reports_count_exactly() {
    let t = team().await;
    t.sign_in(&t.alice, &[&t.sales, &t.support]).await;
    t.desk("ReadyForService", &t.alice, &[]).await;
    t.sign_in(&t.bob, &[&t.sales]).await;
    t.desk("TakeBreak", &t.bob, &[("Code", "Tea")]).await;
    let v = t.h.call("ListSkillGroupStates", &[]).await.unwrap();
    let rows: Vec<(String, i64, i64, i64)> = v["Data"]["List"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["SkillGroupName"].as_str().unwrap().to_string(),
                r["LoggedInAgents"].as_i64().unwrap(),
                r["ReadyAgents"].as_i64().unwrap(),
                r["BreakingAgents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![("sales".into(), 2, 1, 1), ("support".into(), 1, 1, 0)]
    );
    assert_eq!(v["Data"]["TotalCount"], 2);
    let e =
        t.h.call("ListSkillGroupStates", &[("SkillGroupIds", "sg-nope")])
            .await
            .unwrap_err();
    assert_eq!(e.code.as_ref(), "NotExists.SkillGroupId");

    // 2020 real-time list with filters.
    let v =
        t.h.call_2020(
            "ListRealtimeAgentStates",
            &[
                ("PageNumber", "1"),
                ("PageSize", "10"),
                ("StateList", "[\"Break\"]"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(v["Data"]["TotalCount"], 1);
    assert_eq!(v["Data"]["List"][0]["AgentId"], format!("bob@{INSTANCE}"));
    assert_eq!(v["Data"]["List"][0]["BreakCode"], "Tea");
    assert_eq!(v["Data"]["List"][0]["SkillGroupNameList"], json!(["sales"]));
    let v =
        t.h.call_2020(
            "ListRealtimeAgentStates",
            &[("PageNumber", "1"), ("PageSize", "1")],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            v["Data"]["TotalCount"].as_i64(),
            v["Data"]["List"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    let e =
        t.h.call_2020(
            "ListRealtimeAgentStates",
            &[
                ("PageNumber", "1"),
                ("PageSize", "10"),
                ("StateList", "[\"Sleeping\"]"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(e.code.as_ref(), "Parameter.Enumeration");

    // 2017 ListAgentStates: state filter, OFFLINE for agents never signed in.
    let carol = t.h.user(INSTANCE, "carol", "agent", &[]).await;
    let v =
        t.h.call("ListAgentStates", &[("State", "OFFLINE")])
            .await
            .unwrap();
    let list = &v["Data"]["List"]["RealTimeAgentState"];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["UserId"], carol.id);
    let v =
        t.h.call("ListAgentStates", &[("State", "READY")])
            .await
            .unwrap();
    assert_eq!(
        v["Data"]["List"]["RealTimeAgentState"][0]["LoginName"],
        "alice"
    );
    // ListRealTimeAgent: the transferable agents, i.e. READY ones (nobody has a phone here).
    let v = t.h.call("ListRealTimeAgent", &[]).await.unwrap();
    let users = v["Data"]["User"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0]["State"].as_str(), users[0]["StateDesc"].as_str()),
        (Some("0"), Some("空闲"))
    );
}

#[tokio::test]
async fn agent_events_window_is_at_most_an_hour_and_ram_ids_must_exist() {
    let t = team().await;
    let e =
        t.h.call(
            "ListAgentEvents",
            &[
                ("RamId.1", &t.bob.ram),
                ("StartTime", "0"),
                ("StopTime", "3600001"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
    let e =
        t.h.call("ListAgentEvents", &[("RamId.1", "9999999999999999")])
            .await
            .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.RamId"));
    // The default window (the last hour) is accepted.
    t.h.call("ListAgentEvents", &[("RamId.1", &t.bob.ram)])
        .await
        .unwrap();
}

#[tokio::test]
async fn reset_user_status_frees_stuck_agents() {
    let t = team().await;
    t.sign_in(&t.bob, &[&t.sales]).await;
    t.desk("ReadyForService", &t.bob, &[]).await;
    for command in ["ring", "answer"] {
        let r = t
            .h
            .query("transition", json!({"instance_id": INSTANCE, "user_id": t.bob.id, "command": command, "job_id": "job-9"}))
            .await;
        assert_eq!(r["applied"], true, "{command}");
    }
    // Without RamIds: every agent in a call state.
    t.h.call("ResetUserStatus", &[]).await.unwrap();
    let v =
        t.h.call_2020("PollUserStatus", &[("UserId", "bob")])
            .await
            .unwrap();
    assert_eq!(v["Data"]["UserContext"]["UserState"], "READY");
    let e =
        t.h.call("ResetUserStatus", &[("RamIdList.1", "123")])
            .await
            .unwrap_err();
    assert_eq!(e.code.as_ref(), "NotExists.RamId");
}

#[tokio::test]
async fn the_stream_queries_continue_exactly_after_the_snapshot() {
    let t = team().await;
    t.sign_in(&t.alice, &[&t.sales]).await;
    let snap =
        t.h.query("state_snapshot", json!({"instance_id": INSTANCE}))
            .await;
    assert_eq!(snap["seq"], 1);
    let agents = snap["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2);
    assert_eq!(
        (
            agents[0]["login_name"].as_str(),
            agents[0]["state"].as_str()
        ),
        (Some("alice"), Some("BREAK"))
    );
    assert_eq!(agents[0]["break_code"], "Warm-up");
    assert_eq!(agents[1]["state"], "OFFLINE");
    assert_eq!(agents[0]["skill_group_ids"], json!([t.sales, t.support]));
    t.desk("ReadyForService", &t.alice, &[]).await;
    t.sign_in(&t.bob, &[&t.sales]).await;
    let after =
        t.h.query(
            "state_log_after",
            json!({"instance_id": INSTANCE, "after_seq": 1, "limit": 10}),
        )
        .await;
    let seqs: Vec<i64> = after["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [2, 3]);
    assert_eq!(after["entries"][0]["state"], "READY");
    assert_eq!(after["entries"][1]["login_name"], "bob");
    // caller and authorize for the core.
    let c =
        t.h.query(
            "caller",
            json!({"instance_id": INSTANCE, "login_name": "bob"}),
        )
        .await;
    assert_eq!(
        (c["found"].as_bool(), c["role"].as_str()),
        (Some(true), Some("agent"))
    );
    assert_eq!(c["led_skill_group_ids"], json!([t.sales]));
    let c =
        t.h.query(
            "caller",
            json!({"instance_id": INSTANCE, "login_name": "nobody"}),
        )
        .await;
    assert_eq!(c["found"], false);
}
