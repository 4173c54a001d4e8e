//! The queries agents offers other plugins and the gateway (specs: `plugins/agents/api/queries/`;
//! generated types and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md).
//!
//! - [`caller`] and [`authorize`]: the gateway's role-based access control for Bearer tokens
//!   that act for a user (a skill-group leader leads the groups it is a member of).
//! - [`state_snapshot`] and [`state_log_after`]: the gateway's agent-state stream.
//! - [`transition`]: the calls plugin moves agents through the call states; [`reserve`]: it
//!   reserves (rings) an agent before dialling (DialEx).
//! - [`skill_groups`]: the numbers plugin checks and names the skill groups numbers are bound to.
//! - [`roster`] and [`skill_group_index`]: the reports plugin pages and names agents and skill
//!   groups (agent and skill-group reports, ListCallDetailRecords Criteria).
//!
//! "Not found" is data (`found: false`, `allowed: false`), never an error; errors are storage
//! failures only.

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::sea_query::Query;
use ccgate_plugin_sdk::sea_orm::{
    AccessMode, ColumnTrait, Condition, EntityTrait, IsolationLevel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, TransactionTrait,
};

use crate::api::Ctx;
use crate::api::queries::{
    authorize, caller, reserve, roster as roster_query, service_extension,
    skill_group_index as index_query, skill_groups as groups_query, state_log_after,
    state_snapshot, transition,
};
use crate::state::store::{self, parse_ids};
use crate::state::{AgentState, Command, WARM_UP};
use crate::storage::{agent_state, counter, skill_group, skill_level, state_log, user, users};

/// `caller`: the user `login_name` of `instance_id`, its most privileged role and its skill
/// groups.
pub async fn caller(ctx: &Ctx<'_>, args: caller::Args) -> ApiResult<caller::Output> {
    let Some(u) = users::find(&ctx.db, &args.instance_id, &args.login_name).await? else {
        return Ok(caller::Output::default());
    };
    let roles = users::roles_of(&ctx.db, std::slice::from_ref(&u.id)).await?;
    let role = users::top_role(roles.get(&u.id).map(Vec::as_slice).unwrap_or_default());
    Ok(caller::Output {
        found: true,
        led_skill_group_ids: users::group_ids_of(&ctx.db, &u.id).await?,
        role: role.as_str().to_string(),
        roles: roles.get(&u.id).cloned().unwrap_or_default(),
        user_id: u.id,
        login_name: u.login_name,
        ram_id: u.ram_id,
        display_name: u.display_name,
        extension: u.extension,
        phone: u.phone,
    })
}

/// `service_extension`: the extension of `service_type`'s route point in `instance_id`,
/// allocated from the users' extension counter on first ask (so no agent ever has it).
///
/// Errors: storage failures.
pub async fn service_extension(
    ctx: &Ctx<'_>,
    args: service_extension::Args,
) -> ApiResult<service_extension::Output> {
    use ccgate_plugin_sdk::sea_orm::{ActiveValue::Set, EntityTrait};

    use crate::storage::service_extension as svc;
    let key = (args.instance_id.clone(), args.service_type.clone());
    if let Some(row) = svc::Entity::find_by_id(key.clone()).one(&ctx.db).await? {
        return Ok(service_extension::Output {
            extension: row.extension,
        });
    }
    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    let n = store::next_counter(&txn, &args.instance_id, store::Counter::Extension).await?;
    let inserted = svc::Entity::insert(svc::ActiveModel {
        instance_id: Set(args.instance_id.clone()),
        service_type: Set(args.service_type.clone()),
        extension: Set(n.to_string()),
        created_at: Set(ctx.now_ms()),
    })
    .exec_without_returning(&txn)
    .await;
    match inserted {
        Ok(_) => txn.commit().await?,
        // Another request allocated it first: theirs stands, this number is not used.
        Err(e) if crate::storage::is_unique_violation(&e) => txn.rollback().await?,
        Err(e) => return Err(e.into()),
    }
    let row = svc::Entity::find_by_id(key)
        .one(&ctx.db)
        .await?
        .ok_or_else(ccgate_plugin_sdk::ApiError::internal)?;
    Ok(service_extension::Output {
        extension: row.extension,
    })
}

/// `authorize`: whether user `login_name` may name every user of `user_refs` (itself always; a
/// leader also the members of its groups, unless `self_only`). Unknown references are refused.
pub async fn authorize(ctx: &Ctx<'_>, args: authorize::Args) -> ApiResult<authorize::Output> {
    let refused = |r: &str| authorize::Output {
        allowed: false,
        reason: format!("user {r}"),
    };
    let Some(me) = users::find(&ctx.db, &args.instance_id, &args.login_name).await? else {
        return Ok(args
            .user_refs
            .first()
            .map(|r| refused(r))
            .unwrap_or_default());
    };
    let roles = users::roles_of(&ctx.db, std::slice::from_ref(&me.id)).await?;
    let role = users::top_role(roles.get(&me.id).map(Vec::as_slice).unwrap_or_default());
    let my_groups = users::group_ids_of(&ctx.db, &me.id).await?;
    for r in &args.user_refs {
        let Some(other) = users::find(&ctx.db, &args.instance_id, r).await? else {
            return Ok(refused(r));
        };
        if other.id == me.id {
            continue;
        }
        let may = match role {
            ccgate_plugin_sdk::Role::Admin => true,
            ccgate_plugin_sdk::Role::Agent => false,
            ccgate_plugin_sdk::Role::SkillGroupLeader => {
                !args.self_only
                    && users::group_ids_of(&ctx.db, &other.id)
                        .await?
                        .iter()
                        .any(|g| my_groups.contains(g))
            }
        };
        if !may {
            return Ok(refused(r));
        }
    }
    Ok(authorize::Output {
        allowed: true,
        reason: String::new(),
    })
}

/// The most entries one [`state_log_after`] answers.
pub const LOG_PAGE_MAX: i64 = 1000;

/// `state_snapshot`: every user of the instance with its current state, and the instance's last
/// seq, in one repeatable-read transaction (so the stream continues exactly after it).
pub async fn state_snapshot(
    ctx: &Ctx<'_>,
    args: state_snapshot::Args,
) -> ApiResult<state_snapshot::Output> {
    let txn = ctx
        .db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let seq = counter::Entity::find_by_id(args.instance_id.clone())
        .one(&txn)
        .await?
        .map_or(0, |c| c.state_seq);
    let all = user::Entity::find()
        .filter(user::Column::InstanceId.eq(args.instance_id.as_str()))
        .order_by_asc(user::Column::LoginName)
        .all(&txn)
        .await?;
    let states: HashMap<String, agent_state::Model> = agent_state::Entity::find()
        .filter(agent_state::Column::InstanceId.eq(args.instance_id.as_str()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| (s.user_id.clone(), s))
        .collect();
    let groups = member_groups(&txn, &args.instance_id).await?;
    txn.commit().await?;
    let agents = all
        .into_iter()
        .map(|u| {
            let s = states.get(&u.id);
            let state = s.map_or(AgentState::Offline, |s| AgentState::parse(&s.state));
            state_snapshot::Agents {
                seq: s.map_or(0, |s| s.seq),
                skill_group_ids: groups.get(&u.id).cloned().unwrap_or_default(),
                state: state.v2020().to_string(),
                break_code: break_code(state, s.map(|s| s.break_code.as_str()).unwrap_or("")),
                signed_skill_group_ids: s
                    .map(|s| parse_ids(&s.signed_skill_group_ids))
                    .unwrap_or_default(),
                at_ms: s.map_or(0, |s| s.state_since_ms),
                job_id: s.map(|s| s.job_id.clone()).unwrap_or_default(),
                cause: String::new(),
                user_id: u.id,
                login_name: u.login_name,
            }
        })
        .collect();
    Ok(state_snapshot::Output { seq, agents })
}

/// `state_log_after`: the instance's log entries after `after_seq`, ascending, at most `limit`
/// (1-[`LOG_PAGE_MAX`]).
pub async fn state_log_after(
    ctx: &Ctx<'_>,
    args: state_log_after::Args,
) -> ApiResult<state_log_after::Output> {
    let limit = args.limit.clamp(1, LOG_PAGE_MAX) as u64;
    let rows = state_log::Entity::find()
        .filter(state_log::Column::InstanceId.eq(args.instance_id.as_str()))
        .filter(state_log::Column::Seq.gt(args.after_seq))
        .order_by_asc(state_log::Column::Seq)
        .limit(limit)
        .all(&ctx.db)
        .await?;
    let mut ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let memberships = users::memberships_of(&ctx.db, &ids).await?;
    let entries = rows
        .into_iter()
        .map(|r| {
            let state = AgentState::parse(&r.state);
            state_log_after::Entries {
                seq: r.seq,
                skill_group_ids: memberships
                    .get(&r.user_id)
                    .map(|ms| ms.iter().map(|m| m.skill_group_id.clone()).collect())
                    .unwrap_or_default(),
                user_id: r.user_id,
                login_name: r.login_name,
                state: state.v2020().to_string(),
                break_code: break_code(state, &r.break_code),
                signed_skill_group_ids: parse_ids(&r.skill_group_ids),
                at_ms: r.at_ms,
                job_id: r.job_id,
                cause: r.cause,
            }
        })
        .collect();
    Ok(state_log_after::Output { entries })
}

/// `transition`: runs a calls command (`ring`, `answer`, `no_answer`, `hang_up`, `ready`) for an
/// agent through the state machine.
pub async fn transition(ctx: &Ctx<'_>, args: transition::Args) -> ApiResult<transition::Output> {
    let Some(agent) = users::find(&ctx.db, &args.instance_id, &args.user_id).await? else {
        return Ok(transition::Output::default());
    };
    let command = match args.command.as_str() {
        "ring" => Command::Ring {
            job_id: args.job_id.clone(),
        },
        "answer" => Command::Answer,
        "no_answer" => Command::NoAnswer,
        "hang_up" => Command::HangUp,
        "ready" => Command::Ready {
            outbound_scenario: false,
        },
        other => {
            return Ok(transition::Output {
                found: true,
                reason: format!("unknown command {other}"),
                ..Default::default()
            });
        }
    };
    Ok(
        match store::apply(&ctx.db, &agent, &command, ctx.now_ms()).await? {
            Ok(applied) => transition::Output {
                applied: true,
                found: true,
                state: applied.change.state.v2020().to_string(),
                seq: applied.seq,
                reason: String::new(),
            },
            Err(refusal) => transition::Output {
                applied: false,
                found: true,
                state: refusal.state.v2020().to_string(),
                seq: 0,
                reason: refusal.reason,
            },
        },
    )
}

/// `reserve`: reserves agent `args.user`, or the best READY agent of `args.skill_group`, for
/// call `args.job_id` ([`crate::reserve`]).
pub async fn reserve(ctx: &Ctx<'_>, args: reserve::Args) -> ApiResult<reserve::Output> {
    let now = ctx.now_ms();
    let r = if !args.user.is_empty() {
        crate::reserve::agent(&ctx.db, &args.instance_id, &args.user, &args.job_id, now).await?
    } else if !args.skill_group.is_empty() {
        crate::reserve::from_group(
            &ctx.db,
            &args.instance_id,
            &args.skill_group,
            &args.job_id,
            now,
        )
        .await?
    } else {
        crate::reserve::Reservation {
            reason: "name an agent (user) or a skill group".into(),
            ..Default::default()
        }
    };
    let mut out = reserve::Output {
        found: r.found,
        reserved: r.agent.is_some(),
        skill_group_id: r.skill_group_id,
        reason: r.reason,
        ..Default::default()
    };
    if let Some(a) = r.agent {
        out.user_id = a.id;
        out.login_name = a.login_name;
        out.display_name = a.display_name;
        out.extension = a.extension;
    }
    Ok(out)
}

/// The 2020 break code of `state`: `Warm-up` when signed in, the stored code on a break.
fn break_code(state: AgentState, stored: &str) -> String {
    match state {
        AgentState::SignedIn => WARM_UP.to_string(),
        AgentState::Break => stored.to_string(),
        _ => String::new(),
    }
}

/// The skill groups of every user of `instance`, by user id.
async fn member_groups<C: ccgate_plugin_sdk::sea_orm::ConnectionTrait>(
    db: &C,
    instance: &str,
) -> Result<HashMap<String, Vec<String>>, ccgate_plugin_sdk::sea_orm::DbErr> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in skill_level::Entity::find()
        .filter(skill_level::Column::InstanceId.eq(instance))
        .order_by_asc(skill_level::Column::SkillGroupId)
        .all(db)
        .await?
    {
        out.entry(m.user_id).or_default().push(m.skill_group_id);
    }
    Ok(out)
}

/// `skill_groups`: the skill groups of `args.instance_id` with ids `args.skill_group_ids`,
/// ordered by `SkillGroupId`; unknown ids (and other instances' groups) are absent. The numbers
/// plugin validates `SkillGroupId.N` and renders skill-group names with it. One SQL query per
/// 1000 ids; none for an empty list.
///
/// Errors: 500 on storage failures.
pub async fn skill_groups(
    ctx: &Ctx<'_>,
    args: groups_query::Args,
) -> ApiResult<groups_query::Output> {
    if args.skill_group_ids.is_empty() {
        return Ok(groups_query::Output::default());
    }
    let mut ids = args.skill_group_ids;
    ids.sort();
    ids.dedup();
    let found = users::skill_groups(&ctx.db, &args.instance_id, &ids).await?;
    let mut out: Vec<groups_query::SkillGroups> = found
        .into_values()
        .map(|g| groups_query::SkillGroups {
            skill_group_id: g.id,
            display_name: g.name.clone(),
            name: g.name,
            description: g.description,
            instance_id: g.instance_id,
        })
        .collect();
    out.sort_by(|a, b| a.skill_group_id.cmp(&b.skill_group_id));
    Ok(groups_query::Output { skill_groups: out })
}

/// The most users one [`roster`] page answers.
pub const ROSTER_PAGE_MAX: i64 = 1000;

/// How many `UserIds` of [`roster`] one SQL query resolves (each is looked up as a UserId and
/// as a RamId: two bound values).
pub const ROSTER_REFS_PER_QUERY: usize = 500;

/// The users of `instance`, only the members of `group` when not empty.
fn roster_base(instance: &str, group: &str) -> Select<user::Entity> {
    let mut find = user::Entity::find().filter(user::Column::InstanceId.eq(instance));
    if !group.is_empty() {
        find = find.filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(skill_level::Column::UserId)
                    .from(skill_level::Entity)
                    .and_where(skill_level::Column::InstanceId.eq(instance))
                    .and_where(skill_level::Column::SkillGroupId.eq(group))
                    .to_owned(),
            ),
        );
    }
    find
}

/// `roster`: one page of the users of `args.instance_id` — those `args.user_ids` names (UserId
/// or RamId; all when empty), members of `args.skill_group_id` when given — ordered by login
/// name then UserId, with their skill groups' ids and names and the number of users matching.
///
/// SQL per page, whatever the instance's size: without `UserIds`, a count and the page (the
/// group filter is a subquery); with `UserIds`, one query per [`ROSTER_REFS_PER_QUERY`] of them
/// (sorted, counted and paged in memory: at most as many users as named); then the page's
/// memberships and its groups' names (one query each per 1000 ids).
///
/// Errors: 500 on storage failures.
pub async fn roster(ctx: &Ctx<'_>, args: roster_query::Args) -> ApiResult<roster_query::Output> {
    let limit = args.limit.clamp(1, ROSTER_PAGE_MAX);
    let offset = args.offset.max(0);
    let base = || roster_base(&args.instance_id, &args.skill_group_id);
    let (total, page) = if args.user_ids.is_empty() {
        let total = base().count(&ctx.db).await?;
        let page = base()
            .order_by_asc(user::Column::LoginName)
            .order_by_asc(user::Column::Id)
            .offset(offset as u64)
            .limit(limit as u64)
            .all(&ctx.db)
            .await?;
        (i64::try_from(total).unwrap_or(i64::MAX), page)
    } else {
        let mut refs = args.user_ids.clone();
        refs.sort();
        refs.dedup();
        let mut found: HashMap<String, user::Model> = HashMap::new();
        for chunk in refs.chunks(ROSTER_REFS_PER_QUERY) {
            let named = Condition::any()
                .add(user::Column::Id.is_in(chunk.iter().cloned()))
                .add(user::Column::RamId.is_in(chunk.iter().cloned()));
            for u in base().filter(named).all(&ctx.db).await? {
                found.insert(u.id.clone(), u);
            }
        }
        let mut all: Vec<user::Model> = found.into_values().collect();
        all.sort_by(|a, b| (&a.login_name, &a.id).cmp(&(&b.login_name, &b.id)));
        let total = all.len() as i64;
        let page = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit as usize)
            .collect();
        (total, page)
    };
    let ids: Vec<String> = page.iter().map(|u| u.id.clone()).collect();
    let memberships = users::memberships_of(&ctx.db, &ids).await?;
    let mut group_ids: Vec<String> = memberships
        .values()
        .flatten()
        .map(|m| m.skill_group_id.clone())
        .collect();
    group_ids.sort();
    group_ids.dedup();
    let groups = users::skill_groups(&ctx.db, &args.instance_id, &group_ids).await?;
    let agents = page
        .into_iter()
        .map(|u| {
            let mut mine: Vec<&str> = memberships
                .get(&u.id)
                .map(|ms| ms.iter().map(|m| m.skill_group_id.as_str()).collect())
                .unwrap_or_default();
            mine.sort_unstable();
            mine.dedup();
            // A membership of a group that is gone (or of another instance) is left out.
            mine.retain(|g| groups.contains_key(*g));
            roster_query::Agents {
                skill_group_names: mine.iter().map(|g| groups[*g].name.clone()).collect(),
                skill_group_ids: mine.iter().map(|g| g.to_string()).collect(),
                user_id: u.id,
                ram_id: u.ram_id,
                login_name: u.login_name,
                display_name: u.display_name,
            }
        })
        .collect();
    Ok(roster_query::Output {
        total_count: total,
        agents,
    })
}

/// `skill_group_index`: every skill group of `args.instance_id`, id and name, ordered by name
/// then id. One SQL query.
///
/// Errors: 500 on storage failures.
pub async fn skill_group_index(
    ctx: &Ctx<'_>,
    args: index_query::Args,
) -> ApiResult<index_query::Output> {
    let rows = skill_group::Entity::find()
        .filter(skill_group::Column::InstanceId.eq(args.instance_id.as_str()))
        .order_by_asc(skill_group::Column::Name)
        .order_by_asc(skill_group::Column::Id)
        .all(&ctx.db)
        .await?;
    Ok(index_query::Output {
        skill_groups: rows
            .into_iter()
            .map(|g| index_query::SkillGroups {
                skill_group_id: g.id,
                name: g.name,
            })
            .collect(),
    })
}

#[cfg(test)]
mod skill_groups_tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE};

    #[tokio::test]
    async fn answers_the_known_groups_of_the_instance() {
        let h = Harness::new().await;
        let a = h
            .create_group("Sales", &[("Description", "pre-sales")])
            .await;
        let b = h.create_group("Support", &[]).await;
        let v = h
            .call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Theirs")])
            .await
            .unwrap();
        let theirs = v["SkillGroupId"].as_str().unwrap().to_string();
        let ctx = h
            .env
            .ctx(Harness::spec("2017-07-05", "ListSkillGroups"), INSTANCE);
        let v = h
            .agents
            .query(
                &ctx,
                "skill_groups",
                json!({"InstanceId": INSTANCE, "SkillGroupIds": [b, a, a, theirs, "nope"]}),
            )
            .await
            .unwrap();
        let mut expected = vec![
            json!({"SkillGroupId": a, "Name": "Sales", "DisplayName": "Sales", "Description": "pre-sales", "InstanceId": INSTANCE}),
            json!({"SkillGroupId": b, "Name": "Support", "DisplayName": "Support", "Description": "", "InstanceId": INSTANCE}),
        ];
        expected.sort_by(|x, y| x["SkillGroupId"].as_str().cmp(&y["SkillGroupId"].as_str()));
        assert_eq!(v, json!({"SkillGroups": expected}));

        let v = h
            .agents
            .query(
                &ctx,
                "skill_groups",
                json!({"InstanceId": INSTANCE, "SkillGroupIds": []}),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"SkillGroups": []}));
        let e = h
            .agents
            .query(&ctx, "skill_groups", json!({"InstanceId": INSTANCE}))
            .await
            .unwrap_err();
        assert_eq!(e.status, 500);
    }
}

#[cfg(test)]
mod roster_tests {
    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
    use ccgate_plugin_sdk::serde_json::{Value, json};

    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE};

    fn logins(v: &Value) -> Vec<&str> {
        v["Agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["LoginName"].as_str().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn pages_the_agents_of_an_instance_with_their_groups() {
        let h = Harness::new().await;
        let sales = h.group(INSTANCE, "Sales").await;
        let support = h.group(INSTANCE, "Support").await;
        let theirs = h.group(OTHER_INSTANCE, "Theirs").await;
        let carol = h
            .user(INSTANCE, "carol", "agent", &[&support, &sales])
            .await;
        let alice = h.user(INSTANCE, "alice", "agent", &[&sales]).await;
        let bob = h.user(INSTANCE, "bob", "agent", &[]).await;
        let dave = h
            .user(INSTANCE, "dave", "skill-group-leader", &[&support])
            .await;
        h.user(OTHER_INSTANCE, "erin", "agent", &[&theirs]).await;
        let q = |args: Value| h.query("roster", args);

        // Everyone, ordered by login name; the groups by id with their names.
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": 0, "Limit": 100})).await;
        assert_eq!(v["TotalCount"], 4);
        assert_eq!(logins(&v), ["alice", "bob", "carol", "dave"]);
        assert_eq!(
            v["Agents"][2],
            json!({
                "UserId": carol.id, "RamId": carol.ram, "LoginName": "carol",
                "DisplayName": "Agent carol",
                "SkillGroupIds": [sales, support], "SkillGroupNames": ["Sales", "Support"],
            })
        );
        assert_eq!(v["Agents"][1]["SkillGroupIds"], json!([]));

        // Pages: Offset and Limit; the total stays the number matching.
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": 1, "Limit": 2})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), logins(&v)),
            (Some(4), vec!["bob", "carol"])
        );
        // Limit is clamped to 1-1000, a negative Offset counts as 0.
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": -5, "Limit": 0})).await;
        assert_eq!(logins(&v), ["alice"]);
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": 3, "Limit": 5000})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), logins(&v)),
            (Some(4), vec!["dave"])
        );
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": 9, "Limit": 5})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), v["Agents"].clone()),
            (Some(4), json!([]))
        );

        // Members of one group.
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": support, "Offset": 0, "Limit": 10})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), logins(&v)),
            (Some(2), vec!["carol", "dave"])
        );
        // Another instance's group matches nobody here.
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": theirs, "Offset": 0, "Limit": 10})).await;
        assert_eq!(v["TotalCount"], 0);

        // Named users: UserIds and RamIds, duplicates and unknown ones (or another instance's).
        let eve_ram = h.user(OTHER_INSTANCE, "eve", "agent", &[]).await.ram;
        let named = json!([dave.id, alice.ram, dave.ram, "nobody", eve_ram, bob.id]);
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": named, "SkillGroupId": "", "Offset": 0, "Limit": 10})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), logins(&v)),
            (Some(3), vec!["alice", "bob", "dave"])
        );
        assert_eq!(v["Agents"][0]["UserId"], alice.id.as_str());
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": named, "SkillGroupId": "", "Offset": 1, "Limit": 1})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), logins(&v)),
            (Some(3), vec!["bob"])
        );
        // Named users and a group: both apply.
        let v = q(json!({"InstanceId": INSTANCE, "UserIds": named, "SkillGroupId": sales, "Offset": 0, "Limit": 10})).await;
        assert_eq!(
            (v["TotalCount"].as_i64(), logins(&v)),
            (Some(1), vec!["alice"])
        );

        // Another instance.
        let v = q(json!({"InstanceId": OTHER_INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": 0, "Limit": 10})).await;
        assert_eq!(logins(&v), ["erin", "eve"]);
        assert_eq!(v["Agents"][0]["SkillGroupNames"], json!(["Theirs"]));
    }

    #[tokio::test]
    async fn a_page_of_many_named_users_spans_several_lookups() {
        let h = Harness::new().await;
        let sales = h.group(INSTANCE, "Sales").await;
        let mut named = Vec::new();
        for i in 0..1200 {
            let id = h.add_user(INSTANCE, &format!("a{i:04}"), &["agent"]).await;
            named.push(Value::from(id));
        }
        // One member of Sales, named among the last lookup's references.
        let zed = h.add_user(INSTANCE, "zed", &["agent"]).await;
        crate::storage::skill_level::ActiveModel {
            id: Set("sl-zed".into()),
            instance_id: Set(INSTANCE.into()),
            user_id: Set(zed.clone()),
            skill_group_id: Set(sales.clone()),
            level: Set(5),
        }
        .insert(&h.env.db)
        .await
        .unwrap();
        named.push(Value::from(zed));
        let v = h
            .query(
                "roster",
                json!({"InstanceId": INSTANCE, "UserIds": named, "SkillGroupId": "", "Offset": 1000, "Limit": 1000}),
            )
            .await;
        assert_eq!(v["TotalCount"], 1201);
        let page = logins(&v);
        assert_eq!((page.len(), page[0], page[200]), (201, "a1000", "zed"));
        assert_eq!(v["Agents"][200]["SkillGroupNames"], json!(["Sales"]));
        let v = h
            .query(
                "roster",
                json!({"InstanceId": INSTANCE, "UserIds": [], "SkillGroupId": "", "Offset": 0, "Limit": 5000}),
            )
            .await;
        assert_eq!(
            (
                v["TotalCount"].as_i64(),
                v["Agents"].as_array().unwrap().len()
            ),
            (Some(1201), 1000)
        );
    }

    #[tokio::test]
    async fn the_skill_group_index_names_every_group_of_the_instance() {
        let h = Harness::new().await;
        let support = h.group(INSTANCE, "Support").await;
        let sales = h.group(INSTANCE, "Sales").await;
        let after = h.create_group("After-hours", &[]).await;
        h.group(OTHER_INSTANCE, "Theirs").await;
        let v = h
            .query("skill_group_index", json!({"InstanceId": INSTANCE}))
            .await;
        assert_eq!(
            v,
            json!({"SkillGroups": [
                {"SkillGroupId": after, "Name": "After-hours"},
                {"SkillGroupId": sales, "Name": "Sales"},
                {"SkillGroupId": support, "Name": "Support"},
            ]})
        );
        let v = h
            .query("skill_group_index", json!({"InstanceId": "ccc-none"}))
            .await;
        assert_eq!(v, json!({"SkillGroups": []}));
    }
}
