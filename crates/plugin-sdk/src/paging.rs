//! Paging: `PageNumber` / `PageSize` in, `{PageNumber, PageSize, TotalCount, List}` out.
//!
//! Seeds 000 and 002: both parameters are required and range over 1-100 on 2020-07-01.

use serde_json::{Map, Value, json};

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

    #[test]
    fn offset_and_shape() {
        let page = PageRequest::new(3, 20);
        assert_eq!(page.offset(), 40);
        let v = page.render(55, vec![json!(1)]);
        assert_eq!(
            v.to_string(),
            r#"{"PageNumber":3,"PageSize":20,"TotalCount":55,"List":[1]}"#
        );
        assert_eq!(
            PageRequest::new(0, -5).offset(),
            0,
            "clamped to page 1 of 1"
        );
    }
}
