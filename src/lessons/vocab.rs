//! The fixed vocabularies of the lesson library, in one place.

use crate::vocab::vocabulary;

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
