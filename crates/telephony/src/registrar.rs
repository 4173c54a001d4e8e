//! The built-in registrar (RFC 3261 §10): agent devices REGISTER to ccgate with digest
//! authentication (RFC 3261 §22, RFC 2617 `qop=auth`, MD5), and calls to an agent go to the
//! contact their device registered.
//!
//! Addressing: a device registers the AOR `sip:<DeviceId>@<InstanceId>` (the domain is the
//! instance, so device ids need only be unique per instance), with digest realm = the instance
//! id and user name = the DeviceId; the credentials are the ones set with the 2020
//! `RegisterDevice` action or `ccgate device set`, looked up through [`DeviceDirectory`].
//! Bindings live in this process's memory: they expire as the device asked (60..=3600 s) and a
//! restart forgets them until the devices re-register.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rsipstack::dialog::authenticate::verify_digest;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Method, Request, StatusCode};
use rsipstack::transaction::transaction::Transaction;

/// A device's credentials and owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCredential {
    /// The agent the device belongs to (agents plugin UserId).
    pub user_id: String,
    /// The digest password.
    pub password: String,
}

/// Where the registrar finds device credentials (the gateway reads its device table).
#[async_trait]
pub trait DeviceDirectory: Send + Sync + 'static {
    /// The credentials of device `device_id` of `instance_id`, if it exists.
    async fn credential(&self, instance_id: &str, device_id: &str) -> Option<DeviceCredential>;
}

/// A directory with no devices: every REGISTER is refused.
pub struct NoDevices;

#[async_trait]
impl DeviceDirectory for NoDevices {
    async fn credential(&self, _: &str, _: &str) -> Option<DeviceCredential> {
        None
    }
}

#[derive(Debug, Clone)]
struct Binding {
    contact: String,
    until: Instant,
}

/// Live registrations and outstanding nonces.
pub(crate) struct Registrar {
    directory: Box<dyn DeviceDirectory>,
    /// (instance, user id) → where the agent's device is.
    bindings: Mutex<HashMap<(String, String), Binding>>,
    nonces: Mutex<HashMap<String, Instant>>,
}

/// How long a nonce may be answered, seconds.
const NONCE_TTL: Duration = Duration::from_secs(300);
const MIN_EXPIRES: u32 = 60;
const MAX_EXPIRES: u32 = 3600;

impl Registrar {
    pub(crate) fn new(directory: Box<dyn DeviceDirectory>) -> Self {
        Self {
            directory,
            bindings: Mutex::new(HashMap::new()),
            nonces: Mutex::new(HashMap::new()),
        }
    }

    /// The contact the agent's device registered, if the registration is live.
    pub(crate) fn contact_of(&self, instance_id: &str, user_id: &str) -> Option<String> {
        let bindings = self.bindings.lock().ok()?;
        bindings
            .get(&(instance_id.to_string(), user_id.to_string()))
            .filter(|b| b.until > Instant::now())
            .map(|b| b.contact.clone())
    }

    fn new_nonce(&self) -> String {
        let nonce = format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        if let Ok(mut n) = self.nonces.lock() {
            let now = Instant::now();
            if n.len() > 10_000 {
                n.retain(|_, t| now.duration_since(*t) < NONCE_TTL);
            }
            n.insert(nonce.clone(), now);
        }
        nonce
    }

    fn nonce_is_live(&self, nonce: &str) -> bool {
        self.nonces
            .lock()
            .ok()
            .and_then(|n| n.get(nonce).copied())
            .is_some_and(|t| t.elapsed() < NONCE_TTL)
    }

    /// Answers one REGISTER: 401 with a challenge, 403 for wrong credentials or an unknown
    /// device, 400 for a malformed request, 200 with the binding otherwise.
    pub(crate) async fn handle(&self, tx: &mut Transaction) {
        let (status, headers) = self.decide(&tx.original).await;
        if let Err(e) = tx.reply_with(status, headers, None).await {
            tracing::debug!(error = %e, "REGISTER reply");
        }
    }

    async fn decide(&self, req: &Request) -> (StatusCode, Vec<Header>) {
        let Some((device, instance)) = aor(req) else {
            return (StatusCode::BadRequest, vec![]);
        };
        let challenge = |this: &Self| {
            let value = format!(
                "Digest realm=\"{instance}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"",
                this.new_nonce()
            );
            (
                StatusCode::Unauthorized,
                vec![Header::WwwAuthenticate(value.into())],
            )
        };
        let Some(raw) = req.authorization_header().map(|h| h.value().to_string()) else {
            return challenge(self);
        };
        let Ok(auth) = rsipstack::sip::typed::Authorization::parse(&raw) else {
            return (StatusCode::BadRequest, vec![]);
        };
        if !self.nonce_is_live(&auth.nonce) {
            return challenge(self);
        }
        let cred = self.directory.credential(&instance, &device).await;
        let valid = match &cred {
            Some(c) => {
                auth.username == device
                    && auth.realm == instance
                    && verify_digest(&auth, &c.password, &Method::Register, &raw)
            }
            None => false,
        };
        let Some(cred) = cred.filter(|_| valid) else {
            tracing::info!(%instance, %device, "REGISTER refused: wrong credentials or unknown device");
            return (StatusCode::Forbidden, vec![]);
        };
        let contact = req
            .contact_header()
            .ok()
            .and_then(|c| c.typed().ok())
            .map(|c| c.uri.to_string());
        let asked = req
            .expires_header()
            .and_then(|e| e.value().trim().parse::<u32>().ok())
            .unwrap_or(MAX_EXPIRES);
        let key = (instance.clone(), cred.user_id.clone());
        let Ok(mut bindings) = self.bindings.lock() else {
            return (StatusCode::ServerInternalError, vec![]);
        };
        match contact {
            Some(contact) if asked > 0 => {
                let expires = asked.clamp(MIN_EXPIRES, MAX_EXPIRES);
                bindings.insert(
                    key,
                    Binding {
                        contact: contact.clone(),
                        until: Instant::now() + Duration::from_secs(u64::from(expires)),
                    },
                );
                tracing::info!(%instance, %device, user = %cred.user_id, %contact, expires, "device registered");
                (
                    StatusCode::OK,
                    vec![Header::Contact(
                        format!("<{contact}>;expires={expires}").into(),
                    )],
                )
            }
            _ => {
                bindings.remove(&key);
                (StatusCode::OK, vec![])
            }
        }
    }
}

/// `(device id, instance id)` from the To header's AOR `sip:<device>@<instance>`.
fn aor(req: &Request) -> Option<(String, String)> {
    let to = req.to_header().ok()?.typed().ok()?;
    let user = to.uri.auth.as_ref()?.user.clone();
    let host = to.uri.host_with_port.host.to_string();
    (!user.is_empty() && !host.is_empty()).then_some((user, host))
}
