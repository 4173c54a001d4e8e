//! Encrypt (2017-07-05, seed 004 overview table only: "号码加密，用于外呼时将号码加密，保护客户隐私"):
//! turns customer numbers into tokens the dialing actions of the same instance accept in their
//! place (StartBack2BackCall Caller/Callee, DialEx Callee, CallOnlinePrivacyNumber TelA/TelB).
//! The parameters are ccgate's (no source documents them): `PhoneNumbers` in,
//! `EncryptedNumbers` out, in order. Format and keys: [`crate::numcrypt`].

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::encrypt::{Request, Response};
use crate::api::errors;
use crate::{numcrypt, tokens};

/// Encrypts each number of `PhoneNumbers` under the instance's key. No write, except the
/// master key on the deployment's first use when `number_key` is not set.
///
/// Errors: 400 `InvalidParameter` (`PhoneNumbers` not a JSON array of strings or a comma list,
/// empty, more than 100 items, an item not 3-32 digits with an optional leading `+`); storage.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let numbers = numcrypt::parse_numbers(&req.phone_numbers)
        .map_err(|why| errors::invalid_parameter("PhoneNumbers", why))?;
    let key = tokens::instance_key(ctx).await?;
    Ok(Response {
        encrypted_numbers: numbers.iter().map(|n| numcrypt::encrypt(&key, n)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::testing::TestEnv;

    use crate::api::encrypt::SPEC;
    use crate::numcrypt;
    use crate::storage::privacy;
    use crate::testutil::{Harness, INSTANCE};
    use crate::{CallsPlugin, Settings};

    #[tokio::test]
    async fn encrypts_each_number_in_order_under_the_stored_key() {
        let h = Harness::new().await;
        let v = h
            .call(
                SPEC,
                &[("PhoneNumbers", r#"["18801341452","+8617600668806"]"#)],
            )
            .await
            .unwrap();
        let list: Vec<&str> = v["EncryptedNumbers"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(list.len(), 2);
        // No number_key setting: the key was generated and stored on first use.
        let master = privacy::master_key(&h.env.db, 0).await.unwrap();
        let key = numcrypt::instance_key(&master, INSTANCE);
        assert_eq!(numcrypt::decrypt(&key, list[0]).unwrap(), "18801341452");
        assert_eq!(numcrypt::decrypt(&key, list[1]).unwrap(), "+8617600668806");
        // A comma list works too, and the stored key stays the same.
        let v = h
            .call(SPEC, &[("PhoneNumbers", "18801341452")])
            .await
            .unwrap();
        let t = v["EncryptedNumbers"][0].as_str().unwrap();
        assert_eq!(numcrypt::decrypt(&key, t).unwrap(), "18801341452");
        assert_eq!(privacy::master_key(&h.env.db, 0).await.unwrap(), master);
    }

    #[tokio::test]
    async fn the_configured_key_is_used_and_bad_lists_are_refused() {
        let settings = Settings {
            number_key: crate::SecretSetting(numcrypt::encode_master(&numcrypt::KeyBytes([9; 32]))),
            ..Settings::default()
        };
        let calls = std::sync::Arc::new(CallsPlugin::with_settings(settings));
        let env = TestEnv::new(vec![calls]).await;
        let v = env
            .call(SPEC, INSTANCE, &[("PhoneNumbers", "057128236231")])
            .await
            .unwrap();
        let key = numcrypt::instance_key(&numcrypt::KeyBytes([9; 32]), INSTANCE);
        let t = v["EncryptedNumbers"][0].as_str().unwrap();
        assert_eq!(numcrypt::decrypt(&key, t).unwrap(), "057128236231");
        for bad in ["", "[]", "188,abc", "[\"1\"]", "{}"] {
            let e = env
                .call(SPEC, INSTANCE, &[("PhoneNumbers", bad)])
                .await
                .unwrap_err();
            assert!(
                e.status == 400 && e.message.contains("PhoneNumbers"),
                "{bad}: {e:?}"
            );
        }
    }
}
