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

use ccgate_plugin_sdk::serde_json::{Map, Value, json};
use ccgate_plugin_sdk::{ApiResult, Context};

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

/// A `{Number, Province, City}` object (§6.6 `PhoneNumber`, §6.7 `Caller`/`Callee`).
pub fn located_number(number: &str, province: &str, city: &str) -> Value {
    json!({"Number": number, "Province": province, "City": city})
}
