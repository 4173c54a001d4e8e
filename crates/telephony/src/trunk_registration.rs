//! Registration with trunks that want it (`register = true`): ccgate REGISTERs its contact with
//! the trunk's digest credentials (RFC 3261 §10.2, challenges answered as in §22) and renews at
//! three quarters of the granted lifetime; a refusal or an unreachable trunk is logged and
//! retried every 30 s.

use std::time::Duration;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::registration::Registration;
use rsipstack::transaction::endpoint::EndpointInnerRef;

use crate::config::{Transport, Trunk};

const RETRY: Duration = Duration::from_secs(30);

/// Keeps `trunk` registered until the engine stops.
pub(crate) async fn keep_registered(endpoint: EndpointInnerRef, trunk: Trunk) {
    let Some(username) = trunk.username.clone() else {
        tracing::warn!(trunk = %trunk.name, "register = true needs username and password");
        return;
    };
    let credential = Credential {
        username,
        password: trunk.password.clone().unwrap_or_default(),
        realm: trunk.realm.clone(),
        auth_username: None,
    };
    let server = match trunk.transport {
        Transport::Udp => format!("sip:{}", trunk.proxy),
        Transport::Tcp => format!("sip:{};transport=tcp", trunk.proxy),
    };
    let Ok(server) = rsipstack::sip::Uri::try_from(server.as_str()) else {
        tracing::warn!(trunk = %trunk.name, "cannot register: bad proxy address");
        return;
    };
    let mut registration = Registration::new(endpoint, Some(credential));
    loop {
        let wait = match registration
            .register(server.clone(), Some(trunk.register_expires_seconds))
            .await
        {
            Ok(resp) if resp.status_code.code() == 200 => {
                let granted = registration.expires().max(1);
                tracing::info!(trunk = %trunk.name, expires = granted, "registered with the trunk");
                Duration::from_secs(u64::from(granted) * 3 / 4).max(Duration::from_secs(1))
            }
            Ok(resp) => {
                tracing::warn!(trunk = %trunk.name, status = %resp.status_code, "the trunk refused the REGISTER");
                RETRY
            }
            Err(e) => {
                tracing::warn!(trunk = %trunk.name, error = %e, "REGISTER to the trunk failed");
                RETRY
            }
        };
        tokio::time::sleep(wait).await;
    }
}
