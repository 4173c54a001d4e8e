//! `ccgate call`: a signed Alibaba RPC client (signature v1, HMAC-SHA1, or a Bearer token),
//! for trying the API without an SDK. Prints the response body; exits non-zero on a 4xx/5xx.
//!
//! `https://` endpoints are verified against the Mozilla roots built in (webpki-roots) and,
//! with `--ca-cert FILE`, the certificates of that PEM file too (a private CA, or a gateway's
//! self-signed certificate).

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use ccgate_gateway::auth::signing::{percent::rfc3986, rpc_v1};
use clap::Args;

#[derive(Args)]
pub struct CallArgs {
    /// Action name, e.g. ListPhoneNumbers.
    action: String,
    /// Parameters as Key=Value (repeat lists as Name.1=a Name.2=b).
    params: Vec<String>,
    /// Gateway base URL, `http://` or `https://`.
    #[arg(long, env = "CCGATE_ENDPOINT", default_value = "http://127.0.0.1:8080")]
    endpoint: String,
    /// PEM file of certificates to trust for https:// besides the built-in roots: a private
    /// CA, or the gateway's self-signed certificate.
    #[arg(long, env = "CCGATE_CA_CERT", value_name = "FILE")]
    ca_cert: Option<String>,
    /// API version.
    #[arg(long, default_value = "2017-07-05")]
    api_version: String,
    #[arg(long, env = "CCGATE_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    #[arg(long, env = "CCGATE_ACCESS_KEY_SECRET", hide_env_values = true)]
    access_key_secret: Option<String>,
    /// Use a Bearer token instead of an AccessKey signature.
    #[arg(long, env = "CCGATE_BEARER_TOKEN", hide_env_values = true)]
    bearer_token: Option<String>,
    /// JSON (default) or XML.
    #[arg(long, default_value = "JSON")]
    format: String,
}

pub async fn run(args: CallArgs) -> anyhow::Result<()> {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for p in &args.params {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("parameter {p:?} is not Key=Value"))?;
        params.insert(k.to_string(), v.to_string());
    }
    params.insert("Action".into(), args.action.clone());
    params.insert("Version".into(), args.api_version.clone());
    params.insert("Format".into(), args.format.clone());
    params.insert(
        "Timestamp".into(),
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    params.insert(
        "SignatureNonce".into(),
        uuid::Uuid::new_v4().simple().to_string(),
    );
    if let Some(token) = &args.bearer_token {
        params.insert("SignatureType".into(), "BEARERTOKEN".into());
        params.insert("BearerToken".into(), token.clone());
    } else {
        let (Some(id), Some(secret)) = (&args.access_key_id, &args.access_key_secret) else {
            bail!("set CCGATE_ACCESS_KEY_ID and CCGATE_ACCESS_KEY_SECRET (or --bearer-token)");
        };
        params.insert("AccessKeyId".into(), id.clone());
        params.insert("SignatureMethod".into(), "HMAC-SHA1".into());
        params.insert("SignatureVersion".into(), "1.0".into());
        let sts = rpc_v1::string_to_sign("POST", &params);
        params.insert(
            "Signature".into(),
            rpc_v1::sign(rpc_v1::SignatureMethod::HmacSha1, secret, &sts),
        );
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect();
    let url = format!(
        "{}/?{}",
        args.endpoint.trim_end_matches('/'),
        query.join("&")
    );
    let resp = client(args.ca_cert.as_deref())?
        .post(&url)
        .send()
        .await
        // The URL carries the signed query: name the endpoint only.
        .map_err(reqwest::Error::without_url)
        .with_context(|| format!("POST {}", args.endpoint))?;
    let status = resp.status();
    let text = resp.text().await?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => println!("{}", serde_json::to_string_pretty(&v)?),
        Err(_) => println!("{text}"),
    }
    if !status.is_success() {
        // The body above already says why; exit non-zero without a backtrace.
        eprintln!("HTTP {status}");
        std::process::exit(1);
    }
    Ok(())
}

/// The HTTP client: the built-in roots, plus the certificates of the PEM file `ca_cert`.
///
/// Errors: `ca_cert` cannot be read or holds no PEM certificate (naming the file).
fn client(ca_cert: Option<&str>) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path).with_context(|| format!("--ca-cert {path}"))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("--ca-cert {path}: not a PEM certificate file"))?;
        if certs.is_empty() {
            bail!("--ca-cert {path}: no PEM certificate in it");
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().context("HTTP client")
}
