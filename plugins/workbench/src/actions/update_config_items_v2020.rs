//! 2020-07-01 UpdateConfigItems (official SDK `alibabacloud-ccc20200701`): an administrator
//! sets configuration items at one scope.
//!
//! Request: `ObjectType` + `ObjectId` ([`crate::scope::target`]), `ConfigItems`: a JSON array
//! of `{"Name": <item>, "Value": <value>}` (1 to 20; a number is read as its text). Every item
//! is checked before any is written; all are written in one transaction. Response: the
//! envelope.
//!
//! Errors: 400 `InvalidParameter` (not an array, empty, more than 20, an entry without Name or
//! Value, a name twice); 404 `NotExists.ConfigItem`; 400 `InvalidConfigItem.Scope`; 400
//! `InvalidConfigItem.Value`; those of [`crate::scope::target`].

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::serde_json::Value;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::update_config_items_v2020::{Request, Response};
use crate::storage::config_items;
use crate::{items, scope};

/// Most items one request may set.
pub const MAX_ITEMS: usize = 20;

/// Serves UpdateConfigItems.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let bad = |why: &str| errors::invalid_parameter("ConfigItems", why);
    let Value::Array(list) = &req.config_items.value else {
        return Err(bad("expected a JSON array of {\"Name\", \"Value\"}"));
    };
    if list.is_empty() || list.len() > MAX_ITEMS {
        return Err(bad("expected 1 to 20 items"));
    }
    let target = scope::target(ctx, &req.object_type, Some(&req.object_id)).await?;
    let mut values: Vec<(String, String)> = Vec::with_capacity(list.len());
    for entry in list {
        let name = entry
            .get("Name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("every item needs a Name"))?;
        let value = match entry.get("Value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad("every item needs a Value (a string or a number)")),
        };
        let item = items::find(name).ok_or_else(|| errors::not_exists_config_item(name))?;
        if !item.applies_to(target.scope) {
            return Err(errors::invalid_config_item_scope(
                item.name,
                target.scope.as_str(),
                item.scope_names(),
            ));
        }
        let value = item
            .check(&value)
            .map_err(|why| errors::invalid_config_item_value(&value, item.name, why))?;
        if values.iter().any(|(n, _)| n == name) {
            return Err(bad(&format!("the item {name} is named twice")));
        }
        values.push((item.name.to_string(), value));
    }
    config_items::set(
        &ctx.db,
        ctx.instance(),
        target.scope.as_str(),
        &target.object_id,
        &values,
        ctx.principal.display_name(),
        ctx.now_ms(),
    )
    .await?;
    Ok(Response::default())
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn a_bad_item_leaves_nothing_written() {
        let h = Harness::new().await;
        let e = h
            .update(
                "instance",
                INSTANCE,
                r#"[{"Name":"AllowHangup","Value":"0"},{"Name":"AutoAnswerCall","Value":"99"}]"#,
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (400, "InvalidConfigItem.Value"));
        assert!(e.message.contains("0 to 60"), "{}", e.message);
        assert_eq!(h.rows().await, 0, "nothing half-written");
        let e = h
            .update("instance", INSTANCE, r#"[{"Name":"Bogus","Value":"1"}]"#)
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (404, "NotExists.ConfigItem"));
        let alice = h.user("alice", "agent", &[]).await;
        let e = h
            .update(
                "user",
                &alice.user_id,
                r#"[{"Name":"SmsSatisfactionSurvey","Value":"1"}]"#,
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (400, "InvalidConfigItem.Scope"));
        let e = h
            .update("user", "nobody", r#"[{"Name":"AllowHangup","Value":"1"}]"#)
            .await;
        assert_eq!(e.unwrap_err().code, "NotExists.ObjectId");
        let e = h
            .update(
                "instance",
                INSTANCE,
                r#"[{"Name":"AllowHangup","Value":"1"},{"Name":"AllowHangup","Value":"0"}]"#,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        // Numbers are read as their text; setting again replaces.
        h.update(
            "instance",
            INSTANCE,
            r#"[{"Name":"AutoAnswerCall","Value":5}]"#,
        )
        .await
        .unwrap();
        h.update(
            "instance",
            INSTANCE,
            r#"[{"Name":"AutoAnswerCall","Value":"7"}]"#,
        )
        .await
        .unwrap();
        assert_eq!(h.rows().await, 1);
    }
}
