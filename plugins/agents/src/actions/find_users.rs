//! 2017-07-05 FindUsers (seed 004 §9.10 查询客服信息): users whose login name or display name
//! contains `Criteria`, paged.
//!
//! Request ([`crate::api::find_users::Request`]): `Criteria` (required, matched as a substring,
//! `%` and `_` literally), `PageNumber` (1 or more), `PageSize` (1-100).
//! Response: as ListUsers (the seed's examples are lowerCamel and flat; its table, followed
//! here, has the ListUsers names), each user with `PrivateOutboundNumberId` but no `Primary`.
//! Visibility as ListUsers ([`crate::access`]).
//!
//! Errors: parameter errors of the spec.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::Condition;
use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, ExprTrait};
use ccgate_plugin_sdk::storage::like_contains;

use crate::api::Ctx;
use crate::api::find_users::{List, Request, Response, Users};
use crate::storage::user;
use crate::user_render::Variant;

/// Serves FindUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let criteria = req.criteria.trim();
    let filter = Condition::any()
        .add(Expr::col(user::Column::LoginName).like(like_contains(criteria)))
        .add(Expr::col(user::Column::DisplayName).like(like_contains(criteria)));
    let p = PageRequest::new(req.page_number, req.page_size);
    let (list, total) = super::list_users::page(ctx, Some(filter), p, Variant::FindUsers).await?;
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

    use crate::testutil::{Harness, INSTANCE, role_id};

    fn logins(v: &Value) -> Vec<&str> {
        v["Users"]["List"]["User"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["Detail"]["LoginName"].as_str().unwrap())
            .collect()
    }

    async fn create(h: &Harness, login: &str, display: &str) {
        h.call(
            "CreateUser",
            &[
                ("LoginName", login),
                ("DisplayName", display),
                ("Email", "x@example.com"),
                ("RoleId.1", &role_id(INSTANCE, "agent")),
            ],
        )
        .await
        .unwrap();
    }

    async fn find(h: &Harness, criteria: &str, page: &str, size: &str) -> Value {
        h.call(
            "FindUsers",
            &[
                ("Criteria", criteria),
                ("PageNumber", page),
                ("PageSize", size),
            ],
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn searches_login_and_display_names_paged() {
        let h = Harness::with_roles().await;
        create(&h, "test123", "Alice").await;
        create(&h, "bob", "test user").await;
        create(&h, "carol", "Carol").await;
        create(&h, "a_test", "Dave").await;
        let v = find(&h, "test", "1", "10").await;
        assert_eq!(logins(&v), vec!["a_test", "bob", "test123"]);
        assert_eq!(v["Users"]["TotalCount"], 3);
        let u = &v["Users"]["List"]["User"][0];
        assert!(u.get("Primary").is_none(), "FindUsers has no Primary: {u}");
        assert_eq!(u["PrivateOutboundNumberId"], "");
        let v = find(&h, "test", "2", "2").await;
        assert_eq!(logins(&v), vec!["test123"]);
        assert_eq!(v["Users"]["TotalCount"], 3);
        // `_` and `%` match literally.
        assert_eq!(logins(&find(&h, "_", "1", "10").await), vec!["a_test"]);
        assert_eq!(logins(&find(&h, "%", "1", "10").await), Vec::<&str>::new());
        assert_eq!(logins(&find(&h, "Caro", "1", "10").await), vec!["carol"]);
        assert_eq!(
            find(&h, "nobody", "1", "10").await["Users"]["TotalCount"],
            0
        );
    }

    #[tokio::test]
    async fn criteria_is_required() {
        let h = Harness::with_roles().await;
        let e = h
            .call("FindUsers", &[("PageNumber", "1"), ("PageSize", "2")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let e = h
            .call(
                "FindUsers",
                &[("Criteria", " "), ("PageNumber", "1"), ("PageSize", "2")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
        let e = h
            .call(
                "FindUsers",
                &[("Criteria", "x"), ("PageNumber", "1"), ("PageSize", "101")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
    }
}
