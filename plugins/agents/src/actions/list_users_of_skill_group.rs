//! 2017-07-05 ListUsersOfSkillGroup (seed 004 §8.6 技能组相关联客服列表): one page of the members of
//! a skill group, each with its detail, roles and skill levels.
//!
//! Request ([`crate::api::list_users_of_skill_group::Request`]): `InstanceId`, `SkillGroupId`,
//! `PageNumber` and `PageSize` (both required; 1 or more, the size at most 100).
//! Response: `Users {PageNumber, PageSize, TotalCount, List.User[]}`, each user the shared
//! shape `User` (`Detail`, `InstanceId`, `RamId`, `Roles.Role[]`, `SkillLevels.SkillLevel[]`,
//! `UserId`; see [`crate::render`]). Members are ordered by level in this group, highest first,
//! then by `UserId`; a user's `SkillLevels` lists all its memberships (within the caller's view),
//! highest level first. A page past the end is empty with the true `TotalCount`. A skill-group
//! leader lists the groups it leads (the core's `[access]` rule refuses others), an agent finds
//! only itself in the list ([`crate::access`]).
//!
//! Cost per page: the page, a `COUNT(*)` when the page does not tell the total, then one query
//! each for the users, their roles, their memberships and those groups.
//! Errors: `MissingParameter` / `Parameter.Empty`; `Parameter.Minimum` / `Parameter.Maximum`
//! (paging); 404 `NotExists.SkillGroupId` (unknown, of another instance, or outside the
//! caller's view).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::storage as sdk_storage;

use super::visible_group;
use crate::access;
use crate::api::Ctx;
use crate::api::list_users_of_skill_group::{List, Request, Response, Users};
use crate::render;
use crate::storage::{skill_level, users};

/// Serves ListUsersOfSkillGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let group = visible_group(ctx, &req.skill_group_id).await?;
    let page = PageRequest::new(req.page_number, req.page_size);
    let mut query = skill_level::Entity::find()
        .filter(skill_level::Column::SkillGroupId.eq(&group.id))
        .order_by_desc(skill_level::Column::Level)
        .order_by_asc(skill_level::Column::UserId);
    // An agent sees only itself among the members.
    if let Some(me) = access::only_self(ctx) {
        query = query.filter(skill_level::Column::UserId.eq(me));
    }
    let rows = sdk_storage::page(&ctx.db, query.clone(), page).await?;
    let total = match sdk_storage::total_from_page(page, rows.len()) {
        Some(t) => t,
        None => sdk_storage::count(&ctx.db, query).await?,
    };

    let user_ids: Vec<String> = rows.iter().map(|m| m.user_id.clone()).collect();
    let found = users::by_ids(&ctx.db, ctx.instance(), &user_ids).await?;
    let roles = users::roles_of(&ctx.db, &user_ids).await?;
    let visible = access::visible_groups(ctx);
    let mut memberships = users::memberships_of(&ctx.db, &user_ids).await?;
    for ms in memberships.values_mut() {
        ms.retain(|m| access::can_see_group(visible.as_deref(), &m.skill_group_id));
    }
    let mut group_ids: Vec<String> = memberships
        .values()
        .flatten()
        .map(|m| m.skill_group_id.clone())
        .collect();
    group_ids.sort();
    group_ids.dedup();
    let groups = users::skill_groups(&ctx.db, ctx.instance(), &group_ids).await?;
    // Role ids and names come from their owner (roles.of_instance); without the roles plugin
    // the users are listed without roles.
    let catalog = crate::roles::of_instance(ctx).await?;

    let user = user_ids
        .iter()
        .filter_map(|id| {
            let u = found.get(id)?;
            let levels = render::skill_levels(
                memberships.get(id).map(Vec::as_slice).unwrap_or_default(),
                &groups,
            );
            let roles = roles.get(id).map(Vec::as_slice).unwrap_or_default();
            Some(render::user(u, roles, &catalog, levels))
        })
        .collect();
    Ok(Response {
        users: Users {
            list: List { user },
            page_number: req.page_number,
            page_size: req.page_size,
            total_count: i64::try_from(total).unwrap_or(i64::MAX),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE};

    fn page(group: &str, number: &'static str, size: &'static str) -> Vec<(&'static str, String)> {
        vec![
            ("SkillGroupId", group.to_string()),
            ("PageNumber", number.to_string()),
            ("PageSize", size.to_string()),
        ]
    }

    async fn call(
        h: &Harness,
        pairs: Vec<(&'static str, String)>,
    ) -> ccgate_plugin_sdk::ApiResult<serde_json::Value> {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h.call("ListUsersOfSkillGroup", &refs).await
    }

    #[tokio::test]
    async fn renders_members_with_detail_roles_and_levels() {
        // The real roles plugin: role ids and names come from it.
        let h = Harness::with_roles().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let b = h
            .add_user(INSTANCE, "bob", &["skill-group-leader", "agent"])
            .await;
        h.add_user(INSTANCE, "carol", &["agent"]).await;
        let g = h
            .create_group(
                "Support",
                &[
                    ("Description", "售后技术支持人员使用"),
                    ("UserId.1", &a),
                    ("SkillLevel.1", "5"),
                    ("UserId.2", &b),
                    ("SkillLevel.2", "9"),
                ],
            )
            .await;
        let other = h
            .create_group("Other", &[("UserId.1", &a), ("SkillLevel.1", "7")])
            .await;

        let v = call(&h, page(&g, "1", "5")).await.unwrap();
        let users = &v["Users"];
        assert_eq!(
            (
                &users["PageNumber"],
                &users["PageSize"],
                &users["TotalCount"]
            ),
            (&json!(1), &json!(5), &json!(2))
        );
        let list = users["List"]["User"].as_array().unwrap();
        // Highest level in this group first.
        assert_eq!(list[0]["UserId"], b.as_str());
        assert_eq!(list[1]["UserId"], a.as_str());
        let alice = &list[1];
        assert_eq!(
            alice["Detail"],
            json!({
                "Department": "IT",
                "DisplayName": "alice display",
                "Email": "alice@example.com",
                "LoginName": "alice",
                "Phone": "",
            })
        );
        assert_eq!(alice["InstanceId"], INSTANCE);
        assert_eq!(alice["RamId"].as_str().unwrap().len(), 16);
        assert_eq!(
            alice["Roles"]["Role"],
            json!([{
                "InstanceId": INSTANCE,
                "Privileges": {"Privilege": []},
                "RoleDescription": "坐席",
                "RoleId": crate::testutil::role_id(INSTANCE, "agent"),
                "RoleName": "AGENT",
                "UserCount": 0,
            }])
        );
        // All of alice's groups, highest level first.
        let levels = alice["SkillLevels"]["SkillLevel"].as_array().unwrap();
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0]["Skill"]["SkillGroupId"], other.as_str());
        assert_eq!(levels[0]["Level"], 7);
        assert_eq!(
            levels[1]["Skill"],
            json!({
                "InstanceId": INSTANCE,
                "SkillGroupDescription": "售后技术支持人员使用",
                "SkillGroupId": g,
                "SkillGroupName": "Support",
            })
        );
        let bob_roles: Vec<&str> = list[0]["Roles"]["Role"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["RoleName"].as_str().unwrap())
            .collect();
        assert_eq!(bob_roles, vec!["SKILL_GROUP_ADMIN", "AGENT"]);
    }

    #[tokio::test]
    async fn pages_through_the_members() {
        let h = Harness::new().await;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for i in 0..7 {
            let id = h.add_user(INSTANCE, &format!("u{i}"), &["agent"]).await;
            pairs.push((format!("UserId.{}", i + 1), id));
            pairs.push((format!("SkillLevel.{}", i + 1), ((i % 10) + 1).to_string()));
        }
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let g = h.create_group("Big", &refs).await;

        let mut seen = Vec::new();
        for n in ["1", "2", "3"] {
            let v = call(&h, page(&g, n, "3")).await.unwrap();
            assert_eq!(v["Users"]["TotalCount"], 7, "page {n}");
            for u in v["Users"]["List"]["User"].as_array().unwrap() {
                seen.push(u["UserId"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(seen.len(), 7);
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 7, "no member twice");
        // Past the end: empty, with the true total.
        let v = call(&h, page(&g, "9", "3")).await.unwrap();
        assert_eq!(v["Users"]["List"]["User"], json!([]));
        assert_eq!(v["Users"]["TotalCount"], 7);
        assert_eq!(v["Users"]["PageNumber"], 9);
    }

    #[tokio::test]
    async fn paging_and_group_errors() {
        let h = Harness::new().await;
        let g = h.create_group("G", &[]).await;
        for (n, s, code) in [
            ("0", "5", "Parameter.Minimum"),
            ("1", "0", "Parameter.Minimum"),
            ("1", "101", "Parameter.Maximum"),
            ("x", "5", "InvalidParameter"),
        ] {
            let e = call(&h, page(&g, n, s)).await.unwrap_err();
            assert_eq!(e.code, code, "{n}/{s}: {}", e.message);
        }
        let e = call(
            &h,
            vec![("SkillGroupId", g.clone()), ("PageNumber", "1".into())],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let v = h
            .call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Theirs")])
            .await
            .unwrap();
        let theirs = v["SkillGroupId"].as_str().unwrap();
        for id in [theirs, "nope"] {
            let e = call(&h, page(id, "1", "5")).await.unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
        }
        let v = call(&h, page(&g, "1", "5")).await.unwrap();
        assert_eq!(v["Users"]["TotalCount"], 0);
    }

    #[tokio::test]
    async fn an_agent_finds_only_itself_and_a_leader_only_its_groups() {
        use ccgate_plugin_sdk::Role;
        let h = Harness::new().await;
        let me = h.add_user(INSTANCE, "me", &["agent"]).await;
        let peer = h.add_user(INSTANCE, "peer", &["agent"]).await;
        let g = h
            .create_group(
                "G",
                &[
                    ("UserId.1", &me),
                    ("SkillLevel.1", "5"),
                    ("UserId.2", &peer),
                    ("SkillLevel.2", "6"),
                ],
            )
            .await;
        let other = h
            .create_group("Other", &[("UserId.1", &me), ("SkillLevel.1", "1")])
            .await;
        let pairs = [
            ("SkillGroupId", g.as_str()),
            ("PageNumber", "1"),
            ("PageSize", "10"),
        ];
        let v = h
            .call_as(Role::Agent, &me, &[&g], "ListUsersOfSkillGroup", &pairs)
            .await
            .unwrap();
        let users = v["Users"]["List"]["User"].as_array().unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0]["UserId"], me.as_str());
        assert_eq!(v["Users"]["TotalCount"], 1);
        // Its other group is outside the view given: left out of its SkillLevels.
        let groups: Vec<&str> = users[0]["SkillLevels"]["SkillLevel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["Skill"]["SkillGroupId"].as_str().unwrap())
            .collect();
        assert_eq!(groups, vec![g.as_str()]);

        let v = h
            .call_as(
                Role::SkillGroupLeader,
                &me,
                &[&g],
                "ListUsersOfSkillGroup",
                &pairs,
            )
            .await
            .unwrap();
        assert_eq!(v["Users"]["TotalCount"], 2);
        // A group it does not lead does not exist for it.
        let e = h
            .call_as(
                Role::SkillGroupLeader,
                &me,
                &[&g],
                "ListUsersOfSkillGroup",
                &[
                    ("SkillGroupId", other.as_str()),
                    ("PageNumber", "1"),
                    ("PageSize", "10"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.SkillGroupId");
    }
}
