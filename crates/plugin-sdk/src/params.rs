//! `Params`: the raw request parameters of one call (query string and form body merged, or a
//! Huawei JSON body), with the presence rules of the documented errors.
//!
//! Only the action's own parameters: the gateway consumes the protocol's common parameters
//! (`Action`, `Version`, `Format`, `AccessKeyId`, `Signature*`, `Timestamp`, `SecurityToken`,
//! `BearerToken`) and removes them after authentication (the gateway's
//! `dialect::aliyun::request::COMMON_PARAMETERS`). `RegionId` stays.
//!
//! Plugins do not read it: the parsers that `cargo xtask codegen` generates from the action
//! specs (`plugins/<plugin>/api/*.toml` → `src/api/<module>.rs`) do, checking values with
//! [`crate::contract`]. Conventions (seed 002 error table; `shared/reference/alibaba-sdk-wire.md`):
//! - a required parameter that is absent: `MissingParameter` on 2017-07-05, `Parameter.Null`
//!   on 2020-07-01; present but empty: `Parameter.Empty`;
//! - an optional parameter sent empty counts as absent ("empty means no filtering");
//! - repeat lists arrive as `Name.1`, `Name.2`, ... and come back ordered by index.

use std::collections::BTreeMap;

use crate::error::{ApiError, ApiResult};

/// Which family of "missing parameter" errors applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorStyle {
    /// 2017-07-05 and Huawei: `MissingParameter`.
    #[default]
    Legacy,
    /// 2020-07-01: `Parameter.Null`.
    V2020,
}

/// The decoded request parameters of one call.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
    style: ErrorStyle,
    /// A JSON request body (Huawei dialects), when there was one.
    pub json_body: Option<serde_json::Value>,
}

impl Params {
    /// Parameters from decoded key/value pairs; a later duplicate key wins.
    pub fn new(values: BTreeMap<String, String>, style: ErrorStyle) -> Self {
        Self {
            values,
            style,
            json_body: None,
        }
    }

    /// Parameters from pairs, convenient in tests: `Params::from_pairs(&[("InstanceId", "x")])`.
    pub fn from_pairs(pairs: &[(&str, &str)], style: ErrorStyle) -> Self {
        Self::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            style,
        )
    }

    /// Which family of "missing parameter" errors applies.
    pub fn style(&self) -> ErrorStyle {
        self.style
    }

    /// All parameters, sorted by name.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// The raw value, if the parameter was sent (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required string: absent gives `MissingParameter` / `Parameter.Null`, blank gives
    /// `Parameter.Empty`.
    pub fn required(&self, name: &str) -> ApiResult<&str> {
        match self.get(name) {
            None => Err(match self.style {
                ErrorStyle::Legacy => ApiError::missing(name),
                ErrorStyle::V2020 => ApiError::null(name),
            }),
            Some(v) if v.trim().is_empty() => Err(ApiError::empty(name)),
            Some(v) => Ok(v),
        }
    }

    /// An optional string; absent or empty gives `None` ("empty means no filtering" in the
    /// seeds).
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The values of a repeat list `Name.1`, `Name.2`, ... ordered by index; empty items are
    /// skipped. `name` is given without the `.N` suffix.
    pub fn repeat_list(&self, name: &str) -> ApiResult<Vec<String>> {
        let prefix = format!("{name}.");
        let mut items: Vec<(u32, &String)> = Vec::new();
        for (k, v) in self.values.range(prefix.clone()..) {
            let Some(index) = k.strip_prefix(&prefix) else {
                break;
            };
            // Only canonical indexes (`1`, `2`, ... — not `01` or `+1`, which would name an
            // item twice).
            let canonical = !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit())
                && (index == "0" || !index.starts_with('0'));
            let n: u32 = index.parse().ok().filter(|_| canonical).ok_or_else(|| {
                ApiError::invalid(
                    k,
                    format!("repeat-list index must be a number like {name}.1"),
                )
            })?;
            if n == 0 {
                return Err(ApiError::minimum(&format!("{name}.N"), 1));
            }
            if !v.is_empty() {
                items.push((n, v));
            }
        }
        items.sort_by_key(|(n, _)| *n);
        Ok(items.into_iter().map(|(_, v)| v.clone()).collect())
    }

    /// Whether any `Name.N` was sent, even empty (`Name.1=`): for parameters whose empty value
    /// means "clear" rather than "keep".
    pub fn sent_repeat_list(&self, name: &str) -> bool {
        let prefix = format!("{name}.");
        self.values
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// A repeat list with at least one item (`MissingParameter` / `Parameter.Null` otherwise).
    pub fn required_repeat_list(&self, name: &str) -> ApiResult<Vec<String>> {
        let items = self.repeat_list(name)?;
        if items.is_empty() {
            let shown = format!("{name}.1");
            return Err(match self.style {
                ErrorStyle::Legacy => ApiError::missing(&shown),
                ErrorStyle::V2020 => ApiError::null(&shown),
            });
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs, ErrorStyle::V2020)
    }

    #[test]
    fn missing_and_empty_have_distinct_codes() {
        assert_eq!(
            p(&[]).required("InstanceId").unwrap_err().code,
            "Parameter.Null"
        );
        assert_eq!(
            p(&[("InstanceId", " ")])
                .required("InstanceId")
                .unwrap_err()
                .code,
            "Parameter.Empty"
        );
        let legacy = Params::from_pairs(&[], ErrorStyle::Legacy);
        assert_eq!(
            legacy.required("InstanceId").unwrap_err().code,
            "MissingParameter"
        );
    }

    #[test]
    fn repeat_lists_are_ordered_by_index_not_text() {
        let params = p(&[("N.10", "j"), ("N.2", "b"), ("N.1", "a"), ("Other", "x")]);
        assert_eq!(params.repeat_list("N").unwrap(), vec!["a", "b", "j"]);
        assert!(params.repeat_list("Missing").unwrap().is_empty());
        assert_eq!(
            params.required_repeat_list("Missing").unwrap_err().code,
            "Parameter.Null"
        );
        assert!(params.sent_repeat_list("N") && !params.sent_repeat_list("Missing"));
        assert!(
            p(&[("N.1", "")]).sent_repeat_list("N"),
            "sent empty still counts as sent"
        );
        // Issue 9 (fuzzing): `N.01` and `N.+1` also parsed as index 1, naming an item twice.
        for bad in ["N.01", "N.+1", "N.1x", "N.", "N.99999999999"] {
            let e = p(&[("N.1", "a"), (bad, "b")]).repeat_list("N").unwrap_err();
            assert_eq!(e.code, "InvalidParameter", "{bad}");
        }
        assert_eq!(
            p(&[("N.0", "a")]).repeat_list("N").unwrap_err().code,
            "Parameter.Minimum"
        );
    }
}
