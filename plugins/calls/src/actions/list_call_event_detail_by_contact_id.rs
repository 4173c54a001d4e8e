//! ListCallEventDetailByContactId (2017-07-05, seed 004 §11.14): a call's record and event log
//! ([`crate::render::call_detail_shown`]). Numbers the call was dialled with as Encrypt tokens
//! are shown as those tokens (`crate::tokens`); `PrivacyNumber` is a `PrivacyDial` call's TelX
//! or the virtual number of a call linked to this contact (ModifyPrivacyNumberCallDetail).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_call_event_detail_by_contact_id::{Request, Response};
use crate::lifecycle::PRIVACY_DIAL;
use crate::render;
use crate::storage::{privacy, records};

/// Reads the call `ContactId` of the instance. Four indexed reads (record, log, tokens, link;
/// the link only for calls that are not `PrivacyDial`).
///
/// Errors: 404 `NotExists.ContactId` (no such call in the instance).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let Some(c) = records::find(&ctx.db, ctx.instance(), &req.contact_id).await? else {
        return Err(errors::not_exists_contact_id(&req.contact_id));
    };
    let log = records::log_of(&ctx.db, &c.contact_id).await?;
    let linked_privacy_number = if c.call_type == PRIVACY_DIAL {
        None
    } else {
        privacy::linked_privacy_number(&ctx.db, &c.contact_id).await?
    };
    let shown = render::Shown {
        mask: privacy::mask_of(&ctx.db, &c.contact_id).await?,
        linked_privacy_number,
    };
    Ok(Response {
        data: render::call_detail_shown(&c, &log, &shown),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId, Party};

    use crate::api::{list_call_event_detail_by_contact_id as list, start_back2_back_call};
    use crate::testutil::Harness;

    #[tokio::test]
    async fn renders_the_call_log_of_a_back_to_back_call() {
        let h = Harness::new().await;
        let v = h
            .call(
                start_back2_back_call::SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        use CallEventKind::*;
        let events = [
            Inviting {
                leg: LegId::First,
                uri: "sip:17600668806@t".into(),
            },
            Ringing { leg: LegId::First },
            Answered { leg: LegId::First },
            Inviting {
                leg: LegId::Second,
                uri: "sip:18801341452@t".into(),
            },
            Answered { leg: LegId::Second },
            Bridged,
            Released {
                by: Party::Second,
                sip_code: 200,
                reason: "Normal call clearing".into(),
            },
            Ended,
        ];
        for (i, k) in events.into_iter().enumerate() {
            h.feed(&id, i as u32 + 1, k).await;
        }
        let v = h.call(list::SPEC, &[("ContactId", &id)]).await.unwrap();
        let d = &v["Data"];
        assert_eq!(d["CallType"], "Back2Back");
        assert_eq!(d["Caller"], "17600668806");
        assert_eq!(d["ReleaseAgent"], "callee");
        assert_eq!(d["ReleaseReason"], "200-Normal call clearing");
        let evs = d["Events"]["CallEventDetail"]
            .as_array()
            .unwrap_or_else(|| panic!("{d}"));
        let names: Vec<&str> = evs.iter().map(|e| e["Event"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Dial",
                "Ring",
                "Talk",
                "Dial",
                "Talk",
                "SetUpMeeting",
                "End"
            ]
        );
        assert_eq!(evs[0]["TimeStamp"], "1000");
        assert_eq!(evs[0]["Duration"], 1);
        assert_eq!(evs[0]["Status"], "Dialing");
        assert_eq!(evs[6]["DetailData"]["HangUper"], "byeCallee");

        let e = h
            .call(list::SPEC, &[("ContactId", "nope")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.ContactId"));
    }
}
