//! The fixed vocabularies of goals, in one place.

use crate::vocab::vocabulary;

vocabulary!(
    /// Whose goal it is: a school's, the district's, or one student's.
    GoalKind {
        School = "school",
        District = "district",
        Student = "student",
    }
);

vocabulary!(
    /// How often a school or district goal is reviewed.
    ReviewCadence {
        Monthly = "monthly",
        Quarterly = "quarterly",
    }
);

impl ReviewCadence {
    pub fn months(self) -> u32 {
        match self {
            ReviewCadence::Monthly => 1,
            ReviewCadence::Quarterly => 3,
        }
    }
}

vocabulary!(
    /// Whether a goal is still pursued.
    GoalState {
        Active = "active",
        Closed = "closed",
    }
);

vocabulary!(
    /// Where a school or district goal stands (`status::status`): `logging` is the status of a
    /// student's goal, which is read from its weekly trend instead.
    GoalStatus {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        Met = "met",
        NotMet = "not_met",
        NotMeasurable = "not_measurable",
        Logging = "logging",
    }
);

vocabulary!(
    /// Which figure of a climate indicator a goal follows: `percent_favorable` (scale
    /// indicators), `frequent_victimization` (bullying victimization) or `index` (the mean 1–5
    /// of a scale indicator).
    ClimateMeasure {
        PercentFavorable = "percent_favorable",
        FrequentVictimization = "frequent_victimization",
        Index = "index",
    }
);

vocabulary!(
    /// What a student logs towards a personal goal, once a day: `times_used` (how many times
    /// they used a strategy; the week's total counts), `minutes_to_calm` (how long it took to
    /// feel calm again; the week's mean counts, lower is better) or `yes_days` (0 or 1: whether
    /// they did it that day; the week's days count).
    StudentMeasure {
        TimesUsed = "times_used",
        MinutesToCalm = "minutes_to_calm",
        YesDays = "yes_days",
    }
);

impl StudentMeasure {
    /// The largest value one day's log may hold.
    pub fn max_per_day(self) -> i32 {
        match self {
            StudentMeasure::TimesUsed => 50,
            StudentMeasure::MinutesToCalm => 240,
            StudentMeasure::YesDays => 1,
        }
    }

    /// Whether a smaller week is better.
    pub fn lower_is_better(self) -> bool {
        self == StudentMeasure::MinutesToCalm
    }
}

impl GoalState {
    pub fn is_active(self) -> bool {
        self == GoalState::Active
    }
}
