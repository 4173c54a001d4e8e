//! Rendering of phone numbers into the generated response structs ([`crate::api`]) of the seeds'
//! shapes: the 2017 `PhoneNumber` object (seed 004 §6.1 AddPhoneNumber, §6.3 ModifyPhoneNumber,
//! §6.4 ListPhoneNumbers, §6.8 AddBulkPhoneNumbers) and the 2020 list item (seed 002). Field
//! names, types and order come from the action specs (`plugins/numbers/api/`).
//!
//! Values ccgate has no source for are rendered as constants and documented here:
//! - `Trunks` 1, `TestOnly` false, `RemainingTime` 0 (no carrier data; test numbers do not exist);
//! - 2017 `Assignee` "", `NumberCommodityStatus` 0 (normal), `SipTelX` "" and every
//!   `PrivacyNumber` field "" (no privacy/virtual numbers);
//! - 2020 `UserId`, `Tags` and `Provider` "" (no agent-exclusive numbers, tags or carriers);
//! - skill group names come from the agents domain (`agents.skill_groups`, [`crate::agents`]);
//!   with the agents plugin disabled, `SkillGroupName`, `Name` and `DisplayName` are the skill
//!   group id, and with it enabled a bound id whose group no longer exists is left out.
//!
//! The 2017 `ContactFlow` object is left out when the number has no (known) flow (an `optional`
//! response field of the specs).
//!
//! Formatting only, no I/O: a [`Renderer`] holds the related data, loaded by
//! [`crate::related::load`] with one skill-group query, one `flows`/`get` call and one
//! `agents`/`skill_groups` call in total, whatever the number count.

use std::collections::HashMap;

use ccgate_plugin_sdk::serde_json::{Value, json};

use crate::agents::GroupInfo;
use crate::api;
use crate::api::shapes;
use crate::flows::FlowInfo;
use crate::storage::phone_number;

/// The related data needed to render a set of numbers ([`crate::related::load`]), and the
/// renderings.
#[derive(Debug, Default)]
pub struct Renderer {
    /// Contact flows by id; `None` when the flows plugin is disabled.
    pub flows: Option<HashMap<String, FlowInfo>>,
    /// Skill group ids by `PhoneNumberId`.
    pub groups: HashMap<String, Vec<String>>,
    /// The skill groups agents knows, by id; `None` when the agents plugin is disabled (ids are
    /// then rendered as names).
    pub group_info: Option<HashMap<String, GroupInfo>>,
}

/// A bound skill group as rendered: id, name, display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedGroup<'a> {
    /// `SkillGroupId`.
    pub id: &'a str,
    /// `SkillGroupName` / `Name`.
    pub name: &'a str,
    /// `DisplayName`.
    pub display_name: &'a str,
    /// The 2020-07-01 `SkillGroupId`: `<Name>@<InstanceId>` (seed 002's example
    /// `skillgroup@ccc-test`); the id as stored when the agents plugin is disabled.
    pub id_2020: String,
}

impl Renderer {
    /// The flow bound to `n`, when it exists and flows are enabled.
    pub fn flow_of(&self, n: &phone_number::Model) -> Option<&FlowInfo> {
        let id = n.contact_flow_id.as_ref()?;
        self.flows.as_ref()?.get(id)
    }

    /// The skill group ids bound to `n`.
    pub fn groups_of(&self, n: &phone_number::Model) -> &[String] {
        self.groups
            .get(&n.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The skill groups bound to `n` as rendered, in binding order: named by agents, or by their
    /// id when the agents plugin is disabled; ids agents no longer knows are left out.
    pub fn named_groups(&self, n: &phone_number::Model) -> Vec<NamedGroup<'_>> {
        self.groups_of(n)
            .iter()
            .filter_map(|id| match &self.group_info {
                None => Some(NamedGroup {
                    id,
                    name: id,
                    display_name: id,
                    id_2020: id.to_string(),
                }),
                Some(known) => known.get(id).map(|g| NamedGroup {
                    id,
                    name: &g.name,
                    display_name: &g.display_name,
                    id_2020: format!("{}@{}", g.name, g.instance_id),
                }),
            })
            .collect()
    }

    /// The shared 2017 `ContactFlow` of `n` ([`shapes::ContactFlow`]); `None` (left out of the
    /// reply) when `n` has no flow, the flow is gone, or the flows plugin is disabled.
    pub fn contact_flow(&self, n: &phone_number::Model) -> Option<shapes::ContactFlow> {
        self.flow_of(n).map(|f| shapes::ContactFlow {
            contact_flow_description: f.description.clone(),
            contact_flow_id: f.id.clone(),
            contact_flow_name: f.name.clone(),
            instance_id: f.instance_id.clone(),
            type_: f.kind.clone(),
        })
    }

    /// The shared 2017 `SkillGroups {SkillGroup: [{SkillGroupId, SkillGroupName}]}` of `n`
    /// ([`Self::named_groups`]).
    pub fn skill_groups(&self, n: &phone_number::Model) -> shapes::SkillGroups {
        shapes::SkillGroups {
            skill_group: self
                .named_groups(n)
                .into_iter()
                .map(|g| shapes::SkillGroup {
                    skill_group_id: g.id.to_string(),
                    skill_group_name: g.name.to_string(),
                })
                .collect(),
        }
    }

    /// The shared 2017 `PhoneNumber` of `n` with its skill groups (§6.3 ModifyPhoneNumber,
    /// §6.8 AddBulkPhoneNumbers).
    pub fn phone_number(&self, n: &phone_number::Model) -> shapes::PhoneNumber {
        shapes::PhoneNumber {
            allow_outbound: crate::rules::allow_outbound(&n.usage),
            contact_flow: self.contact_flow(n),
            instance_id: n.instance_id.clone(),
            number: n.number.clone(),
            phone_number_description: n.description.clone(),
            phone_number_id: n.id.clone(),
            remaining_time: 0,
            skill_groups: self.skill_groups(n),
            test_only: false,
            trunks: 1,
            usage: n.usage.clone(),
        }
    }

    /// The AddPhoneNumber `PhoneNumber` of `n` (§6.1: no skill groups).
    pub fn add_phone_number(&self, n: &phone_number::Model) -> api::add_phone_number::PhoneNumber {
        api::add_phone_number::PhoneNumber {
            allow_outbound: crate::rules::allow_outbound(&n.usage),
            contact_flow: self.contact_flow(n),
            instance_id: n.instance_id.clone(),
            number: n.number.clone(),
            phone_number_description: n.description.clone(),
            phone_number_id: n.id.clone(),
            remaining_time: 0,
            test_only: false,
            trunks: 1,
            usage: n.usage.clone(),
        }
    }

    /// A 2017 ListPhoneNumbers `PhoneNumber` of `n` (§6.4: skill groups and the list-only
    /// fields `Assignee`, `City`, `NumberCommodityStatus`, `PrivacyNumber`, `Province`,
    /// `SipTelX`).
    pub fn list_phone_number_2017(
        &self,
        n: &phone_number::Model,
    ) -> api::list_phone_numbers::PhoneNumber {
        api::list_phone_numbers::PhoneNumber {
            allow_outbound: crate::rules::allow_outbound(&n.usage),
            assignee: String::new(),
            city: n.city.clone(),
            contact_flow: self.contact_flow(n),
            instance_id: n.instance_id.clone(),
            number: n.number.clone(),
            number_commodity_status: 0,
            phone_number_description: n.description.clone(),
            phone_number_id: n.id.clone(),
            privacy_number: api::list_phone_numbers::PrivacyNumber::default(),
            province: n.province.clone(),
            remaining_time: 0,
            sip_tel_x: String::new(),
            skill_groups: self.skill_groups(n),
            test_only: false,
            trunks: 1,
            usage: n.usage.clone(),
        }
    }

    /// The 2020 list item of `n` (seed 002): `Active, CreateTime` (epoch ms as a string),
    /// `UserId, Tags, City, InstanceId, Usage, ContactFlowName, Provider, Number, ContactFlowId,
    /// Province, SkillGroups[{DisplayName, InstanceId, Name, SkillGroupId}]`.
    pub fn list_item_2020_typed(
        &self,
        n: &phone_number::Model,
    ) -> api::list_phone_numbers_v2020::List {
        use api::list_phone_numbers_v2020::{List, SkillGroups};
        List {
            active: n.active,
            create_time: n.created_at.to_string(),
            user_id: String::new(),
            tags: String::new(),
            city: n.city.clone(),
            instance_id: n.instance_id.clone(),
            usage: n.usage.clone(),
            contact_flow_name: self.flow_of(n).map(|f| f.name.clone()).unwrap_or_default(),
            provider: String::new(),
            number: n.number.clone(),
            contact_flow_id: n.contact_flow_id.clone().unwrap_or_default(),
            province: n.province.clone(),
            skill_groups: self
                .named_groups(n)
                .into_iter()
                .map(|g| SkillGroups {
                    display_name: g.display_name.to_string(),
                    instance_id: n.instance_id.clone(),
                    name: g.name.to_string(),
                    skill_group_id: g.id_2020,
                })
                .collect(),
        }
    }

    /// [`Self::list_item_2020_typed`] as a JSON value.
    pub fn list_item_2020(&self, n: &phone_number::Model) -> Value {
        ccgate_plugin_sdk::serde_json::to_value(self.list_item_2020_typed(n)).unwrap_or_default()
    }

    /// [`Self::list_item_2020`] built with `json!`, as before the serde struct; kept for the
    /// benchmark that compares both (`render/list_items_2020*`).
    #[doc(hidden)]
    pub fn list_item_2020_json_macro(&self, n: &phone_number::Model) -> Value {
        let flow_name = self.flow_of(n).map(|f| f.name.as_str()).unwrap_or_default();
        let groups: Vec<Value> = self
            .named_groups(n)
            .into_iter()
            .map(|g| {
                json!({
                    "DisplayName": g.display_name,
                    "InstanceId": n.instance_id,
                    "Name": g.name,
                    "SkillGroupId": g.id_2020,
                })
            })
            .collect();
        json!({
            "Active": n.active,
            "CreateTime": n.created_at.to_string(),
            "UserId": "",
            "Tags": "",
            "City": n.city,
            "InstanceId": n.instance_id,
            "Usage": n.usage,
            "ContactFlowName": flow_name,
            "Provider": "",
            "Number": n.number,
            "ContactFlowId": n.contact_flow_id.as_deref().unwrap_or_default(),
            "Province": n.province,
            "SkillGroups": groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{FlowInfo, Renderer};
    use crate::storage::phone_number;

    fn number(i: i64, flow: Option<&str>) -> phone_number::Model {
        phone_number::Model {
            id: format!("id-{i}"),
            instance_id: "ccc-test".into(),
            number: format!("0531689624{i:02}"),
            usage: "Bidirection".into(),
            contact_flow_id: flow.map(str::to_string),
            description: "d".into(),
            province: "山东".into(),
            city: "济南".into(),
            active: i % 2 == 0,
            created_at: 1_615_217_689_000 + i,
            updated_at: 0,
        }
    }

    /// The serde struct renders exactly what the `json!` version rendered, key order included.
    #[test]
    fn list_item_2020_matches_the_json_macro_byte_for_byte() {
        let flow = FlowInfo {
            id: "flow-a".into(),
            name: "Wel\"come".into(),
            description: String::new(),
            kind: "0".into(),
            instance_id: "ccc-test".into(),
        };
        let renderer = Renderer {
            flows: Some(HashMap::from([(flow.id.clone(), flow)])),
            groups: HashMap::from([(
                "id-1".to_string(),
                vec!["b@ccc-test".to_string(), "a@ccc-test".to_string()],
            )]),
            group_info: None,
        };
        let rows = [
            number(1, Some("flow-a")),
            number(2, None),
            number(3, Some("flow-gone")),
        ];
        for n in &rows {
            let new = renderer.list_item_2020(n);
            let old = renderer.list_item_2020_json_macro(n);
            assert_eq!(new.to_string(), old.to_string());
        }
        let without_flows = Renderer::default();
        assert_eq!(
            without_flows.list_item_2020(&rows[0]).to_string(),
            without_flows
                .list_item_2020_json_macro(&rows[0])
                .to_string()
        );
    }

    #[test]
    fn skill_groups_are_named_by_agents_and_unknown_ones_left_out() {
        use crate::agents::GroupInfo;
        let mut renderer = Renderer {
            groups: HashMap::from([(
                "id-1".to_string(),
                vec!["sg-gone".to_string(), "sg-1".to_string()],
            )]),
            ..Renderer::default()
        };
        let n = number(1, None);
        // Agents disabled: ids as names.
        let names: Vec<(&str, &str)> = renderer
            .named_groups(&n)
            .iter()
            .map(|g| (g.id, g.name))
            .collect();
        assert_eq!(names, vec![("sg-gone", "sg-gone"), ("sg-1", "sg-1")]);
        renderer.group_info = Some(HashMap::from([(
            "sg-1".to_string(),
            GroupInfo {
                id: "sg-1".into(),
                name: "Sales".into(),
                display_name: "Sales".into(),
                instance_id: "ccc-test".into(),
            },
        )]));
        let item = renderer.list_item_2020(&n);
        assert_eq!(
            item["SkillGroups"],
            serde_json::json!([{"DisplayName": "Sales", "InstanceId": "ccc-test", "Name": "Sales", "SkillGroupId": "Sales@ccc-test"}])
        );
        assert_eq!(
            renderer.list_item_2020_json_macro(&n).to_string(),
            item.to_string()
        );
    }
}
