//! Which time zone each instance's reports use (settings `time_zone` and `time_zones`).

use std::collections::BTreeMap;

use chrono_tz::Tz;

/// The zones of the instances: one default and per-instance exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zones {
    /// The zone of instances not named in `per_instance`.
    pub default: Tz,
    /// Per instance id.
    pub per_instance: BTreeMap<String, Tz>,
}

impl Default for Zones {
    fn default() -> Self {
        Zones {
            default: chrono_tz::Asia::Shanghai,
            per_instance: BTreeMap::new(),
        }
    }
}

impl Zones {
    /// The zone of `instance`.
    pub fn of(&self, instance: &str) -> Tz {
        self.per_instance
            .get(instance)
            .copied()
            .unwrap_or(self.default)
    }
}
