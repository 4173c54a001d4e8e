//! ClientToken idempotency of the dialling actions (StartBack2BackCall, DialEx, MakeCall):
//! ccgate's extension, not Alibaba's.
//!
//! Rule: a request with a `ClientToken` that the same caller (`ak:<AccessKeyId>` or
//! `bearer:<token subject>`) sent on the same instance less than 24 hours ago
//! ([`crate::storage::client_token::TTL_MS`]) dials nobody and answers the first call. The token
//! is written in the transaction that inserts the call's record, so a token never names a call
//! that was not recorded, and two concurrent requests with one token start one call (the
//! second one's claim finds the first, or fails on the primary key and finds it then). A call
//! the engine refused to start frees its token (in the transaction that ends its record): the
//! retry dials. The token on another action: 400 IdempotentParameterMismatch.
//!
//! Only the request parameter is read: the gateway hands plugins no request headers, so the
//! `x-acs-client-token` header is not seen.

use ccgate_plugin_sdk::storage::{begin_write, is_unique_violation};
use ccgate_plugin_sdk::telephony::{self, StartCall};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context, Principal};

use crate::api::errors;
use ccgate_plugin_sdk::sea_orm::{EntityTrait, IntoActiveModel};

use crate::storage::{cdr, client_token, client_tokens as tokens, number_mask, records};

/// A ClientToken of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The caller key: `ak:<AccessKeyId>` or `bearer:<subject>`.
    pub caller: String,
    /// The token.
    pub token: String,
    /// The action and its version (`"<Action> <Version>"`): 2017 and 2020 StartBack2BackCall
    /// share a name but not parameters or replies, so a token never crosses versions.
    pub action: String,
}

/// The request's token; `None` when `raw` is absent or empty.
pub fn token(ctx: &Context, raw: Option<&str>) -> Option<Token> {
    let token = raw.filter(|t| !t.is_empty())?;
    let caller = match &ctx.principal {
        Principal::AccessKey { id } => format!("ak:{id}"),
        Principal::Bearer { subject } => format!("bearer:{subject}"),
    };
    Some(Token {
        caller,
        token: token.to_string(),
        action: format!("{} {}", ctx.spec.action, ctx.spec.version),
    })
}

/// The first call of `token`, if it was used within 24 hours: checked before anything else
/// happens (no agent reserved, nothing dialled).
///
/// Errors: 400 `IdempotentParameterMismatch` (the token was used by another action); storage.
pub async fn replay(ctx: &Context, token: Option<&Token>) -> ApiResult<Option<cdr::Model>> {
    let Some(t) = token else {
        return Ok(None);
    };
    let found = tokens::find(&ctx.db, ctx.instance(), &t.caller, &t.token, ctx.now_ms()).await?;
    match found {
        Some(first) => first_call(ctx, t, first).await.map(Some),
        None => Ok(None),
    }
}

async fn first_call(ctx: &Context, t: &Token, first: client_token::Model) -> ApiResult<cdr::Model> {
    if first.action != t.action {
        return Err(errors::idempotent_parameter_mismatch(
            &t.token,
            &first.action,
        ));
    }
    records::find(&ctx.db, ctx.instance(), &first.contact_id)
        .await?
        .ok_or_else(ApiError::internal)
}

/// Writes `record` (`LIVE`), its Encrypt `mask` (when some number was a token, as
/// `crate::dial::start_masked`) and claims `token` for it in ONE transaction, then asks the engine
/// to start `call`. `Ok(Some(first))` when the token was claimed meanwhile by a concurrent
/// request: nothing was written or dialled, `first` is that request's call. When the engine
/// refuses, the record is ended and the token freed in one transaction, and the engine's error
/// returned.
///
/// Errors: 400 `IdempotentParameterMismatch`; storage; [`telephony::start_call`]'s.
pub async fn start(
    ctx: &Context,
    record: cdr::Model,
    mask: Option<number_mask::Model>,
    call: &StartCall,
    token: Option<&Token>,
) -> ApiResult<Option<cdr::Model>> {
    let contact_id = record.contact_id.clone();
    let now = ctx.now_ms();
    let txn = begin_write(&ctx.db).await?;
    if let Some(t) = token {
        let row = client_token::Model {
            instance_id: ctx.instance().to_string(),
            caller: t.caller.clone(),
            token: t.token.clone(),
            action: t.action.clone(),
            contact_id: contact_id.clone(),
            created_ms: now,
        };
        let claimed = tokens::claim(&txn, row).await;
        let first = match claimed {
            Ok(first) => first,
            Err(e) if is_unique_violation(&e) => {
                txn.rollback().await?;
                return replay(ctx, token)
                    .await?
                    .ok_or_else(ApiError::internal)
                    .map(Some);
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(first) = first {
            txn.rollback().await?;
            return first_call(ctx, t, first).await.map(Some);
        }
    }
    records::insert(&txn, record).await?;
    if let Some(mask) = mask {
        number_mask::Entity::insert(mask.into_active_model())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    if let Err(e) = telephony::start_call(ctx, call).await {
        let reason = crate::lifecycle::release_reason(e.status, e.code.as_ref());
        let txn = begin_write(&ctx.db).await?;
        // Publishing `calls.call_ended` (close_unstarted) is the transaction's last write.
        tokens::release(&txn, &contact_id).await?;
        records::close_unstarted(&txn, &contact_id, ctx.now_ms(), &reason).await?;
        txn.commit().await?;
        return Err(e);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::ApiError;
    use ccgate_plugin_sdk::time::Clock;

    use crate::api::{dial_ex, make_call_v2020, start_back2_back_call};
    use crate::testutil::Harness;

    const B2B: [(&str, &str); 3] = [
        ("Caller", "17600668806"),
        ("Callee", "18801341452"),
        ("ClientToken", "tok-1"),
    ];

    #[tokio::test]
    async fn a_retry_within_24_hours_answers_the_first_call_and_dials_nobody() {
        let mut h = Harness::new().await;
        h.env.clock = Clock::fixed(1_700_000_000_000);
        let first = h.call(start_back2_back_call::SPEC, &B2B).await.unwrap();
        h.env.clock.advance_ms(23 * 3600 * 1000);
        let again = h.call(start_back2_back_call::SPEC, &B2B).await.unwrap();
        assert_eq!(first["TaskId"], again["TaskId"]);
        assert_eq!(first["TimeStamp"], again["TimeStamp"]);
        assert_eq!(h.env.telephony.started().len(), 1);
        assert_eq!(h.all_cdrs().await.len(), 1);
        // Another caller (a user's token) with the same token is another request.
        h.call_as("agent1", start_back2_back_call::SPEC, &B2B)
            .await
            .unwrap();
        assert_eq!(h.env.telephony.started().len(), 2);
        // The same token on another action is a mismatch.
        let e = h
            .call(
                make_call_v2020::SPEC,
                &[
                    ("Callee", "13188880000"),
                    ("UserId", "agent1"),
                    ("ClientToken", "tok-1"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (400, "IdempotentParameterMismatch")
        );
        // After 24 hours the token is free again (and the expired row is deleted).
        h.env.clock.advance_ms(2 * 3600 * 1000);
        let later = h.call(start_back2_back_call::SPEC, &B2B).await.unwrap();
        assert_ne!(later["TaskId"], first["TaskId"]);
        assert_eq!(h.env.telephony.started().len(), 3);
    }

    #[tokio::test]
    async fn dial_ex_and_make_call_reserve_nobody_on_a_retry() {
        let h = Harness::new().await;
        let p = [
            ("AnswerMode", "2"),
            ("Callee", "15732036617"),
            ("Caller", "02566040852"),
            ("RoutPoint", "sales"),
            ("ClientToken", "d-1"),
        ];
        let a = h.call(dial_ex::SPEC, &p).await.unwrap();
        let b = h.call(dial_ex::SPEC, &p).await.unwrap();
        assert_eq!(a["TaskId"], b["TaskId"]);
        let reserves = |h: &Harness| {
            h.asked
                .lock()
                .unwrap()
                .iter()
                .filter(|(q, _)| q == "reserve")
                .count()
        };
        assert_eq!(reserves(&h), 1);
        let m = [("Callee", "13188880000"), ("ClientToken", "m-1")];
        let a = h
            .call_as("agent1", make_call_v2020::SPEC, &m)
            .await
            .unwrap();
        let b = h
            .call_as("agent1", make_call_v2020::SPEC, &m)
            .await
            .unwrap();
        assert_eq!(
            a["Data"]["CallContext"]["JobId"],
            b["Data"]["CallContext"]["JobId"]
        );
        assert_eq!(reserves(&h), 2);
        assert_eq!(h.env.telephony.started().len(), 2);
    }

    #[tokio::test]
    async fn a_call_the_engine_refused_frees_its_token() {
        let h = Harness::new().await;
        h.env
            .telephony
            .fail_with(Some(ApiError::new(503, "Telephony.Unavailable", "down")));
        let e = h.call(start_back2_back_call::SPEC, &B2B).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "Telephony.Unavailable");
        h.env.telephony.fail_with(None);
        h.call(start_back2_back_call::SPEC, &B2B).await.unwrap();
        assert_eq!(h.env.telephony.started().len(), 1);
        assert_eq!(h.all_cdrs().await.len(), 2);
    }

    #[tokio::test]
    async fn a_concurrent_claim_answers_the_first_call() {
        use ccgate_plugin_sdk::telephony::{Leg, StartCall, Target};

        use crate::storage::{LIVE, cdr};
        let h = Harness::new().await;
        let first = h.call(start_back2_back_call::SPEC, &B2B).await.unwrap();
        // A request that checked before the first one claimed the token gets to `start`.
        let ctx = h
            .env
            .ctx(start_back2_back_call::SPEC, crate::testutil::INSTANCE);
        let token = super::token(&ctx, Some("tok-1"));
        let record = cdr::Model {
            contact_id: "999".into(),
            instance_id: crate::testutil::INSTANCE.into(),
            status: LIVE.into(),
            ..Default::default()
        };
        let leg = Leg {
            target: Target::Number { number: "1".into() },
            caller_id: "2".into(),
        };
        let call = StartCall {
            call_id: "999".into(),
            instance_id: crate::testutil::INSTANCE.into(),
            first: leg.clone(),
            second: leg,
            ring_timeout_seconds: 30,
            max_duration_seconds: 0,
        };
        let got = super::start(&ctx, record, None, &call, token.as_ref())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.contact_id, first["TaskId"].as_str().unwrap());
        assert_eq!(h.all_cdrs().await.len(), 1);
        assert_eq!(h.env.telephony.started().len(), 1);
    }
}
