//! TURN credentials in coturn's REST-API scheme (`use-auth-secret` with `static-auth-secret`;
//! draft-uberti-behave-turn-rest-00 §2.2, which coturn implements): the username is
//! `<unix-expiry-seconds>:<user>` and the password base64(HMAC-SHA1(shared secret, username)).
//! The TURN server recomputes the password from the username, so no state is shared beyond
//! the secret, and refuses a username whose expiry has passed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::settings::TurnServer;

/// A TURN username and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `<expiry>:<user>`, expiry in UTC epoch seconds.
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)).
    pub password: String,
}

/// The credentials of `user` valid until `expires_at` (UTC epoch seconds) under `secret`.
pub fn credentials(secret: &str, user: &str, expires_at: i64) -> Credentials {
    let username = format!("{expires_at}:{user}");
    Credentials {
        password: password(secret, &username),
        username,
    }
}

/// base64(HMAC-SHA1(`secret`, `username`)).
pub fn password(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(username.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// GetTURNServerList's `TurnServerListConfig`: the servers as a JSON array string of
/// `{region, name, domain, cidr}` (seed 004 §3.9's example keys, lower case).
pub fn server_list(servers: &[TurnServer]) -> String {
    ccgate_plugin_sdk::serde_json::to_string(servers).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_base64_hmac_sha1_of_the_username() {
        // RFC 2202-style vector: HMAC-SHA1("key", "The quick brown fox jumps over the lazy
        // dog") = de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9.
        assert_eq!(
            password("key", "The quick brown fox jumps over the lazy dog"),
            "3nybhbi3iqa8ino29wqQcBydtNk="
        );
        let c = credentials("s3cr3t", "1234567890123456", 1_700_000_000);
        assert_eq!(c.username, "1700000000:1234567890123456");
        assert_eq!(c.password, password("s3cr3t", &c.username));
        assert_ne!(c.password, password("other", &c.username));
    }

    #[test]
    fn server_list_uses_the_seeds_keys() {
        let list = server_list(&[TurnServer {
            region: "shanghai".into(),
            name: "上海".into(),
            domain: "turn3.ccc.aliyuncs.com".into(),
            cidr: "192.1.25.64/28".into(),
        }]);
        assert_eq!(
            list,
            r#"[{"region":"shanghai","name":"上海","domain":"turn3.ccc.aliyuncs.com","cidr":"192.1.25.64/28"}]"#
        );
        assert_eq!(server_list(&[]), "[]");
    }
}
