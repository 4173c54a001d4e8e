//! Caller-number ranking by the callee's home region: seed 004 §6.7 PickGlobalOutboundNumbers
//! ("优先选择…与被叫号码相同归属地的号码…如果不存在省市完全一样的号码，优先选择同省号码，若仍不
//! 存在，则随机选择一个号码") and PickLocalNumber (overview: "获取与被叫号码相同归属地的呼叫中心电话
//! 号码").
//!
//! Candidates are ordered by [`region::Match`] (same city, then same province, then the rest);
//! inside each tier the order is random, so calls spread over equally good numbers.

use rand::seq::SliceRandom;

use crate::region::{self, Match};

/// A candidate caller number with its home region (empty names when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The number as stored or given.
    pub number: String,
    /// Home province, e.g. `福建`.
    pub province: String,
    /// Home city, e.g. `厦门`.
    pub city: String,
}

impl Candidate {
    /// A candidate whose region is looked up in the attribution data.
    pub fn looked_up(number: &str) -> Self {
        let r = region::lookup_or_empty(number);
        Self {
            number: number.to_string(),
            province: r.province.to_string(),
            city: r.city.to_string(),
        }
    }
}

/// `candidates` ordered best first for a callee in `callee` (province, city): same city, then
/// same province, then the others; random order within a tier.
pub fn rank(mut candidates: Vec<Candidate>, callee: (&str, &str)) -> Vec<Candidate> {
    candidates.shuffle(&mut rand::thread_rng());
    // A stable sort keeps the shuffled order inside each tier.
    candidates.sort_by_key(|c| region::match_level((&c.province, &c.city), callee));
    candidates
}

/// The tier of a candidate for `callee`, for tests and logs.
pub fn tier(c: &Candidate, callee: (&str, &str)) -> Match {
    region::match_level((&c.province, &c.city), callee)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(number: &str, province: &str, city: &str) -> Candidate {
        Candidate {
            number: number.into(),
            province: province.into(),
            city: city.into(),
        }
    }

    #[test]
    fn same_city_then_same_province_then_others() {
        let candidates = vec![
            c("other1", "北京", "北京"),
            c("prov1", "福建", "福州"),
            c("city1", "福建", "厦门"),
            c("unknown", "", ""),
            c("prov2", "福建", "泉州"),
            c("city2", "福建", "厦门"),
        ];
        for _ in 0..20 {
            let ranked = rank(candidates.clone(), ("福建", "厦门"));
            let tiers: Vec<Match> = ranked.iter().map(|x| tier(x, ("福建", "厦门"))).collect();
            assert_eq!(
                tiers,
                vec![
                    Match::SameCity,
                    Match::SameCity,
                    Match::SameProvince,
                    Match::SameProvince,
                    Match::Other,
                    Match::Other
                ]
            );
            let mut first_two: Vec<&str> = ranked[..2].iter().map(|x| x.number.as_str()).collect();
            first_two.sort();
            assert_eq!(first_two, vec!["city1", "city2"]);
        }
    }

    #[test]
    fn ties_are_shuffled() {
        let candidates: Vec<Candidate> = (0..8)
            .map(|i| c(&format!("n{i}"), "北京", "北京"))
            .collect();
        let firsts: std::collections::HashSet<String> = (0..200)
            .map(|_| rank(candidates.clone(), ("福建", "厦门"))[0].number.clone())
            .collect();
        // 200 draws over 8 equally ranked numbers: all the same first would mean no shuffling.
        assert!(firsts.len() > 1, "{firsts:?}");
    }

    #[test]
    fn looked_up_candidates_carry_their_region() {
        assert_eq!(
            Candidate::looked_up("05923293251"),
            c("05923293251", "福建", "厦门")
        );
    }
}
