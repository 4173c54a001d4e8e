//! 2017-07-05 CreateContactFlow: creates a contact flow (IVR flow) and its first version.
//!
//! Seed 004 lists it only in the overview (line 136, BEARERTOKEN/AK). Request parameters are
//! those the official SDK sends (`shared/reference/sdk-actions-2017.txt`: `Name`,
//! `Description`, `Type`, `InstanceId` in the query, `Content` and `Canvas` in the body). The
//! response shape follows the official 2017-07-05 SDK models: `ContactFlow` with
//! `ContactFlowId, InstanceId, ContactFlowName, ContactFlowDescription, Type, AppliedVersion,
//! Versions.ContactFlowVersion[] {ContactFlowVersionId, Version,
//! ContactFlowVersionDescription, Canvas, Content, LastModified, LastModifiedBy, LockedBy,
//! Status}, PhoneNumbers.PhoneNumber[]` (aliyun/alibabacloud-csharp-sdk
//! `ccc-20170705/core/Models/CreateContactFlowResponseBody.cs`; aliyun/aliyun-openapi-java-sdk
//! `aliyun-java-sdk-ccc/.../v20170705/CreateContactFlowResponseUnmarshaller.java`).
//!
//! The first version is a `Draft` labelled `yyyyMMddHHmmss` (now, UTC) and described
//! `<Name>-<label>`; nothing is published, so `AppliedVersion` is `""`. A route point is
//! allocated (see GetRoutePoint). Flow and version are written in one transaction.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::create_contact_flow::{Request, Response};
use crate::flow_type::FlowType;
use crate::storage::{self, NewFlow};
use crate::{definition, render};

/// Params:
/// - `Name` (required, 1-64 characters, unique within the instance);
/// - `Description` (optional, at most 256 characters, default `""`);
/// - `Type` (optional, default `Mainflow`): `Mainflow`, `Subflow`, `Surveyflow`, or the
///   2020 spellings `MAIN_FLOW`, `SUB_FLOW`, `SURVEY_FLOW` (see [`FlowType`]);
/// - `Content` (required, at most 1,000,000 characters): the flow definition, checked by
///   [`definition::check`] for the flow's type;
/// - `Canvas` (optional, at most 1,000,000 characters, default `""`): stored as sent.
///
/// Reply: `{"ContactFlow": {...}}` as in the module docs, with the one new version.
///
/// Errors: `MissingParameter` / `Parameter.Empty` (Name, Content), `Parameter.Maximum`
/// (lengths), `Parameter.Enumeration` (Type), `InvalidParameter` (Content, naming the bad
/// activity), 409 `Conflict.ContactFlowName` (duplicate name), 409 `Conflict.RoutePoint`
/// (route points of the instance exhausted).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    // Every value of the spec's `Type` enumeration is a spelling FlowType knows.
    let flow_type = FlowType::parse(req.type_.as_str()).unwrap_or(FlowType::Main);
    definition::check(&req.content.raw, flow_type)?;

    let new = NewFlow {
        instance_id: ctx.instance().to_string(),
        name: req.name,
        description: req.description.unwrap_or_default(),
        flow_type,
        content: req.content.raw,
        canvas: req.canvas.unwrap_or_default(),
        editor: storage::principal_name(ctx.principal.display_name()),
        publish: false,
    };
    let (flow, version) = storage::create_flow(&ctx.db, &new, ctx.now_ms()).await?;
    Ok(Response {
        contact_flow: render::flow_2017(&flow, &[&version], None, true),
    })
}

#[cfg(test)]
mod tests {
    use crate::api::create_contact_flow::SPEC;
    use crate::definition::DEFAULT_DEFINITION;
    use crate::testutil::*;

    #[tokio::test]
    async fn reply_has_the_sdk_shape() {
        let env = env().await;
        let reply = create(&env, INSTANCE, "Welcome", "Mainflow", "greets callers").await;
        assert_eq!(keys(&reply), ["ContactFlow"]);
        let flow = &reply["ContactFlow"];
        assert_eq!(
            keys(flow),
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
        assert_eq!(flow["InstanceId"], INSTANCE);
        assert_eq!(flow["ContactFlowName"], "Welcome");
        assert_eq!(flow["ContactFlowDescription"], "greets callers");
        assert_eq!(flow["Type"], "Mainflow");
        assert_eq!(flow["AppliedVersion"], "");
        assert_eq!(flow["PhoneNumbers"], serde_json::json!({"PhoneNumber": []}));
        let versions = flow["Versions"]["ContactFlowVersion"].as_array().unwrap();
        assert_eq!(versions.len(), 1);
        let v = &versions[0];
        assert_eq!(
            keys(v),
            [
                "ContactFlowVersionId",
                "Version",
                "ContactFlowVersionDescription",
                "Canvas",
                "Content",
                "LastModified",
                "LastModifiedBy",
                "LockedBy",
                "Status"
            ]
        );
        let label = v["Version"].as_str().unwrap();
        assert_eq!(label.len(), 14);
        assert!(label.chars().all(|c| c.is_ascii_digit()), "{label}");
        assert_eq!(
            v["ContactFlowVersionDescription"],
            format!("Welcome-{label}")
        );
        assert_eq!(v["Canvas"], "{\"zoom\":1}");
        assert_eq!(v["Content"], DEFAULT_DEFINITION);
        assert_eq!(v["LastModifiedBy"], "test-ak");
        assert_eq!(v["LockedBy"], "");
        assert_eq!(v["Status"], "Draft");
        let lm = v["LastModified"].as_str().unwrap();
        assert_eq!(lm.len(), "2018-07-04 22:00:55".len(), "{lm}");
        // The created flow is what ListContactFlows shows.
        let id = flow["ContactFlowId"].as_str().unwrap();
        let listed = listed_2017(&env, INSTANCE, id).await;
        assert_eq!(listed["ContactFlowName"], "Welcome");
    }

    #[tokio::test]
    async fn type_defaults_to_mainflow_and_accepts_both_spellings() {
        let env = env().await;
        let content = definition_for("MAIN_FLOW");
        let r = call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", "n"), ("Content", &content)],
        )
        .await
        .unwrap();
        assert_eq!(r["ContactFlow"]["Type"], "Mainflow");
        assert_eq!(
            r["ContactFlow"]["Versions"]["ContactFlowVersion"][0]["Canvas"],
            ""
        );
        let r = create(&env, INSTANCE, "s", "SUB_FLOW", "").await;
        assert_eq!(r["ContactFlow"]["Type"], "Subflow");
        let r = create(&env, INSTANCE, "v", "Surveyflow", "").await;
        assert_eq!(r["ContactFlow"]["Type"], "Surveyflow");
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", "x"), ("Type", "mainflow"), ("Content", &content)],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "Parameter.Enumeration");
        assert!(
            e.message.contains("Mainflow, Subflow, Surveyflow"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn names_are_unique_per_instance() {
        let env = env().await;
        create_main(&env, INSTANCE, "Welcome").await;
        let content = definition_for("MAIN_FLOW");
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", "Welcome"), ("Content", &content)],
        )
        .await
        .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (409, "Conflict.ContactFlowName")
        );
        // The same name in another instance is fine.
        create_main(&env, OTHER_INSTANCE, "Welcome").await;
    }

    #[tokio::test]
    async fn required_parameters_and_bounds() {
        let env = env().await;
        let content = definition_for("MAIN_FLOW");
        let e = call(&env, SPEC, INSTANCE, &[("Content", &content)])
            .await
            .unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.message.contains("\"Name\"")),
            ("MissingParameter", true)
        );
        let e = call(&env, SPEC, INSTANCE, &[("Name", "n")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.message.contains("\"Content\"")),
            ("MissingParameter", true)
        );
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", " "), ("Content", &content)],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
        let long = "名".repeat(65);
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", &long), ("Content", &content)],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        assert!(e.message.contains("Name"), "{}", e.message);
        let ok = "名".repeat(64);
        call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", &ok), ("Content", &content)],
        )
        .await
        .unwrap();
        let long = "d".repeat(257);
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("Name", "d"), ("Description", &long), ("Content", &content)],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
    }

    #[tokio::test]
    async fn invalid_definitions_name_the_activity_and_store_nothing() {
        let env = env().await;
        let bad = DEFAULT_DEFINITION.replace("\"next\":\"bd4f37e2\"", "\"next\":\"zzz\"");
        let e = call(&env, SPEC, INSTANCE, &[("Name", "bad"), ("Content", &bad)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(
            e.message.contains(
                "activity \"2d3ad2c2\" (放音) event \"complete\" points at \"zzz\", which does not exist"
            ),
            "{}",
            e.message
        );
        // A sub flow must start with START, not INCOMING_CALL.
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[
                ("Name", "sub"),
                ("Type", "Subflow"),
                ("Content", DEFAULT_DEFINITION),
            ],
        )
        .await
        .unwrap_err();
        assert!(
            e.message.contains("cannot start a SUB_FLOW flow"),
            "{}",
            e.message
        );
        let list = call(&env, crate::api::list_contact_flows::SPEC, INSTANCE, &[])
            .await
            .unwrap();
        assert_eq!(list["ContactFlows"]["ContactFlow"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn times_come_from_the_request_clock() {
        let mut env = env().await;
        // 2021-03-08 15:34:49 UTC.
        env.clock = ccgate_plugin_sdk::time::Clock::fixed(1_615_217_689_000);
        let reply = create(&env, INSTANCE, "Welcome", "Mainflow", "").await;
        let v = &reply["ContactFlow"]["Versions"]["ContactFlowVersion"][0];
        assert_eq!(v["Version"], "20210308153449");
        assert_eq!(v["LastModified"], "2021-03-08 15:34:49");
        assert_eq!(v["ContactFlowVersionDescription"], "Welcome-20210308153449");
        let listed = call(
            &env,
            crate::api::list_contact_flows_v2020::SPEC,
            INSTANCE,
            &[("PageNumber", "1"), ("PageSize", "10")],
        )
        .await
        .unwrap();
        let item = &listed["Data"]["List"][0];
        assert_eq!(item["CreatedTime"], "2021-03-08 15:34:49.0");
        assert_eq!(item["UpdatedTime"], "2021-03-08 15:34:49.0");
    }
}
