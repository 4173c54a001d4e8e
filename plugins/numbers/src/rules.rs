//! Number and usage rules shared by the write actions (seed 004 §6.1 AddPhoneNumber, §6.3
//! ModifyPhoneNumber, §6.8 AddBulkPhoneNumbers).
//!
//! - A phone number is 5 to 20 ASCII digits, optionally after one leading `+`; surrounding
//!   blanks are ignored. Anything else is `InvalidParameter` naming the number. Numbers are
//!   stored and compared as written (`+8613912345678` and `13912345678` are different
//!   entries); only region lookup ([`crate::region`]) normalises them.
//! - `Usage` is `Inbound`, `Outbound` or `Bidirection` (`Parameter.Enumeration` otherwise).
//! - `AllowOutbound` = `Usage` is `Outbound` or `Bidirection`; inbound calls reach `Inbound` and
//!   `Bidirection` numbers.
//! - 400 numbers (national number starting with `400`) may only be `Inbound` (§6.1 说明: "如果
//!   传入号码为400号码，该值只能传入 Inbound"), so they never allow outbound calls.

use ccgate_plugin_sdk::ApiResult;

use crate::region;

/// The `Usage` enumeration, in the order error messages list it.
pub const USAGES: &[&str] = &["Inbound", "Outbound", "Bidirection"];

/// Shortest and longest accepted number, in digits.
pub const NUMBER_DIGITS: std::ops::RangeInclusive<usize> = 5..=20;

/// Why a number is not acceptable, in words for error messages and bulk failure lists.
pub fn number_problem(raw: &str) -> Option<String> {
    let s = raw.trim();
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "{raw} is not a phone number: only digits and an optional leading + are allowed"
        ));
    }
    if !NUMBER_DIGITS.contains(&digits.len()) {
        return Some(format!(
            "{raw} is not a phone number: it must have {} to {} digits",
            NUMBER_DIGITS.start(),
            NUMBER_DIGITS.end()
        ));
    }
    None
}

/// Validates parameter `name` as a phone number and returns it trimmed.
///
/// Errors: 400 `InvalidParameter` naming the parameter and the number.
pub fn validate_number(name: &str, raw: &str) -> ApiResult<String> {
    match number_problem(raw) {
        Some(why) => Err(crate::api::errors::invalid_parameter(name, why)),
        None => Ok(raw.trim().to_string()),
    }
}

/// True for a 400 (national service) number: its national number starts with `400`.
pub fn is_400(number: &str) -> bool {
    region::national_number(number).is_some_and(|n| n.starts_with("400"))
}

/// `AllowOutbound` for a usage: `Outbound` and `Bidirection` may call out.
pub fn allow_outbound(usage: &str) -> bool {
    matches!(usage, "Outbound" | "Bidirection")
}

/// Whether a usage takes inbound calls: `Inbound` and `Bidirection` (the `numbers.inbound`
/// query routes calls only to those).
pub fn allow_inbound(usage: &str) -> bool {
    matches!(usage, "Inbound" | "Bidirection")
}

/// The 400-number rule as an error message, when `number` may not have `usage`.
pub fn usage_problem(number: &str, usage: &str) -> Option<String> {
    (is_400(number) && usage != "Inbound").then(|| {
        format!(
            "{number} is a 400 number; 400 numbers can only be used for Inbound calls, not {usage}"
        )
    })
}

/// Checks the 400-number rule for parameter `Usage`.
///
/// Errors: 400 `InvalidParameter` (`The specified parameter Usage is not valid: 4001234567 is a
/// 400 number; 400 numbers can only be used for Inbound calls, not Bidirection`).
pub fn check_usage(number: &str, usage: &str) -> ApiResult<()> {
    match usage_problem(number, usage) {
        Some(why) => Err(crate::api::errors::invalid_parameter("Usage", why)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_digits_with_optional_plus() {
        assert_eq!(
            validate_number("PhoneNumber", " 053168962496 ").unwrap(),
            "053168962496"
        );
        assert_eq!(
            validate_number("PhoneNumber", "+8613912345678").unwrap(),
            "+8613912345678"
        );
        assert_eq!(validate_number("PhoneNumber", "12345").unwrap(), "12345");
        for bad in [
            "1234",
            "123456789012345678901",
            "0531-6896",
            "++123456",
            "abcdefg",
            "",
            "+",
        ] {
            let e = validate_number("PhoneNumber", bad).unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (400, "InvalidParameter"),
                "{bad}"
            );
            assert!(e.message.contains("PhoneNumber"), "{}", e.message);
            assert!(e.message.contains(bad), "{}", e.message);
        }
    }

    #[test]
    fn four_hundred_numbers_are_inbound_only() {
        assert!(is_400("4001234567"));
        assert!(is_400("+864001234567"));
        assert!(is_400("04001234567"));
        assert!(!is_400("053168962496"));
        assert!(!is_400("13912345678"));
        assert!(check_usage("4001234567", "Inbound").is_ok());
        let e = check_usage("4001234567", "Bidirection").unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(
            e.message
                .contains("400 numbers can only be used for Inbound")
        );
        assert!(e.message.contains("Usage"));
        assert!(check_usage("053168962496", "Outbound").is_ok());
    }

    #[test]
    fn allow_outbound_follows_usage() {
        assert!(allow_outbound("Outbound"));
        assert!(allow_outbound("Bidirection"));
        assert!(!allow_outbound("Inbound"));
    }
}
