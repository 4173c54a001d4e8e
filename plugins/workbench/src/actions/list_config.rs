//! 2017-07-05 ListConfig (seed 004 §3.2): several configuration items at once.
//!
//! Request: `ConfigItem.N`, each a JSON object string `{"Name": <item>, "DimensionName":
//! <instance|user>}` (the seed's own example writes `name`; both are read). `instance`: the
//! instance's values; `user`: the values in effect for the calling user. No `ConfigItem.N`:
//! every item at instance scope, ordered by name. Response: `ConfigItems.ConfigItem[]{Name,
//! Value}` in the order asked.
//!
//! Errors: 400 `InvalidParameter` (not an object, no Name, another dimension, a user
//! dimension without a user); 404 `NotExists.ConfigItem`; 400 `InvalidConfigItem.Scope`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::serde_json::Value;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_config::{ConfigItem, ConfigItems, Request, Response};
use crate::items::{self, Item, Scope};
use crate::{scope, values};

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| v.get(*n).and_then(Value::as_str))
}

/// Serves ListConfig.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut wanted: Vec<(&'static Item, Scope)> = Vec::new();
    for (i, raw) in req.config_item.iter().enumerate() {
        let param = format!("ConfigItem.{}", i + 1);
        let name = field(&raw.value, &["Name", "name"]).ok_or_else(|| {
            errors::invalid_parameter(&param, "expected {\"Name\": ..., \"DimensionName\": ...}")
        })?;
        let item = items::find(name).ok_or_else(|| errors::not_exists_config_item(name))?;
        let dim = field(&raw.value, &["DimensionName", "dimensionName"]).unwrap_or("instance");
        let scope = match Scope::parse(dim) {
            Some(s @ (Scope::Instance | Scope::User)) => s,
            _ => {
                return Err(errors::invalid_parameter(
                    &param,
                    "DimensionName must be instance or user (GetConfig reads a skill group's)",
                ));
            }
        };
        if !item.applies_to(scope) {
            return Err(errors::invalid_config_item_scope(
                item.name,
                scope.as_str(),
                item.scope_names(),
            ));
        }
        wanted.push((item, scope));
    }
    if req.config_item.is_empty() {
        wanted = items::ITEMS.iter().map(|i| (i, Scope::Instance)).collect();
    }
    let mut out = Vec::with_capacity(wanted.len());
    // At most two scopes: each read once.
    for s in [Scope::Instance, Scope::User] {
        let of_scope: Vec<&'static Item> = wanted
            .iter()
            .filter(|(_, w)| *w == s)
            .map(|(i, _)| *i)
            .collect();
        if of_scope.is_empty() {
            continue;
        }
        let target = scope::target(ctx, s.as_str(), None).await?;
        for e in values::effective(ctx, &target, &of_scope).await? {
            out.push((e.item.name, s, e.value));
        }
    }
    let config_item = wanted
        .iter()
        .filter_map(|(item, s)| {
            out.iter()
                .find(|(n, os, _)| *n == item.name && os == s)
                .map(|(n, _, v)| ConfigItem {
                    name: n.to_string(),
                    value: v.clone(),
                })
        })
        .collect();
    Ok(Response {
        config_items: ConfigItems { config_item },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;

    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn lists_the_asked_items_in_order_for_the_instance_and_the_caller() {
        let h = Harness::new().await;
        let alice = h.user("alice", "agent", &[]).await;
        h.update(
            "user",
            &alice.user_id,
            r#"[{"Name":"AutoAnswerCall","Value":"5"}]"#,
        )
        .await
        .unwrap();
        h.update(
            "instance",
            INSTANCE,
            r#"[{"Name":"ShowCalledID","Value":"-1"}]"#,
        )
        .await
        .unwrap();
        let v = h
            .call_as(
                &alice,
                Role::Agent,
                "ListConfig",
                &[
                    (
                        "ConfigItem.1",
                        r#"{"name":"ShowCalledID","DimensionName":"instance"}"#,
                    ),
                    (
                        "ConfigItem.2",
                        r#"{"Name":"AutoAnswerCall","DimensionName":"user"}"#,
                    ),
                    (
                        "ConfigItem.3",
                        r#"{"Name":"AutoAnswerCall","DimensionName":"instance"}"#,
                    ),
                ],
            )
            .await
            .unwrap();
        let items = v["ConfigItems"]["ConfigItem"].as_array().unwrap();
        let pairs: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i["Name"].as_str().unwrap(), i["Value"].as_str().unwrap()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("ShowCalledID", "-1"),
                ("AutoAnswerCall", "5"),
                ("AutoAnswerCall", "0")
            ]
        );
        let all = h.call("ListConfig", &[]).await.unwrap();
        assert_eq!(
            all["ConfigItems"]["ConfigItem"].as_array().unwrap().len(),
            10
        );
        let e = h
            .call("ListConfig", &[("ConfigItem.1", r#"{"Name":"Bogus"}"#)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.ConfigItem");
        let e = h
            .call(
                "ListConfig",
                &[(
                    "ConfigItem.1",
                    r#"{"Name":"SatisfactionSurvey","DimensionName":"user"}"#,
                )],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidConfigItem.Scope");
    }
}
