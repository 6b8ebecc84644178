//! The fixed vocabularies of the lesson library, in one place.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] #[schema(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

vocabulary!(
    /// CASEL competency a lesson develops.
    Competency {
        SelfAwareness = "self_awareness",
        SelfManagement = "self_management",
        SocialAwareness = "social_awareness",
        RelationshipSkills = "relationship_skills",
        ResponsibleDecisionMaking = "responsible_decision_making",
    }
);

vocabulary!(
    /// The emotional-security component a lesson builds.
    Component {
        AttachmentTrust = "attachment_trust",
        EmotionalRegulation = "emotional_regulation",
        SafeCommunication = "safe_communication",
    }
);

vocabulary!(
    /// Grade band a lesson is written for.
    GradeBand {
        K2 = "K-2",
        G3to5 = "3-5",
        G6to8 = "6-8",
        G9to12 = "9-12",
    }
);

vocabulary!(
    /// How a student felt after a lesson: the fixed emotion vocabulary of reflections.
    Emotion {
        Calm = "calm",
        Happy = "happy",
        Proud = "proud",
        Hopeful = "hopeful",
        Curious = "curious",
        Tired = "tired",
        Worried = "worried",
        Sad = "sad",
        Angry = "angry",
        Frustrated = "frustrated",
        Overwhelmed = "overwhelmed",
        Lonely = "lonely",
    }
);
