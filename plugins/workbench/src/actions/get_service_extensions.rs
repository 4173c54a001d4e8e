//! 2017-07-05 GetServiceExtensions (seed 004 §3.3): the extension of a service route point
//! (the voice satisfaction survey) an agent transfers a call to.
//!
//! The extension comes from the agents plugin (query `service_extension`), which numbers
//! users' extensions from the same counter: a route point never has an agent's number. It is
//! allocated on first ask and stays. Response: `ServiceExtensions.ServiceExtension[]{Name,
//! Number}` (one entry).
//!
//! Errors: 400 `InvalidParameter` when the agents plugin is not enabled.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::clients::agents::{self as client, service_extension};
use crate::api::errors;
use crate::api::get_service_extensions::{Request, Response, ServiceExtension, ServiceExtensions};

/// Serves GetServiceExtensions.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let args = service_extension::Args {
        instance_id: ctx.instance().to_string(),
        service_type: req.service_type.as_str().to_string(),
    };
    let Some(found) = client::service_extension(ctx, &args).await? else {
        return Err(errors::invalid_parameter(
            "ServiceType",
            "the agents plugin, which numbers extensions, is not enabled",
        ));
    };
    Ok(Response {
        service_extensions: ServiceExtensions {
            service_extension: vec![ServiceExtension {
                name: req.service_type.as_str().to_string(),
                number: found.extension,
            }],
        },
    })
}

#[cfg(test)]
mod tests {
    use crate::testutil::Harness;

    #[tokio::test]
    async fn the_route_point_keeps_its_number_and_no_agent_gets_it() {
        let h = Harness::new().await;
        let alice = h.user("alice", "agent", &[]).await;
        let ask = || {
            h.call(
                "GetServiceExtensions",
                &[("ServiceType", "SatisfactionSurvey")],
            )
        };
        let v = ask().await.unwrap();
        let entry = &v["ServiceExtensions"]["ServiceExtension"][0];
        assert_eq!(entry["Name"], "SatisfactionSurvey");
        let number = entry["Number"].as_str().unwrap().to_string();
        assert_ne!(number, alice.extension);
        let bob = h.user("bob", "agent", &[]).await;
        assert_ne!(
            number, bob.extension,
            "users after the route point skip its number"
        );
        let again = ask().await.unwrap();
        assert_eq!(
            again["ServiceExtensions"]["ServiceExtension"][0]["Number"],
            number
        );
        let e = h
            .call("GetServiceExtensions", &[("ServiceType", "Other")])
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (400, "Parameter.Enumeration"));
    }
}
