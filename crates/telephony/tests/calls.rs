//! The SIP engine against real SIP phones (SIPp, Debian `sip-tester`): every test starts one
//! SIPp process per phone on its own loopback ports, places a call through the engine, and
//! checks SIPp's exit code, the SDP each phone received (RFC 3725 cross-wiring, from the
//! phones' own logs), the order of the call events and the release cause.
//!
//! Phones are reached through trunks by number prefix: "1001…" is the agent's phone, "2002…"
//! the customer's, as a deployer's `[[telephony.trunks]]` would route them.

mod support;

use std::time::Duration;

use ccgate_telephony::config::{CallerIdStyle, Flow, Transport, Trunk};
use ccgate_telephony::port::{InboundCall, InboundRoute};
use ccgate_telephony::{
    CallEvent, CallEventKind, DeviceCredential, DeviceDirectory, InboundRouter, Leg, LegId,
    NoDevices, NoInbound, Party, StartCall, Target, Telephony, TelephonyConfig,
};
use support::sipp::{Phone, PhoneSpec, Scenario};
use tokio::sync::mpsc::UnboundedReceiver;

const AGENT: &str = "1001";
const CUSTOMER: &str = "2002";

fn trunk(prefix: &str, port: u16, transport: Transport, flow: Flow) -> Trunk {
    Trunk {
        name: format!("to-{prefix}"),
        proxy: format!("127.0.0.1:{port}"),
        transport,
        prefixes: vec![prefix.to_string()],
        username: None,
        password: None,
        realm: None,
        register: false,
        register_expires_seconds: 300,
        caller_id: CallerIdStyle::From,
        flow,
    }
}

struct Rig {
    engine: Telephony,
    events: UnboundedReceiver<CallEvent>,
}

fn rig(trunks: Vec<Trunk>) -> Rig {
    rig_with(trunks, Box::new(NoDevices))
}

fn rig_with(trunks: Vec<Trunk>, devices: Box<dyn DeviceDirectory>) -> Rig {
    rig_routed(trunks, devices, Box::new(NoInbound))
}

fn rig_routed(
    trunks: Vec<Trunk>,
    devices: Box<dyn DeviceDirectory>,
    router: Box<dyn InboundRouter>,
) -> Rig {
    let mut config = TelephonyConfig::listening("127.0.0.1:0".parse().unwrap());
    config.trunks = trunks;
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let engine = Telephony::start(config, devices, router, tx).expect("engine starts");
    Rig { engine, events }
}

/// One device: `dev-1` of instance `ccc-test`, password `s3cret!`, ringing for agent `u-1`.
struct OneDevice;

#[async_trait::async_trait]
impl DeviceDirectory for OneDevice {
    async fn credential(&self, instance: &str, device: &str) -> Option<DeviceCredential> {
        (instance == "ccc-test" && device == "dev-1").then(|| DeviceCredential {
            user_id: "u-1".into(),
            password: "s3cret!".into(),
        })
    }
}

fn call(id: &str, ring_timeout_seconds: u32) -> StartCall {
    StartCall {
        call_id: id.into(),
        instance_id: "ccc-test".into(),
        first: Leg {
            target: Target::Number {
                number: format!("{AGENT}0001"),
            },
            caller_id: "057100001".into(),
        },
        second: Leg {
            target: Target::Number {
                number: format!("{CUSTOMER}0001"),
            },
            caller_id: "057100001".into(),
        },
        ring_timeout_seconds,
        max_duration_seconds: 0,
    }
}

/// The events of the call until `Ended` (panics after 30 s).
async fn until_ended(events: &mut UnboundedReceiver<CallEvent>) -> Vec<CallEvent> {
    let mut out = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the call ends within 30 s")
            .expect("engine running");
        let end = ev.kind == CallEventKind::Ended;
        out.push(ev);
        if end {
            return out;
        }
    }
}

fn kinds(events: &[CallEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match &e.kind {
            CallEventKind::Inviting { leg, .. } => format!("inviting {leg:?}"),
            CallEventKind::Ringing { leg } => format!("ringing {leg:?}"),
            CallEventKind::Answered { leg } => format!("answered {leg:?}"),
            CallEventKind::Failed { leg, sip_code, .. } => format!("failed {leg:?} {sip_code}"),
            CallEventKind::Bridged => "bridged".into(),
            CallEventKind::Released { by, sip_code, .. } => format!("released {by:?} {sip_code}"),
            CallEventKind::Held { leg, held } => format!("held {leg:?} {held}"),
            CallEventKind::Offered { from, to, .. } => format!("offered {from} -> {to}"),
            CallEventKind::Transferring { keep, .. } => format!("transferring keep {keep:?}"),
            CallEventKind::Ended => "ended".into(),
        })
        .collect()
}

fn assert_seq(events: &[CallEvent]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq as usize, i + 1, "gap-free sequence: {events:?}");
    }
    assert!(
        events.windows(2).all(|w| w[0].at_ms <= w[1].at_ms),
        "times never go back: {events:?}"
    );
}

fn released(events: &[CallEvent]) -> (Party, u16, String) {
    events
        .iter()
        .find_map(|e| match &e.kind {
            CallEventKind::Released {
                by,
                sip_code,
                reason,
            } => Some((*by, *sip_code, reason.clone())),
            _ => None,
        })
        .expect("a Released event")
}

fn phone(scenario: Scenario, who: &str, ring_ms: u64, talk_ms: u64) -> Phone {
    Phone::start(
        PhoneSpec::new(scenario, who)
            .ring_ms(ring_ms)
            .talk_ms(talk_ms),
    )
}

fn has_line(p: &Phone, needle: &str) -> bool {
    p.log_lines().iter().any(|l| l.contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_iv_bridges_the_phones_and_the_customer_hangs_up() {
    let agent = phone(Scenario::Uas, "agent", 200, 10_000);
    let customer = phone(Scenario::Uas, "customer", 500, 1_500);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    let started = r.engine.start_call(call("iv-1", 10)).await.unwrap();
    assert_eq!(
        started.first_uri,
        format!("sip:{AGENT}0001@127.0.0.1:{}", agent.port())
    );
    let events = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&events),
        [
            "inviting First",
            "ringing First",
            "answered First",
            "inviting Second",
            "ringing Second",
            "answered Second",
            "bridged",
            "released Second 200",
            "ended"
        ]
    );
    assert_seq(&events);
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    // Flow IV: the agent's first offer has no media; the customer's port reaches the agent in
    // the re-INVITE and the agent's in the customer's ACK.
    assert!(
        has_line(&agent, "media=[]") || has_line(&agent, "media="),
        "{}",
        agent.log()
    );
    assert!(
        has_line(
            &agent,
            &format!("re-INVITE received, offer: m=audio {}", customer.rtp_port())
        ),
        "{}",
        agent.log()
    );
    assert!(
        has_line(
            &customer,
            &format!("SDP in ACK: m=audio {}", agent.rtp_port())
        ),
        "{}",
        customer.log()
    );
    assert!(has_line(&agent, "BYE received"), "{}", agent.log());
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_iii_per_peer_and_the_agent_hangs_up_first() {
    let agent = phone(Scenario::Uas, "agent", 100, 1_500);
    let customer = phone(Scenario::Uas, "customer", 300, 10_000);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iii),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("iii-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert_eq!(released(&events).0, Party::First);
    assert!(kinds(&events).contains(&"bridged".to_string()));
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    // Flow III: the agent's INVITE had no SDP; its ACK carried the black hole, then the
    // customer's offer came in the re-INVITE.
    assert!(has_line(&agent, "SDP in ACK: m=audio 9"), "{}", agent.log());
    assert!(
        has_line(
            &agent,
            &format!("re-INVITE received, offer: m=audio {}", customer.rtp_port())
        ),
        "{}",
        agent.log()
    );
    assert!(
        has_line(
            &customer,
            &format!("SDP in ACK: m=audio {}", agent.rtp_port())
        ),
        "{}",
        customer.log()
    );
    assert!(has_line(&customer, "BYE received"), "{}", customer.log());
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_customer_gets_the_agent_a_bye_with_the_reason() {
    let agent = phone(Scenario::Uas, "agent", 100, 10_000);
    let customer = phone(Scenario::Busy, "customer", 300, 0);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("busy-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&events)[3..],
        [
            "inviting Second",
            "ringing Second",
            "failed Second 486",
            "released Second 486",
            "ended"
        ]
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert!(
        agent.messages().contains("Reason: SIP;cause=486"),
        "RFC 3725 §6: the BYE carries the cause\n{}",
        agent.messages()
    );
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_customer_is_cancelled_at_the_ring_timeout() {
    let agent = phone(Scenario::Uas, "agent", 100, 10_000);
    let customer = phone(Scenario::NoAnswer, "customer", 0, 0);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("noanswer-1", 2)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    let k = kinds(&events);
    assert_eq!(
        k[k.len() - 3..],
        ["failed Second 487", "released System 480", "ended"]
    );
    let ring = events
        .iter()
        .find(|e| e.kind == CallEventKind::Ringing { leg: LegId::Second })
        .unwrap();
    let failed = &events[events.len() - 3];
    let rang = failed.at_ms - ring.at_ms;
    assert!(
        (1_900..4_000).contains(&rang),
        "rang {rang} ms for a 2 s timeout"
    );
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert!(
        agent.messages().contains("cause=480"),
        "{}",
        agent.messages()
    );
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_agent_means_the_customer_is_never_called() {
    let agent = phone(Scenario::Busy, "agent", 100, 0);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        // Nobody listens here: a call to it would fail differently.
        trunk(
            CUSTOMER,
            support::sipp::free_udp_port(),
            Transport::Udp,
            Flow::Iv,
        ),
    ]);
    r.engine.start_call(call("agentbusy-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&events),
        [
            "inviting First",
            "ringing First",
            "failed First 486",
            "released First 486",
            "ended"
        ]
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_up_through_the_api_while_ringing_and_while_talking() {
    // While the customer rings: CANCEL it, BYE the agent.
    let agent = phone(Scenario::Uas, "agent", 100, 20_000);
    let customer = phone(Scenario::NoAnswer, "customer", 0, 0);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("api-ring", 30)).await.unwrap();
    loop {
        let ev = r.events.recv().await.unwrap();
        if ev.kind == (CallEventKind::Ringing { leg: LegId::Second }) {
            break;
        }
    }
    assert!(r.engine.hang_up("api-ring").await.unwrap().found);
    let rest = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&rest),
        ["failed Second 487", "released System 487", "ended"]
    );
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert!(!r.engine.hang_up("api-ring").await.unwrap().found);

    // While talking: BYE both.
    let agent = phone(Scenario::Uas, "agent", 100, 20_000);
    let customer = phone(Scenario::Uas, "customer", 100, 20_000);
    let mut r2 = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r2.engine.start_call(call("api-talk", 30)).await.unwrap();
    loop {
        if r2.events.recv().await.unwrap().kind == CallEventKind::Bridged {
            break;
        }
    }
    assert!(r2.engine.hang_up("api-talk").await.unwrap().found);
    let rest = until_ended(&mut r2.events).await;
    assert_eq!(kinds(&rest), ["released System 200", "ended"]);
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    r.engine.shutdown().await;
    r2.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_488_to_flow_iv_is_retried_as_flow_iii() {
    let agent = phone(Scenario::Reject488, "agent", 100, 1_000);
    let customer = phone(Scenario::Uas, "customer", 100, 10_000);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("fallback-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    let k = kinds(&events);
    assert_eq!(
        k.iter().filter(|k| *k == "inviting First").count(),
        2,
        "{k:?}"
    );
    assert!(k.contains(&"bridged".to_string()), "{k:?}");
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_ack_is_sent_again_when_the_200_is_retransmitted() {
    let agent = phone(Scenario::Uas, "agent", 100, 10_000);
    let customer = phone(Scenario::LostAck, "customer", 100, 2_000);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("lostack-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert!(kinds(&events).contains(&"bridged".to_string()));
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    let acks = customer
        .messages()
        .lines()
        .filter(|l| l.starts_with("ACK sip:"))
        .count();
    assert!(acks >= 2, "the ACK came twice:\n{}", customer.messages());
    assert!(
        has_line(&customer, "retransmitted 200 was ACKed"),
        "{}",
        customer.log()
    );
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_that_challenges_the_invite_gets_digest_credentials() {
    let agent = phone(Scenario::Uas, "agent", 100, 10_000);
    let customer = phone(Scenario::Auth401, "customer", 100, 1_000);
    let mut customer_trunk = trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv);
    customer_trunk.username = Some("1001".into());
    customer_trunk.password = Some("secret".into());
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        customer_trunk,
    ]);
    r.engine.start_call(call("auth-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert!(
        kinds(&events).contains(&"bridged".to_string()),
        "{:?}",
        kinds(&events)
    );
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert!(has_line(&customer, "valid=true"), "{}", customer.log());
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_tcp() {
    let agent = Phone::start(
        PhoneSpec::new(Scenario::Uas, "agent")
            .ring_ms(100)
            .talk_ms(10_000)
            .tcp(),
    );
    let customer = Phone::start(
        PhoneSpec::new(Scenario::Uas, "customer")
            .ring_ms(100)
            .talk_ms(1_000)
            .tcp(),
    );
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Tcp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Tcp, Flow::Iv),
    ]);
    r.engine.start_call(call("tcp-1", 10)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert_eq!(released(&events).0, Party::Second, "{:?}", kinds(&events));
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert!(agent.messages().contains("TCP"), "{}", agent.messages());
    r.engine.shutdown().await;
}

/// Waits for `kind` among the events; returns the events seen so far.
async fn until(events: &mut UnboundedReceiver<CallEvent>, kind: CallEventKind) -> Vec<CallEvent> {
    let mut out = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the event comes within 30 s")
            .expect("engine running");
        let done = ev.kind == kind;
        out.push(ev);
        if done {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_and_retrieve_re_invite_both_parties() {
    let agent = phone(Scenario::Uas, "agent", 100, 20_000);
    let customer = phone(Scenario::Uas, "customer", 100, 20_000);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    assert!(
        !r.engine.hold("hold-1", true).await.unwrap().found,
        "no such call yet"
    );
    r.engine.start_call(call("hold-1", 10)).await.unwrap();
    until(&mut r.events, CallEventKind::Bridged).await;
    assert!(r.engine.hold("hold-1", true).await.unwrap().found);
    assert!(r.engine.hold("hold-1", false).await.unwrap().found);
    r.engine.hang_up("hold-1").await.unwrap();
    let rest = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&rest),
        [
            "held First true",
            "held Second true",
            "held First false",
            "held Second false",
            "released System 200",
            "ended"
        ]
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    // The held offer to each party is the other's media, inactive.
    assert!(
        agent.messages().contains("a=inactive"),
        "{}",
        agent.messages()
    );
    assert!(
        has_line(
            &customer,
            &format!("re-INVITE received, offer: m=audio {}", agent.rtp_port())
        ),
        "{}",
        customer.log()
    );
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blind_transfer_replaces_the_second_party() {
    const OTHER: &str = "3003";
    let first = phone(Scenario::Uas, "customer", 100, 20_000);
    let second = phone(Scenario::Uas, "agent", 100, 20_000);
    let third = phone(Scenario::Uas, "supervisor", 300, 1_500);
    let mut r = rig(vec![
        trunk(AGENT, first.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, second.port(), Transport::Udp, Flow::Iv),
        trunk(OTHER, third.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("xfer-1", 10)).await.unwrap();
    until(&mut r.events, CallEventKind::Bridged).await;
    let to = Leg {
        target: Target::Number {
            number: format!("{OTHER}0001"),
        },
        caller_id: "057100001".into(),
    };
    let accepted = r
        .engine
        .transfer(ccgate_telephony::port::Transfer {
            call_id: "xfer-1".into(),
            keep: LegId::First,
            to,
            ring_timeout_seconds: 10,
        })
        .await
        .unwrap();
    assert!(accepted.found);
    let rest = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&rest),
        [
            "transferring keep First",
            "inviting Second",
            "ringing Second",
            "answered Second",
            "bridged",
            "released Second 200",
            "ended"
        ]
    );
    assert_eq!(third.wait(Duration::from_secs(15)), 0, "{}", third.log());
    assert_eq!(second.wait(Duration::from_secs(15)), 0, "{}", second.log());
    assert_eq!(first.wait(Duration::from_secs(15)), 0, "{}", first.log());
    assert!(
        second.messages().contains("Transferred"),
        "{}",
        second.messages()
    );
    // The kept party now talks to the new one.
    assert!(
        has_line(
            &first,
            &format!("re-INVITE received, offer: m=audio {}", third.rtp_port())
        ),
        "{}",
        first.log()
    );
    assert!(
        has_line(&third, &format!("SDP in ACK: m=audio {}", first.rtp_port())),
        "{}",
        third.log()
    );
    r.engine.shutdown().await;
}

fn wait_logged(p: &Phone, needle: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !has_line(p, needle) {
        assert!(
            std::time::Instant::now() < deadline,
            "{needle:?} never logged:\n{}",
            p.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_device_rings_for_its_agent_and_a_wrong_password_is_refused() {
    let customer = phone(Scenario::Uas, "customer", 100, 1_500);
    let mut r = rig_with(
        vec![trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv)],
        Box::new(OneDevice),
    );
    let registrar = r.engine.local_udp();
    let intruder = Phone::start(
        PhoneSpec::new(Scenario::Register { registrar }, "dev-1")
            .auth("dev-1", "wrong")
            .arg("-set")
            .arg("domain")
            .arg("ccc-test"),
    );
    wait_logged(&intruder, "REGISTER rejected: 403");
    assert_eq!(
        intruder.wait(Duration::from_secs(10)),
        0,
        "{}",
        intruder.log()
    );

    let device = Phone::start(
        PhoneSpec::new(Scenario::Register { registrar }, "dev-1")
            .auth("dev-1", "s3cret!")
            .arg("-set")
            .arg("domain")
            .arg("ccc-test")
            .ring_ms(100)
            .talk_ms(10_000),
    );
    wait_logged(&device, "registered (200 OK");
    let mut req = call("device-1", 10);
    // No agent PBX is configured: only the registration can reach the agent.
    req.first.target = Target::Agent {
        user_id: "u-1".into(),
        extension: "8001".into(),
    };
    r.engine.start_call(req).await.unwrap();
    let events = until_ended(&mut r.events).await;
    assert!(
        kinds(&events).contains(&"bridged".to_string()),
        "{:?}",
        kinds(&events)
    );
    assert_eq!(released(&events).0, Party::Second);
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(device.wait(Duration::from_secs(15)), 0, "{}", device.log());
    assert!(
        has_line(
            &device,
            &format!("re-INVITE received, offer: m=audio {}", customer.rtp_port())
        ),
        "{}",
        device.log()
    );

    // An agent with no registration and no PBX cannot be reached.
    let mut req = call("device-2", 10);
    req.first.target = Target::Agent {
        user_id: "u-2".into(),
        extension: "8002".into(),
    };
    let err = r.engine.start_call(req).await.unwrap_err();
    assert!(
        matches!(err, ccgate_telephony::PortError::NoRoute(_)),
        "{err:?}"
    );
    r.engine.shutdown().await;
}

/// Calls to 057100009 go to the agent phone (number 10010001 through the agent trunk);
/// anything else is not ours.
struct HotlineToAgent;

#[async_trait::async_trait]
impl InboundRouter for HotlineToAgent {
    async fn route(&self, call: InboundCall) -> InboundRoute {
        let ours = call.called == "057100009";
        InboundRoute {
            connect: ours,
            call_id: if ours { "in-1".into() } else { String::new() },
            instance_id: "ccc-test".into(),
            to: ours.then(|| Leg {
                target: Target::Number {
                    number: format!("{AGENT}0001"),
                },
                caller_id: call.caller.clone(),
            }),
            ring_timeout_seconds: 10,
            max_duration_seconds: 0,
            sip_code: if ours { 0 } else { 404 },
            reason: if ours {
                String::new()
            } else {
                "Not Found".into()
            },
        }
    }
}

/// SIPp's built-in UAC as the customer calling `number` at the engine: INVITE with an offer,
/// ACK, `talk_ms`, BYE.
fn customer_calls(engine: std::net::SocketAddr, number: &str, talk_ms: u64) -> std::process::Child {
    std::process::Command::new("sipp")
        .args(["-sn", "uac", &engine.to_string(), "-s", number])
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &support::sipp::free_udp_port().to_string(),
        ])
        .args([
            "-d",
            &talk_ms.to_string(),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "20",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sipp runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_call_is_answered_by_the_routed_party() {
    let agent = phone(Scenario::Uas, "agent", 300, 20_000);
    let mut r = rig_routed(
        vec![trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv)],
        Box::new(NoDevices),
        Box::new(HotlineToAgent),
    );
    let mut customer = customer_calls(r.engine.local_udp(), "057100009", 1_500);
    let events = until_ended(&mut r.events).await;
    assert_eq!(
        kinds(&events)[1..],
        [
            "inviting Second",
            "ringing Second",
            "answered Second",
            "answered First",
            "bridged",
            "released First 200",
            "ended"
        ]
    );
    assert!(
        kinds(&events)[0].starts_with("offered sipp -> 057100009"),
        "{:?}",
        kinds(&events)
    );
    assert_seq(&events);
    assert_eq!(
        customer.wait().unwrap().code(),
        Some(0),
        "the customer's call followed the script"
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    // The customer's offer reached the agent in the INVITE (sipp's built-in UAC offers m=audio
    // on port 6000).
    assert!(
        has_line(&agent, "media=[m=audio]") || agent.messages().contains("m=audio 6000"),
        "{}",
        agent.log()
    );
    assert!(has_line(&agent, "BYE received"), "{}", agent.log());

    // A number that is not ours: 404, no event.
    let mut stranger = customer_calls(r.engine.local_udp(), "0000000", 1_000);
    assert_ne!(stranger.wait().unwrap().code(), Some(0));
    assert!(
        tokio::time::timeout(Duration::from_millis(500), r.events.recv())
            .await
            .is_err(),
        "a refused call leaves no events"
    );
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_party_hanging_up_while_the_second_rings_cancels_the_second() {
    // The agent talks 1 s (hangs up), the customer never answers.
    let agent = phone(Scenario::Uas, "agent", 100, 1_000);
    let customer = phone(Scenario::NoAnswer, "customer", 0, 0);
    let mut r = rig(vec![
        trunk(AGENT, agent.port(), Transport::Udp, Flow::Iv),
        trunk(CUSTOMER, customer.port(), Transport::Udp, Flow::Iv),
    ]);
    r.engine.start_call(call("abandon-1", 30)).await.unwrap();
    let events = until_ended(&mut r.events).await;
    let k = kinds(&events);
    assert_eq!(
        k[k.len() - 3..],
        ["failed Second 487", "released First 487", "ended"],
        "{k:?}"
    );
    assert_eq!(
        customer.wait(Duration::from_secs(15)),
        0,
        "{}",
        customer.log()
    );
    assert_eq!(agent.wait(Duration::from_secs(15)), 0, "{}", agent.log());
    r.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_that_wants_registration_gets_a_register_with_its_credentials() {
    let registrar = Phone::start(PhoneSpec::new(
        Scenario::Custom("trunk_registrar.xml"),
        "trunk",
    ));
    let mut t = trunk(CUSTOMER, registrar.port(), Transport::Udp, Flow::Iv);
    t.username = Some("1001".into());
    t.password = Some("secret".into());
    t.register = true;
    t.register_expires_seconds = 120;
    let r = rig(vec![t]);
    assert_eq!(
        registrar.wait(Duration::from_secs(15)),
        0,
        "{}",
        registrar.log()
    );
    assert!(has_line(&registrar, "valid=true"), "{}", registrar.log());
    r.engine.shutdown().await;
}
