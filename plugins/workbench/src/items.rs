//! The configuration items of the agent workbench (seed 004 §3.2 "配置项及返回值说明"): their
//! names, the scopes they apply to, their values and documented defaults. Pure data and
//! checks; [`crate::values`] reads and writes them.

/// A scope a configuration item can be set at (`ObjectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole instance (`instance`).
    Instance,
    /// One skill group (`skillGroup`).
    SkillGroup,
    /// One user (`user`).
    User,
}

impl Scope {
    /// Parses `ObjectType` / `DimensionName`: `instance`, `skillGroup`, `user`, ignoring case
    /// and underscores (`INSTANCE`, `SKILL_GROUP`, `User`). `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let norm: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "instance" => Some(Self::Instance),
            "skillgroup" => Some(Self::SkillGroup),
            "user" => Some(Self::User),
            _ => None,
        }
    }

    /// The name answered and stored: `instance`, `skillGroup`, `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instance => "instance",
            Self::SkillGroup => "skillGroup",
            Self::User => "user",
        }
    }
}

/// What values an item takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `1` on, `0` off.
    Flag,
    /// `-1` hide the whole number, `0` hide part of it, `1` show it all.
    Display,
    /// An integer from `min` to `max` inclusive.
    Range {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
}

/// One configuration item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// The name as the seed spells it (case matters: `enableRecord`).
    pub name: &'static str,
    /// What it does (seed 004 §3.2).
    pub meaning: &'static str,
    /// The scopes it can be set and read at.
    pub scopes: &'static [Scope],
    /// Its values.
    pub kind: Kind,
    /// The value in effect where none was set.
    pub default: &'static str,
}

const ALL: &[Scope] = &[Scope::Instance, Scope::SkillGroup, Scope::User];
const NOT_GROUP: &[Scope] = &[Scope::Instance, Scope::User];
const INSTANCE: &[Scope] = &[Scope::Instance];

/// Every item, ordered by name (byte order: `enableRecord` last), the order lists answer.
pub const ITEMS: [Item; 10] = [
    Item {
        name: "AllowChooseSkillGroup",
        meaning: "1: the agent chooses the skill groups to sign in to; 0: signs in to all of them",
        scopes: NOT_GROUP,
        kind: Kind::Flag,
        default: "0",
    },
    Item {
        name: "AllowHangup",
        meaning: "1: the agent may hang up inbound calls; 0: may not",
        scopes: ALL,
        kind: Kind::Flag,
        default: "1",
    },
    Item {
        name: "AudioDownload",
        meaning: "1: the agent may download recordings; 0: may not",
        scopes: ALL,
        kind: Kind::Flag,
        default: "0",
    },
    Item {
        name: "AutoAnswerCall",
        meaning: "0: answer by hand; n (1-60): answer automatically after n seconds",
        scopes: ALL,
        kind: Kind::Range { min: 0, max: 60 },
        default: "0",
    },
    Item {
        name: "SatisfactionSurvey",
        meaning: "1: the voice satisfaction survey is on; 0: off",
        scopes: INSTANCE,
        kind: Kind::Flag,
        default: "0",
    },
    Item {
        name: "SettingWorkbenchLogLevel",
        meaning: "the workbench's log level, 0 (off) to 5 (most detail)",
        scopes: NOT_GROUP,
        kind: Kind::Range { min: 0, max: 5 },
        default: "3",
    },
    Item {
        name: "ShowCalledID",
        meaning: "inbound caller number: -1 hidden, 0 partly hidden, 1 shown",
        scopes: ALL,
        kind: Kind::Display,
        default: "1",
    },
    Item {
        name: "ShowCalleeID",
        meaning: "outbound called number: -1 hidden, 0 partly hidden, 1 shown",
        scopes: ALL,
        kind: Kind::Display,
        default: "1",
    },
    Item {
        name: "SmsSatisfactionSurvey",
        meaning: "1: the SMS satisfaction survey is on; 0: off",
        scopes: INSTANCE,
        kind: Kind::Flag,
        default: "0",
    },
    Item {
        name: "enableRecord",
        meaning: "1: agent-side recording is on; 0: off",
        scopes: ALL,
        kind: Kind::Flag,
        default: "0",
    },
];

/// The item named `name` (exact spelling), if any.
pub fn find(name: &str) -> Option<&'static Item> {
    ITEMS.iter().find(|i| i.name == name)
}

impl Item {
    /// Whether the item can be set and read at `scope`.
    pub fn applies_to(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The scopes it applies to, for error messages: `instance, skillGroup, user`.
    pub fn scope_names(&self) -> String {
        self.scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `value` in its stored form (an integer without sign noise: `" 05"` → `5`).
    ///
    /// Errors: why it is not a value of the item, in words.
    pub fn check(&self, value: &str) -> Result<String, String> {
        let n: i64 = value
            .trim()
            .parse()
            .map_err(|_| "it must be an integer".to_string())?;
        let (min, max, words) = match self.kind {
            Kind::Flag => (0, 1, "0 or 1"),
            Kind::Display => (-1, 1, "-1, 0 or 1"),
            Kind::Range { min, max } => (min, max, ""),
        };
        if n < min || n > max {
            return Err(if words.is_empty() {
                format!("it must be {min} to {max}")
            } else {
                format!("it must be {words}")
            });
        }
        Ok(n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_the_seeds_with_their_ranges() {
        assert_eq!(ITEMS.len(), 10);
        let names: Vec<&str> = ITEMS.iter().map(|i| i.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(
            names, sorted,
            "ITEMS is ordered by name (byte order, as lists answer)"
        );
        for i in ITEMS {
            assert_eq!(i.check(i.default), Ok(i.default.to_string()), "{}", i.name);
        }
        let hang = find("AllowHangup").unwrap();
        assert_eq!(hang.check("2"), Err("it must be 0 or 1".into()));
        assert_eq!(hang.check("x"), Err("it must be an integer".into()));
        assert_eq!(find("ShowCalledID").unwrap().check("-1"), Ok("-1".into()));
        assert_eq!(find("AutoAnswerCall").unwrap().check(" 05"), Ok("5".into()));
        assert_eq!(
            find("AutoAnswerCall").unwrap().check("61"),
            Err("it must be 0 to 60".into())
        );
        assert!(find("enablerecord").is_none(), "names are exact");
        assert!(!find("SatisfactionSurvey").unwrap().applies_to(Scope::User));
    }

    #[test]
    fn scopes_parse_in_either_style() {
        assert_eq!(Scope::parse("instance"), Some(Scope::Instance));
        assert_eq!(Scope::parse("SKILL_GROUP"), Some(Scope::SkillGroup));
        assert_eq!(Scope::parse("skillGroup"), Some(Scope::SkillGroup));
        assert_eq!(Scope::parse("User"), Some(Scope::User));
        assert_eq!(Scope::parse("tenant"), None);
    }
}
