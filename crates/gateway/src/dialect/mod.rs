//! Wire dialects: how a request is recognised, authenticated and answered.
//!
//! - [`aliyun`]: Alibaba Cloud RPC (`/` with `Action` and `Version`).
//! - [`huawei`]: Huawei AICC cc-management (C1 tokens, per-path operations).

pub mod aliyun;
pub mod huawei;
