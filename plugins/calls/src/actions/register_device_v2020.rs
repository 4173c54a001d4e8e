//! 2020-07-01 RegisterDevice (official SDK `alibabacloud-ccc20200701`; no seed documents it):
//! sets the SIP credentials of an agent's device at ccgate's registrar
//! (`telephony::set_device`: AOR `sip:<DeviceId>@<InstanceId>`, digest user DeviceId, realm
//! InstanceId). The agent is resolved to its canonical UserId (`agents.caller`), so calls to the
//! agent (`Target::Agent`) ring the device. Only the agent itself or an administrator
//! (`[access] self_only`, checked by the gateway and again here).

use ccgate_plugin_sdk::telephony::{self, SetDevice};
use ccgate_plugin_sdk::{ApiResult, Role};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::register_device_v2020::{Request, Response};
use crate::desk;

/// Sets the device (see the module docs).
///
/// Errors: 400 `Parameter.Null` (no UserId and the caller is no user); 400 `InvalidParameter`
/// (a DeviceId other than 1-64 letters, digits, `.`, `_`, `-`; a password other than 6-64
/// printable ASCII characters; another agent's DeviceId, from the registrar); 404
/// `NotExists.UserId`; 503 `Agents.NotEnabled`.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let id_ok = (1..=64).contains(&req.device_id.len())
        && req
            .device_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !id_ok {
        return Err(errors::invalid_parameter(
            "DeviceId",
            "1 to 64 letters, digits, '.', '_' or '-'",
        ));
    }
    let pw_ok = (6..=64).contains(&req.password.len())
        && req.password.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !pw_ok {
        return Err(errors::invalid_parameter(
            "Password",
            "6 to 64 printable ASCII characters without spaces",
        ));
    }
    let user = match desk::acting(ctx, req.user_id.as_deref()).await? {
        Some(u) => u,
        None => return Err(errors::parameter_null("UserId")),
    };
    if let Some(me) = &ctx.caller_scope
        && ctx.role != Role::Admin
        && me.user_id != user
    {
        return Err(errors::no_permission_msg(
            "An agent may register devices for itself only.",
        ));
    }
    telephony::set_device(
        ctx,
        &SetDevice {
            instance_id: ctx.instance().to_string(),
            device_id: req.device_id,
            user_id: user,
            password: req.password,
        },
    )
    .await?;
    Ok(Response { params: Vec::new() })
}

#[cfg(test)]
mod tests {
    use crate::api::register_device_v2020::SPEC;
    use crate::testutil::Harness;

    #[tokio::test]
    async fn an_agent_registers_its_own_device_under_its_canonical_id() {
        let h = Harness::new().await;
        h.call_as(
            "agent1",
            SPEC,
            &[("DeviceId", "agent-1001"), ("Password", "s3cret-pass")],
        )
        .await
        .unwrap();
        h.call(
            SPEC,
            &[
                ("DeviceId", "desk-2"),
                ("Password", "another-one"),
                ("UserId", "agent2@ccc-test"),
            ],
        )
        .await
        .unwrap();
        let d = h.env.telephony.devices();
        assert_eq!(
            (d[0].user_id.as_str(), d[0].device_id.as_str()),
            ("u-1", "agent-1001")
        );
        assert_eq!(
            (d[1].user_id.as_str(), d[1].instance_id.as_str()),
            ("u-2", "ccc-test")
        );
        assert_eq!(d[0].password, "s3cret-pass");
        // Only itself (the gateway refuses it first; the handler checks again).
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[
                    ("DeviceId", "x"),
                    ("Password", "s3cret-pass"),
                    ("UserId", "agent2"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (403, "NoPermission"));
        for (id, pw) in [
            ("a b", "s3cret-pass"),
            ("ok", "short"),
            ("ok", "with space"),
        ] {
            let e = h
                .call_as("agent1", SPEC, &[("DeviceId", id), ("Password", pw)])
                .await
                .unwrap_err();
            assert_eq!(e.code.as_ref(), "InvalidParameter", "{id} {pw}");
        }
        let e = h
            .call(SPEC, &[("DeviceId", "d"), ("Password", "s3cret-pass")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "Parameter.Null");
        let e = h
            .call(
                SPEC,
                &[
                    ("DeviceId", "d"),
                    ("Password", "s3cret-pass"),
                    ("UserId", "ghost"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.UserId");
        assert_eq!(h.env.telephony.devices().len(), 2);
    }
}
