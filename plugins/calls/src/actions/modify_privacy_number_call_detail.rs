//! ModifyPrivacyNumberCallDetail (2017-07-05, seed 004 §6.9, "更新话务ID"): links a
//! virtual-number call (`CallId`, the contact id CallOnlinePrivacyNumber answered) to a
//! contact (`ContactId`), e.g. the inbound contact its first leg produced at the call center
//! number, "so that the user can find the recordings" (需记录到外呼虚拟号码操作表以便用户查看
//! 录音文件信息). Afterwards ListCallEventDetailByContactId of the contact shows the call's
//! virtual number as `PrivacyNumber`. Calling it again for the same CallId replaces the link
//! (an update, as the seed's title says).

use ccgate_plugin_sdk::{ApiResult, Empty};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::modify_privacy_number_call_detail::{Request, Response};
use crate::lifecycle::PRIVACY_DIAL;
use crate::storage::{privacy, privacy_link, records};

/// Validates both ids and writes the link. Two indexed reads and one upsert.
///
/// Errors: 404 `NotExists.CallId` (no `PrivacyDial` call with that id in the instance); 404
/// `NotExists.ContactId` (no call with that id in the instance); storage.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let call = records::find(&ctx.db, ctx.instance(), &req.call_id)
        .await?
        .filter(|c| c.call_type == PRIVACY_DIAL)
        .ok_or_else(|| errors::not_exists_call_id(&req.call_id))?;
    let Some(contact) = records::find(&ctx.db, ctx.instance(), &req.contact_id).await? else {
        return Err(errors::not_exists_contact_id(&req.contact_id));
    };
    privacy::link(
        &ctx.db,
        privacy_link::Model {
            call_id: call.contact_id,
            instance_id: ctx.instance().to_string(),
            contact_id: contact.contact_id,
            tel_x: call.call_center_number,
            linked_ms: ctx.now_ms(),
        },
    )
    .await?;
    Ok(Empty {})
}

#[cfg(test)]
mod tests {
    use crate::api::modify_privacy_number_call_detail::SPEC;
    use crate::api::{
        call_online_privacy_number, list_call_event_detail_by_contact_id as list,
        start_back2_back_call,
    };
    use crate::testutil::{Harness, NUMBERS};

    #[tokio::test]
    async fn links_a_virtual_number_call_to_a_contact_whose_record_then_shows_it() {
        let h = Harness::build(
            crate::actions::call_online_privacy_number::tests_support::bound(),
            &NUMBERS,
            false,
        )
        .await;
        let v = h
            .call(
                call_online_privacy_number::SPEC,
                &[("TelA", NUMBERS[0]), ("TelB", "18801341452")],
            )
            .await
            .unwrap();
        let call_id = v["Data"]["CallId"].as_str().unwrap().to_string();
        let v = h
            .call(
                start_back2_back_call::SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap();
        let contact = v["TaskId"].as_str().unwrap().to_string();
        let before = h
            .call(list::SPEC, &[("ContactId", &contact)])
            .await
            .unwrap();
        assert_eq!(before["Data"]["PrivacyNumber"], "");

        h.call(SPEC, &[("CallId", &call_id), ("ContactId", &contact)])
            .await
            .unwrap();
        // Again: an update, not a conflict.
        h.call(SPEC, &[("CallId", &call_id), ("ContactId", &contact)])
            .await
            .unwrap();
        let after = h
            .call(list::SPEC, &[("ContactId", &contact)])
            .await
            .unwrap();
        assert_eq!(after["Data"]["PrivacyNumber"], "13020155449");

        // CallId must be a virtual-number call, ContactId a call, both of the instance.
        let e = h
            .call(SPEC, &[("CallId", &contact), ("ContactId", &contact)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.CallId"));
        let e = h
            .call(SPEC, &[("CallId", &call_id), ("ContactId", "2063169340")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.ContactId"));
        let e = h
            .env
            .call(
                SPEC,
                "ccc-other",
                &[("CallId", &call_id), ("ContactId", &contact)],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.CallId");
    }
}
