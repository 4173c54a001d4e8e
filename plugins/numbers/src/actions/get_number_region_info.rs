//! 2017-07-05 GetNumberRegionInfo (seed 004 §6.6 获取号码归属地): the home province and city of a
//! number, from the libphonenumber attribution data (see [`crate::region`]).
//!
//! Request: `InstanceId`, `Number` (required). Response: `PhoneNumber {City, Number, Province}`
//! with short zh names (`北京` / `北京`, `福建` / `厦门`); both are empty strings for numbers the
//! data does not know (foreign numbers, 400 numbers, unallocated prefixes). `Bearer` only, and
//! the envelope has no `HttpStatusCode` (§6.6 lists none).
//!
//! Errors: `MissingParameter` / `Parameter.Empty`; `InvalidParameter` when `Number` is not a
//! phone number (5-20 digits, optional `+`).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::get_number_region_info::{PhoneNumber, Request, Response};
use crate::region;
use crate::rules;

/// Serves GetNumberRegionInfo.
pub async fn handle(_ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let number = rules::validate_number("Number", &req.number)?;
    let r = region::lookup_or_empty(&number);
    Ok(Response {
        phone_number: PhoneNumber {
            city: r.city.to_string(),
            number,
            province: r.province.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;
    use ccgate_plugin_sdk::{AuthModes, Envelope};

    use crate::api::get_number_region_info::SPEC;
    use crate::testutil::Harness;

    #[test]
    fn spec_is_bearer_only_without_http_status_code() {
        assert_eq!(SPEC.auth, AuthModes::BearerOnly);
        assert_eq!(
            SPEC.envelope,
            Envelope {
                success: true,
                http_status_code: false,
                message: true,
                code: true
            }
        );
    }

    #[tokio::test]
    async fn looks_up_seed_numbers() {
        let h = Harness::new().await;
        for (number, province, city) in [
            ("13912345678", "江苏", "常州"),
            ("053168962496", "山东", "济南"),
            ("02160664656", "上海", "上海"),
            ("01086394552", "北京", "北京"),
            ("18801341452", "北京", "北京"),
        ] {
            let v = h.call(SPEC, &[("Number", number)]).await.unwrap();
            assert_eq!(
                v,
                json!({"PhoneNumber": {"Number": number, "Province": province, "City": city}}),
                "{number}"
            );
        }
    }

    #[tokio::test]
    async fn unknown_numbers_have_empty_region() {
        let h = Harness::new().await;
        let v = h.call(SPEC, &[("Number", "+14155550100")]).await.unwrap();
        assert_eq!(
            v,
            json!({"PhoneNumber": {"Number": "+14155550100", "Province": "", "City": ""}})
        );
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let e = h
            .call(SPEC, &[("Number", "188888888888888888888888")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("Number"));
    }
}
