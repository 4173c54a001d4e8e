//! The queries calls offers other plugins (specs: `plugins/calls/api/queries/`; generated types
//! and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::queries::cdrs;
use crate::render;
use crate::storage::records;

/// Most records one [`cdrs`] page answers.
pub const CDRS_PAGE_MAX: i64 = 1000;

/// `cdrs`: the records of `args.instance_id` started in `[from_ms, to_ms)`, by (start, contact
/// id), at most `limit` (clamped to 1-[`CDRS_PAGE_MAX`]) after the cursor `after`. One
/// indexed read (`idx_calls_cdr_instance_start`), of one record more than the page to know
/// whether another follows.
///
/// Errors: 500 on storage failures.
pub async fn cdrs(ctx: &Ctx<'_>, args: cdrs::Args) -> ApiResult<cdrs::Output> {
    let limit = args.limit.clamp(1, CDRS_PAGE_MAX) as u64;
    let mut rows = records::page(
        &ctx.db,
        &args.instance_id,
        args.from_ms,
        args.to_ms,
        render::parse_cursor(&args.after),
        limit + 1,
    )
    .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let records: Vec<cdrs::Records> = rows.into_iter().map(render::cdr_record).collect();
    let next = match (more, records.last()) {
        (true, Some(last)) => render::cursor(last),
        _ => String::new(),
    };
    Ok(cdrs::Output { records, next })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Plugin;
    use ccgate_plugin_sdk::serde_json::json;

    use crate::api::start_back2_back_call;
    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn pages_the_records_of_a_window() {
        let h = Harness::new().await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let v = h
                .call(
                    start_back2_back_call::SPEC,
                    &[("Caller", "17600668806"), ("Callee", "18801341452")],
                )
                .await
                .unwrap();
            ids.push(v["TaskId"].as_str().unwrap().to_string());
        }
        let ctx = h.env.ctx(start_back2_back_call::SPEC, INSTANCE);
        let args = |after: &str| json!({"InstanceId": INSTANCE, "FromMs": 0, "ToMs": i64::MAX, "After": after, "Limit": 2});
        let p1 = h.calls.query(&ctx, "cdrs", args("")).await.unwrap();
        assert_eq!(p1["Records"].as_array().unwrap().len(), 2, "{p1}");
        let next = p1["Next"].as_str().unwrap();
        assert!(!next.is_empty());
        let p2 = h.calls.query(&ctx, "cdrs", args(next)).await.unwrap();
        assert_eq!(p2["Records"].as_array().unwrap().len(), 1);
        assert_eq!(p2["Next"], "");
        let mut seen: Vec<String> = p1["Records"]
            .as_array()
            .unwrap()
            .iter()
            .chain(p2["Records"].as_array().unwrap())
            .map(|r| r["ContactId"].as_str().unwrap().to_string())
            .collect();
        seen.sort();
        ids.sort();
        assert_eq!(seen, ids);
        assert_eq!(p2["Records"][0]["CallType"], "Back2Back");
        assert_eq!(p2["Records"][0]["Status"], "LIVE");
        // Another window is empty.
        let none = h
            .calls
            .query(
                &ctx,
                "cdrs",
                json!({"InstanceId": INSTANCE, "FromMs": 0, "ToMs": 1, "After": "", "Limit": 10}),
            )
            .await
            .unwrap();
        assert_eq!(none, json!({"Records": [], "Next": ""}));
    }
}
