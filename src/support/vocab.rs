//! The fixed vocabularies of student support, in one place. A check-in's feeling is the
//! emotion vocabulary of lesson reflections (`crate::lessons::vocab::Emotion`).

use crate::lessons::vocab::Emotion;
use crate::vocab::vocabulary;

vocabulary!(
    /// What a student wants to talk about.
    HelpTopic {
        Friends = "friends",
        Family = "family",
        FeelingDownOrWorried = "feeling_down_or_worried",
        SchoolWork = "school_work",
        SomeoneIsHurtingMe = "someone_is_hurting_me",
        SomethingElse = "something_else",
    }
);

vocabulary!(
    /// How soon the student wants to talk.
    Urgency {
        Today = "today",
        ThisWeek = "this_week",
    }
);

vocabulary!(
    /// Where a help request is: `new → acknowledged → met → closed`; the student may withdraw
    /// it before it is met.
    HelpState {
        New = "new",
        Acknowledged = "acknowledged",
        Met = "met",
        Closed = "closed",
        Withdrawn = "withdrawn",
    }
);

vocabulary!(
    /// Why a help request was closed.
    ClosingReason {
        Resolved = "resolved",
        OngoingSupport = "ongoing_support",
        Referred = "referred",
        CouldNotReach = "could_not_reach",
        Other = "other",
    }
);

impl HelpState {
    /// The one state a request may move to from this one by staff action (none from `closed`
    /// or `withdrawn`): no step is skipped.
    pub fn next(self) -> Option<HelpState> {
        match self {
            HelpState::New => Some(HelpState::Acknowledged),
            HelpState::Acknowledged => Some(HelpState::Met),
            HelpState::Met => Some(HelpState::Closed),
            HelpState::Closed | HelpState::Withdrawn => None,
        }
    }

    /// Still waiting for, or in, a conversation.
    pub fn is_open(self) -> bool {
        matches!(self, HelpState::New | HelpState::Acknowledged)
    }
}

/// Feelings that count as distressing in the "students to notice" rule. `tired` is neither
/// pleasant nor distressing.
pub fn distressing(emotion: Emotion) -> bool {
    matches!(
        emotion,
        Emotion::Worried
            | Emotion::Sad
            | Emotion::Angry
            | Emotion::Frustrated
            | Emotion::Overwhelmed
            | Emotion::Lonely
    )
}
