//! The reports recomputed naively from the raw events, for the property test: no rollups,
//! no fragments, no database; periods rebuilt from each agent's transitions in order.

use std::collections::BTreeMap;

use crate::clock::Piece;
use crate::compute::{Scope, Tallies};
use crate::facts::{CallEnded, CallFigures, StateChanged, state};
use crate::tally::Tally;

/// A state period rebuilt from two transitions (`end` None while open).
struct Period<'a> {
    ev: &'a StateChanged,
    end: Option<i64>,
}

fn periods(log: &[StateChanged]) -> Vec<Period<'_>> {
    let mut by_agent: BTreeMap<(&str, &str), Vec<&StateChanged>> = BTreeMap::new();
    for e in log {
        by_agent
            .entry((&e.instance_id, &e.user_id))
            .or_default()
            .push(e);
    }
    let mut out = Vec::new();
    for (_, mut evs) in by_agent {
        evs.sort_by_key(|e| e.seq);
        evs.dedup_by_key(|e| e.seq);
        for (i, e) in evs.iter().enumerate() {
            out.push(Period {
                ev: e,
                end: evs.get(i + 1).map(|n| n.at_ms.max(e.at_ms)),
            });
        }
    }
    out
}

/// The figures of `scope` of `instance` in each piece, from `calls` and the state `log`
/// (duplicates allowed in both), open periods counted up to `now`.
pub fn tallies(
    calls: &[CallEnded],
    log: &[StateChanged],
    instance: &str,
    pieces: &[Piece],
    scope: &Scope,
    now: i64,
) -> Vec<Tallies> {
    let mut calls: Vec<&CallEnded> = calls.iter().filter(|c| c.instance_id == instance).collect();
    calls.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
    calls.dedup_by(|a, b| a.contact_id == b.contact_id);
    let log: Vec<StateChanged> = log
        .iter()
        .filter(|e| e.instance_id == instance)
        .cloned()
        .collect();
    let periods = periods(&log);
    let work = |contact: &str| -> i64 {
        periods
            .iter()
            .filter(|p| p.ev.state == state::WORKING && p.ev.job_id == contact)
            .filter_map(|p| p.end.map(|e| e - p.ev.at_ms))
            .sum()
    };
    let wants = |id: &str, ids: &[String]| ids.iter().any(|i| i == id);
    let mut out = vec![Tallies::new(); pieces.len()];
    for (k, p) in pieces.iter().enumerate() {
        for c in &calls {
            if c.start_ms < p.start || c.start_ms >= p.end {
                continue;
            }
            let mut t = Tally::default();
            t.add_call(&CallFigures::of(c), work(&c.contact_id));
            let keys: Vec<String> = match scope {
                Scope::Instance => vec![String::new()],
                Scope::Agents(ids) => [c.agent_user_id.clone()]
                    .into_iter()
                    .filter(|a| wants(a, ids))
                    .collect(),
                Scope::Groups(ids) => [c.skill_group_id.clone()]
                    .into_iter()
                    .filter(|g| wants(g, ids))
                    .collect(),
                Scope::Numbers => [c.call_center_number.clone()]
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .collect(),
            };
            for key in keys {
                out[k].entry(key).or_default().merge(&t);
            }
            if let Scope::Agents(ids) = scope
                && !c.transferred_by_user_id.is_empty()
                && wants(&c.transferred_by_user_id, ids)
            {
                out[k]
                    .entry(c.transferred_by_user_id.clone())
                    .or_default()
                    .transfers += 1;
            }
        }
        if matches!(scope, Scope::Numbers) {
            continue;
        }
        for per in &periods {
            let start = per.ev.at_ms;
            if per.end == Some(start) {
                continue; // a closed period of no length leaves nothing (as in ingest)
            }
            let end = per.end.unwrap_or(now.max(start));
            let mut t = Tally::default();
            t.add_state_time(
                &per.ev.state,
                &per.ev.break_code,
                end.min(p.end) - start.max(p.start),
            );
            if start >= p.start && start < p.end {
                t.add_period_begun(&per.ev.state, end - start);
            }
            if t == Tally::default() {
                continue;
            }
            let keys: Vec<String> = match scope {
                Scope::Instance => vec![String::new()],
                Scope::Agents(ids) => [per.ev.user_id.clone()]
                    .into_iter()
                    .filter(|a| wants(a, ids))
                    .collect(),
                Scope::Groups(ids) => per
                    .ev
                    .skill_group_ids
                    .iter()
                    .filter(|g| wants(g, ids))
                    .cloned()
                    .collect(),
                Scope::Numbers => Vec::new(),
            };
            for key in keys {
                out[k].entry(key).or_default().merge(&t);
            }
        }
    }
    out
}
