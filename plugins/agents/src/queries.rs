//! The queries agents offers other plugins (specs: `plugins/agents/api/queries/`; generated
//! types and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::queries::skill_groups::{Args, Output, SkillGroups};
use crate::storage::users;

/// `skill_groups`: the skill groups of `args.instance_id` with ids `args.skill_group_ids`,
/// ordered by `SkillGroupId`; unknown ids (and other instances' groups) are absent. The numbers
/// plugin validates `SkillGroupId.N` and renders skill-group names with it. One SQL query per
/// 1000 ids; none for an empty list.
///
/// Errors: 500 on storage failures.
pub async fn skill_groups(ctx: &Ctx<'_>, args: Args) -> ApiResult<Output> {
    if args.skill_group_ids.is_empty() {
        return Ok(Output::default());
    }
    let mut ids = args.skill_group_ids;
    ids.sort();
    ids.dedup();
    let found = users::skill_groups(&ctx.db, &args.instance_id, &ids).await?;
    let mut out: Vec<SkillGroups> = found
        .into_values()
        .map(|g| SkillGroups {
            skill_group_id: g.id,
            display_name: g.name.clone(),
            name: g.name,
            description: g.description,
            instance_id: g.instance_id,
        })
        .collect();
    out.sort_by(|a, b| a.skill_group_id.cmp(&b.skill_group_id));
    Ok(Output { skill_groups: out })
}

#[cfg(test)]
mod tests {
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
