//! 2017-07-05 ListUsers (seed 004 §9.5 获取客服列表): the users of the instance, paged.
//!
//! Request ([`crate::api::list_users::Request`]): `PageNumber` (1 or more), `PageSize` (1-100).
//! Response: `Users {List: {User: [...]}, PageNumber, PageSize, TotalCount}`, users by login
//! name, each a [`crate::api::shapes::InstanceUser`] with `Primary` (false) and
//! `PrivateOutboundNumberId` ("" when none).
//!
//! Visibility ([`crate::access`]): an administrator sees every user, a skill-group leader the
//! members of the groups they lead and itself, an agent only itself; `TotalCount` counts what
//! the caller sees.
//!
//! Errors: parameter errors of the spec (`Parameter.Minimum` / `Parameter.Maximum` for the
//! page).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::storage;

use crate::access;
use crate::api::Ctx;
use crate::api::list_users::{List, Request, Response, Users};
use crate::storage::user;
use crate::user_render::{UserRenderer, Variant};

/// A page of the users of the instance matching `filter` (and visible to the caller), by
/// login name, rendered as `variant`: the users, the page and the total.
pub(crate) async fn page(
    ctx: &Ctx<'_>,
    filter: Option<Condition>,
    page: PageRequest,
    variant: Variant,
) -> ApiResult<(Vec<crate::api::shapes::InstanceUser>, u64)> {
    let mut query = user::Entity::find().filter(user::Column::InstanceId.eq(ctx.instance()));
    if let Some(f) = filter {
        query = query.filter(f);
    }
    if let Some(c) = access::users_condition(access::scope(ctx).as_ref()) {
        query = query.filter(c);
    }
    let rows = storage::page(
        &ctx.db,
        query
            .clone()
            .order_by_asc(user::Column::LoginName)
            .order_by_asc(user::Column::Id),
        page,
    )
    .await?;
    let total = match storage::total_from_page(page, rows.len()) {
        Some(t) => t,
        None => storage::count(&ctx.db, query).await?,
    };
    let r = UserRenderer::load(ctx, &rows).await?;
    Ok((rows.iter().map(|u| r.user(u, variant)).collect(), total))
}

/// Serves ListUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let p = PageRequest::new(req.page_number, req.page_size);
    let (list, total) = page(ctx, None, p, Variant::ListUsers).await?;
    Ok(Response {
        users: Users {
            list: List { user: list },
            page_number: req.page_number,
            page_size: req.page_size,
            total_count: i64::try_from(total).unwrap_or(i64::MAX),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::Value;

    use crate::testutil::{Harness, OTHER_INSTANCE, role_id};

    fn logins(v: &Value) -> Vec<&str> {
        v["Users"]["List"]["User"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["Detail"]["LoginName"].as_str().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn pages_by_login_name_with_the_list_fields() {
        let h = Harness::with_roles().await;
        for login in ["carol", "alice", "dave", "bob", "erin"] {
            h.create_user(login, &[]).await;
        }
        h.env
            .call(
                Harness::spec("2017-07-05", "CreateUser"),
                OTHER_INSTANCE,
                &[
                    ("LoginName", "zed"),
                    ("DisplayName", "Zed"),
                    ("Email", "z@example.com"),
                    ("RoleId.1", &role_id(OTHER_INSTANCE, "agent")),
                ],
            )
            .await
            .unwrap();
        let v = h
            .call("ListUsers", &[("PageNumber", "1"), ("PageSize", "2")])
            .await
            .unwrap();
        assert_eq!(logins(&v), vec!["alice", "bob"]);
        assert_eq!(v["Users"]["TotalCount"], 5);
        assert_eq!(v["Users"]["PageNumber"], 1);
        assert_eq!(v["Users"]["PageSize"], 2);
        let u = &v["Users"]["List"]["User"][0];
        assert_eq!(u["Primary"], false);
        assert_eq!(u["PrivateOutboundNumberId"], "");
        assert_eq!(u["Roles"]["Role"][0]["RoleName"], "AGENT");
        let v = h
            .call("ListUsers", &[("PageNumber", "3"), ("PageSize", "2")])
            .await
            .unwrap();
        assert_eq!(logins(&v), vec!["erin"]);
        assert_eq!(v["Users"]["TotalCount"], 5);
        let v = h
            .call("ListUsers", &[("PageNumber", "9"), ("PageSize", "2")])
            .await
            .unwrap();
        assert_eq!(logins(&v), Vec::<&str>::new());
        assert_eq!(v["Users"]["TotalCount"], 5, "past the end: counted");
    }

    #[tokio::test]
    async fn page_parameters_are_checked() {
        let h = Harness::with_roles().await;
        for (pairs, code) in [
            (vec![("PageSize", "2")], "MissingParameter"),
            (vec![("PageNumber", "1")], "MissingParameter"),
            (
                vec![("PageNumber", "0"), ("PageSize", "2")],
                "Parameter.Minimum",
            ),
            (
                vec![("PageNumber", "1"), ("PageSize", "0")],
                "Parameter.Minimum",
            ),
            (
                vec![("PageNumber", "1"), ("PageSize", "101")],
                "Parameter.Maximum",
            ),
            (
                vec![("PageNumber", "x"), ("PageSize", "2")],
                "InvalidParameter",
            ),
        ] {
            let e = h.call("ListUsers", &pairs).await.unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (400, code), "{pairs:?}");
        }
        let v = h
            .call("ListUsers", &[("PageNumber", "1"), ("PageSize", "100")])
            .await
            .unwrap();
        assert_eq!(v["Users"]["TotalCount"], 0);
    }

    #[tokio::test]
    async fn a_leader_sees_the_members_of_led_groups_and_an_agent_itself() {
        use ccgate_plugin_sdk::{CallerScope, Role};

        let h = Harness::with_roles().await;
        let g1 = h.add_group("g1").await;
        let g2 = h.add_group("g2").await;
        let lead = h
            .create_user("lead", &[("SkillGroupId.1", &g1), ("SkillLevel.1", "5")])
            .await;
        let a = h
            .create_user("a", &[("SkillGroupId.1", &g1), ("SkillLevel.1", "5")])
            .await;
        h.create_user("b", &[("SkillGroupId.1", &g2), ("SkillLevel.1", "5")])
            .await;
        h.create_user("c", &[]).await;
        let call = |scope: CallerScope| {
            let mut ctx = h.env.ctx(
                Harness::spec("2017-07-05", "ListUsers"),
                crate::testutil::INSTANCE,
            );
            ctx.role = scope.role;
            ctx.caller_scope = Some(scope);
            let agents = h.agents.clone();
            async move {
                let m = ccgate_plugin_sdk::testing::call(
                    agents.as_ref(),
                    &ctx,
                    &[("PageNumber", "1"), ("PageSize", "10")],
                )
                .await
                .unwrap();
                Value::Object(m)
            }
        };
        let v = call(CallerScope {
            user_id: lead,
            login_name: "lead".into(),
            role: Role::SkillGroupLeader,
            led_skill_group_ids: vec![g1.clone()],
        })
        .await;
        assert_eq!(logins(&v), vec!["a", "lead"]);
        assert_eq!(v["Users"]["TotalCount"], 2);
        let v = call(CallerScope {
            user_id: a,
            login_name: "a".into(),
            role: Role::Agent,
            led_skill_group_ids: vec![g1],
        })
        .await;
        assert_eq!(logins(&v), vec!["a"]);
        assert_eq!(v["Users"]["TotalCount"], 1);
    }
}
