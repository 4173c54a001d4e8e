//! The Alibaba RPC request path, stage by stage and whole (docs/benchmarks.md).
//!
//! `cargo bench -p ccgate-gateway --bench request_path` (add `-- --measurement-time 3` for a
//! quicker run, or a filter such as `-- dispatch/`).
//!
//! * `parse/*`: [`RpcRequest::new`] on a signed 2020-07-01 ListPhoneNumbers GET as
//!   `aliyun-python-sdk-core` sends it (query, headers).
//! * `verify/*`: signature v1 (string to sign + HMAC-SHA1 verify) and ACS3-HMAC-SHA256
//!   (parse `Authorization`, body hash, canonical request, string to sign, HMAC verify).
//! * `render/*`: the 2020 list items of a 20-item page (the numbers plugin's renderer),
//!   `envelope::success_body` + JSON serialization, and XML.
//! * `plugin/*`: the numbers plugin's ListPhoneNumbers handler alone on the same database as
//!   `dispatch`: `ListPhoneNumbers_2020/*` with the list cache disabled (its SQL: page, count,
//!   skill groups, and rendering), `ListPhoneNumbers_2020_cached/*` served from the list cache
//!   (`ccgate_numbers::cache`, warmed by a first call).
//! * `dispatch/*`: the whole app in process (`actix_web::test::init_service` over
//!   [`ccgate_gateway::app::configure`]) with the built-in plugins (`flows`, `numbers`) on a
//!   file-backed SQLite in a temp dir (WAL, the pool of `store::connect`, as `ccgate serve`),
//!   holding 10,000 numbers seeded through the app with AddBulkPhoneNumbers (100 per call).
//!   Every request is signed with a fresh SignatureNonce before the timer starts.
//!   `ListPhoneNumbers_2020/*` runs with the numbers list cache disabled (TTL 0, every request
//!   reads SQLite), `ListPhoneNumbers_2020_cached/*` with the default 1 s TTL, as `ccgate
//!   serve` runs (the first request of each page is a miss, then hits until the TTL ends).
//!
//! In test mode (`cargo test --all-targets` runs benches once, without `--bench`) only
//! [`TEST_MODE_NUMBERS`] numbers are seeded so the run stays fast; the database is seeded
//! lazily, only when a `plugin/` or `dispatch/` benchmark actually runs.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::rt::System;
use actix_web::{App, test, web};
use ccgate_gateway::admin;
use ccgate_gateway::app::configure;
use ccgate_gateway::auth::bearer::TokenService;
use ccgate_gateway::auth::signing::acs3::{self, Acs3Algorithm};
use ccgate_gateway::auth::signing::percent::rfc3986;
use ccgate_gateway::auth::signing::rpc_v1::{self, SignatureMethod};
use ccgate_gateway::crypto::MasterKey;
use ccgate_gateway::dialect::aliyun::request::RpcRequest;
use ccgate_gateway::dialect::aliyun::{envelope, xml};
use ccgate_gateway::registry::Registry;
use ccgate_gateway::sdk::{Context, Envelope, ErrorStyle, PageRequest, Params, Principal, Reply};
use ccgate_gateway::settings::Settings;
use ccgate_gateway::state::AppState;
use ccgate_gateway::{plugins, store};
use ccgate_numbers::NumbersPlugin;
use ccgate_numbers::render::Renderer;
use ccgate_numbers::storage::phone_number;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::Value;

const AK: &str = "LTAIbench0000000000000001";
const SECRET: &str = "benchSecret0000000000000000001";
const INSTANCE: &str = "ccc-test";
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// Numbers seeded for a real benchmark run.
const NUMBERS: usize = 10_000;
/// Numbers seeded in test mode (`cargo test --benches`, `-- --test`, `--list`).
const TEST_MODE_NUMBERS: usize = 200;
/// Page size of every ListPhoneNumbers request.
const PAGE_SIZE: usize = 20;

/// True unless criterion will really measure (it measures only with `--bench` and without
/// `--test`/`--list`, see criterion's `configure_from_args`).
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    !has("--bench") || has("--test") || has("--list")
}

fn now_timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A signature-v1 query string (without `?`) for `method`, with the common parameters of
/// `aliyun-python-sdk-core` plus `params`, a fresh nonce and the current time.
fn signed_v1_query(method: &str, version: &str, action: &str, params: &[(&str, &str)]) -> String {
    let mut p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (k, v) in [
        ("Action", action),
        ("Version", version),
        ("Format", "JSON"),
        ("RegionId", "cn-shanghai"),
        ("AccessKeyId", AK),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureType", ""),
    ] {
        p.insert(k.to_owned(), v.to_owned());
    }
    p.insert("Timestamp".into(), now_timestamp());
    p.insert("SignatureNonce".into(), fresh_nonce());
    let sts = rpc_v1::string_to_sign(method, &p);
    p.insert(
        "Signature".into(),
        rpc_v1::sign(SignatureMethod::HmacSha1, SECRET, &sts),
    );
    p.iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The query of a signed 2020-07-01 ListPhoneNumbers page of [`PAGE_SIZE`].
fn list_query(page: usize) -> String {
    let page = page.to_string();
    let size = PAGE_SIZE.to_string();
    signed_v1_query(
        "GET",
        "2020-07-01",
        "ListPhoneNumbers",
        &[
            ("InstanceId", INSTANCE),
            ("PageNumber", &page),
            ("PageSize", &size),
        ],
    )
}

/// The headers `aliyun-python-sdk-core` sends (sdk-captured-requests.txt [15]).
fn v1_headers() -> Vec<(String, String)> {
    [
        ("Host", "127.0.0.1:8080"),
        (
            "User-Agent",
            "AlibabaCloud (Linux 6.18.44;x86_64) Python/3.11.7 Core/2.16.1 python-requests/2.18.3",
        ),
        ("Accept-Encoding", "identity"),
        ("Accept", "*/*"),
        ("Connection", "keep-alive"),
        ("x-acs-action", "ListPhoneNumbers"),
        ("x-acs-version", "2020-07-01"),
        ("x-sdk-invoke-type", "normal"),
        ("x-sdk-client", "python/2.0.0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

// ---------------------------------------------------------------------------------------
// (a) parse, (b) verify
// ---------------------------------------------------------------------------------------

fn bench_parse(c: &mut Criterion) {
    let query = list_query(1);
    let headers = v1_headers();
    let mut g = c.benchmark_group("parse");
    g.bench_function("rpc_request_new/ListPhoneNumbers_v1_get", |b| {
        b.iter_batched(
            || headers.clone(),
            |h| RpcRequest::new("GET", "/", black_box(&query), h, Vec::new()),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// A parsed ACS3-HMAC-SHA256 request shaped like the tea-openapi capture [5].
fn acs3_request() -> RpcRequest {
    let query = "InstanceId=ccc-test&PageNumber=1&PageSize=20";
    let empty_hash = acs3::content_sha256(Acs3Algorithm::HmacSha256, b"");
    let date = now_timestamp();
    let nonce = fresh_nonce();
    let mut headers: Vec<(String, String)> = [
        ("accept-encoding", "identity"),
        ("host", "127.0.0.1:8080"),
        ("x-acs-version", "2020-07-01"),
        ("x-acs-action", "ListPhoneNumbers"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-date", &date),
        ("x-acs-signature-nonce", &nonce),
        ("accept", "application/json"),
        ("x-acs-content-sha256", &empty_hash),
        ("x-acs-credentials-provider", "static_ak"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let signed: Vec<String> = [
        "accept",
        "host",
        "user-agent",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-credentials-provider",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let parsed = RpcRequest::new("POST", "/", query, headers.clone(), Vec::new());
    let canonical = acs3::canonical_request(
        "POST",
        "/",
        &parsed.query,
        &parsed.headers,
        &signed,
        &empty_hash,
    );
    let sts = acs3::string_to_sign(Acs3Algorithm::HmacSha256, &canonical);
    let sig = acs3::sign(Acs3Algorithm::HmacSha256, SECRET, &sts);
    headers.push((
        "Authorization".into(),
        format!(
            "ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={},Signature={sig}",
            signed.join(";")
        ),
    ));
    RpcRequest::new("POST", "/", query, headers, Vec::new())
}

/// The ACS3 work of `auth::aliyun::verify_acs3` minus the key lookup and replay checks.
fn acs3_verify(req: &RpcRequest, secret: &str) -> bool {
    let value = req.header("authorization").unwrap_or_default();
    let Ok(auth) = acs3::parse_authorization(value) else {
        return false;
    };
    let body_hash = acs3::content_sha256(auth.algorithm, &req.body);
    let canonical = acs3::canonical_request(
        &req.method,
        &req.path,
        &req.query,
        &req.headers,
        &auth.signed_headers,
        &body_hash,
    );
    let sts = acs3::string_to_sign(auth.algorithm, &canonical);
    acs3::verify(auth.algorithm, secret, &sts, &auth.signature)
}

fn bench_verify(c: &mut Criterion) {
    let req = RpcRequest::new("GET", "/", &list_query(1), v1_headers(), Vec::new());
    let signature = req.params["Signature"].clone();
    let sts = rpc_v1::string_to_sign(&req.method, &req.params);
    assert!(rpc_v1::verify(
        SignatureMethod::HmacSha1,
        SECRET,
        &sts,
        &signature
    ));
    let acs3_req = acs3_request();
    assert!(acs3_verify(&acs3_req, SECRET), "ACS3 fixture must verify");

    let mut g = c.benchmark_group("verify");
    g.bench_function("rpc_v1/string_to_sign", |b| {
        b.iter(|| rpc_v1::string_to_sign(black_box(&req.method), black_box(&req.params)))
    });
    g.bench_function("rpc_v1/hmac_sha1_verify", |b| {
        b.iter(|| {
            rpc_v1::verify(
                SignatureMethod::HmacSha1,
                black_box(SECRET),
                black_box(&sts),
                black_box(&signature),
            )
        })
    });
    g.bench_function("rpc_v1/string_to_sign+verify", |b| {
        b.iter(|| {
            let sts = rpc_v1::string_to_sign(black_box(&req.method), black_box(&req.params));
            rpc_v1::verify(SignatureMethod::HmacSha1, SECRET, &sts, &signature)
        })
    });
    g.bench_function("acs3_hmac_sha256/parse+canonical+verify", |b| {
        b.iter(|| acs3_verify(black_box(&acs3_req), black_box(SECRET)))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------
// (c) render
// ---------------------------------------------------------------------------------------

fn page_rows() -> Vec<phone_number::Model> {
    (0..PAGE_SIZE)
        .map(|i| phone_number::Model {
            id: uuid::Uuid::new_v4().to_string(),
            instance_id: INSTANCE.into(),
            number: format!("138{:08}", 1000 + i),
            usage: "Bidirection".into(),
            contact_flow_id: None,
            description: String::new(),
            province: "广东".into(),
            city: "深圳".into(),
            active: true,
            created_at: 1_795_000_000_000 + i as i64,
            updated_at: 1_795_000_000_000 + i as i64,
        })
        .collect()
}

fn page_reply(rows: &[phone_number::Model]) -> Reply {
    let renderer = Renderer::default();
    let list = rows.iter().map(|n| renderer.list_item_2020(n)).collect();
    let page = PageRequest {
        number: 1,
        size: PAGE_SIZE as u64,
    };
    Reply::empty().with("Data", page.render(NUMBERS as u64, list))
}

fn bench_render(c: &mut Criterion) {
    let rows = page_rows();
    let reply = page_reply(&rows);
    let request_id = "1D4F2C3B-8C3E-4B9A-9C55-0D5E5A1B2C3D";
    let body = envelope::success_body(request_id, Envelope::V2020, reply.clone());
    assert_eq!(
        body.keys().map(String::as_str).collect::<Vec<_>>(),
        ["RequestId", "Code", "Message", "HttpStatusCode", "Data"]
    );
    let json_len = serde_json::to_vec(&body).unwrap().len();
    let xml_len = xml::render("ListPhoneNumbersResponse", &body).len();
    eprintln!("render: 20-item page = {json_len} bytes JSON, {xml_len} bytes XML");

    let mut g = c.benchmark_group("render");
    g.bench_function("list_items_2020/20", |b| {
        b.iter(|| page_reply(black_box(&rows)))
    });
    g.bench_function("list_items_2020_json_macro/20", |b| {
        b.iter(|| {
            let renderer = Renderer::default();
            let list: Vec<Value> = black_box(&rows)
                .iter()
                .map(|n| renderer.list_item_2020_json_macro(n))
                .collect();
            list
        })
    });
    // What a list-cache hit costs besides the lookup: a deep copy of the cached `Data`.
    let data = reply.fields()["Data"].clone();
    g.bench_function("clone_data/20", |b| b.iter(|| black_box(&data).clone()));
    g.bench_function("success_body+json/20", |b| {
        b.iter_batched(
            || reply.clone(),
            |r| {
                let body = envelope::success_body(request_id, Envelope::V2020, r);
                serde_json::to_vec(&body).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("xml/20", |b| {
        b.iter(|| xml::render("ListPhoneNumbersResponse", black_box(&body)))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------
// (d) plugin alone and full dispatch
// ---------------------------------------------------------------------------------------

/// The state of `ccgate serve` with the built-in plugins over a file-backed SQLite in `dir`,
/// plus account `bench` owning instance `ccc-test` and the AccessKey [`AK`]; and a second
/// state over the same database whose numbers plugin has its list cache disabled.
async fn app_state(dir: &std::path::Path) -> (web::Data<AppState>, web::Data<AppState>) {
    let mut settings = Settings::load(None).expect("default settings");
    settings.database.url = format!("sqlite://{}?mode=rwc", dir.join("ccgate.db").display());
    settings.bootstrap.demo = false;
    let db = store::connect(&settings.database.url, settings.database.max_connections)
        .await
        .expect("connect");
    let registry = Arc::new(
        Registry::new(plugins::enabled(&settings.plugins.enabled).expect("plugins"))
            .expect("registry"),
    );
    store::migrate(&db, &registry).await.expect("migrate");
    let master = MasterKey::from_base64(MASTER_KEY).expect("master key");
    let acc = admin::create_account(&db, "bench").await.expect("account");
    admin::create_instance(&db, &registry, &acc, INSTANCE, "bench")
        .await
        .expect("instance");
    admin::import_access_key(&db, &master, &acc, AK, SECRET)
        .await
        .expect("access key");
    let tokens = TokenService::load_or_create(&db, &master)
        .await
        .expect("tokens");
    let uncached = Arc::new(
        Registry::new(vec![
            Arc::new(ccgate_flows::FlowsPlugin::default()),
            Arc::new(NumbersPlugin::with_list_cache_ttl(Duration::ZERO)),
        ])
        .expect("registry"),
    );
    let uncached = web::Data::new(AppState::new(
        settings.clone(),
        db.clone(),
        uncached,
        master.clone(),
        tokens.clone(),
        None,
    ));
    let cached = web::Data::new(AppState::new(settings, db, registry, master, tokens, None));
    (cached, uncached)
}

/// The `PhoneNumber.N` parameters of seeding batch `batch` (distinct 138xxxxxxxx mobiles).
fn bulk_batch(batch: usize, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            (
                format!("PhoneNumber.{}", i + 1),
                format!("138{:08}", batch * 100 + i),
            )
        })
        .collect()
}

/// A signed 2017-07-05 AddBulkPhoneNumbers POST of the given numbers.
fn bulk_request(numbers: &[(String, String)]) -> test::TestRequest {
    let mut params: Vec<(&str, &str)> = numbers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    params.push(("InstanceId", INSTANCE));
    params.push(("Usage", "Bidirection"));
    let q = signed_v1_query("POST", "2017-07-05", "AddBulkPhoneNumbers", &params);
    test::TestRequest::post().uri(&format!("/?{q}"))
}

/// A signed ListPhoneNumbers GET of page `page`, ready for the service.
fn list_request(page: usize) -> test::TestRequest {
    let mut r = test::TestRequest::get().uri(&format!("/?{}", list_query(page)));
    for (k, v) in v1_headers() {
        r = r.insert_header((k, v));
    }
    r
}

fn bench_dispatch(c: &mut Criterion) {
    let quick = test_mode();
    let n_numbers = if quick { TEST_MODE_NUMBERS } else { NUMBERS };
    let pages = (n_numbers / PAGE_SIZE).clamp(1, 100);
    let dir = tempfile::tempdir().expect("tempdir");
    let system = System::new();
    let (state, uncached_state) = system.block_on(app_state(dir.path()));
    let svc = system.block_on(test::init_service(
        App::new().configure(configure(state.clone())),
    ));
    let uncached_svc = system.block_on(test::init_service(
        App::new().configure(configure(uncached_state.clone())),
    ));
    let seeded = Cell::new(false);
    let ensure_seeded = || {
        if seeded.replace(true) {
            return;
        }
        let started = Instant::now();
        system.block_on(async {
            for batch in 0..n_numbers.div_ceil(100) {
                let count = (n_numbers - batch * 100).min(100);
                let numbers = bulk_batch(batch, count);
                let resp = test::call_service(&svc, bulk_request(&numbers).to_request()).await;
                let status = resp.status();
                let body: Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
                assert_eq!(status, 200, "AddBulkPhoneNumbers: {body}");
                let added = body["PhoneNumbers"]["PhoneNumber"]
                    .as_array()
                    .map_or(0, Vec::len);
                assert_eq!(added, count, "AddBulkPhoneNumbers: {body}");
            }
            // A first page: checks the whole path once and warms the key/instance caches.
            let resp = test::call_service(&svc, list_request(1).to_request()).await;
            assert_eq!(resp.status(), 200);
            let body: Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
            assert_eq!(body["Data"]["TotalCount"], n_numbers, "{body}");
            assert_eq!(
                body["Data"]["List"].as_array().map(Vec::len),
                Some(PAGE_SIZE)
            );
        });
        eprintln!(
            "dispatch: seeded {n_numbers} numbers through AddBulkPhoneNumbers in {:.2?}",
            started.elapsed()
        );
    };

    // Serves `iters` pre-signed ListPhoneNumbers requests, pages chosen by `page_of(i)`, and
    // times only the service calls (including reading the body).
    let run_pages = |cached: bool, iters: u64, page_of: &dyn Fn(u64) -> usize| -> Duration {
        ensure_seeded();
        let reqs: Vec<_> = (0..iters)
            .map(|i| list_request(page_of(i)).to_request())
            .collect();
        let svc = if cached { &svc } else { &uncached_svc };
        system.block_on(async {
            let start = Instant::now();
            for req in reqs {
                let resp = test::call_service(svc, req).await;
                assert_eq!(resp.status(), 200);
                black_box(test::read_body(resp).await);
            }
            start.elapsed()
        })
    };

    let mut g = c.benchmark_group("dispatch");
    g.bench_function("healthz", |b| {
        b.iter_custom(|iters| {
            system.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let req = test::TestRequest::get().uri("/healthz").to_request();
                    let resp = test::call_service(&svc, req).await;
                    black_box(test::read_body(resp).await);
                }
                start.elapsed()
            })
        })
    });
    for (suffix, cached) in [("", false), ("_cached", true)] {
        g.bench_function(format!("ListPhoneNumbers_2020{suffix}/page_1"), |b| {
            b.iter_custom(|iters| run_pages(cached, iters, &|_| 1))
        });
        g.bench_function(format!("ListPhoneNumbers_2020{suffix}/page_{pages}"), |b| {
            b.iter_custom(|iters| run_pages(cached, iters, &|_| pages))
        });
        // The page counter persists across samples: criterion's samples grow from a few
        // iterations, and restarting at page 1 in each would over-weight the cheap first pages.
        let next_page = Cell::new(0usize);
        g.bench_function(
            format!("ListPhoneNumbers_2020{suffix}/pages_1-{pages}"),
            |b| {
                b.iter_custom(|iters| {
                    run_pages(cached, iters, &|_| {
                        let n = next_page.get();
                        next_page.set(n + 1);
                        n % pages + 1
                    })
                })
            },
        );
    }
    g.finish();

    // The numbers plugin alone on the same database: no HTTP, parsing, auth or envelope.
    let route = uncached_state
        .registry
        .rpc("2020-07-01", "ListPhoneNumbers")
        .expect("numbers plugin serves 2020 ListPhoneNumbers");
    let cached_route = state
        .registry
        .rpc("2020-07-01", "ListPhoneNumbers")
        .expect("numbers plugin serves 2020 ListPhoneNumbers");
    let ctx = Context {
        request_id: "bench".into(),
        account_id: "bench".into(),
        principal: Principal::AccessKey { id: AK.into() },
        role: ccgate_plugin_sdk::Role::Admin,
        caller_scope: None,
        token: None,
        spec: route.spec,
        instance_id: Some(INSTANCE.into()),
        account_instances: Vec::new(),
        db: state.db.clone(),
        services: Arc::clone(&state.services),
        clock: Default::default(),
    };
    let params_of = |page: usize| {
        Params::from_pairs(
            &[
                ("InstanceId", INSTANCE),
                ("PageNumber", &page.to_string()),
                ("PageSize", &PAGE_SIZE.to_string()),
            ],
            ErrorStyle::V2020,
        )
    };
    let mut g = c.benchmark_group("plugin");
    for (label, route) in [("", route), ("_cached", cached_route)] {
        for (name, page) in [("page_1".to_string(), 1), (format!("page_{pages}"), pages)] {
            let params = params_of(page);
            g.bench_function(format!("ListPhoneNumbers_2020{label}/{name}"), |b| {
                ensure_seeded();
                b.iter_custom(|iters| {
                    system.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let reply = route
                                .plugin
                                .handle(&ctx, route.index, &params)
                                .await
                                .unwrap();
                            black_box(reply);
                        }
                        start.elapsed()
                    })
                })
            });
        }
    }
    g.finish();
    drop(svc);
    drop(uncached_svc);
    drop(state);
    drop(uncached_state);
    drop(dir);
}

criterion_group!(
    benches,
    bench_parse,
    bench_verify,
    bench_render,
    bench_dispatch
);
criterion_main!(benches);
