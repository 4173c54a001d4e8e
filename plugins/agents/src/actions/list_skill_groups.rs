//! 2017-07-05 ListSkillGroups (seed 004 §8.4 获取技能组列表): every skill group of the instance
//! with its member count and outbound numbers.
//!
//! Request ([`crate::api::list_skill_groups::Request`]): `InstanceId`.
//! Response: `SkillGroups.SkillGroup[]`, the shared shape `SkillGroup` (`AccQueueName`,
//! `AccSkillGroupName`, `InstanceId`, `OutboundPhoneNumbers.PhoneNumber[]`, `RoutingStrategy`,
//! `SkillGroupDescription`, `SkillGroupId`, `SkillGroupName`, `UserCount`; see
//! [`crate::render`]), ordered by name. A skill-group leader sees the groups they lead, an agent
//! the groups they belong to ([`crate::access`]).
//!
//! Outbound numbers come from the numbers plugin (`numbers.by_ids`, one call for the whole
//! list); with that plugin disabled the lists are empty, and a bound number it no longer has is
//! left out. Cost: three queries and one cross-plugin call, whatever the group count.
//! Errors: `MissingParameter` / `Parameter.Empty` (InstanceId).

use ccgate_plugin_sdk::ApiResult;

use crate::access;
use crate::api::Ctx;
use crate::api::list_skill_groups::{Request, Response, SkillGroups};
use crate::numbers;
use crate::render;
use crate::storage::groups;

/// Serves ListSkillGroups.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    let visible = access::visible_groups(ctx);
    let list = groups::list(&ctx.db, ctx.instance(), visible.as_deref()).await?;
    let ids: Vec<String> = list.iter().map(|g| g.id.clone()).collect();
    let counts = groups::member_counts(&ctx.db, &ids).await?;
    let bound = groups::numbers_of(&ctx.db, &ids).await?;
    let all_numbers: Vec<String> = bound.values().flatten().cloned().collect();
    let known = numbers::get_numbers(ctx, &all_numbers).await?;
    let skill_group = list
        .iter()
        .map(|g| {
            let ids = bound.get(&g.id).map(Vec::as_slice).unwrap_or_default();
            render::skill_group(
                g,
                counts.get(&g.id).copied().unwrap_or(0),
                render::outbound_numbers(ids, known.as_ref()),
            )
        })
        .collect();
    Ok(Response {
        skill_groups: SkillGroups { skill_group },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{Harness, INSTANCE, NUM_BI, NUM_OUT, OTHER_INSTANCE};

    #[tokio::test]
    async fn lists_the_instance_groups_by_name_with_counts_and_numbers() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let b = h.add_user(INSTANCE, "bob", &["agent"]).await;
        let sales = h
            .create_group(
                "Sales",
                &[
                    ("Description", "pre-sales"),
                    ("UserId.1", &a),
                    ("SkillLevel.1", "5"),
                    ("UserId.2", &b),
                    ("SkillLevel.2", "6"),
                    ("OutboundPhoneNumberId.1", NUM_OUT),
                    ("OutboundPhoneNumberId.2", NUM_BI),
                ],
            )
            .await;
        let after = h.create_group("After-sales", &[]).await;
        h.call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Theirs")])
            .await
            .unwrap();

        let v = h.call("ListSkillGroups", &[]).await.unwrap();
        let list = v["SkillGroups"]["SkillGroup"].as_array().unwrap();
        assert_eq!(list.len(), 2, "{v}");
        assert_eq!(list[0]["SkillGroupId"], after.as_str());
        assert_eq!(
            list[1],
            json!({
                "AccQueueName": format!("AliQ_{INSTANCE}_{sales}"),
                "AccSkillGroupName": format!("AliS_{INSTANCE}_{sales}"),
                "InstanceId": INSTANCE,
                "OutboundPhoneNumbers": {"PhoneNumber": [
                    {
                        "AllowOutbound": true,
                        "InstanceId": INSTANCE,
                        "Number": "053168962496",
                        "PhoneNumberDescription": "Outbound line",
                        "PhoneNumberId": NUM_OUT,
                        "RemainingTime": 0,
                        "TestOnly": false,
                        "Trunks": 1,
                        "Usage": "Outbound",
                    },
                    {
                        "AllowOutbound": true,
                        "InstanceId": INSTANCE,
                        "Number": "02160664656",
                        "PhoneNumberDescription": "Bidirection line",
                        "PhoneNumberId": NUM_BI,
                        "RemainingTime": 0,
                        "TestOnly": false,
                        "Trunks": 1,
                        "Usage": "Bidirection",
                    },
                ]},
                "RoutingStrategy": "",
                "SkillGroupDescription": "pre-sales",
                "SkillGroupId": sales,
                "SkillGroupName": "Sales",
                "UserCount": 2,
            })
        );
    }

    #[tokio::test]
    async fn an_empty_instance_has_an_empty_list() {
        let h = Harness::new().await;
        let v = h.call("ListSkillGroups", &[]).await.unwrap();
        assert_eq!(v["SkillGroups"], json!({"SkillGroup": []}));
    }

    #[tokio::test]
    async fn leaders_and_agents_see_only_their_groups() {
        use ccgate_plugin_sdk::Role;
        let h = Harness::new().await;
        let lead = h.add_user(INSTANCE, "lead", &["skill-group-leader"]).await;
        let a = h
            .create_group("A", &[("UserId.1", &lead), ("SkillLevel.1", "5")])
            .await;
        h.create_group("B", &[]).await;
        let names = |v: &serde_json::Value| -> Vec<String> {
            v["SkillGroups"]["SkillGroup"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["SkillGroupName"].as_str().unwrap().to_string())
                .collect()
        };
        let all = h.call("ListSkillGroups", &[]).await.unwrap();
        assert_eq!(names(&all), vec!["A", "B"]);
        for role in [Role::SkillGroupLeader, Role::Agent] {
            let v = h
                .call_as(role, &lead, &[&a], "ListSkillGroups", &[])
                .await
                .unwrap();
            assert_eq!(names(&v), vec!["A"], "{role:?}");
        }
        let v = h
            .call_as(Role::Admin, &lead, &[], "ListSkillGroups", &[])
            .await
            .unwrap();
        assert_eq!(names(&v), vec!["A", "B"]);
    }
}
