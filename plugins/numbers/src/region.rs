//! Number attribution (home province and city) for Chinese numbers: seed 004 §6.6
//! GetNumberRegionInfo, the `Province`/`City` of §6.4 and seed 002, and the region matching of
//! §6.7 PickGlobalOutboundNumbers and PickLocalNumber.
//!
//! The data is `data/cn_regions.tsv.gz`, derived from Google libphonenumber's geocoding data
//! (Apache-2.0, via PyPI `phonenumbers`; see `data/NOTICE` and `data/generate_cn_regions.py`,
//! which also documents how a zh description is split into a province and a city). It is
//! compiled into the binary and decoded once, on first use.
//!
//! Lookup: the number is turned into `86` + national significant number and the longest prefix
//! present in the data wins (`053168962496` -> `8653168962496` -> prefix `86531` -> 山东/济南;
//! `13912345678` -> `8613912345678` -> prefix `861391234` -> 江苏/常州).

use std::collections::HashMap;
use std::io::Read;
use std::sync::LazyLock;

/// The compiled-in data file (gzip'd TSV, see the module docs).
static DATA: &[u8] = include_bytes!("../data/cn_regions.tsv.gz");

static TABLE: LazyLock<RegionTable> = LazyLock::new(|| match RegionTable::parse(DATA) {
    Ok(table) => table,
    Err(err) => {
        tracing::error!(error = %err, "numbers: cannot load the number attribution data");
        RegionTable::default()
    }
});

/// A home region: short zh names as the seeds show them (`福建` / `厦门`; municipalities have
/// the same province and city, `北京` / `北京`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Region {
    /// Province, autonomous region or municipality, e.g. `山东`.
    pub province: &'static str,
    /// City (prefecture), e.g. `济南`.
    pub city: &'static str,
}

#[derive(Default)]
struct RegionTable {
    regions: Vec<(String, String)>,
    /// Prefix digits encoded by [`code`] -> index into `regions`.
    prefixes: HashMap<u64, u16>,
    max_len: usize,
}

/// Encodes a digit string as a number with a leading 1, so prefixes of different lengths
/// (`8610`, `86100`) get distinct codes. Callers pass at most 18 digits.
fn code(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(1u64, |acc, d| acc * 10 + u64::from(d - b'0'))
}

impl RegionTable {
    fn parse(gz: &[u8]) -> Result<Self, String> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .map_err(|e| format!("gunzip: {e}"))?;
        let mut table = RegionTable::default();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = || format!("line {}: {line:?}", n + 1);
            match fields.as_slice() {
                ["R", id, province, city] => {
                    let id: usize = id.parse().map_err(|_| bad())?;
                    if id != table.regions.len() {
                        return Err(bad());
                    }
                    table
                        .regions
                        .push(((*province).to_string(), (*city).to_string()));
                }
                ["P", prefix, id] => {
                    let id: u16 = id.parse().map_err(|_| bad())?;
                    if prefix.len() > 18
                        || !prefix.bytes().all(|b| b.is_ascii_digit())
                        || usize::from(id) >= table.regions.len()
                    {
                        return Err(bad());
                    }
                    table.max_len = table.max_len.max(prefix.len());
                    table.prefixes.insert(code(prefix.as_bytes()), id);
                }
                _ => return Err(bad()),
            }
        }
        Ok(table)
    }

    fn lookup(&'static self, key: &str) -> Option<Region> {
        let digits = key.as_bytes();
        let longest = digits.len().min(self.max_len);
        (1..=longest).rev().find_map(|len| {
            self.prefixes.get(&code(&digits[..len])).map(|&id| {
                let (province, city) = &self.regions[usize::from(id)];
                Region { province, city }
            })
        })
    }
}

/// The Chinese national significant number of `number`, or `None` when it is not a Chinese
/// number or not all digits.
///
/// Accepted forms: `+86…` and `0086…` (international), `0…` landlines with the trunk prefix
/// (`053168962496` -> `53168962496`), 11-digit mobiles `1xxxxxxxxxx`, `86` + an 11-digit mobile
/// without `+`, and anything else as already national (e.g. `4001234567`).
pub fn national_number(number: &str) -> Option<String> {
    let s = number.trim();
    let (international, digits) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => match s.strip_prefix("00") {
            Some(rest) => (true, rest),
            None => (false, s),
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let national = if international {
        let rest = digits.strip_prefix("86")?;
        rest.strip_prefix('0').unwrap_or(rest)
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest
    } else if digits.len() == 13 && digits.starts_with("861") {
        &digits[2..]
    } else {
        digits
    };
    if national.is_empty() {
        return None;
    }
    Some(national.to_string())
}

/// The home region of `number`, or `None` when it is not a Chinese number or the data has no
/// prefix for it.
pub fn lookup(number: &str) -> Option<Region> {
    let national = national_number(number)?;
    if national.len() > 16 {
        return None;
    }
    TABLE.lookup(&format!("86{national}"))
}

/// The home region of `number`, with empty province and city when unknown (the API renders
/// unknown regions as empty strings).
pub fn lookup_or_empty(number: &str) -> Region {
    lookup(number).unwrap_or_default()
}

/// How well a candidate caller's region matches the callee's, best first (seed 004 §6.7: same
/// province and city, else same province, else any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    /// Same province and same city.
    SameCity,
    /// Same province, other or unknown city.
    SameProvince,
    /// Anything else, including unknown regions.
    Other,
}

/// Compares a caller's region with the callee's. Empty (unknown) names never match.
pub fn match_level(caller: (&str, &str), callee: (&str, &str)) -> Match {
    let (caller_province, caller_city) = caller;
    let (callee_province, callee_city) = callee;
    if caller_province.is_empty() || caller_province != callee_province {
        Match::Other
    } else if !caller_city.is_empty() && caller_city == callee_city {
        Match::SameCity
    } else {
        Match::SameProvince
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(number: &str) -> (&'static str, &'static str) {
        let r = lookup_or_empty(number);
        (r.province, r.city)
    }

    #[test]
    fn data_file_loads_with_all_regions() {
        let table = &*TABLE;
        assert!(table.regions.len() > 300, "{}", table.regions.len());
        assert!(table.prefixes.len() > 100_000, "{}", table.prefixes.len());
        assert_eq!(table.max_len, 9);
    }

    #[test]
    fn seed_examples_resolve() {
        assert_eq!(region("13912345678"), ("江苏", "常州"));
        assert_eq!(region("053168962496"), ("山东", "济南"));
        assert_eq!(region("02160664656"), ("上海", "上海"));
        assert_eq!(region("01086394552"), ("北京", "北京"));
        // §6.7's example caller: a Xiamen landline.
        assert_eq!(region("05923293251"), ("福建", "厦门"));
    }

    #[test]
    fn international_forms_resolve_like_national_ones() {
        assert_eq!(region("+8613912345678"), ("江苏", "常州"));
        assert_eq!(region("008613912345678"), ("江苏", "常州"));
        assert_eq!(region("8613912345678"), ("江苏", "常州"));
        assert_eq!(region("+8653168962496"), ("山东", "济南"));
        assert_eq!(region(" 053168962496 "), ("山东", "济南"));
    }

    #[test]
    fn municipalities_and_autonomous_regions_use_short_names() {
        assert_eq!(region("02212345678"), ("天津", "天津"));
        assert_eq!(region("02312345678"), ("重庆", "重庆"));
        assert_eq!(region("09911234567"), ("新疆", "乌鲁木齐"));
        assert_eq!(region("04711234567"), ("内蒙古", "呼和浩特"));
        assert_eq!(region("07711234567"), ("广西", "南宁"));
        assert_eq!(region("08911234567"), ("西藏", "拉萨"));
        assert_eq!(region("09511234567"), ("宁夏", "银川"));
        // Autonomous prefecture: 延边朝鲜族自治州 -> 延边.
        assert_eq!(region("04331234567"), ("吉林", "延边"));
        // League (盟): 锡林郭勒盟 -> 锡林郭勒.
        assert_eq!(region("04791234567"), ("内蒙古", "锡林郭勒"));
    }

    #[test]
    fn unknown_and_foreign_numbers_are_empty() {
        assert_eq!(region("+14155550100"), ("", ""));
        assert_eq!(region("4001234567"), ("", ""));
        assert_eq!(region("abc"), ("", ""));
        assert_eq!(region(""), ("", ""));
        assert_eq!(lookup("+1 415"), None);
    }

    #[test]
    fn national_number_forms() {
        assert_eq!(
            national_number("053168962496").as_deref(),
            Some("53168962496")
        );
        assert_eq!(
            national_number("+8613912345678").as_deref(),
            Some("13912345678")
        );
        assert_eq!(
            national_number("0086053168962496").as_deref(),
            Some("53168962496")
        );
        assert_eq!(
            national_number("8613912345678").as_deref(),
            Some("13912345678")
        );
        assert_eq!(national_number("4001234567").as_deref(), Some("4001234567"));
        assert_eq!(national_number("+4412345678"), None);
        assert_eq!(national_number("12-34"), None);
        assert_eq!(national_number("0"), None);
    }

    #[test]
    fn match_levels_rank_city_then_province() {
        assert_eq!(
            match_level(("福建", "厦门"), ("福建", "厦门")),
            Match::SameCity
        );
        assert_eq!(
            match_level(("福建", "福州"), ("福建", "厦门")),
            Match::SameProvince
        );
        assert_eq!(
            match_level(("北京", "北京"), ("福建", "厦门")),
            Match::Other
        );
        assert_eq!(match_level(("", ""), ("", "")), Match::Other);
        assert_eq!(match_level(("福建", ""), ("福建", "")), Match::SameProvince);
        assert!(Match::SameCity < Match::SameProvince && Match::SameProvince < Match::Other);
    }
}
