//! 2020-07-01 ListConfigItems (official SDK `alibabacloud-ccc20200701`): every configuration
//! item that applies to a scope, with the value in effect there and where it comes from
//! ([`crate::values`]).
//!
//! Request: `ObjectType` + `ObjectId` ([`crate::scope::target`]). Response: `Data[]{InstanceId,
//! Name, ObjectId, ObjectType, Value}` ordered by name; `ObjectType`/`ObjectId` name the scope
//! the value was set at (empty for a documented default).
//!
//! Errors: those of [`crate::scope::target`].

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::list_config_items_v2020::{Data, Request, Response};
use crate::items::{self, Item};
use crate::{scope, values};

/// Serves ListConfigItems.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let target = scope::target(ctx, &req.object_type, Some(&req.object_id)).await?;
    let applicable: Vec<&'static Item> = items::ITEMS
        .iter()
        .filter(|i| i.applies_to(target.scope))
        .collect();
    let data = values::effective(ctx, &target, &applicable)
        .await?
        .into_iter()
        .map(|e| {
            let (object_type, object_id) = e
                .from
                .map(|(s, id)| (s.as_str().to_string(), id))
                .unwrap_or_default();
            Data {
                instance_id: ctx.instance().to_string(),
                name: e.item.name.to_string(),
                object_id,
                object_type,
                value: e.value,
            }
        })
        .collect();
    Ok(Response { data })
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn lists_what_applies_with_where_each_value_comes_from() {
        let h = Harness::new().await;
        let g = h.group("Sales").await;
        h.update(
            "instance",
            INSTANCE,
            r#"[{"Name":"AllowHangup","Value":"0"}]"#,
        )
        .await
        .unwrap();
        h.update(
            "skillGroup",
            &g,
            r#"[{"Name":"AutoAnswerCall","Value":"3"}]"#,
        )
        .await
        .unwrap();
        let v = h
            .call_2020(
                "ListConfigItems",
                &[("ObjectType", "SKILL_GROUP"), ("ObjectId", &g)],
            )
            .await
            .unwrap();
        let data = v["Data"].as_array().unwrap();
        assert_eq!(data.len(), 6, "the group-scoped items only: {data:?}");
        let by = |n: &str| data.iter().find(|d| d["Name"] == n).unwrap().clone();
        assert_eq!(by("AutoAnswerCall")["Value"], "3");
        assert_eq!(by("AutoAnswerCall")["ObjectType"], "skillGroup");
        assert_eq!(by("AllowHangup")["Value"], "0");
        assert_eq!(by("AllowHangup")["ObjectType"], "instance");
        assert_eq!(by("AllowHangup")["ObjectId"], INSTANCE);
        assert_eq!(by("ShowCalledID")["Value"], "1");
        assert_eq!(by("ShowCalledID")["ObjectType"], "");
    }
}
