//! 2017-07-05 GetConfig (seed 004 §3.1): the value of one configuration item in effect at a
//! scope ([`crate::values`]).
//!
//! Request: `Name` (an item of [`crate::items::ITEMS`]), `ObjectType` (instance, skillGroup,
//! user), `ObjectId` ([`crate::scope::target`]). Response: `ConfigItem{Name, Value}`.
//!
//! Errors: 404 `NotExists.ConfigItem`; 400 `InvalidConfigItem.Scope` (the item does not apply
//! to the scope); those of [`crate::scope::target`].

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::get_config::{ConfigItem, Request, Response};
use crate::{items, scope, values};

/// Serves GetConfig.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let item = items::find(&req.name).ok_or_else(|| errors::not_exists_config_item(&req.name))?;
    let target = scope::target(ctx, &req.object_type, req.object_id.as_deref()).await?;
    if !item.applies_to(target.scope) {
        return Err(errors::invalid_config_item_scope(
            item.name,
            target.scope.as_str(),
            item.scope_names(),
        ));
    }
    let v = values::effective(ctx, &target, &[item]).await?;
    Ok(Response {
        config_item: ConfigItem {
            name: item.name.to_string(),
            value: v.into_iter().next().map(|e| e.value).unwrap_or_default(),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;

    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn answers_defaults_then_what_was_set_with_user_over_instance() {
        let h = Harness::new().await;
        let get =
            |name: &'static str, ty: &'static str| [("Name", name), ("ObjectType", ty)].to_vec();
        let v = h
            .call("GetConfig", &get("AllowHangup", "instance"))
            .await
            .unwrap();
        assert_eq!(v["ConfigItem"]["Name"], "AllowHangup");
        assert_eq!(v["ConfigItem"]["Value"], "1", "the documented default");
        h.update(
            "instance",
            INSTANCE,
            r#"[{"Name":"AllowHangup","Value":"0"}]"#,
        )
        .await
        .unwrap();
        let alice = h.user("alice", "agent", &[]).await;
        let v = h
            .call_as(
                &alice,
                Role::Agent,
                "GetConfig",
                &get("AllowHangup", "user"),
            )
            .await
            .unwrap();
        assert_eq!(
            v["ConfigItem"]["Value"], "0",
            "the instance's value applies to users"
        );
        h.update(
            "user",
            &alice.user_id,
            r#"[{"Name":"AllowHangup","Value":"1"}]"#,
        )
        .await
        .unwrap();
        let v = h
            .call_as(
                &alice,
                Role::Agent,
                "GetConfig",
                &get("AllowHangup", "user"),
            )
            .await
            .unwrap();
        assert_eq!(v["ConfigItem"]["Value"], "1", "the user's own value wins");
        let v = h
            .call("GetConfig", &get("AllowHangup", "instance"))
            .await
            .unwrap();
        assert_eq!(v["ConfigItem"]["Value"], "0");
    }

    #[tokio::test]
    async fn unknown_items_wrong_scopes_and_other_users_are_distinct_errors() {
        let h = Harness::new().await;
        let e = h
            .call("GetConfig", &[("Name", "Nope"), ("ObjectType", "instance")])
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (404, "NotExists.ConfigItem"));
        let g = h.group("Sales").await;
        let e = h
            .call(
                "GetConfig",
                &[
                    ("Name", "SatisfactionSurvey"),
                    ("ObjectType", "skillGroup"),
                    ("ObjectId", &g),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (400, "InvalidConfigItem.Scope"));
        let e = h
            .call(
                "GetConfig",
                &[("Name", "AllowHangup"), ("ObjectType", "tenant")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (400, "InvalidParameter"));
        let e = h
            .call(
                "GetConfig",
                &[
                    ("Name", "AllowHangup"),
                    ("ObjectType", "skillGroup"),
                    ("ObjectId", "nope"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (404, "NotExists.ObjectId"));
        let alice = h.user("alice", "agent", &[]).await;
        let bob = h.user("bob", "agent", &[]).await;
        let e = h
            .call_as(
                &alice,
                Role::Agent,
                "GetConfig",
                &[
                    ("Name", "AllowHangup"),
                    ("ObjectType", "user"),
                    ("ObjectId", &bob.user_id),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (403, "NoPermission"));
    }
}
