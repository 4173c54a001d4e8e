//! `route_inbound` and the inbound event sequence through the recorder.

use ccgate_plugin_sdk::Plugin;
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::telephony::{CallEventKind, InboundRoute, LegId, Party, Target};

use crate::Settings;
use crate::testutil::{
    FLOW_AND_QUEUE_NUMBER, FLOW_NUMBER, Harness, INSTANCE, NUMBERS, QUEUE_NUMBER,
};

const CALLER: &str = "13800138000";

fn media_server() -> Settings {
    Settings {
        media_server_uri: "sip:ivr@ms.example".into(),
        ..Settings::default()
    }
}

/// The answer as the SDK type (the engine's side of the boundary).
fn typed(v: &Value) -> InboundRoute {
    ccgate_plugin_sdk::serde_json::from_value(v.clone()).unwrap()
}

/// The event-log names of `id`.
async fn names(h: &Harness, id: &str) -> Vec<String> {
    h.log(id).await.into_iter().map(|e| e.event).collect()
}

#[tokio::test]
async fn a_ready_agent_of_the_numbers_skill_groups_takes_the_call() {
    let h = Harness::new().await;
    let v = h.route_inbound(QUEUE_NUMBER, CALLER, 1_000).await.unwrap();
    let id = v["call_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 18);
    // serde's form of the SDK type, exactly.
    assert_eq!(
        v,
        json!({
            "connect": true,
            "call_id": id,
            "instance_id": INSTANCE,
            "to": {"target": {"kind": "agent", "user_id": "u-1", "extension": "8001"}, "caller_id": CALLER},
            "ring_timeout_seconds": 30,
            "max_duration_seconds": 0,
            "sip_code": 0,
            "reason": "",
        })
    );
    assert_eq!(
        typed(&v).to.unwrap().target,
        Target::Agent {
            user_id: "u-1".into(),
            extension: "8001".into()
        }
    );
    // Groups in binding order: sg-2 has nobody READY, sg-1 has agent1.
    let asked = h.asked.lock().unwrap().clone();
    let groups: Vec<&Value> = asked.iter().map(|(_, a)| &a["skill_group"]).collect();
    assert_eq!(groups, [&json!("sg-2"), &json!("sg-1")]);
    assert_eq!(asked[1].1["instance_id"], INSTANCE);
    assert_eq!(asked[1].1["job_id"], id.as_str());
    let c = h.cdr(&id).await;
    assert_eq!(
        (c.call_type.as_str(), c.status.as_str(), c.start_ms),
        ("Inbound", "LIVE", 1_000)
    );
    assert_eq!(
        (
            c.caller.as_str(),
            c.callee.as_str(),
            c.call_center_number.as_str()
        ),
        (CALLER, QUEUE_NUMBER, QUEUE_NUMBER)
    );
    assert_eq!(c.agent_user_id.as_deref(), Some("u-1"));
    assert_eq!(c.agent_extension.as_deref(), Some("8001"));
    assert_eq!(c.skill_group_id.as_deref(), Some("sg-1"));
    assert_eq!(c.route_point, "sg-1");
    assert!(!c.agent_first);
    // The agent desk (2020) sees an INBOUND call from the caller to the number.
    let d = crate::call_context::data(&c, "", 0);
    let ch = &d["CallContext"]["ChannelContexts"];
    assert_eq!(d["CallContext"]["CallType"], "INBOUND");
    assert_eq!(
        (&ch[0]["Originator"], &ch[0]["Destination"]),
        (&json!(CALLER), &json!(QUEUE_NUMBER))
    );
    assert_eq!(
        (&ch[1]["Originator"], &ch[1]["UserExtension"]),
        (&json!(CALLER), &json!("8001"))
    );
    // The engine is not asked to start anything: it already has the call.
    assert!(h.env.telephony.started().is_empty());
}

#[tokio::test]
async fn an_answered_inbound_call_is_recorded_through_the_queue_once() {
    use CallEventKind::*;
    let h = Harness::new().await;
    let v = h.route_inbound(QUEUE_NUMBER, CALLER, 1_000).await.unwrap();
    let id = v["call_id"].as_str().unwrap().to_string();
    let events = [
        Offered {
            leg: LegId::First,
            from: CALLER.into(),
            to: QUEUE_NUMBER.into(),
        },
        Inviting {
            leg: LegId::Second,
            uri: "sip:8001@pbx".into(),
        },
        Ringing { leg: LegId::Second },
        Answered { leg: LegId::Second },
        Answered { leg: LegId::First },
        Bridged,
        Released {
            by: Party::First,
            sip_code: 200,
            reason: "Normal call clearing".into(),
        },
        Ended,
    ];
    for (i, k) in events.iter().cloned().enumerate() {
        h.feed(&id, i as u32 + 1, k).await;
    }
    let c = h.cdr(&id).await;
    assert_eq!(
        (c.status.as_str(), c.disposition.as_str(), c.last_seq),
        ("ENDED", "Success", 8)
    );
    assert_eq!(
        (c.second_invite_ms, c.second_ring_ms, c.second_answer_ms),
        (2_000, 3_000, 4_000)
    );
    assert_eq!(
        (c.first_answer_ms, c.bridged_ms, c.release_ms),
        (5_000, 6_000, 7_000)
    );
    assert_eq!(
        (c.release_initiator.as_str(), c.release_reason.as_str()),
        ("customer", "200-Normal call clearing")
    );
    let expected = [
        "EnterQueue",
        "Ring",
        "NormalEnd",
        "Talk",
        "SetUpMeeting",
        "End",
        "Handle",
    ];
    assert_eq!(names(&h, &id).await, expected);
    let log = h.log(&id).await;
    let types: Vec<&str> = log.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "queue", "agent", "queue", "agent", "agent", "agent", "agent"
        ]
    );
    assert_eq!(log[0].skill_group, "sg-1");
    assert_eq!(log[0].agent_name, "agent1");
    // EnterQueue (1 s) lasted until the agent rang (3 s).
    assert_eq!(log[0].duration_ms, 2_000);
    assert_eq!(log[5].hang_uper, "byeCustomer");
    let legs = [
        ("u-1".to_string(), "answered".to_string()),
        ("u-1".into(), "released".into()),
    ];
    assert_eq!(h.agent_legs().await, legs);
    // At-least-once delivery: everything again changes nothing.
    for (i, k) in events.into_iter().enumerate() {
        h.feed(&id, i as u32 + 1, k).await;
    }
    assert_eq!(names(&h, &id).await, expected);
    assert_eq!(h.agent_legs().await, legs);
    assert_eq!(h.cdr(&id).await, c);
    // One calls.call_ended: a queued call, answered by agent1 of sg-1.
    let ended = h.calls_ended().await;
    assert_eq!(ended, [crate::events::CallEnded::of(&c)]);
    assert_eq!(
        (
            ended[0].route_kind.as_str(),
            ended[0].skill_group_id.as_str(),
            ended[0].agent_login_name.as_str(),
            ended[0].second_answer_ms
        ),
        ("SkillGroup", "sg-1", "agent1", 4_000)
    );
    // The reports see it.
    let ctx = h.env.ctx(crate::api::dial_ex::SPEC, INSTANCE);
    let page = h
        .calls
        .query(
            &ctx,
            "cdrs",
            json!({"InstanceId": INSTANCE, "FromMs": 0, "ToMs": i64::MAX, "After": "", "Limit": 10}),
        )
        .await
        .unwrap();
    let r = &page["Records"][0];
    assert_eq!(
        (&r["CallType"], &r["Disposition"], &r["AnswerMs"]),
        (&json!("Inbound"), &json!("Success"), &json!(5_000))
    );
}

#[tokio::test]
async fn an_agent_who_does_not_answer_is_missed_and_the_ring_abandoned() {
    use CallEventKind::*;
    let h = Harness::new().await;
    let v = h.route_inbound(QUEUE_NUMBER, CALLER, 1_000).await.unwrap();
    let id = v["call_id"].as_str().unwrap().to_string();
    let events = [
        Offered {
            leg: LegId::First,
            from: CALLER.into(),
            to: QUEUE_NUMBER.into(),
        },
        Inviting {
            leg: LegId::Second,
            uri: "sip:8001@pbx".into(),
        },
        Ringing { leg: LegId::Second },
        Failed {
            leg: LegId::Second,
            sip_code: 487,
            reason: "No answer".into(),
        },
        Released {
            by: Party::System,
            sip_code: 480,
            reason: "No answer".into(),
        },
        Ended,
    ];
    for (i, k) in events.into_iter().enumerate() {
        h.feed(&id, i as u32 + 1, k).await;
    }
    let c = h.cdr(&id).await;
    assert_eq!(
        (c.disposition.as_str(), c.release_initiator.as_str()),
        ("AbandonedRing", "system")
    );
    assert_eq!((c.first_answer_ms, c.release_ms), (0, 5_000));
    assert_eq!(c.release_reason, "480-No answer");
    assert_eq!(
        names(&h, &id).await,
        [
            "EnterQueue",
            "Ring",
            "GiveUp",
            "AbandonedRing",
            "End",
            "Handle"
        ]
    );
    // missed: the agents plugin moves the agent from RINGING back to READY.
    assert_eq!(
        h.agent_legs().await,
        [("u-1".to_string(), "missed".to_string())]
    );
}

#[tokio::test]
async fn a_caller_who_hangs_up_before_an_agent_rings_abandoned_the_queue() {
    use CallEventKind::*;
    let h = Harness::new().await;
    let v = h.route_inbound(QUEUE_NUMBER, CALLER, 1_000).await.unwrap();
    let id = v["call_id"].as_str().unwrap().to_string();
    let events = [
        Offered {
            leg: LegId::First,
            from: CALLER.into(),
            to: QUEUE_NUMBER.into(),
        },
        Released {
            by: Party::First,
            sip_code: 487,
            reason: "Request Terminated".into(),
        },
        Ended,
    ];
    for (i, k) in events.into_iter().enumerate() {
        h.feed(&id, i as u32 + 1, k).await;
    }
    assert_eq!(h.cdr(&id).await.disposition, "AbandonedInQueue");
    assert_eq!(h.agent_legs().await[0].1, "missed");
}

#[tokio::test]
async fn no_ready_agent_refuses_480_and_records_the_overflow() {
    let h = Harness::build(Settings::default(), &NUMBERS, true).await;
    let v = h.route_inbound(QUEUE_NUMBER, CALLER, 1_000).await.unwrap();
    let id = v["call_id"].as_str().unwrap().to_string();
    assert_eq!(
        v,
        json!({
            "connect": false,
            "call_id": id,
            "instance_id": INSTANCE,
            "to": null,
            "ring_timeout_seconds": 0,
            "max_duration_seconds": 0,
            "sip_code": 480,
            "reason": "Temporarily Unavailable",
        })
    );
    let c = h.cdr(&id).await;
    assert_eq!(
        (
            c.call_type.as_str(),
            c.status.as_str(),
            c.disposition.as_str()
        ),
        ("Inbound", "ENDED", "QueueOverflow")
    );
    assert_eq!((c.start_ms, c.release_ms), (1_000, 1_000));
    assert_eq!(
        (c.release_initiator.as_str(), c.release_reason.as_str()),
        ("system", "480-Temporarily Unavailable")
    );
    assert_eq!(c.agent_user_id, None);
    assert_eq!(c.skill_group_id.as_deref(), Some("sg-2"));
    assert_eq!(names(&h, &id).await, ["EnterQueue", "ACDOverflow", "End"]);
    assert_eq!(h.log(&id).await[2].hang_uper, "byeSystem");
    assert!(h.agent_legs().await.is_empty());
    // Were the engine to report the refused call, its record would not change.
    for (seq, k) in [
        CallEventKind::Offered {
            leg: LegId::First,
            from: CALLER.into(),
            to: QUEUE_NUMBER.into(),
        },
        CallEventKind::Released {
            by: Party::System,
            sip_code: 480,
            reason: "Temporarily Unavailable".into(),
        },
        CallEventKind::Ended,
    ]
    .into_iter()
    .enumerate()
    {
        h.feed(&id, seq as u32 + 1, k).await;
    }
    assert_eq!(names(&h, &id).await, ["EnterQueue", "ACDOverflow", "End"]);
    assert_eq!(h.cdr(&id).await.disposition, "QueueOverflow");
    // One calls.call_ended, written with the record (the engine's events add none).
    let ended = h.calls_ended().await;
    assert_eq!(ended.len(), 1);
    let e = &ended[0];
    assert_eq!(
        (
            e.contact_id.as_str(),
            e.call_type.as_str(),
            e.disposition.as_str()
        ),
        (id.as_str(), "Inbound", "QueueOverflow")
    );
    assert_eq!(
        (
            e.route_kind.as_str(),
            e.skill_group_id.as_str(),
            e.agent_user_id.as_str()
        ),
        ("SkillGroup", "sg-2", "")
    );
    assert_eq!(
        (
            e.caller.as_str(),
            e.callee.as_str(),
            e.call_center_number.as_str()
        ),
        (CALLER, QUEUE_NUMBER, QUEUE_NUMBER)
    );
    assert_eq!(
        (e.start_ms, e.release_ms, e.bridged_ms, e.second_invite_ms),
        (1_000, 1_000, 0, 0)
    );
    assert_eq!(e.release_reason, "480-Temporarily Unavailable");
}

#[tokio::test]
async fn without_the_agents_plugin_a_queue_call_is_refused_and_recorded() {
    let h = Harness::build_with(Settings::default(), &NUMBERS, false, false).await;
    let v = typed(&h.route_inbound(QUEUE_NUMBER, CALLER, 1_000).await.unwrap());
    assert_eq!((v.connect, v.sip_code), (false, 480));
    assert_eq!(h.cdr(&v.call_id).await.disposition, "QueueOverflow");
}

#[tokio::test]
async fn an_unknown_number_is_refused_404_and_not_recorded() {
    let h = Harness::new().await;
    let v = h.route_inbound("01099999999", CALLER, 1_000).await.unwrap();
    assert_eq!(
        v,
        json!({
            "connect": false,
            "call_id": "",
            "instance_id": "",
            "to": null,
            "ring_timeout_seconds": 0,
            "max_duration_seconds": 0,
            "sip_code": 404,
            "reason": "Not Found",
        })
    );
    assert!(h.all_cdrs().await.is_empty());
    assert!(h.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_contact_flow_needs_the_media_server() {
    let h = Harness::new().await;
    let v = typed(&h.route_inbound(FLOW_NUMBER, CALLER, 1_000).await.unwrap());
    assert_eq!(
        (v.connect, v.sip_code, v.reason.as_str()),
        (false, 480, "Temporarily Unavailable")
    );
    let c = h.cdr(&v.call_id).await;
    assert_eq!(
        (
            c.status.as_str(),
            c.disposition.as_str(),
            c.route_point.as_str()
        ),
        ("ENDED", "NoAnswer", "flow-1")
    );
    assert_eq!(names(&h, &v.call_id).await, ["End"]);
    let ended = h.calls_ended().await;
    assert_eq!(ended.len(), 1);
    assert_eq!(
        (ended[0].route_kind.as_str(), ended[0].route_point.as_str()),
        ("ContactFlow", "flow-1")
    );

    let h = Harness::build(media_server(), &NUMBERS, false).await;
    let v = typed(&h.route_inbound(FLOW_NUMBER, CALLER, 1_000).await.unwrap());
    assert!(v.connect);
    let to = v.to.unwrap();
    assert_eq!(
        to.target,
        Target::Uri {
            uri: "sip:ivr@ms.example;flow=flow-1".into()
        }
    );
    assert_eq!(to.caller_id, CALLER);
    let c = h.cdr(&v.call_id).await;
    assert_eq!((c.status.as_str(), c.agent_user_id.clone()), ("LIVE", None));
    // Its second leg enters the IVR; nothing is queued.
    h.feed(
        &v.call_id,
        1,
        CallEventKind::Offered {
            leg: LegId::First,
            from: CALLER.into(),
            to: FLOW_NUMBER.into(),
        },
    )
    .await;
    h.feed(
        &v.call_id,
        2,
        CallEventKind::Inviting {
            leg: LegId::Second,
            uri: "sip:ivr@ms.example;flow=flow-1".into(),
        },
    )
    .await;
    assert_eq!(names(&h, &v.call_id).await, ["EnterIVR"]);
    assert!(h.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_flow_wins_with_a_media_server_and_the_skill_group_without() {
    let h = Harness::build(media_server(), &NUMBERS, false).await;
    let v = typed(
        &h.route_inbound(FLOW_AND_QUEUE_NUMBER, CALLER, 1_000)
            .await
            .unwrap(),
    );
    assert_eq!(
        v.to.unwrap().target,
        Target::Uri {
            uri: "sip:ivr@ms.example;flow=flow-2".into()
        }
    );
    let h = Harness::new().await;
    let v = typed(
        &h.route_inbound(FLOW_AND_QUEUE_NUMBER, CALLER, 1_000)
            .await
            .unwrap(),
    );
    assert!(matches!(v.to.unwrap().target, Target::Agent { .. }));
}

#[tokio::test]
async fn a_record_that_cannot_be_written_releases_the_reserved_agent() {
    use ccgate_plugin_sdk::sea_orm::ConnectionTrait;
    let h = Harness::new().await;
    h.env
        .db
        .execute_unprepared("DROP TABLE calls_cdr")
        .await
        .unwrap();
    let e = h
        .route_inbound(QUEUE_NUMBER, CALLER, 1_000)
        .await
        .unwrap_err();
    assert_eq!(e.status, 500);
    let asked = h.asked.lock().unwrap().clone();
    let last = asked.last().unwrap();
    assert_eq!(last.0, "transition");
    assert_eq!(
        (
            &last.1["command"],
            &last.1["user_id"],
            &last.1["instance_id"]
        ),
        (&json!("no_answer"), &json!("u-1"), &json!(INSTANCE))
    );
}

#[tokio::test]
async fn arguments_of_another_shape_are_a_caller_bug() {
    let h = Harness::new().await;
    let ctx = h.env.ctx(crate::api::dial_ex::SPEC, INSTANCE);
    let e = h
        .calls
        .query(&ctx, "route_inbound", json!({"called": 1}))
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
}
