//! Signed webhooks of call events: the durable outbox (`calls_webhook_outbox`) and what the
//! host's delivery loop asks of it.
//!
//! - **Writing**: the recorder ([`crate::recorder`]) inserts one row per applied engine event
//!   of an instance that has a webhook (setting `[plugins.calls.webhooks]`), in the same
//!   transaction as the record; the start-up task ([`crate::restart`]) inserts the final
//!   `interrupted` event of each call it closes. A redelivered engine event is not applied
//!   again, so it enqueues nothing (the unique `(contact_id, seq)` index backs this up).
//! - **Delivering**: the gateway (a library plugin links no HTTP client) polls
//!   [`WEBHOOK_DUE`] every 200 ms, POSTs what it gets and reports the answers with
//!   [`WEBHOOK_DONE`]. [`due`] answers, per call, only the call's oldest undelivered row, and
//!   only once its back-off has passed: a call's webhooks go out strictly in `seq` order.
//! - **Retrying**: a 2xx delivers; anything else (or no answer) waits [`backoff_ms`] (1 s
//!   doubling to 5 min) and is sent again, forever: at-least-once. Receivers deduplicate by
//!   `X-Ccgate-Event-Id` (`<contact id>:<seq>`).
//! - **Signing** ([`signature`]): `X-Ccgate-Signature: sha256=<hex HMAC-SHA256(secret,
//!   "<X-Ccgate-Timestamp>.<body>")>`, the timestamp in Unix seconds of the attempt.
//!
//! Rows of an instance whose webhook was removed from the settings are dropped (marked
//! delivered with status 0) when they come due. Delivered rows are deleted after 7 days.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, Func, Query};
use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use ccgate_plugin_sdk::serde_json::{self, Value, json};
use ccgate_plugin_sdk::telephony::{
    CallEvent, CallEventKind, WEBHOOK_DONE, WEBHOOK_DUE, WebhookBatch, WebhookDue, WebhookRequest,
    WebhookResults,
};
use ccgate_plugin_sdk::{ApiResult, Context};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::storage::cdr;
use crate::storage::webhook_outbox::{self as outbox, Column, Entity};
use crate::{State, WebhookSetting};

/// The first retry's delay, ms.
pub const BACKOFF_MIN_MS: i64 = 1_000;
/// The longest delay between two attempts, ms.
pub const BACKOFF_MAX_MS: i64 = 300_000;
/// How long delivered rows are kept, ms.
pub const KEEP_DELIVERED_MS: i64 = 7 * 24 * 3_600_000;
/// The most requests one [`due`] answers.
pub const DUE_MAX: u32 = 100;

/// Checks a webhook URL: `http://` or `https://` (the gateway's client verifies certificates
/// against the Mozilla roots, `webpki-roots`) and a host.
///
/// Errors: why not, in words.
pub fn check_url(url: &str) -> Result<(), String> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} has no host or has spaces"));
    }
    Ok(())
}

/// The delay before attempt `attempts + 1` after `attempts` failed ones (≥ 1): 1 s, 2 s, 4 s…
/// at most 5 min.
pub fn backoff_ms(attempts: i32) -> i64 {
    let doublings = u32::try_from(attempts.max(1) - 1).unwrap_or(0).min(20);
    (BACKOFF_MIN_MS << doublings).min(BACKOFF_MAX_MS)
}

/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What the body says of the call besides the event (the record after the event).
fn call_fields(c: &cdr::Model) -> Value {
    json!({
        "call_type": c.call_type,
        "caller": c.caller,
        "callee": c.callee,
        "call_center_number": c.call_center_number,
        "agent_user_id": c.agent_user_id,
        "skill_group_id": c.skill_group_id,
        "status": c.status,
        "start_ms": c.start_ms,
        "bridged_ms": c.bridged_ms,
        "release_ms": c.release_ms,
        "release_initiator": c.release_initiator,
        "release_reason": c.release_reason,
        "disposition": c.disposition,
    })
}

/// The body of the webhook of engine event `ev`, applied to give record `after`: the event's
/// fields (`seq`, `at_ms`, `event` and its own: `leg`, `sip_code`…) with `contact_id` for
/// `call_id`, `event_id`, `final` (true for `ended`) and `call` (the record after the event).
pub fn event_body(ev: &CallEvent, after: &cdr::Model) -> String {
    let mut v = serde_json::to_value(ev).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut v {
        m.remove("call_id");
        m.insert("contact_id".into(), json!(ev.call_id));
        m.insert(
            "event_id".into(),
            json!(format!("{}:{}", ev.call_id, ev.seq)),
        );
        m.insert(
            "final".into(),
            json!(matches!(ev.kind, CallEventKind::Ended)),
        );
        m.insert("call".into(), call_fields(after));
    }
    v.to_string()
}

/// The body of the final webhook of a call closed at start-up ([`crate::restart`]): event
/// `interrupted`, `final` true, at `at_ms`, with `seq`.
pub fn interrupted_body(closed: &cdr::Model, seq: i32, at_ms: i64) -> String {
    json!({
        "contact_id": closed.contact_id,
        "instance_id": closed.instance_id,
        "seq": seq,
        "at_ms": at_ms,
        "event": "interrupted",
        "reason": closed.release_reason,
        "event_id": format!("{}:{seq}", closed.contact_id),
        "final": true,
        "call": call_fields(closed),
    })
    .to_string()
}

/// Inserts a row for call `c`'s event `seq` with `body`, due at once, when `c`'s instance has a
/// webhook in `hooks` (else nothing).
///
/// Errors: storage (a second row for the same `(contact_id, seq)` is a unique violation).
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    hooks: &BTreeMap<String, WebhookSetting>,
    c: &cdr::Model,
    seq: i32,
    body: String,
    now_ms: i64,
) -> Result<(), DbErr> {
    if !hooks.contains_key(&c.instance_id) {
        return Ok(());
    }
    let row = outbox::ActiveModel {
        instance_id: Set(c.instance_id.clone()),
        contact_id: Set(c.contact_id.clone()),
        seq: Set(seq),
        payload: Set(body),
        created_ms: Set(now_ms),
        attempts: Set(0),
        // Due at once.
        next_attempt_ms: Set(0),
        delivered_ms: Set(None),
        last_status: Set(0),
        ..Default::default()
    };
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// The webhooks due at `args.now_ms` (see the module docs), signed, at most `args.limit`
/// (clamped to 1-[`DUE_MAX`]), oldest first.
///
/// Errors: storage.
pub async fn due<C: ConnectionTrait>(
    db: &C,
    hooks: &BTreeMap<String, WebhookSetting>,
    args: &WebhookDue,
) -> Result<WebhookBatch, DbErr> {
    let heads = Query::select()
        .expr(Func::min(Expr::col(Column::Id)))
        .from(Entity)
        .and_where(ccgate_plugin_sdk::sea_orm::sea_query::ExprTrait::is_null(
            Expr::col(Column::DeliveredMs),
        ))
        .group_by_col(Column::ContactId)
        .to_owned();
    let rows = Entity::find()
        .filter(Column::Id.in_subquery(heads))
        .filter(Column::NextAttemptMs.lte(args.now_ms))
        .order_by_asc(Column::Id)
        .limit(u64::from(args.limit.clamp(1, DUE_MAX)))
        .all(db)
        .await?;
    let timestamp = args.now_ms.div_euclid(1_000);
    let mut requests = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(hook) = hooks.get(&row.instance_id) else {
            tracing::warn!(instance = %row.instance_id, call = %row.contact_id, seq = row.seq,
                "webhook of an instance without a webhook setting, dropped");
            let mut dropped = row.into_active_model();
            dropped.delivered_ms = Set(Some(args.now_ms));
            dropped.update(db).await?;
            continue;
        };
        requests.push(WebhookRequest {
            id: row.id,
            url: hook.url.clone(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Ccgate-Timestamp".into(), timestamp.to_string()),
                (
                    "X-Ccgate-Signature".into(),
                    signature(&hook.secret.0, timestamp, &row.payload),
                ),
                (
                    "X-Ccgate-Event-Id".into(),
                    format!("{}:{}", row.contact_id, row.seq),
                ),
            ],
            body: row.payload,
        });
    }
    Ok(WebhookBatch { requests })
}

/// Records the receivers' answers: a 2xx delivers the row, anything else counts an attempt
/// and puts the next one [`backoff_ms`] later. Then deletes rows delivered more than
/// [`KEEP_DELIVERED_MS`] ago.
///
/// Errors: storage.
pub async fn done<C: ConnectionTrait>(db: &C, args: &WebhookResults) -> Result<(), DbErr> {
    for r in &args.results {
        let Some(row) = Entity::find_by_id(r.id).one(db).await? else {
            continue;
        };
        if row.delivered_ms.is_some() {
            continue;
        }
        let attempts = row.attempts.saturating_add(1);
        let mut row = row.into_active_model();
        row.attempts = Set(attempts);
        row.last_status = Set(i32::from(r.status));
        if (200..300).contains(&r.status) {
            row.delivered_ms = Set(Some(args.now_ms));
        } else {
            row.next_attempt_ms = Set(args.now_ms + backoff_ms(attempts));
            tracing::warn!(id = r.id, status = r.status, error = %r.error, attempts,
                "webhook not delivered; will retry");
        }
        row.update(db).await?;
    }
    Entity::delete_many()
        .filter(Column::DeliveredMs.lt(args.now_ms - KEEP_DELIVERED_MS))
        .exec(db)
        .await?;
    Ok(())
}

/// The host's queries [`WEBHOOK_DUE`] and [`WEBHOOK_DONE`] (JSON of the SDK's types).
///
/// Errors: 500 on malformed arguments or storage.
pub async fn query(state: &State, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
    use ccgate_plugin_sdk::query::{decode_args, encode_output};
    let hooks = &state.settings.webhooks;
    if name == WEBHOOK_DUE {
        let args: WebhookDue = decode_args(name, args)?;
        encode_output(name, due(&ctx.db, hooks, &args).await?)
    } else {
        let _ = WEBHOOK_DONE;
        let args: WebhookResults = decode_args(name, args)?;
        done(&ctx.db, &args).await?;
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ccgate_plugin_sdk::sea_orm::{EntityTrait, QueryOrder};
    use ccgate_plugin_sdk::serde_json::{self, Value, json};
    use ccgate_plugin_sdk::telephony::{
        CallEventKind, LegId, Party, WEBHOOK_DONE, WEBHOOK_DUE, WebhookBatch, WebhookResult,
    };
    use ccgate_plugin_sdk::{Plugin, serde_json::from_value};

    use super::*;
    use crate::api::start_back2_back_call;
    use crate::testutil::{Harness, INSTANCE, NUMBERS};
    use crate::{SecretSetting, Settings};

    fn hooks() -> BTreeMap<String, WebhookSetting> {
        BTreeMap::from([(
            INSTANCE.to_string(),
            WebhookSetting {
                url: "http://127.0.0.1:9/hook".into(),
                secret: SecretSetting("shh".into()),
            },
        )])
    }

    async fn harness() -> Harness {
        let settings = Settings {
            webhooks: hooks(),
            ..Settings::default()
        };
        Harness::build(settings, &NUMBERS, false).await
    }

    async fn b2b(h: &Harness) -> String {
        h.call(
            start_back2_back_call::SPEC,
            &[("Caller", "17600668806"), ("Callee", "18801341452")],
        )
        .await
        .unwrap()["TaskId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn rows(h: &Harness) -> Vec<outbox::Model> {
        Entity::find()
            .order_by_asc(Column::Id)
            .all(&h.env.db)
            .await
            .unwrap()
    }

    /// Asks `webhook_due` as the gateway does.
    async fn ask_due(h: &Harness, now_ms: i64) -> WebhookBatch {
        let ctx = h.env.ctx(crate::api::dial_ex::SPEC, INSTANCE);
        let v = h
            .calls
            .query(&ctx, WEBHOOK_DUE, json!({"limit": 10, "now_ms": now_ms}))
            .await
            .unwrap();
        from_value(v).unwrap()
    }

    /// Reports `status` for every request of `batch` at `now_ms`, as the gateway does.
    async fn answer(h: &Harness, batch: &WebhookBatch, status: u16, now_ms: i64) {
        let ctx = h.env.ctx(crate::api::dial_ex::SPEC, INSTANCE);
        let results: Vec<WebhookResult> = batch
            .requests
            .iter()
            .map(|r| WebhookResult {
                id: r.id,
                status,
                error: String::new(),
            })
            .collect();
        let args = json!({"results": results, "now_ms": now_ms});
        h.calls.query(&ctx, WEBHOOK_DONE, args).await.unwrap();
    }

    fn header<'a>(r: &'a WebhookRequest, name: &str) -> &'a str {
        &r.headers.iter().find(|(k, _)| k == name).unwrap().1
    }

    #[test]
    fn signature_vector_and_backoff() {
        assert_eq!(
            signature("shh", 1_700_000_000, r#"{"a":1}"#),
            "sha256=be310eac0f84daf469d630347a950258de768b365563ab68f29f2f783473d547"
        );
        let delays: Vec<i64> = (1..=11).map(backoff_ms).collect();
        assert_eq!(
            delays,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
                300_000
            ]
        );
        assert_eq!(backoff_ms(i32::MAX), BACKOFF_MAX_MS);
        assert!(check_url("http://h:8/x").is_ok());
        assert!(check_url("https://hooks.example.com/ccgate").is_ok());
        for bad in ["ftp://h", "http://", "https://", "http:// h/"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn settings_check_webhooks_and_never_print_the_secret() {
        let ok =
            json!({"webhooks": {"ccc-1": {"url": "http://r:8080/h", "secret": "s3cr3t-value"}}});
        let plugin = crate::CallsPlugin::default();
        plugin.init(&ok).await.unwrap();
        let shown = format!("{:?}", plugin.state());
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        let e = crate::CallsPlugin::default()
            .init(&json!({"webhooks": {"ccc-1": {"url": "nowhere", "secret": "s"}}}))
            .await
            .unwrap_err();
        assert!(e.starts_with("plugins.calls.webhooks.ccc-1.url: "), "{e}");
        let e = crate::CallsPlugin::default()
            .init(&json!({"webhooks": {"ccc-1": {"url": "http://r/", "secret": ""}}}))
            .await
            .unwrap_err();
        assert!(
            e.starts_with("plugins.calls.webhooks.ccc-1.secret: "),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[tokio::test]
    async fn every_applied_event_is_enqueued_with_the_record_once_and_signed() {
        let h = harness().await;
        let id = b2b(&h).await;
        h.feed(
            &id,
            1,
            CallEventKind::Inviting {
                leg: LegId::First,
                uri: "sip:a".into(),
            },
        )
        .await;
        h.feed(&id, 2, CallEventKind::Ringing { leg: LegId::First })
            .await;
        // A redelivery enqueues nothing.
        h.feed(&id, 2, CallEventKind::Ringing { leg: LegId::First })
            .await;
        let r = rows(&h).await;
        assert_eq!(r.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
        assert!(
            r.iter()
                .all(|r| r.contact_id == id && r.delivered_ms.is_none())
        );
        let body: Value = serde_json::from_str(&r[1].payload).unwrap();
        assert_eq!(body["event"], "ringing");
        assert_eq!(body["leg"], "first");
        assert_eq!(body["contact_id"], json!(id));
        assert_eq!(body["event_id"], json!(format!("{id}:2")));
        assert_eq!(body["final"], false);
        assert_eq!(body["call"]["caller"], "17600668806");
        // Due: only the call's oldest row, signed with the instance's secret.
        let batch = ask_due(&h, 1_700_000_000_123).await;
        assert_eq!(batch.requests.len(), 1);
        let req = &batch.requests[0];
        assert_eq!(req.url, "http://127.0.0.1:9/hook");
        assert_eq!(header(req, "X-Ccgate-Timestamp"), "1700000000");
        assert_eq!(header(req, "X-Ccgate-Event-Id"), format!("{id}:1"));
        assert_eq!(header(req, "Content-Type"), "application/json");
        assert_eq!(
            header(req, "X-Ccgate-Signature"),
            signature("shh", 1_700_000_000, &req.body)
        );
        // An instance without a webhook enqueues nothing.
        let plain = Harness::new().await;
        let other = b2b(&plain).await;
        plain
            .feed(&other, 1, CallEventKind::Ringing { leg: LegId::First })
            .await;
        assert!(rows(&plain).await.is_empty());
    }

    #[tokio::test]
    async fn a_call_waits_for_its_earlier_event_which_is_retried_with_backoff() {
        let h = harness().await;
        let a = b2b(&h).await;
        let b = b2b(&h).await;
        h.feed(&a, 1, CallEventKind::Ringing { leg: LegId::First })
            .await;
        h.feed(&b, 1, CallEventKind::Ringing { leg: LegId::First })
            .await;
        h.feed(&a, 2, CallEventKind::Answered { leg: LegId::First })
            .await;
        let t = 10_000_000;
        let batch = ask_due(&h, t).await;
        let events: Vec<&str> = batch
            .requests
            .iter()
            .map(|r| header(r, "X-Ccgate-Event-Id"))
            .collect();
        assert_eq!(events, [format!("{a}:1"), format!("{b}:1")]);
        // a:1 fails, b:1 is delivered.
        let (fail, ok) = (&batch.requests[0], &batch.requests[1]);
        answer(
            &h,
            &WebhookBatch {
                requests: vec![fail.clone()],
            },
            500,
            t,
        )
        .await;
        answer(
            &h,
            &WebhookBatch {
                requests: vec![ok.clone()],
            },
            204,
            t,
        )
        .await;
        // a:2 waits behind a:1, which waits 1 s.
        assert!(ask_due(&h, t + 999).await.requests.is_empty());
        let again = ask_due(&h, t + 1_000).await;
        assert_eq!(again.requests.len(), 1);
        assert_eq!(
            header(&again.requests[0], "X-Ccgate-Event-Id"),
            format!("{a}:1")
        );
        answer(&h, &again, 0, t + 1_000).await;
        assert!(ask_due(&h, t + 2_999).await.requests.is_empty());
        let third = ask_due(&h, t + 3_000).await;
        answer(&h, &third, 200, t + 3_000).await;
        let next = ask_due(&h, t + 3_000).await;
        assert_eq!(
            header(&next.requests[0], "X-Ccgate-Event-Id"),
            format!("{a}:2")
        );
        let r = rows(&h).await;
        let first = r.iter().find(|r| r.contact_id == a && r.seq == 1).unwrap();
        assert_eq!((first.attempts, first.last_status), (3, 200));
        assert_eq!(first.delivered_ms, Some(t + 3_000));
        // Delivered rows go after 7 days.
        answer(&h, &next, 200, t + 3_000).await;
        answer(
            &h,
            &WebhookBatch::default(),
            200,
            t + 3_001 + KEEP_DELIVERED_MS,
        )
        .await;
        assert!(rows(&h).await.is_empty());
    }

    #[tokio::test]
    async fn ended_is_final_and_interrupted_calls_get_a_final_event() {
        let h = harness().await;
        let done = b2b(&h).await;
        let cut = b2b(&h).await;
        let released = CallEventKind::Released {
            by: Party::First,
            sip_code: 200,
            reason: "Normal call clearing".into(),
        };
        h.feed(&done, 1, released).await;
        h.feed(&done, 2, CallEventKind::Ended).await;
        h.feed(&cut, 1, CallEventKind::Answered { leg: LegId::First })
            .await;
        let closed = crate::restart::close_interrupted(&h.env.db, &hooks(), 50_000)
            .await
            .unwrap();
        assert_eq!(closed, 1);
        // An event of the closed call that was still on its way enqueues nothing.
        h.feed(&cut, 2, CallEventKind::Ended).await;
        let r = rows(&h).await;
        let last = |id: &str| {
            let mine: Vec<&outbox::Model> = r.iter().filter(|r| r.contact_id == id).collect();
            let v: Value = serde_json::from_str(&mine.last().unwrap().payload).unwrap();
            (mine.len(), v)
        };
        let (n, end) = last(&done);
        assert_eq!(
            (n, end["event"].as_str(), end["final"].as_bool()),
            (2, Some("ended"), Some(true))
        );
        assert_eq!(end["call"]["status"], "ENDED");
        let (n, end) = last(&cut);
        assert_eq!(n, 2);
        assert_eq!(end["event"], "interrupted");
        assert_eq!(
            (end["seq"].as_i64(), end["final"].as_bool()),
            (Some(2), Some(true))
        );
        assert_eq!(end["reason"], crate::restart::INTERRUPTED);
        assert_eq!(end["at_ms"], 50_000);
    }
}
