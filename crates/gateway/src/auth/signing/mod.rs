//! Request-signature algorithms accepted by the gateway.
//!
//! This module only computes canonical strings and signatures; it does not look up
//! secrets, check timestamps or nonces, or build error responses. Each submodule
//! reproduces one algorithm exactly as the official clients implement it:
//!
//! * [`percent`]: the two encodings shared by every algorithm (RFC 3986 encoding and
//!   `application/x-www-form-urlencoded` decoding).
//! * [`rpc_v1`]: Alibaba Cloud RPC signature v1 (`Signature` query parameter,
//!   HMAC-SHA1 / HMAC-SHA256, base64), as sent by `aliyun-python-sdk-core` and by
//!   `alibabacloud-tea-openapi` with `signature_algorithm='v2'`
//!   (`shared/reference/alibaba-sdk-wire.md`, "RPC signature v1").
//! * [`acs3`]: Alibaba Cloud `ACS3-HMAC-SHA256` / `ACS3-HMAC-SM3` (`Authorization`
//!   header, lower-case hex), the default of `alibabacloud-tea-openapi`
//!   (`alibaba-sdk-wire.md`, "ACS3-HMAC-SHA256").
//! * [`huawei_c2`]: Huawei AICC C2 `auth-v2` (`Authorization: auth-v2/AK/TS/headers/hex`)
//!   (`shared/reference/huawei-aicc.md` §4).
//!
//! Every algorithm is checked against the captured SDK requests in
//! `shared/reference/sdk-captured-requests.json` and the Huawei vectors of
//! `huawei-aicc.md` §4.3 (see the `vectors` test module).

pub mod acs3;
pub mod huawei_c2;
pub mod percent;
pub mod rpc_v1;

#[cfg(test)]
mod vectors;

use hmac::Mac;
use hmac::digest::KeyInit;

/// The raw HMAC of `msg` under `key` with MAC type `M` (e.g. `Hmac<Sha256>`).
fn hmac_bytes<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// Whether `expected` is the HMAC of `msg` under `key`, compared in constant time.
fn hmac_matches<M: Mac + KeyInit>(key: &[u8], msg: &[u8], expected: &[u8]) -> bool {
    let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.verify_slice(expected).is_ok()
}
