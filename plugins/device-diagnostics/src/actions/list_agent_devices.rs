//! 2017-07-05 ListAgentDevices (seed 004 §12.4,
//! `plugins/device-diagnostics/api/ListAgentDevices.2017-07-05.toml`): agents' device records
//! in a time range.
//!
//! Request ([`crate::api::list_agent_devices::Request`]): `InstanceId`; optional `RamIds`
//! (comma-separated RamIds, decimal digits, at most [`MAX_RAM_IDS`]), `StartTime` and
//! `StopTime` (UTC epoch milliseconds, both inclusive; defaults: 00:00 UTC of the current day
//! and now).
//! Response ([`crate::api::list_agent_devices::Response`]):
//! `AgentDeviceList.AgentDevice[] {BrowserVersion, ClientIp, ClientPort, InstanceId, IsLogin,
//! LoginTime (epoch ms), RamId (Long, a JSON number), Remark}`, newest first (`LoginTime`
//! descending), at most [`crate::storage::LIST_MAX`] records: the seed documents no paging, so
//! a caller narrows the range or the RamIds to see older ones.
//!
//! Whose records:
//! - `RamIds` given: those agents'. The gateway has checked them against the caller before
//!   the handler runs (spec `[access] users = ["RamIds"]`): an agent may name only themselves,
//!   a skill-group leader also the members of the groups they lead, an administrator anyone.
//! - `RamIds` empty: the caller's own (a user's Bearer token); an administrator without a user
//!   (AccessKey, account token) gets every record of the instance.
//! - A skill-group leader or agent without a user scope (a role-only token in a deployment
//!   without the agents plugin) cannot be identified and gets an empty list.
//!
//! Errors: the parameter errors of the generated parser (`Parameter.Maximum`,
//! `Parameter.Minimum`, `InvalidParameter` for a non-number time); 400 `InvalidParameter` for
//! a RamId that is not decimal digits, more than [`MAX_RAM_IDS`] RamIds, or a `StopTime`
//! before the (default) `StartTime`; 403 `NoPermission` and 404 `NotExists.InstanceId` come
//! from the gateway.

use ccgate_plugin_sdk::{ApiResult, Role};

use crate::api::list_agent_devices::{AgentDevice, AgentDeviceList, Request, Response};
use crate::api::{Ctx, errors};
use crate::retention::DAY_MS;
use crate::storage::{self, Whose, agent_device};

/// Most RamIds one request may name.
pub const MAX_RAM_IDS: usize = 100;

/// Serves ListAgentDevices: whose records, the range, then one indexed read.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let ram_ids = parse_ram_ids(req.ram_ids.as_deref().unwrap_or_default())?;
    let now = ctx.now_ms();
    let start = req.start_time.unwrap_or(now - now.rem_euclid(DAY_MS));
    let stop = req.stop_time.unwrap_or(now);
    if stop < start {
        return Err(errors::invalid_parameter(
            "StopTime",
            format!(
                "it ({stop}) is before StartTime ({start}); both are UTC epoch milliseconds, and \
                 StartTime defaults to 00:00 UTC of the current day"
            ),
        ));
    }
    let whose = match (ram_ids.is_empty(), ctx.caller_scope.as_ref()) {
        (false, Some(_)) => Whose::RamIds(ram_ids),
        (false, None) if ctx.role == Role::Admin => Whose::RamIds(ram_ids),
        (true, Some(scope)) => Whose::User(scope.user_id.clone()),
        (true, None) if ctx.role == Role::Admin => Whose::All,
        // A non-administrator nobody can identify: no record is known to be theirs.
        _ => return Ok(Response::default()),
    };
    let rows = storage::list(&ctx.db, ctx.instance(), &whose, start, stop).await?;
    Ok(Response {
        agent_device_list: AgentDeviceList {
            agent_device: rows.into_iter().map(render).collect(),
        },
    })
}

/// The RamIds of a comma-separated `RamIds`: trimmed, empty items dropped, duplicates removed,
/// in order.
///
/// Errors: 400 `InvalidParameter` for an item that is not 1 to 32 decimal digits, or more than
/// [`MAX_RAM_IDS`] items.
pub fn parse_ram_ids(raw: &str) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item.len() > 32 || !item.bytes().all(|b| b.is_ascii_digit()) {
            return Err(errors::invalid_parameter(
                "RamIds",
                "each item must be a RamId (decimal digits), items separated by ','",
            ));
        }
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    if out.len() > MAX_RAM_IDS {
        return Err(errors::invalid_parameter(
            "RamIds",
            format!("at most {MAX_RAM_IDS} RamIds may be named"),
        ));
    }
    Ok(out)
}

/// One record as the seed shows it; a RamId that is not a number (none is stored) renders 0.
fn render(d: agent_device::Model) -> AgentDevice {
    AgentDevice {
        ram_id: d.ram_id.parse().unwrap_or(0),
        browser_version: d.browser_version,
        client_ip: d.client_ip,
        client_port: d.client_port,
        instance_id: d.instance_id,
        is_login: i64::from(d.is_login),
        login_time: d.login_time,
        remark: d.remark,
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;

    use super::parse_ram_ids;
    use crate::testutil::{ALICE, BOB, BOSS, Harness, LEAD, MIDNIGHT, NOW, listed, ram, ram_id};

    #[tokio::test]
    async fn an_agent_lists_only_their_own_devices() {
        let h = Harness::new().await;
        h.add_at(ALICE, NOW - 3_000).await;
        h.add_at(BOB, NOW - 2_000).await;
        h.add_at(ALICE, NOW - 1_000).await;
        let alice = h.list_as(Role::Agent, ALICE, &[]).await.unwrap();
        assert_eq!(
            listed(&alice),
            [(ram(ALICE), NOW - 1_000), (ram(ALICE), NOW - 3_000)],
            "newest first, only alice's"
        );
        let bob = h.list_as(Role::Agent, BOB, &[]).await.unwrap();
        assert_eq!(listed(&bob), [(ram(BOB), NOW - 2_000)]);
        // Naming themselves is the same.
        let alice_by_ram = h
            .list_as(Role::Agent, ALICE, &[("RamIds", ram_id(ALICE))])
            .await
            .unwrap();
        assert_eq!(alice_by_ram, alice);
    }

    #[tokio::test]
    async fn ram_ids_select_those_agents_records() {
        let h = Harness::new().await;
        h.add_at(ALICE, NOW - 3_000).await;
        h.add_at(BOB, NOW - 2_000).await;
        h.add_at(LEAD, NOW - 1_000).await;
        let both = format!("{}, {},{}", ram_id(ALICE), ram_id(BOB), ram_id(ALICE));
        // A leader naming members (the gateway has checked that they are).
        let reply = h
            .list_as(Role::SkillGroupLeader, LEAD, &[("RamIds", &both)])
            .await
            .unwrap();
        assert_eq!(
            listed(&reply),
            [(ram(BOB), NOW - 2_000), (ram(ALICE), NOW - 3_000)]
        );
        // Without RamIds the leader gets their own.
        let own = h.list_as(Role::SkillGroupLeader, LEAD, &[]).await.unwrap();
        assert_eq!(listed(&own), [(ram(LEAD), NOW - 1_000)]);
    }

    #[tokio::test]
    async fn an_access_key_administrator_lists_every_record_of_the_instance() {
        let h = Harness::new().await;
        h.add_at(ALICE, NOW - 3_000).await;
        h.add_at(BOB, NOW - 2_000).await;
        let all = h.list_admin(&[]).await.unwrap();
        assert_eq!(
            listed(&all),
            [(ram(BOB), NOW - 2_000), (ram(ALICE), NOW - 3_000)]
        );
        let bob = h.list_admin(&[("RamIds", ram_id(BOB))]).await.unwrap();
        assert_eq!(listed(&bob), [(ram(BOB), NOW - 2_000)]);
        // An administrator user's own token without RamIds: their own records (none).
        let boss = h.list_as(Role::Admin, BOSS, &[]).await.unwrap();
        assert!(listed(&boss).is_empty());
        // Another instance sees none of them.
        let other = h
            .env
            .call(
                crate::api::list_agent_devices::SPEC,
                "ccc-other",
                &[("StartTime", "0")],
            )
            .await
            .unwrap();
        assert!(listed(&other).is_empty());
    }

    #[tokio::test]
    async fn the_default_range_is_today_utc_until_now() {
        let h = Harness::new().await;
        h.add_at(ALICE, MIDNIGHT - 1).await; // yesterday
        h.add_at(ALICE, MIDNIGHT).await;
        h.add_at(ALICE, NOW).await;
        h.add_at(ALICE, NOW + 1).await; // after "now"
        let reply = h.list_as(Role::Agent, ALICE, &[]).await.unwrap();
        assert_eq!(listed(&reply), [(ram(ALICE), NOW), (ram(ALICE), MIDNIGHT)]);
    }

    #[tokio::test]
    async fn start_and_stop_time_bound_the_range_inclusively() {
        let h = Harness::new().await;
        let day = crate::retention::DAY_MS;
        for t in [NOW - 3 * day, NOW - 2 * day, NOW - day, NOW] {
            h.add_at(ALICE, t).await;
        }
        let start = (NOW - 2 * day).to_string();
        let stop = (NOW - day).to_string();
        let reply = h
            .list_as(
                Role::Agent,
                ALICE,
                &[("StartTime", &start), ("StopTime", &stop)],
            )
            .await
            .unwrap();
        assert_eq!(
            listed(&reply),
            [(ram(ALICE), NOW - day), (ram(ALICE), NOW - 2 * day)]
        );
        // StartTime alone: up to now.
        let reply = h
            .list_as(Role::Agent, ALICE, &[("StartTime", &start)])
            .await
            .unwrap();
        assert_eq!(listed(&reply).len(), 3);
    }

    #[tokio::test]
    async fn a_stop_time_before_the_start_time_is_invalid_parameter() {
        let h = Harness::new().await;
        let e = h
            .list_as(
                Role::Agent,
                ALICE,
                &[("StartTime", "2000"), ("StopTime", "1000")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("StopTime"), "{}", e.message);
        // Also against the default StartTime (today 00:00 UTC).
        let yesterday = (MIDNIGHT - 1).to_string();
        let e = h
            .list_as(Role::Agent, ALICE, &[("StopTime", &yesterday)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        let e = h
            .list_as(Role::Agent, ALICE, &[("StartTime", "-1")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Minimum"));
    }

    #[tokio::test]
    async fn bad_ram_ids_are_invalid_parameter() {
        let h = Harness::new().await;
        let e = h.list_admin(&[("RamIds", "123,abc")]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("RamIds"), "{}", e.message);
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        let e = h
            .list_admin(&[("RamIds", &many.join(","))])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert_eq!(parse_ram_ids(" , ,").unwrap(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_non_administrator_without_a_user_scope_gets_nothing() {
        let h = Harness::new().await;
        h.add_at(ALICE, NOW).await;
        let mut ctx = h.env.ctx(
            crate::api::list_agent_devices::SPEC,
            crate::testutil::INSTANCE,
        );
        ctx.role = Role::Agent;
        for pairs in [vec![], vec![("RamIds", ram_id(ALICE))]] {
            let reply = h.call(&ctx, &pairs).await.unwrap();
            assert!(listed(&reply).is_empty());
        }
    }

    #[tokio::test]
    async fn at_most_1000_records_are_listed_newest_first() {
        let h = Harness::new().await;
        for i in 0..1005 {
            h.add_at(ALICE, NOW - 10_000 + i).await;
        }
        let reply = h.list_as(Role::Agent, ALICE, &[]).await.unwrap();
        let rows = listed(&reply);
        assert_eq!(rows.len(), 1000);
        assert_eq!(rows[0].1, NOW - 10_000 + 1004);
        assert_eq!(rows[999].1, NOW - 10_000 + 5);
    }
}
