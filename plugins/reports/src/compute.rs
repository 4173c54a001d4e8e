//! Report figures over any stretch of time: the daily rollups for the local days wholly inside
//! it, the reports' own raw records (calls, state fragments) for the partial days at its
//! edges and for 5-minute buckets, and the agents' open periods up to "now".
//!
//! A request reads at most: one rollup range per scope list, and per run of partial pieces
//! one indexed range of calls and of fragments, so a year-long range costs ~365 rollup rows
//! per scope and no raw rows beyond its two edge days.

use std::collections::{BTreeMap, BTreeSet};

use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

use crate::clock::Piece;
use crate::ingest::{call_contributions, fragment_contributions};
use crate::storage::{call, daily, fragment, open};
use crate::tally::Tally;

/// Which scopes a report wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The instance (key "").
    Instance,
    /// These agents (keys: UserIds).
    Agents(Vec<String>),
    /// These skill groups (keys: SkillGroupIds).
    Groups(Vec<String>),
    /// Every call center number (keys: numbers; metering).
    Numbers,
}

impl Scope {
    fn dim(&self) -> &'static str {
        match self {
            Scope::Instance => daily::INSTANCE,
            Scope::Agents(_) => daily::AGENT,
            Scope::Groups(_) => daily::SKILL_GROUP,
            Scope::Numbers => daily::NUMBER,
        }
    }

    fn ids(&self) -> Option<&[String]> {
        match self {
            Scope::Agents(ids) | Scope::Groups(ids) => Some(ids),
            Scope::Instance | Scope::Numbers => None,
        }
    }

    fn wants(&self, dim: &str, id: &str) -> bool {
        dim == self.dim() && self.ids().is_none_or(|ids| ids.iter().any(|i| i == id))
    }
}

/// The figures per scope key, for one piece.
pub type Tallies = BTreeMap<String, Tally>;

fn add(into: &mut Tallies, scope: &Scope, contributions: Vec<(&'static str, String, Tally)>) {
    for (dim, id, t) in contributions {
        if scope.wants(dim, &id) {
            into.entry(id).or_default().merge(&t);
        }
    }
}

/// Index of the piece containing `ms`, if any (pieces sorted and disjoint).
fn piece_of(pieces: &[Piece], ms: i64) -> Option<usize> {
    let i = pieces.partition_point(|p| p.end <= ms);
    (i < pieces.len() && pieces[i].start <= ms).then_some(i)
}

/// The figures of `scope` in each of `pieces` (sorted, disjoint) of `instance`, with open
/// periods counted up to `now_ms`.
///
/// Errors: storage.
pub async fn tallies<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    pieces: &[Piece],
    scope: &Scope,
    now_ms: i64,
) -> Result<Vec<Tallies>, DbErr> {
    let mut out = vec![Tallies::new(); pieces.len()];
    // Whole days: the rollups.
    let whole: BTreeMap<i32, usize> = pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| p.whole)
        .map(|(i, p)| (p.day, i))
        .collect();
    if let (Some((&first, _)), Some((&last, _))) = (whole.first_key_value(), whole.last_key_value())
    {
        let mut q = daily::Entity::find()
            .filter(daily::Column::InstanceId.eq(instance))
            .filter(daily::Column::Dim.eq(scope.dim()))
            .filter(daily::Column::LocalDay.between(first, last));
        if let Some(ids) = scope.ids() {
            q = q.filter(daily::Column::DimId.is_in(ids.iter().cloned()));
        }
        for row in q.all(db).await? {
            if let Some(&i) = whole.get(&row.local_day) {
                let t: Tally = serde_json::from_str(&row.tally).unwrap_or_default();
                out[i].entry(row.dim_id).or_default().merge(&t);
            }
        }
    }
    // Partial pieces: raw records, one read per run of adjacent pieces.
    let partial: Vec<Piece> = pieces.iter().filter(|p| !p.whole).copied().collect();
    let index_of: Vec<usize> = pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.whole)
        .map(|(i, _)| i)
        .collect();
    let mut run_start = 0;
    while run_start < partial.len() {
        let mut run_end = run_start + 1;
        while run_end < partial.len() && partial[run_end].start == partial[run_end - 1].end {
            run_end += 1;
        }
        let run = &partial[run_start..run_end];
        let (from, to) = (run[0].start, run[run.len() - 1].end);
        for c in raw_calls(db, instance, scope, from, to).await? {
            if let Some(k) = piece_of(run, c.start_ms) {
                add(
                    &mut out[index_of[run_start + k]],
                    scope,
                    call_contributions(&c),
                );
            }
        }
        let (d1, d2) = (run[0].day, run[run.len() - 1].day);
        for f in raw_fragments(db, instance, scope, d1, d2).await? {
            if f.frag_end_ms <= from || f.frag_start_ms >= to {
                continue;
            }
            let mut k = run.partition_point(|p| p.end <= f.frag_start_ms);
            while k < run.len() && run[k].start < f.frag_end_ms {
                let p = run[k];
                let mut clipped = f.clone();
                clipped.frag_start_ms = f.frag_start_ms.max(p.start);
                clipped.frag_end_ms = f.frag_end_ms.min(p.end);
                clipped.first = f.first && f.frag_start_ms >= p.start && f.frag_start_ms < p.end;
                add(
                    &mut out[index_of[run_start + k]],
                    scope,
                    fragment_contributions(&clipped),
                );
                k += 1;
            }
        }
        run_start = run_end;
    }
    // Open periods, up to now, in every piece they overlap.
    if !matches!(scope, Scope::Numbers) {
        let mut q = open::Entity::find().filter(open::Column::InstanceId.eq(instance));
        if let Scope::Agents(ids) = scope {
            q = q.filter(open::Column::UserId.is_in(ids.iter().cloned()));
        }
        for o in q.all(db).await? {
            let until = now_ms.max(o.since_ms);
            let mut k = pieces.partition_point(|p| p.end <= o.since_ms);
            while k < pieces.len() && pieces[k].start < until {
                let p = pieces[k];
                let f = fragment::Model {
                    instance_id: o.instance_id.clone(),
                    start_seq: o.seq,
                    local_day: p.day,
                    user_id: o.user_id.clone(),
                    state: o.state.clone(),
                    break_code: o.break_code.clone(),
                    skill_group_ids: o.skill_group_ids.clone(),
                    job_id: o.job_id.clone(),
                    frag_start_ms: o.since_ms.max(p.start),
                    frag_end_ms: until.min(p.end),
                    first: o.since_ms >= p.start && o.since_ms < p.end,
                    period_ms: until - o.since_ms,
                };
                if f.frag_end_ms > f.frag_start_ms || f.first {
                    add(&mut out[k], scope, fragment_contributions(&f));
                }
                k += 1;
            }
        }
    }
    Ok(out)
}

/// The calls of `instance` started in `[from, to)` that `scope` needs.
async fn raw_calls<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    scope: &Scope,
    from: i64,
    to: i64,
) -> Result<Vec<call::Model>, DbErr> {
    let mut q = call::Entity::find()
        .filter(call::Column::InstanceId.eq(instance))
        .filter(call::Column::StartMs.gte(from))
        .filter(call::Column::StartMs.lt(to));
    match scope {
        Scope::Agents(ids) => {
            q = q.filter(
                Condition::any()
                    .add(call::Column::AgentUserId.is_in(ids.iter().cloned()))
                    .add(call::Column::TransferredByUserId.is_in(ids.iter().cloned())),
            )
        }
        Scope::Groups(ids) => q = q.filter(call::Column::SkillGroupId.is_in(ids.iter().cloned())),
        Scope::Instance | Scope::Numbers => {}
    }
    q.all(db).await
}

/// The closed fragments of `instance` on local days `d1..=d2` that `scope` may need.
async fn raw_fragments<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    scope: &Scope,
    d1: i32,
    d2: i32,
) -> Result<Vec<fragment::Model>, DbErr> {
    if matches!(scope, Scope::Numbers) {
        return Ok(Vec::new());
    }
    let mut q = fragment::Entity::find()
        .filter(fragment::Column::InstanceId.eq(instance))
        .filter(fragment::Column::LocalDay.between(d1, d2));
    if let Scope::Agents(ids) = scope {
        q = q.filter(fragment::Column::UserId.is_in(ids.iter().cloned()));
    }
    let rows = q.all(db).await?;
    Ok(match scope {
        Scope::Groups(ids) => {
            let want: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
            rows.into_iter()
                .filter(|f| {
                    serde_json::from_str::<Vec<String>>(&f.skill_group_ids)
                        .unwrap_or_default()
                        .iter()
                        .any(|g| want.contains(g.as_str()))
                })
                .collect()
        }
        _ => rows,
    })
}

/// The figures of `scope` over all of `pieces`, summed.
///
/// Errors: storage.
pub async fn total<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    pieces: &[Piece],
    scope: &Scope,
    now_ms: i64,
) -> Result<Tallies, DbErr> {
    let mut sum = Tallies::new();
    for per_piece in tallies(db, instance, pieces, scope, now_ms).await? {
        for (k, t) in per_piece {
            sum.entry(k).or_default().merge(&t);
        }
    }
    Ok(sum)
}
