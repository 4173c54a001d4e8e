//! 2017-07-05 PickLocalNumber (seed 004 overview table only: "获取与被叫号码相同归属地的呼叫中心
//! 电话号码", BEARERTOKEN): picks the caller number whose home region best matches the callee.
//!
//! The seed has no section for it. Request parameters are what the official SDKs send
//! (`sdk-actions-2017.txt`: `InstanceId, CandidateNumber.N, CalleeNumber`); the response follows
//! the official SDK response models (aliyun-java-sdk-ccc `PickLocalNumberResponse` and its
//! unmarshaller, alibaba-cloud-sdk-go `PickLocalNumberResponse`, the Tea
//! `PickLocalNumberResponseBody`): `RequestId, Success, Code, Message, Data {Callee {City, Number,
//! Province}, Caller {City, Number, Province}}`, with no `HttpStatusCode`
//! ([`crate::api::pick_local_number::Response`]).
//!
//! Choice: among `CandidateNumber.N` (any valid numbers, in any instance or none), or, when none
//! is given, among the instance's active outbound numbers (Usage Outbound or Bidirection): a
//! number in the callee's city, else in its province, else any; ties are broken at random
//! ([`crate::picking`]).
//!
//! Errors: `MissingParameter` / `Parameter.Empty` (CalleeNumber); `InvalidParameter` when
//! `CalleeNumber` or a `CandidateNumber.N` is not a phone number (naming it); 404
//! `NotExists.OutboundNumber` when there is nothing to pick from.

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::pick_local_number::{Callee, Caller, Data, Request, Response};
use crate::picking::{self, Candidate};
use crate::region;
use crate::rules;
use crate::storage::phone_numbers;

/// The instance's active outbound numbers as candidates, with their stored regions.
pub(crate) async fn instance_outbound(ctx: &Context) -> ApiResult<Vec<Candidate>> {
    Ok(phone_numbers::outbound_of_instance(&ctx.db, ctx.instance())
        .await?
        .into_iter()
        .map(|n| Candidate {
            number: n.number,
            province: n.province,
            city: n.city,
        })
        .collect())
}

/// Serves PickLocalNumber.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let callee = rules::validate_number("CalleeNumber", &req.callee_number)?;
    let candidates = if req.candidate_number.is_empty() {
        instance_outbound(ctx).await?
    } else {
        let mut out: Vec<Candidate> = Vec::new();
        for (i, raw) in req.candidate_number.iter().enumerate() {
            let number = rules::validate_number(&format!("CandidateNumber.{}", i + 1), raw)?;
            if !out.iter().any(|c| c.number == number) {
                out.push(Candidate::looked_up(&number));
            }
        }
        out
    };
    let callee_region = region::lookup_or_empty(&callee);
    let best = picking::rank(candidates, (callee_region.province, callee_region.city))
        .into_iter()
        .next()
        .ok_or_else(errors::not_exists_outbound_number)?;
    Ok(Response {
        data: Data {
            callee: Callee {
                city: callee_region.city.to_string(),
                number: callee,
                province: callee_region.province.to_string(),
            },
            caller: Caller {
                city: best.city,
                number: best.number,
                province: best.province,
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::{Value, json};
    use ccgate_plugin_sdk::{AuthModes, Envelope};

    use crate::api::pick_local_number::SPEC;
    use crate::testutil::{Harness, OTHER_INSTANCE};

    #[test]
    fn spec_is_bearer_only_without_http_status_code() {
        assert_eq!(SPEC.auth, AuthModes::BearerOnly);
        assert_eq!(
            SPEC.envelope,
            Envelope {
                http_status_code: false,
                ..Envelope::V2017
            }
        );
    }

    async fn pick(h: &Harness, callee: &str, cands: &[&str]) -> Value {
        let mut pairs: Vec<(String, String)> = cands
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("CandidateNumber.{}", i + 1), c.to_string()))
            .collect();
        pairs.push(("CalleeNumber".into(), callee.into()));
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        h.call(SPEC, &refs).await.unwrap()
    }

    #[tokio::test]
    async fn picks_same_city_then_same_province_then_any_candidate() {
        let h = Harness::new().await;
        // Callee in Xiamen, Fujian.
        let callee = "05923293251";
        for _ in 0..5 {
            // Beijing, Fuzhou (Fujian), Xiamen: Xiamen wins.
            let v = pick(&h, callee, &["01086394552", "059112345678", "05927654321"]).await;
            assert_eq!(
                v,
                json!({"Data": {
                    "Callee": {"Number": callee, "Province": "福建", "City": "厦门"},
                    "Caller": {"Number": "05927654321", "Province": "福建", "City": "厦门"},
                }})
            );
            // Beijing, Fuzhou: same province wins.
            let v = pick(&h, callee, &["01086394552", "059112345678"]).await;
            assert_eq!(v["Data"]["Caller"]["Number"], "059112345678");
            assert_eq!(v["Data"]["Caller"]["City"], "福州");
        }
        // Neither: some candidate is still picked.
        let v = pick(&h, callee, &["01086394552", "02160664656"]).await;
        let caller = v["Data"]["Caller"]["Number"].as_str().unwrap();
        assert!(["01086394552", "02160664656"].contains(&caller), "{v}");
    }

    #[tokio::test]
    async fn without_candidates_picks_among_instance_outbound_numbers() {
        let h = Harness::new().await;
        h.add("053168962496", "Outbound", None).await; // Jinan
        h.add("05923293251", "Inbound", None).await; // Xiamen, but inbound only
        h.add("01086394552", "Bidirection", None).await; // Beijing
        h.add_in(OTHER_INSTANCE, "05927654321", "Outbound", None)
            .await; // Xiamen, other instance
        for _ in 0..5 {
            let v = h
                .call(SPEC, &[("CalleeNumber", "18801341452")])
                .await
                .unwrap();
            assert_eq!(v["Data"]["Caller"]["Number"], "01086394552", "{v}");
        }
        // A Xiamen callee: no Fujian outbound number here, so any outbound one of this instance.
        let v = h
            .call(SPEC, &[("CalleeNumber", "05920000000")])
            .await
            .unwrap();
        let caller = v["Data"]["Caller"]["Number"].as_str().unwrap();
        assert!(["053168962496", "01086394552"].contains(&caller), "{v}");
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("CalleeNumber"));
        let e = h.call(SPEC, &[("CalleeNumber", "x")]).await.unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let e = h
            .call(
                SPEC,
                &[
                    ("CalleeNumber", "18801341452"),
                    ("CandidateNumber.1", "12-3"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("CandidateNumber.1") && e.message.contains("12-3"));
        let e = h
            .call(SPEC, &[("CalleeNumber", "18801341452")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.OutboundNumber")
        );
    }
}
