//! The property test of issue 13: random days of calls and agent-state changes, delivered to
//! [`crate::ingest`] in a random interleaving with redeliveries, give per-piece figures from
//! the rollups ([`crate::compute`]) equal to the figures recomputed naively from the raw events
//! ([`crate::naive`]), for every scope, for whole days, partial days and 5-minute buckets; and
//! `rebuild` reproduces the rollups exactly.

use std::sync::Arc;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use ccgate_plugin_sdk::testing::TestEnv;
use proptest::prelude::*;

use crate::clock::{self, Piece};
use crate::compute::{self, Scope};
use crate::counts::{self, Criteria, Filter};
use crate::facts::{CallEnded, StateChanged};
use crate::storage::daily;
use crate::zones::Zones;
use crate::{ReportsPlugin, ingest, naive, rebuild};

const INSTANCE: &str = "inst-1";
/// 2024-03-30 20:00 UTC: the window crosses Shanghai's and Berlin's midnights and Berlin's
/// daylight-saving change (2024-03-31 02:00 local).
const T0: i64 = 1_711_828_800_000;
const WINDOW: i64 = 36 * 3_600_000;
const AGENTS: [&str; 3] = ["u1", "u2", "u3"];
const GROUPS: [&str; 2] = ["g1", "g2"];

#[derive(Debug, Clone)]
struct Script {
    calls: Vec<CallEnded>,
    log: Vec<StateChanged>,
    /// Delivery order: (is_call, index), with redeliveries.
    order: Vec<(bool, usize)>,
    berlin: bool,
}

fn call_strategy() -> impl Strategy<Value = CallEnded> {
    (
        (0..WINDOW, 0..4usize, 0..4usize, 0..3usize, 0..3usize),
        (
            0..60_000i64,
            0..30_000i64,
            0..200_000i64,
            any::<bool>(),
            0..6usize,
            any::<bool>(),
        ),
        (0..3usize, any::<bool>()),
    )
        .prop_map(
            |(
                (start, kind, agent, group, number),
                (invite, ring, talk, answered, disp, first),
                (route, transfer),
            )| {
                let start_ms = T0 + start;
                let call_type = ["Inbound", "Outbound", "Back2Back", "Inbound"][kind];
                let agent = if agent < 3 { AGENTS[agent] } else { "" };
                let second_invite_ms = if invite > 0 { start_ms + invite } else { 0 };
                let second_answer_ms = if answered && second_invite_ms > 0 {
                    second_invite_ms + ring
                } else {
                    0
                };
                let bridged_ms = second_answer_ms;
                let release_ms = start_ms + invite + ring + talk + 1;
                CallEnded {
                    contact_id: String::new(),
                    instance_id: INSTANCE.into(),
                    call_type: call_type.into(),
                    caller: "13800000001".into(),
                    callee: "13900000002".into(),
                    call_center_number: ["057100001", "057100002", ""][number].into(),
                    route_point: String::new(),
                    route_kind: ["SkillGroup", "ContactFlow", ""][route].into(),
                    agent_user_id: agent.into(),
                    agent_login_name: agent.into(),
                    agent_display_name: String::new(),
                    skill_group_id: if group < 2 {
                        GROUPS[group].into()
                    } else {
                        String::new()
                    },
                    start_ms,
                    first_ring_ms: 0,
                    first_answer_ms: if first { start_ms + 10 } else { 0 },
                    second_invite_ms,
                    second_ring_ms: 0,
                    second_answer_ms,
                    bridged_ms,
                    release_ms,
                    release_initiator: "customer".into(),
                    release_reason: "200-OK".into(),
                    disposition: [
                        "Success",
                        "NoAnswer",
                        "QueueOverflow",
                        "AbandonedInQueue",
                        "AbandonedRing",
                        "AbandonedInContactFlow",
                    ][disp]
                        .into(),
                    agent_first: first,
                    transferred_by_user_id: if transfer && !agent.is_empty() {
                        "u3".into()
                    } else {
                        String::new()
                    },
                }
            },
        )
}

fn transition_strategy() -> impl Strategy<Value = (usize, i64, usize, usize, usize)> {
    // (agent, gap ms, state, groups mask, job index)
    (
        0..3usize,
        1..(4 * 3_600_000i64),
        0..7usize,
        0..4usize,
        0..8usize,
    )
}

fn script_strategy() -> impl Strategy<Value = Script> {
    (
        prop::collection::vec(call_strategy(), 0..14),
        prop::collection::vec(transition_strategy(), 0..30),
        any::<bool>(),
        prop::collection::vec(any::<u16>(), 0..80),
    )
        .prop_map(|(mut calls, steps, berlin, shuffle)| {
            for (i, c) in calls.iter_mut().enumerate() {
                c.contact_id = format!("c{i:03}");
            }
            let mut at = [T0 - 3_600_000; 3];
            let mut log = Vec::new();
            for (agent, gap, st, mask, job) in steps {
                at[agent] += gap;
                if at[agent] > T0 + WINDOW {
                    continue;
                }
                let state = [
                    "READY", "BREAK", "BREAK", "RINGING", "TALKING", "WORKING", "OFFLINE",
                ][st];
                let break_code = match st {
                    1 => "Lunch",
                    2 => "Warm-up",
                    _ => "",
                };
                let groups: Vec<String> = GROUPS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, g)| g.to_string())
                    .collect();
                log.push(StateChanged {
                    instance_id: INSTANCE.into(),
                    seq: 0,
                    user_id: AGENTS[agent].into(),
                    login_name: AGENTS[agent].into(),
                    state: state.into(),
                    previous: String::new(),
                    break_code: break_code.into(),
                    skill_group_ids: groups,
                    job_id: if job < calls.len() {
                        calls[job].contact_id.clone()
                    } else {
                        String::new()
                    },
                    cause: "test".into(),
                    at_ms: at[agent],
                });
            }
            log.sort_by_key(|e| e.at_ms);
            for (i, e) in log.iter_mut().enumerate() {
                e.seq = i as i64 + 1;
            }
            // Deliveries: the state log in order (its stream's order), calls anywhere, and
            // random redeliveries of either.
            let mut order: Vec<(bool, usize)> = (0..log.len()).map(|i| (false, i)).collect();
            for (k, i) in (0..calls.len()).enumerate() {
                let at = shuffle
                    .get(k)
                    .map_or(0, |r| *r as usize % (order.len() + 1));
                order.insert(at, (true, i));
            }
            for r in shuffle.iter().skip(calls.len()) {
                let pick = *r as usize % (order.len().max(1));
                if let Some(&d) = order.get(pick) {
                    let at = (*r as usize / 7) % (order.len() + 1);
                    // A redelivered state event comes after its first delivery.
                    let at = if d.0 { at } else { at.max(pick + 1) };
                    order.insert(at.min(order.len()), d);
                }
            }
            Script {
                calls,
                log,
                order,
                berlin,
            }
        })
}

fn zones(berlin: bool) -> Zones {
    let mut z = Zones::default();
    if berlin {
        z.default = chrono_tz::Europe::Berlin;
    }
    z
}

async fn rollups(db: &DatabaseConnection) -> Vec<daily::Model> {
    daily::Entity::find()
        .order_by_asc(daily::Column::Dim)
        .order_by_asc(daily::Column::DimId)
        .order_by_asc(daily::Column::LocalDay)
        .all(db)
        .await
        .unwrap()
}

fn scopes() -> Vec<Scope> {
    vec![
        Scope::Instance,
        Scope::Agents(AGENTS.iter().map(|s| s.to_string()).collect()),
        Scope::Groups(GROUPS.iter().map(|s| s.to_string()).collect()),
        Scope::Numbers,
    ]
}

async fn check(script: Script, ranges: Vec<(i64, i64, bool)>) {
    let z = zones(script.berlin);
    let env = TestEnv::new(vec![Arc::new(ReportsPlugin::with_zones(z.clone()))]).await;
    for (is_call, i) in &script.order {
        if *is_call {
            ingest::call_ended(&env.db, &z, &script.calls[*i])
                .await
                .unwrap();
        } else {
            ingest::state_changed(&env.db, &z, &script.log[*i])
                .await
                .unwrap();
        }
    }
    let now = T0 + WINDOW + 1_800_000;
    let tz = z.default;
    let mut all_ranges = ranges;
    all_ranges.push((T0 - 7_200_000, T0 + WINDOW + 3_600_000, false));
    for (s, e, minute5) in all_ranges {
        let pieces: Vec<Piece> = if minute5 {
            clock::minute5_pieces(tz, s, e.min(s + 4 * 3_600_000))
        } else {
            clock::day_pieces(tz, s, e)
        };
        for scope in scopes() {
            let got = compute::tallies(&env.db, INSTANCE, &pieces, &scope, now)
                .await
                .unwrap();
            let want = naive::tallies(&script.calls, &script.log, INSTANCE, &pieces, &scope, now);
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                let g: Vec<_> = g
                    .iter()
                    .filter(|(_, t)| **t != Default::default())
                    .collect();
                let w: Vec<_> = w
                    .iter()
                    .filter(|(_, t)| **t != Default::default())
                    .collect();
                assert_eq!(g, w, "scope {scope:?}, piece {k} {:?}", pieces[k]);
            }
        }
    }
    check_counts(&env.db, &script, tz).await;
    let before = rollups(&env.db).await;
    rebuild::rebuild(&env.db, &z, None).await.unwrap();
    assert_eq!(
        rollups(&env.db).await,
        before,
        "rebuild changed the rollups"
    );
    // Rebuilt counts answer as the incremental ones did.
    check_counts(&env.db, &script, tz).await;
}

/// ListCallDetailRecords' TotalCount from the per-day counts ([`counts::total`]) equals the
/// calls counted one by one, for ranges with and without whole local days and partial ends.
async fn check_counts(db: &DatabaseConnection, script: &Script, tz: chrono_tz::Tz) {
    let day0 = clock::local_day(tz, T0);
    let ranges = [
        (T0 - 2 * 86_400_000, T0 + WINDOW + 2 * 86_400_000),
        (clock::day_start(tz, day0), clock::day_start(tz, day0 + 1)),
        (clock::day_start(tz, day0 + 1), T0 + WINDOW),
        (T0 + 3_600_000, clock::day_start(tz, day0 + 2) + 1),
        (T0 + 3_600_000, T0 + 7_200_000),
    ];
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let filters = [
        Filter::default(),
        Filter {
            types: s(&["Inbound"]),
            ..Filter::default()
        },
        Filter {
            dispositions: s(&["Success", "NoAnswer"]),
            ..Filter::default()
        },
        Filter {
            number: Some("057100001".into()),
            ..Filter::default()
        },
        Filter {
            types: s(&["Outbound", "Back2Back"]),
            dispositions: s(&["Success"]),
            number: Some("057100002".into()),
        },
    ];
    for (start, stop) in ranges {
        for f in &filters {
            let want = script
                .calls
                .iter()
                .filter(|c| (start..stop).contains(&c.start_ms))
                .filter(|c| f.types.is_empty() || f.types.contains(&c.call_type))
                .filter(|c| f.dispositions.is_empty() || f.dispositions.contains(&c.disposition))
                .filter(|c| f.number.as_ref().is_none_or(|n| *n == c.call_center_number))
                .count() as u64;
            let got = counts::total(db, tz, INSTANCE, start, stop, f)
                .await
                .unwrap();
            assert_eq!(got, want, "TotalCount of [{start}, {stop}) with {f:?}");
        }
        for c in [
            // a group's name: its daily rollups plus the person's calls outside the group
            Criteria {
                text: "u1".into(),
                groups: vec!["g2".into()],
            },
            Criteria {
                text: "13800000001".into(),
                groups: vec!["g1".into(), "g2".into()],
            },
            Criteria {
                text: "u2".into(),
                groups: Vec::new(),
            },
        ] {
            let want = script
                .calls
                .iter()
                .filter(|k| (start..stop).contains(&k.start_ms))
                .filter(|k| {
                    let customer = if k.call_type == "Inbound" {
                        &k.caller
                    } else {
                        &k.callee
                    };
                    *customer == c.text
                        || k.agent_login_name == c.text
                        || c.groups.contains(&k.skill_group_id)
                })
                .count() as u64;
            let got = counts::total_by_criteria(db, tz, INSTANCE, start, stop, &c)
                .await
                .unwrap();
            assert_eq!(got, want, "TotalCount of [{start}, {stop}) with {c:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn rollups_and_raw_edges_equal_the_naive_figures(
        script in script_strategy(),
        ranges in prop::collection::vec((0..WINDOW, 0..WINDOW, any::<bool>()), 1..4),
    ) {
        let ranges = ranges
            .into_iter()
            .map(|(a, b, m)| (T0 + a.min(b), T0 + a.max(b) + 1, m))
            .collect();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check(script, ranges));
    }
}
