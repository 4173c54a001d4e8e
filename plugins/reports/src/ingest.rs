//! The subscription `reports.rollups`: applies `calls.call_ended` and `agents.state_changed`
//! to the reports' own tables and the daily rollups, each event in ONE write transaction.
//!
//! Idempotent: a call already stored (its contact id) and a state transition at or below the
//! agent's open period's `seq` are redeliveries and change nothing, so replaying an event
//! twice leaves identical figures. The host delivers both topics to this one subscriber in
//! commit order; a call's after-call work normally ends after the call is stored, and when it
//! does not (a replay, a rebuild of the agents side) [`call_ended`] picks up the work already
//! recorded.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use ccgate_plugin_sdk::storage::begin_write;
use chrono_tz::Tz;

use crate::clock;
use crate::facts::{CallEnded, CallFigures, INBOUND, StateChanged, state};
use crate::storage::{call, daily, fragment, open};
use crate::tally::Tally;
use crate::zones::Zones;

/// Adds `t` to the rollup row of (`instance`, `dim`, `dim_id`, `day`), creating it.
///
/// Errors: storage.
pub async fn add_to_day<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    dim: &str,
    dim_id: &str,
    day: i32,
    t: &Tally,
) -> Result<(), DbErr> {
    let key = (
        instance.to_string(),
        dim.to_string(),
        dim_id.to_string(),
        day,
    );
    match daily::Entity::find_by_id(key).one(db).await? {
        Some(row) => {
            let mut sum: Tally = serde_json::from_str(&row.tally).unwrap_or_default();
            sum.merge(t);
            let mut am = row.into_active_model();
            am.tally = Set(json(&sum));
            am.update(db).await?;
        }
        None => {
            daily::ActiveModel {
                instance_id: Set(instance.to_string()),
                dim: Set(dim.to_string()),
                dim_id: Set(dim_id.to_string()),
                local_day: Set(day),
                tally: Set(json(t)),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// The JSON of a tally.
pub fn json(t: &Tally) -> String {
    serde_json::to_string(t).unwrap_or_else(|_| "{}".into())
}

/// The scopes a call counts in: the instance, its agent, its skill group, its number.
pub fn call_scopes(c: &call::Model) -> Vec<(&'static str, String)> {
    let mut out = vec![(daily::INSTANCE, String::new())];
    if !c.agent_user_id.is_empty() {
        out.push((daily::AGENT, c.agent_user_id.clone()));
    }
    if !c.skill_group_id.is_empty() {
        out.push((daily::SKILL_GROUP, c.skill_group_id.clone()));
    }
    if !c.call_center_number.is_empty() {
        out.push((daily::NUMBER, c.call_center_number.clone()));
    }
    out
}

/// The scopes a state period counts in: the instance, its agent, its signed-in skill groups.
pub fn period_scopes(user_id: &str, groups: &[String]) -> Vec<(&'static str, String)> {
    let mut out = vec![
        (daily::INSTANCE, String::new()),
        (daily::AGENT, user_id.to_string()),
    ];
    for g in groups {
        out.push((daily::SKILL_GROUP, g.clone()));
    }
    out
}

/// The reports row of an ended call, before its after-call work.
pub fn call_row(ev: &CallEnded, tz: Tz) -> call::Model {
    call::Model {
        contact_id: ev.contact_id.clone(),
        instance_id: ev.instance_id.clone(),
        call_type: ev.call_type.clone(),
        caller: ev.caller.clone(),
        callee: ev.callee.clone(),
        call_center_number: ev.call_center_number.clone(),
        customer_number: if ev.call_type == INBOUND {
            ev.caller.clone()
        } else {
            ev.callee.clone()
        },
        route_point: ev.route_point.clone(),
        route_kind: ev.route_kind.clone(),
        agent_user_id: ev.agent_user_id.clone(),
        agent_login_name: ev.agent_login_name.clone(),
        agent_display_name: ev.agent_display_name.clone(),
        skill_group_id: ev.skill_group_id.clone(),
        transferred_by_user_id: ev.transferred_by_user_id.clone(),
        start_ms: ev.start_ms,
        first_ring_ms: ev.first_ring_ms,
        first_answer_ms: ev.first_answer_ms,
        second_invite_ms: ev.second_invite_ms,
        second_ring_ms: ev.second_ring_ms,
        second_answer_ms: ev.second_answer_ms,
        bridged_ms: ev.bridged_ms,
        release_ms: ev.release_ms,
        release_initiator: ev.release_initiator.clone(),
        release_reason: ev.release_reason.clone(),
        disposition: ev.disposition.clone(),
        agent_first: ev.agent_first,
        work_ms: 0,
        local_day: clock::local_day(tz, ev.start_ms),
    }
}

/// The CallEnded a stored row was made from (for figures).
pub fn event_of(c: &call::Model) -> CallEnded {
    CallEnded {
        contact_id: c.contact_id.clone(),
        instance_id: c.instance_id.clone(),
        call_type: c.call_type.clone(),
        caller: c.caller.clone(),
        callee: c.callee.clone(),
        call_center_number: c.call_center_number.clone(),
        route_point: c.route_point.clone(),
        route_kind: c.route_kind.clone(),
        agent_user_id: c.agent_user_id.clone(),
        agent_login_name: c.agent_login_name.clone(),
        agent_display_name: c.agent_display_name.clone(),
        skill_group_id: c.skill_group_id.clone(),
        start_ms: c.start_ms,
        first_ring_ms: c.first_ring_ms,
        first_answer_ms: c.first_answer_ms,
        second_invite_ms: c.second_invite_ms,
        second_ring_ms: c.second_ring_ms,
        second_answer_ms: c.second_answer_ms,
        bridged_ms: c.bridged_ms,
        release_ms: c.release_ms,
        release_initiator: c.release_initiator.clone(),
        release_reason: c.release_reason.clone(),
        disposition: c.disposition.clone(),
        agent_first: c.agent_first,
        transferred_by_user_id: c.transferred_by_user_id.clone(),
    }
}

/// What one stored call adds to its day, per scope (the transfer counts for the agent who
/// transferred it away).
pub fn call_contributions(c: &call::Model) -> Vec<(&'static str, String, Tally)> {
    let mut t = Tally::default();
    t.add_call(&CallFigures::of(&event_of(c)), c.work_ms);
    let mut out: Vec<_> = call_scopes(c)
        .into_iter()
        .map(|(d, id)| (d, id, t.clone()))
        .collect();
    if !c.transferred_by_user_id.is_empty() {
        out.push((
            daily::AGENT,
            c.transferred_by_user_id.clone(),
            Tally {
                transfers: 1,
                ..Tally::default()
            },
        ));
    }
    out
}

/// What one closed fragment adds to its day, per scope.
pub fn fragment_contributions(f: &fragment::Model) -> Vec<(&'static str, String, Tally)> {
    let mut t = Tally::default();
    t.add_state_time(&f.state, &f.break_code, f.frag_end_ms - f.frag_start_ms);
    if f.first {
        t.add_period_begun(&f.state, f.period_ms);
    }
    let groups: Vec<String> = serde_json::from_str(&f.skill_group_ids).unwrap_or_default();
    period_scopes(&f.user_id, &groups)
        .into_iter()
        .map(|(d, id)| (d, id, t.clone()))
        .collect()
}

/// Stores an ended call and adds it to the rollups and the call counts of its local day.
/// Answers `false` for a redelivery (the call is already stored).
///
/// Errors: storage; nothing is stored then.
pub async fn call_ended(
    db: &DatabaseConnection,
    zones: &Zones,
    ev: &CallEnded,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    if call::Entity::find_by_id(ev.contact_id.clone())
        .one(&txn)
        .await?
        .is_some()
    {
        txn.rollback().await?;
        return Ok(false);
    }
    let mut row = call_row(ev, zones.of(&ev.instance_id));
    row.work_ms = fragment::Entity::find()
        .filter(fragment::Column::InstanceId.eq(&ev.instance_id))
        .filter(fragment::Column::JobId.eq(&ev.contact_id))
        .filter(fragment::Column::State.eq(state::WORKING))
        .all(&txn)
        .await?
        .iter()
        .map(|f| f.frag_end_ms - f.frag_start_ms)
        .sum();
    for (dim, id, t) in call_contributions(&row) {
        add_to_day(&txn, &row.instance_id, dim, &id, row.local_day, &t).await?;
    }
    crate::counts::add(&txn, &row).await?;
    call::ActiveModel::from(row).insert(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// The fragments of the period `[since, until)` of `o`, split at local midnights of `tz`.
pub fn fragments_of(o: &open::Model, until: i64, tz: Tz) -> Vec<fragment::Model> {
    clock::day_pieces(tz, o.since_ms, until)
        .into_iter()
        .enumerate()
        .map(|(i, p)| fragment::Model {
            instance_id: o.instance_id.clone(),
            start_seq: o.seq,
            local_day: p.day,
            user_id: o.user_id.clone(),
            state: o.state.clone(),
            break_code: o.break_code.clone(),
            skill_group_ids: o.skill_group_ids.clone(),
            job_id: o.job_id.clone(),
            frag_start_ms: p.start,
            frag_end_ms: p.end,
            first: i == 0,
            period_ms: until - o.since_ms,
        })
        .collect()
}

/// Applies one agent-state transition: closes the agent's open period (its fragments and
/// their rollups; a WORKING period's length becomes its call's after-call work) and opens the
/// next. Answers `false` for a redelivery.
///
/// Errors: storage; nothing is stored then.
pub async fn state_changed(
    db: &DatabaseConnection,
    zones: &Zones,
    ev: &StateChanged,
) -> Result<bool, DbErr> {
    let tz = zones.of(&ev.instance_id);
    let txn = begin_write(db).await?;
    let current = open::Entity::find_by_id((ev.instance_id.clone(), ev.user_id.clone()))
        .one(&txn)
        .await?;
    if current.as_ref().is_some_and(|o| o.seq >= ev.seq) {
        txn.rollback().await?;
        return Ok(false);
    }
    if let Some(o) = &current {
        let until = ev.at_ms.max(o.since_ms);
        let frags = fragments_of(o, until, tz);
        for f in &frags {
            for (dim, id, t) in fragment_contributions(f) {
                add_to_day(&txn, &f.instance_id, dim, &id, f.local_day, &t).await?;
            }
        }
        if !frags.is_empty() {
            fragment::Entity::insert_many(frags.into_iter().map(fragment::ActiveModel::from))
                .exec(&txn)
                .await?;
        }
        if o.state == state::WORKING && !o.job_id.is_empty() && until > o.since_ms {
            add_work(&txn, &o.instance_id, &o.job_id, until - o.since_ms).await?;
        }
    }
    let next = open::ActiveModel {
        instance_id: Set(ev.instance_id.clone()),
        user_id: Set(ev.user_id.clone()),
        seq: Set(ev.seq),
        state: Set(ev.state.clone()),
        break_code: Set(ev.break_code.clone()),
        skill_group_ids: Set(serde_json::to_string(&ev.skill_group_ids).unwrap_or_default()),
        job_id: Set(ev.job_id.clone()),
        since_ms: Set(ev.at_ms),
    };
    if current.is_some() {
        next.update(&txn).await?;
    } else {
        next.insert(&txn).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Adds `ms` of after-call work to stored call `contact_id` and its day's rollups; nothing
/// when the call is not stored (yet: [`call_ended`] sums the work then).
async fn add_work<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    contact_id: &str,
    ms: i64,
) -> Result<(), DbErr> {
    let Some(c) = call::Entity::find_by_id(contact_id.to_string())
        .filter(call::Column::InstanceId.eq(instance))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let total = c.work_ms + ms;
    let mut t = Tally::default();
    t.add_work(c.call_type == INBOUND, ms, total);
    for (dim, id) in call_scopes(&c) {
        add_to_day(db, instance, dim, &id, c.local_day, &t).await?;
    }
    let mut am = c.into_active_model();
    am.work_ms = Set(total);
    am.update(db).await?;
    Ok(())
}

/// Sums contributions into per-(dim, id, day) tallies (rebuild).
pub fn accumulate(
    into: &mut BTreeMap<(String, String, i32), Tally>,
    day: i32,
    contributions: Vec<(&'static str, String, Tally)>,
) {
    for (dim, id, t) in contributions {
        into.entry((dim.to_string(), id, day))
            .or_default()
            .merge(&t);
    }
}
