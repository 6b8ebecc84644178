//! Response scales, indicators and PPRA areas of survey items, in one place.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A response scale: the values a student may answer and what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 1 Strongly disagree … 5 Strongly agree.
    #[serde(rename = "agreement_5")]
    Agreement5,
    /// 1 Never … 5 Several times a week.
    #[serde(rename = "frequency_5")]
    Frequency5,
    /// 1 No, 2 Yes.
    YesNo,
}

impl Scale {
    pub const ALL: [Scale; 3] = [Scale::Agreement5, Scale::Frequency5, Scale::YesNo];

    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Agreement5 => "agreement_5",
            Scale::Frequency5 => "frequency_5",
            Scale::YesNo => "yes_no",
        }
    }

    pub fn parse(s: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The answer options, as `(value, label)`.
    pub fn options(self) -> &'static [(i32, &'static str)] {
        match self {
            Scale::Agreement5 => &[
                (1, "Strongly disagree"),
                (2, "Disagree"),
                (3, "Neither agree nor disagree"),
                (4, "Agree"),
                (5, "Strongly agree"),
            ],
            Scale::Frequency5 => &[
                (1, "Never"),
                (2, "Once or twice"),
                (3, "2-3 times a month"),
                (4, "About once a week"),
                (5, "Several times a week"),
            ],
            Scale::YesNo => &[(1, "No"), (2, "Yes")],
        }
    }

    pub fn accepts(self, value: i32) -> bool {
        self.options().iter().any(|(v, _)| *v == value)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Belonging,
    BullyingVictimization,
    Safety,
    EmotionRegulation,
    TrustedAdult,
    PeerSupport,
}

impl Indicator {
    pub const ALL: [Indicator; 6] = [
        Indicator::Belonging,
        Indicator::BullyingVictimization,
        Indicator::Safety,
        Indicator::EmotionRegulation,
        Indicator::TrustedAdult,
        Indicator::PeerSupport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Belonging => "belonging",
            Indicator::BullyingVictimization => "bullying_victimization",
            Indicator::Safety => "safety",
            Indicator::EmotionRegulation => "emotion_regulation",
            Indicator::TrustedAdult => "trusted_adult",
            Indicator::PeerSupport => "peer_support",
        }
    }

    pub fn parse(s: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Protected areas of the Protection of Pupil Rights Amendment (20 U.S.C. § 1232h) an item
/// touches; an instrument touching any needs parental notice and opt-out.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PpraArea {
    PoliticalAffiliations,
    MentalOrPsychologicalProblems,
    SexBehaviorOrAttitudes,
    IllegalOrAntisocialBehavior,
    CriticalAppraisalsOfFamily,
    PrivilegedRelationships,
    ReligiousPractices,
    Income,
}
