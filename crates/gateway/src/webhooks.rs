//! Delivery of the calls plugin's signed call-event webhooks (`docs/telephony.md`
//! "Webhooks").
//!
//! The outbox, its order, signatures and back-off are the calls plugin's
//! (`plugins/calls/src/webhooks.rs`); a plugin library may not link an HTTP client (it would
//! bring its own async runtime), so the gateway does the HTTP: every 200 ms it asks the
//! plugin's query [`WEBHOOK_DUE`] (system context) for the requests due, POSTs them
//! concurrently (5 s timeout each, redirects not followed) and reports the statuses with
//! [`WEBHOOK_DONE`]. The same queries serve a built-in calls plugin and a library one.

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::telephony::{
    WEBHOOK_DONE, WEBHOOK_DUE, WEBHOOK_OUTBOX, WebhookBatch, WebhookDue, WebhookRequest,
    WebhookResult, WebhookResults,
};
use ccgate_plugin_sdk::{Services, StopSignal};
use sea_orm::DatabaseConnection;

/// How often the outbox is read.
pub const POLL: Duration = Duration::from_millis(200);
/// How long one POST may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most requests sent per round.
pub const BATCH: u32 = 32;

/// The pseudo-action the delivery queries run under (role admin, no instance).
const WEBHOOK_SPEC: ccgate_plugin_sdk::ActionSpec =
    ccgate_plugin_sdk::ActionSpec::rpc("2017-07-05", "CallWebhooks");

/// Starts the delivery loop when the registry has the outbox's plugin; it runs until `stop`.
pub fn start(
    db: DatabaseConnection,
    registry: Arc<crate::registry::Registry>,
    stop: StopSignal,
) -> Option<tokio::task::JoinHandle<()>> {
    if !registry
        .plugins()
        .iter()
        .any(|p| p.name() == WEBHOOK_OUTBOX)
    {
        return None;
    }
    Some(tokio::spawn(run(db, registry, stop)))
}

async fn run(db: DatabaseConnection, registry: Arc<crate::registry::Registry>, stop: StopSignal) {
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: no HTTP client; webhooks are not delivered");
            return;
        }
    };
    let services: Arc<dyn Services> = Arc::new(crate::registry::RegistryServices(registry));
    let ctx =
        crate::registry::system_context(db, Arc::clone(&services), WEBHOOK_SPEC, "ccgate-webhooks");
    loop {
        tokio::select! {
            _ = stop.raised() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        let args = WebhookDue {
            limit: BATCH,
            now_ms: ccgate_plugin_sdk::time::now_ms(),
        };
        let asked = services
            .query(
                &ctx,
                WEBHOOK_OUTBOX,
                WEBHOOK_DUE,
                serde_json::to_value(&args).unwrap_or_default(),
            )
            .await;
        let batch: WebhookBatch = match asked {
            Ok(None) => return,
            Ok(Some(v)) => match serde_json::from_value(v) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "webhooks: webhook_due answered the wrong shape");
                    continue;
                }
            },
            Err(e) => {
                tracing::warn!(code = %e.code, message = %e.message, "webhooks: webhook_due failed");
                continue;
            }
        };
        if batch.requests.is_empty() {
            continue;
        }
        let results =
            futures::future::join_all(batch.requests.iter().map(|r| post(&client, r))).await;
        let report = WebhookResults {
            results,
            now_ms: ccgate_plugin_sdk::time::now_ms(),
        };
        if let Err(e) = services
            .query(
                &ctx,
                WEBHOOK_OUTBOX,
                WEBHOOK_DONE,
                serde_json::to_value(&report).unwrap_or_default(),
            )
            .await
        {
            // Unrecorded answers: the rows are sent again (at-least-once).
            tracing::warn!(code = %e.code, message = %e.message, "webhooks: webhook_done failed");
        }
    }
}

/// POSTs one request: the status, or 0 and why when no response came.
pub async fn post(client: &reqwest::Client, r: &WebhookRequest) -> WebhookResult {
    let mut req = client.post(&r.url).body(r.body.clone());
    for (k, v) in &r.headers {
        req = req.header(k, v);
    }
    match req.send().await {
        Ok(resp) => WebhookResult {
            id: r.id,
            status: resp.status().as_u16(),
            error: String::new(),
        },
        Err(e) => WebhookResult {
            id: r.id,
            status: 0,
            error: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A one-shot HTTP server answering `status`; answers what it read.
    async fn serve_once(status: u16) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let mut got = String::new();
            while !got.contains("\r\n\r\n{}") {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
            s.write_all(answer.as_bytes()).await.unwrap();
            got
        });
        (url, handle)
    }

    #[tokio::test]
    async fn posts_with_the_headers_and_reports_the_status_or_the_failure() {
        let client = reqwest::Client::builder().timeout(TIMEOUT).build().unwrap();
        let (url, seen) = serve_once(500).await;
        let req = WebhookRequest {
            id: 7,
            url,
            headers: vec![("X-Ccgate-Event-Id".into(), "c:1".into())],
            body: "{}".into(),
        };
        let r = post(&client, &req).await;
        assert_eq!((r.id, r.status, r.error.as_str()), (7, 500, ""));
        let seen = seen.await.unwrap().to_lowercase();
        assert!(seen.starts_with("post /hook http/1.1"), "{seen}");
        assert!(seen.contains("x-ccgate-event-id: c:1"), "{seen}");
        let (url, _seen) = serve_once(204).await;
        assert_eq!(
            post(&client, &WebhookRequest { url, ..req.clone() })
                .await
                .status,
            204
        );
        // Nobody listens there.
        let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", dead.local_addr().unwrap());
        drop(dead);
        let r = post(&client, &WebhookRequest { url, ..req }).await;
        assert_eq!(r.status, 0);
        assert!(!r.error.is_empty());
    }
}
