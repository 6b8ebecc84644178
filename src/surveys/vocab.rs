//! Response scales, indicators and PPRA areas of survey items, in one place.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::vocab::vocabulary;

vocabulary!(
    /// A response scale: `agreement_5` (1 Strongly disagree … 5 Strongly agree), `frequency_5`
    /// (1 Never … 5 Several times a week) or `yes_no` (1 No, 2 Yes).
    Scale {
        Agreement5 = "agreement_5",
        Frequency5 = "frequency_5",
        YesNo = "yes_no",
    }
);

impl Scale {
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

vocabulary!(
    /// The indicator an item feeds.
    Indicator {
        Belonging = "belonging",
        BullyingVictimization = "bullying_victimization",
        Safety = "safety",
        EmotionRegulation = "emotion_regulation",
        TrustedAdult = "trusted_adult",
        PeerSupport = "peer_support",
    }
);

vocabulary!(
    /// The form of bullying a victimization item asks about, so each form is reported on its own:
    /// `physical` (being hurt, threatened, or having belongings taken or damaged), `verbal`
    /// (insults, mockery, name-calling to one's face), `social` (being left out on purpose,
    /// rumours, friends turned against one) or `cyber` (through phones, chats, social media or
    /// games).
    BullyingForm {
        Physical = "physical",
        Verbal = "verbal",
        Social = "social",
        Cyber = "cyber",
    }
);

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
