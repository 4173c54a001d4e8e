//! The three contact flow types and their spellings in each API.
//!
//! - 2020-07-01 (seed 000, `Type` of ListContactFlows; CreateContactFlow on help.aliyun.com):
//!   `MAIN_FLOW` 主流程, `SUB_FLOW` 子流程, `SURVEY_FLOW` 满意度流程. This is the stored form.
//! - 2017-07-05 (seed 004 §4.2, `Type` "流程类型，定义来自于ContactFlowType"): only `Mainflow`
//!   is attested (ListContactFlows and ListVoiceAppraise examples). `Subflow` and
//!   `Surveyflow` are this gateway's spellings of the other two, following that pattern.
//!   CreateContactFlow also accepts the 2020 spellings.

/// A contact flow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowType {
    /// Main flow: entered by an incoming call.
    Main,
    /// Sub flow: entered from another flow.
    Sub,
    /// Satisfaction survey flow: entered when an agent transfers the caller to the survey.
    Survey,
}

impl FlowType {
    /// From any spelling: the 2017 `Mainflow` / `Subflow` / `Surveyflow` or the 2020
    /// `MAIN_FLOW` / `SUB_FLOW` / `SURVEY_FLOW` (the `Type` enumerations of the specs).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "MAIN_FLOW" | "Mainflow" => Some(Self::Main),
            "SUB_FLOW" | "Subflow" => Some(Self::Sub),
            "SURVEY_FLOW" | "Surveyflow" => Some(Self::Survey),
            _ => None,
        }
    }

    /// From the stored form; anything unknown reads as a main flow.
    pub fn from_stored(value: &str) -> Self {
        Self::parse(value).unwrap_or(Self::Main)
    }

    /// The 2020-07-01 spelling (stored form).
    pub fn as_2020(self) -> &'static str {
        match self {
            Self::Main => "MAIN_FLOW",
            Self::Sub => "SUB_FLOW",
            Self::Survey => "SURVEY_FLOW",
        }
    }

    /// The 2017-07-05 spelling.
    pub fn as_2017(self) -> &'static str {
        match self {
            Self::Main => "Mainflow",
            Self::Sub => "Subflow",
            Self::Survey => "Surveyflow",
        }
    }

    /// The activity `type` a definition of this flow type must start with: `INCOMING_CALL`
    /// for main flows (seed 000's example), `START` for sub and survey flows, which are
    /// entered from a running call rather than by one arriving.
    pub fn start_activity(self) -> &'static str {
        match self {
            Self::Main => "INCOMING_CALL",
            Self::Sub | Self::Survey => "START",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FlowType;

    #[test]
    fn spellings_round_trip() {
        for t in [FlowType::Main, FlowType::Sub, FlowType::Survey] {
            assert_eq!(FlowType::parse(t.as_2020()), Some(t));
            assert_eq!(FlowType::parse(t.as_2017()), Some(t));
            assert_eq!(FlowType::from_stored(t.as_2020()), t);
        }
        assert_eq!(FlowType::parse("mainflow"), None);
        assert_eq!(FlowType::Sub.start_activity(), "START");
        assert_eq!(FlowType::Main.start_activity(), "INCOMING_CALL");
    }
}
