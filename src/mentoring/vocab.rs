//! The fixed vocabularies of peer mentoring, in one place.

use crate::vocab::vocabulary;

vocabulary!(
    /// What a participant likes doing: shared interests make a match easier to start.
    Interest {
        Arts = "arts",
        Music = "music",
        Sports = "sports",
        Gaming = "gaming",
        Reading = "reading",
        ScienceTech = "science_tech",
        Outdoors = "outdoors",
        Cooking = "cooking",
        Animals = "animals",
        Drama = "drama",
        BuildingMaking = "building_making",
        Languages = "languages",
    }
);

vocabulary!(
    /// School day a participant is free to meet.
    Weekday {
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
    }
);

vocabulary!(
    /// Part of the school day a participant is free to meet.
    Period {
        BeforeSchool = "before_school",
        Lunch = "lunch",
        AfterSchool = "after_school",
    }
);

vocabulary!(
    /// Whether a participant mentors or is mentored in a program.
    ParticipantRole {
        Mentor = "mentor",
        Mentee = "mentee",
    }
);

vocabulary!(
    /// Where a match is in its life: suggested pairs a counselor accepted start as `proposed`
    /// (introductions, guardian consent), become `active` when they start meeting, and end `closed`.
    MatchStatus {
        Proposed = "proposed",
        Active = "active",
        Closed = "closed",
    }
);

vocabulary!(
    /// Why a match ended.
    ClosureReason {
        ProgramEnded = "program_ended",
        StudentMoved = "student_moved",
        Mismatch = "mismatch",
        SafetyConcern = "safety_concern",
        Other = "other",
    }
);

vocabulary!(
    /// What a meeting was about.
    Topic {
        EmotionLabeling = "emotion_labeling",
        Grounding = "grounding",
        Communication = "communication",
        ConflictRepair = "conflict_repair",
        SchoolWork = "school_work",
        Friendships = "friendships",
        Other = "other",
    }
);
