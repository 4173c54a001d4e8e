//! Rendering of phone numbers in the shapes of the seeds: the 2017 `PhoneNumber` object (seed 004
//! §6.1 AddPhoneNumber, §6.3 ModifyPhoneNumber, §6.4 ListPhoneNumbers, §6.8
//! AddBulkPhoneNumbers) and the 2020 list item (seed 002).
//!
//! Values ccgate has no source for are rendered as constants and documented here:
//! - `Trunks` 1, `TestOnly` false, `RemainingTime` 0 (no carrier data; test numbers do not exist);
//! - 2017 `Assignee` "" and `NumberCommodityStatus` 0 (normal); `PrivacyNumber` and `SipTelX`
//!   are omitted (no privacy/virtual numbers);
//! - 2020 `UserId`, `Tags` and `Provider` "" (no agent-exclusive numbers, tags or carriers);
//! - skill group names: the agents domain does not exist yet, so `SkillGroupName`, `Name` and
//!   `DisplayName` are the skill group id.
//!
//! Rendering several numbers costs one skill-group query and one `flows`/`get` call in total
//! ([`Renderer::load`]), whatever the number count.

use std::collections::HashMap;

use ccgate_plugin_sdk::serde_json::{self as serde_json, Map, Value, json};
use ccgate_plugin_sdk::{ApiResult, Context};
use serde::{Serialize, Serializer};

use crate::flows::{self, FlowInfo};
use crate::rules;
use crate::storage::{self, phone_number};

/// Which optional parts of the 2017 `PhoneNumber` object an action shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape2017 {
    /// `SkillGroups: {SkillGroup: [...]}` (§6.3, §6.4, §6.8; not in §6.1).
    pub skill_groups: bool,
    /// The list-only fields `Assignee`, `NumberCommodityStatus`, `Province`, `City` (§6.4).
    pub list_fields: bool,
}

/// The related data needed to render a set of numbers.
#[derive(Debug, Default)]
pub struct Renderer {
    /// Contact flows by id; `None` when the flows plugin is disabled.
    pub flows: Option<HashMap<String, FlowInfo>>,
    /// Skill group ids by `PhoneNumberId`.
    pub groups: HashMap<String, Vec<String>>,
}

impl Renderer {
    /// Loads the flows and skill groups of `numbers`: one query and one cross-plugin call.
    pub async fn load(ctx: &Context, numbers: &[phone_number::Model]) -> ApiResult<Self> {
        let ids: Vec<String> = numbers.iter().map(|n| n.id.clone()).collect();
        let groups = storage::skill_groups_of(&ctx.db, &ids).await?;
        let flow_ids: Vec<String> = numbers
            .iter()
            .filter_map(|n| n.contact_flow_id.clone())
            .collect();
        let flows = flows::get_flows(ctx, &flow_ids).await?;
        Ok(Self { flows, groups })
    }

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

    /// The 2017 `PhoneNumber` object of `n`:
    /// `{PhoneNumberId, InstanceId, Number, PhoneNumberDescription, TestOnly, RemainingTime,
    /// AllowOutbound, Usage, Trunks, [Assignee, NumberCommodityStatus, Province, City],
    /// [ContactFlow{...}], [SkillGroups{SkillGroup[{SkillGroupName, SkillGroupId}]}]}`.
    /// `ContactFlow` is present only when a flow is bound and known.
    pub fn phone_number_2017(&self, n: &phone_number::Model, shape: Shape2017) -> Value {
        let mut m = Map::new();
        m.insert("PhoneNumberId".into(), json!(n.id));
        m.insert("InstanceId".into(), json!(n.instance_id));
        m.insert("Number".into(), json!(n.number));
        m.insert("PhoneNumberDescription".into(), json!(n.description));
        m.insert("TestOnly".into(), json!(false));
        m.insert("RemainingTime".into(), json!(0));
        m.insert(
            "AllowOutbound".into(),
            json!(rules::allow_outbound(&n.usage)),
        );
        m.insert("Usage".into(), json!(n.usage));
        m.insert("Trunks".into(), json!(1));
        if shape.list_fields {
            m.insert("Assignee".into(), json!(""));
            m.insert("NumberCommodityStatus".into(), json!(0));
            m.insert("Province".into(), json!(n.province));
            m.insert("City".into(), json!(n.city));
        }
        if let Some(flow) = self.flow_of(n) {
            m.insert("ContactFlow".into(), flow.to_json());
        }
        if shape.skill_groups {
            let groups: Vec<Value> = self
                .groups_of(n)
                .iter()
                .map(|id| json!({"SkillGroupName": id, "SkillGroupId": id}))
                .collect();
            m.insert("SkillGroups".into(), json!({ "SkillGroup": groups }));
        }
        Value::Object(m)
    }

    /// The 2020 list item of `n` (seed 002), keys exactly: `Active, CreateTime` (epoch ms as a
    /// string), `UserId, Tags, City, InstanceId, Usage, ContactFlowName, Provider, Number,
    /// ContactFlowId, Province, SkillGroups[{DisplayName, InstanceId, Name, SkillGroupId}]`.
    pub fn list_item_2020(&self, n: &phone_number::Model) -> Value {
        let item = ListItem2020 {
            active: n.active,
            create_time: n.created_at,
            user_id: "",
            tags: "",
            city: &n.city,
            instance_id: &n.instance_id,
            usage: &n.usage,
            contact_flow_name: self.flow_of(n).map(|f| f.name.as_str()).unwrap_or_default(),
            provider: "",
            number: &n.number,
            contact_flow_id: n.contact_flow_id.as_deref().unwrap_or_default(),
            province: &n.province,
            skill_groups: SkillGroups2020 {
                ids: self.groups_of(n),
                instance_id: &n.instance_id,
            },
        };
        serde_json::to_value(item).unwrap_or_default()
    }

    /// [`Self::list_item_2020`] built with `json!`, as before the serde struct; kept for the
    /// benchmark that compares both (`render/list_items_2020*`).
    #[doc(hidden)]
    pub fn list_item_2020_json_macro(&self, n: &phone_number::Model) -> Value {
        let flow_name = self.flow_of(n).map(|f| f.name.as_str()).unwrap_or_default();
        let groups: Vec<Value> = self
            .groups_of(n)
            .iter()
            .map(|id| {
                json!({
                    "DisplayName": id,
                    "InstanceId": n.instance_id,
                    "Name": id,
                    "SkillGroupId": id,
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

/// The 2020 list item; field order is the documented key order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListItem2020<'a> {
    active: bool,
    #[serde(serialize_with = "as_string")]
    create_time: i64,
    user_id: &'a str,
    tags: &'a str,
    city: &'a str,
    instance_id: &'a str,
    usage: &'a str,
    contact_flow_name: &'a str,
    provider: &'a str,
    number: &'a str,
    contact_flow_id: &'a str,
    province: &'a str,
    skill_groups: SkillGroups2020<'a>,
}

/// `SkillGroups[{DisplayName, InstanceId, Name, SkillGroupId}]`, names being the ids.
struct SkillGroups2020<'a> {
    ids: &'a [String],
    instance_id: &'a str,
}

impl Serialize for SkillGroups2020<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Group<'a> {
            display_name: &'a str,
            instance_id: &'a str,
            name: &'a str,
            skill_group_id: &'a str,
        }
        s.collect_seq(self.ids.iter().map(|id| Group {
            display_name: id,
            instance_id: self.instance_id,
            name: id,
            skill_group_id: id,
        }))
    }
}

fn as_string<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// A `{Number, Province, City}` object (§6.6 `PhoneNumber`, §6.7 `Caller`/`Callee`).
pub fn located_number(number: &str, province: &str, city: &str) -> Value {
    json!({"Number": number, "Province": province, "City": city})
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
}
