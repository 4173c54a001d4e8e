//! Paging: `PageNumber` / `PageSize` in, `{PageNumber, PageSize, TotalCount, List}` out.
//!
//! Seeds 000 and 002: both parameters are required and range over 1-100 on 2020-07-01.

use serde_json::{Map, Value, json};

use crate::error::ApiResult;
use crate::params::Params;

/// Largest `PageNumber` and `PageSize` the seeds allow.
pub const PAGE_MAX: i64 = 100;

/// A validated page request (1-based page number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page index, 1..=100.
    pub number: u64,
    /// Items per page, 1..=100.
    pub size: u64,
}

impl PageRequest {
    /// A page from the `PageNumber` and `PageSize` a generated request parser has checked
    /// (1-100 each); values below 1 count as 1.
    pub fn new(number: i64, size: i64) -> Self {
        Self {
            number: number.max(1) as u64,
            size: size.max(1) as u64,
        }
    }

    /// Reads the required `PageNumber` and `PageSize` (1-100 each).
    ///
    /// Errors: `MissingParameter`/`Parameter.Null`, `Parameter.Minimum`, `Parameter.Maximum`,
    /// `InvalidParameter` (not an integer).
    pub fn required(params: &Params) -> ApiResult<Self> {
        let number = params.required_int("PageNumber", 1, PAGE_MAX)? as u64;
        let size = params.required_int("PageSize", 1, PAGE_MAX)? as u64;
        Ok(Self { number, size })
    }

    /// Reads optional `PageNumber`/`PageSize`, defaulting to `default_size` items of page 1.
    pub fn optional(params: &Params, default_size: u64) -> ApiResult<Self> {
        let number = params.optional_int("PageNumber", 1, PAGE_MAX)?.unwrap_or(1) as u64;
        let size = params
            .optional_int("PageSize", 1, PAGE_MAX)?
            .map(|s| s as u64)
            .unwrap_or(default_size);
        Ok(Self { number, size })
    }

    /// Rows to skip: `(number - 1) * size`.
    pub fn offset(&self) -> u64 {
        (self.number - 1) * self.size
    }

    /// The page object `{PageNumber, PageSize, TotalCount, List}` around `list`.
    pub fn render(&self, total: u64, list: Vec<Value>) -> Value {
        let mut m = Map::new();
        m.insert("PageNumber".into(), json!(self.number));
        m.insert("PageSize".into(), json!(self.size));
        m.insert("TotalCount".into(), json!(total));
        m.insert("List".into(), Value::Array(list));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ErrorStyle;

    #[test]
    fn offset_and_shape() {
        let params = Params::from_pairs(
            &[("PageNumber", "3"), ("PageSize", "20")],
            ErrorStyle::V2020,
        );
        let page = PageRequest::required(&params).unwrap();
        assert_eq!(page.offset(), 40);
        let v = page.render(55, vec![json!(1)]);
        assert_eq!(
            v.to_string(),
            r#"{"PageNumber":3,"PageSize":20,"TotalCount":55,"List":[1]}"#
        );
    }

    #[test]
    fn page_number_is_bounded_like_the_seed_says() {
        let params = Params::from_pairs(
            &[("PageNumber", "101"), ("PageSize", "20")],
            ErrorStyle::V2020,
        );
        assert_eq!(
            PageRequest::required(&params).unwrap_err().code,
            "Parameter.Maximum"
        );
        let params = Params::from_pairs(&[("PageNumber", "1")], ErrorStyle::V2020);
        assert_eq!(
            PageRequest::required(&params).unwrap_err().code,
            "Parameter.Null"
        );
    }
}
