//! The load-test baseline (docs/benchmarks.md, bench/run.sh): a bare actix-web server that
//! answers every `GET|POST /` with one constant JSON body, shaped and sized like ccgate's
//! 2020-07-01 ListPhoneNumbers page of 20 (rendered once at start-up). No parsing,
//! authentication, database or logging: what is left is actix-web, HTTP/1.1 and the socket.
//!
//! Same listener options as `ccgate serve`:
//!
//! * `CCGATE__SERVER__BIND` (or `--bind ADDR`), default `127.0.0.1:8081`;
//! * `CCGATE__SERVER__WORKERS` (or `--workers N`), `0` (default) = one worker per CPU core;
//! * `BARE_BODY` (or `--body FILE`): answer the bytes of FILE instead (bench/agents.sh passes a
//!   body ccgate answered, so both servers write the same number of bytes).
//!
//! `cargo run --release -p ccgate-gateway --example bare_actix -- --bind 127.0.0.1:8081`

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// `Content-Type` of ccgate's JSON answers.
const JSON: &str = "application/json;charset=utf-8";

/// A 2020 ListPhoneNumbers success body with 20 items, like ccgate renders it.
fn page_body() -> Vec<u8> {
    let list: Vec<Value> = (0..20)
        .map(|i| {
            json!({
                "Active": true,
                "CreateTime": (1_795_000_000_000_i64 + i).to_string(),
                "UserId": "",
                "Tags": "",
                "City": "北京",
                "InstanceId": "ccc-test",
                "Usage": "Bidirection",
                "ContactFlowName": "",
                "Provider": "",
                "Number": format!("138{:08}", i),
                "ContactFlowId": "",
                "Province": "北京",
                "SkillGroups": [],
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "RequestId": "1D4F2C3B-8C3E-4B9A-9C55-0D5E5A1B2C3D",
        "Code": "OK",
        "Message": "",
        "HttpStatusCode": 200,
        "Data": {"PageNumber": 1, "PageSize": 20, "TotalCount": 10000, "List": list},
    }))
    .expect("static JSON")
}

/// `--name VALUE` from the command line, else the environment variable `env`.
fn option(name: &str, env: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var(env).ok())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = option("--bind", "CCGATE__SERVER__BIND").unwrap_or_else(|| "127.0.0.1:8081".into());
    let workers: usize = option("--workers", "CCGATE__SERVER__WORKERS")
        .map(|w| w.parse().expect("--workers takes a number"))
        .unwrap_or(0);
    let body = match option("--body", "BARE_BODY") {
        Some(path) => std::fs::read(&path)?,
        None => page_body(),
    };
    let body = web::Bytes::from(body);
    let mut server = HttpServer::new(move || {
        let body = body.clone();
        // The request body is read (and dropped), as every handler that takes one does: an
        // unread POST body makes actix-web close the connection after the answer, which would
        // measure reconnects instead of requests (the Huawei loads POST `{}`).
        App::new().default_service(web::to(move |_request_body: web::Bytes| {
            let body = body.clone();
            async move { HttpResponse::Ok().content_type(JSON).body(body) }
        }))
    })
    .bind(&bind)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    println!("bare_actix listening on {bind}");
    server.run().await
}
