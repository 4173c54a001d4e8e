//! 2017-07-05 ListContactFlows (seed 004 §4.2, lines 1132-1287): every contact flow of the
//! instance with all its versions and the phone numbers bound to it.
//!
//! Reply: `ContactFlows.ContactFlow[]` of `{ContactFlowId, InstanceId, ContactFlowName,
//! ContactFlowDescription, Type, AppliedVersion, Versions.ContactFlowVersion[]
//! {ContactFlowVersionId, Version, ContactFlowVersionDescription, LastModified,
//! LastModifiedBy, LockedBy, Status}, PhoneNumbers.PhoneNumber[] {PhoneNumberId, InstanceId,
//! Number, PhoneNumberDescription, TestOnly, RemainingTime, AllowOutbound, Usage, Trunks}}`,
//! flows in creation order, versions oldest first. Numbers come from the numbers plugin's
//! `by_contact_flow` query, asked about the listed flows only (one call per 100 flows:
//! [`crate::related::NUMBERS_QUERY_MAX_FLOWS`]), so numbers not bound to a flow cost nothing; with that
//! plugin disabled every `PhoneNumber` list is empty.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::list_contact_flows::{ContactFlows, Request, Response};
use crate::related::Related;
use crate::render;
use crate::storage::contact_flows;

/// Params: `InstanceId` only (checked by the gateway). Reply: see the module docs.
/// Errors: 500 on storage failures or a malformed numbers answer.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    let flows = contact_flows::of_instance(&ctx.db, ctx.instance()).await?;
    let related = Related::load(ctx, &flows).await?;
    let contact_flow = flows
        .iter()
        .map(|f| {
            let vs = related.versions(f);
            render::flow_2017(f, &vs, related.numbers(f), false)
        })
        .collect();
    Ok(Response {
        contact_flows: ContactFlows { contact_flow },
    })
}

#[cfg(test)]
mod tests {
    use crate::api::list_contact_flows::SPEC;
    use crate::testutil::*;
    use serde_json::json;

    #[tokio::test]
    async fn lists_flows_with_versions_in_the_documented_shape() {
        let env = env().await;
        assert_eq!(
            call(&env, SPEC, INSTANCE, &[]).await.unwrap(),
            json!({"ContactFlows": {"ContactFlow": []}})
        );
        let a = create_main(&env, INSTANCE, "A").await;
        let b = create(&env, INSTANCE, "B", "Subflow", "bee").await;
        create_main(&env, OTHER_INSTANCE, "elsewhere").await;

        let list = call(&env, SPEC, INSTANCE, &[]).await.unwrap();
        assert_eq!(keys(&list), ["ContactFlows"]);
        let flows = list["ContactFlows"]["ContactFlow"].as_array().unwrap();
        let names: Vec<_> = flows.iter().map(|f| f["ContactFlowName"].clone()).collect();
        assert_eq!(names, [json!("A"), json!("B")]);
        assert_eq!(flows[0]["ContactFlowId"], a);
        assert_eq!(
            keys(&flows[1]),
            [
                "ContactFlowId",
                "InstanceId",
                "ContactFlowName",
                "ContactFlowDescription",
                "Type",
                "AppliedVersion",
                "Versions",
                "PhoneNumbers"
            ]
        );
        assert_eq!(flows[1]["Type"], "Subflow");
        assert_eq!(flows[1]["ContactFlowDescription"], "bee");
        let v = &flows[1]["Versions"]["ContactFlowVersion"][0];
        assert_eq!(
            keys(v),
            [
                "ContactFlowVersionId",
                "Version",
                "ContactFlowVersionDescription",
                "LastModified",
                "LastModifiedBy",
                "LockedBy",
                "Status"
            ]
        );
        assert_eq!(v["ContactFlowVersionId"], first_version_id(&b));
        assert_eq!(flows[1]["PhoneNumbers"], json!({"PhoneNumber": []}));
    }

    #[tokio::test]
    async fn phone_numbers_come_from_the_numbers_plugin() {
        let (env, numbers) = env_with_numbers().await;
        let a = create_main(&env, INSTANCE, "A").await;
        let b = create_main(&env, INSTANCE, "B").await;
        *numbers.answer.lock().unwrap() = json!({"ContactFlows": [{
            "ContactFlowId": a.clone(),
            "PhoneNumbers": [{
                "PhoneNumberId": "pn-1", "Number": "057100001", "Usage": "Bidirection",
                "AllowOutbound": true, "TestOnly": false, "RemainingTime": 0, "Trunks": 30,
                "PhoneNumberDescription": "front desk", "InstanceId": INSTANCE,
                "Extra": "dropped"
            }]
        }]});
        let list = call(&env, SPEC, INSTANCE, &[]).await.unwrap();
        assert_eq!(
            numbers.asked.lock().unwrap().as_slice(),
            [json!({"InstanceId": INSTANCE, "ContactFlowIds": [a, b]})]
        );
        let flows = list["ContactFlows"]["ContactFlow"].as_array().unwrap();
        let pn = &flows[0]["PhoneNumbers"]["PhoneNumber"];
        assert_eq!(
            pn,
            &json!([{
                "PhoneNumberId": "pn-1", "InstanceId": INSTANCE, "Number": "057100001",
                "PhoneNumberDescription": "front desk", "TestOnly": false, "RemainingTime": 0,
                "AllowOutbound": true, "Usage": "Bidirection", "Trunks": 30
            }])
        );
        assert_eq!(
            keys(&pn[0]),
            <crate::api::shapes::PhoneNumber as ccgate_plugin_sdk::ResponseBody>::FIELDS
        );
        assert_eq!(flows[1]["ContactFlowId"], b);
        assert_eq!(flows[1]["PhoneNumbers"]["PhoneNumber"], json!([]));
    }

    #[tokio::test]
    async fn many_flows_are_asked_about_in_calls_of_at_most_100() {
        use crate::related::NUMBERS_QUERY_MAX_FLOWS;

        let (env, numbers) = env_with_numbers().await;
        let mut ids = Vec::new();
        for i in 0..=NUMBERS_QUERY_MAX_FLOWS {
            ids.push(create_main(&env, INSTANCE, &format!("f{i:03}")).await);
        }
        let (first, last) = (ids[0].clone(), ids[NUMBERS_QUERY_MAX_FLOWS].clone());
        *numbers.answer.lock().unwrap() = json!({"ContactFlows": [
            {"ContactFlowId": first.clone(), "PhoneNumbers": [bound_number("057100001")]},
            {"ContactFlowId": last.clone(), "PhoneNumbers": [bound_number("057100002")]},
        ]});
        let list = call(&env, SPEC, INSTANCE, &[]).await.unwrap();
        let asked = numbers.asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            [
                json!({"InstanceId": INSTANCE, "ContactFlowIds": ids[..NUMBERS_QUERY_MAX_FLOWS]}),
                json!({"InstanceId": INSTANCE, "ContactFlowIds": [last.clone()]}),
            ]
        );
        let flows = list["ContactFlows"]["ContactFlow"].as_array().unwrap();
        assert_eq!(flows.len(), NUMBERS_QUERY_MAX_FLOWS + 1);
        let numbers_of = |i: usize| flows[i]["PhoneNumbers"]["PhoneNumber"].clone();
        assert_eq!(numbers_of(0)[0]["Number"], "057100001");
        assert_eq!(
            numbers_of(NUMBERS_QUERY_MAX_FLOWS)[0]["Number"],
            "057100002"
        );
        assert_eq!(numbers_of(1), json!([]));
    }

    #[tokio::test]
    async fn no_flows_ask_nothing() {
        let (env, numbers) = env_with_numbers().await;
        create_main(&env, OTHER_INSTANCE, "elsewhere").await;
        call(&env, SPEC, INSTANCE, &[]).await.unwrap();
        assert!(numbers.asked.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_malformed_numbers_answer_is_an_internal_error() {
        let (env, numbers) = env_with_numbers().await;
        create_main(&env, INSTANCE, "A").await;
        *numbers.answer.lock().unwrap() = json!(["not", "a", "map"]);
        let e = call(&env, SPEC, INSTANCE, &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
    }
}
