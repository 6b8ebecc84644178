//! What a school or district goal measures: a figure the product already computes and
//! publishes to the same readers (a climate report's indicator, the SEL activity of lessons,
//! mentoring numbers), never a new cut of the data.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocab::ClimateMeasure;
use crate::lessons::vocab::Competency;
use crate::surveys::vocab::Indicator;
use crate::vocab::vocabulary;

vocabulary!(
    /// Which figure a goal follows:
    /// - `climate`: a climate indicator of one questionnaire lineage, measured by its closed
    ///   windows: percent favorable (0–100), frequent victimization (0–100) or the index (1–5),
    ///   for the whole school or district or a grade or grade group;
    /// - `lessons_delivered`: lessons delivered per class per month in a term;
    /// - `lesson_completion`: percent of the students of delivered lessons' classes who
    ///   completed them, in a term;
    /// - `mentoring_students_served`: distinct students (mentors and mentees) in a mentoring
    ///   match active during a term;
    /// - `mentoring_on_cadence`: percent of the active mentoring matches that are on cadence
    ///   (as of the term's end, or today).
    MetricKind {
        Climate = "climate",
        LessonsDelivered = "lessons_delivered",
        LessonCompletion = "lesson_completion",
        MentoringStudentsServed = "mentoring_students_served",
        MentoringOnCadence = "mentoring_on_cadence",
    }
);

/// The figure a goal follows. `kind` says which; `lineage_id`, `indicator`, `measure` and
/// `grades` belong to climate metrics (the first three required), `competency` to lesson
/// metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub kind: MetricKind,
    /// The questionnaire lineage (`instrument_lineage_id` of a report); when setting a goal,
    /// by default the lineage of its baseline window.
    #[schema(max_length = 64)]
    pub lineage_id: Option<String>,
    pub indicator: Option<Indicator>,
    pub measure: Option<ClimateMeasure>,
    /// A grade or grade group; empty (the default): every grade.
    #[serde(default)]
    #[schema(maximum = 12, minimum = 0)]
    pub grades: Vec<i32>,
    /// One CASEL competency; absent: every lesson.
    pub competency: Option<Competency>,
}

/// A climate metric's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ClimateMetric {
    pub lineage_id: String,
    pub indicator: Indicator,
    pub measure: ClimateMeasure,
    pub grades: Vec<i32>,
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

impl Metric {
    /// A climate metric's fields.
    pub fn climate(&self) -> Option<ClimateMetric> {
        if self.kind != MetricKind::Climate {
            return None;
        }
        Some(ClimateMetric {
            lineage_id: self.lineage_id.clone()?,
            indicator: self.indicator?,
            measure: self.measure?,
            grades: self.grades.clone(),
        })
    }

    /// A lesson metric's competency (None: every lesson, or not a lesson metric).
    pub fn competency(&self) -> Option<Competency> {
        self.competency
    }

    fn climate_measure(&self) -> Option<ClimateMeasure> {
        self.climate().map(|c| c.measure)
    }

    pub fn direction(&self) -> Direction {
        match self.climate_measure() {
            Some(ClimateMeasure::FrequentVictimization) => Direction::Down,
            _ => Direction::Up,
        }
    }

    /// The unit of its values, for people.
    pub fn unit(&self) -> &'static str {
        match (self.kind, self.climate_measure()) {
            (MetricKind::Climate, Some(ClimateMeasure::Index)) => "index (1-5)",
            (
                MetricKind::Climate | MetricKind::LessonCompletion | MetricKind::MentoringOnCadence,
                _,
            ) => "percent",
            (MetricKind::LessonsDelivered, _) => "lessons per class per month",
            (MetricKind::MentoringStudentsServed, _) => "students",
        }
    }

    /// The values a target may take.
    pub fn range(&self) -> (f64, f64) {
        match (self.kind, self.climate_measure()) {
            (MetricKind::Climate, Some(ClimateMeasure::Index)) => (1.0, 5.0),
            (MetricKind::MentoringStudentsServed, _) => (0.0, 100_000.0),
            _ => (0.0, 100.0),
        }
    }

    /// A problem with the metric itself, before any data is read: the field and the message.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.kind != MetricKind::Climate {
            let climate_field = [
                ("metric.lineage_id", self.lineage_id.is_some()),
                ("metric.indicator", self.indicator.is_some()),
                ("metric.measure", self.measure.is_some()),
                ("metric.grades", !self.grades.is_empty()),
            ]
            .into_iter()
            .find(|(_, given)| *given);
            if let Some((field, _)) = climate_field {
                return Err((field, "belongs to climate metrics only".to_owned()));
            }
            let lesson = matches!(
                self.kind,
                MetricKind::LessonsDelivered | MetricKind::LessonCompletion
            );
            if !lesson && self.competency.is_some() {
                return Err((
                    "metric.competency",
                    "belongs to lesson metrics only".to_owned(),
                ));
            }
            return Ok(());
        }
        if self.competency.is_some() {
            return Err((
                "metric.competency",
                "belongs to lesson metrics only".to_owned(),
            ));
        }
        for (field, given) in [
            ("metric.lineage_id", self.lineage_id.is_some()),
            ("metric.indicator", self.indicator.is_some()),
            ("metric.measure", self.measure.is_some()),
        ] {
            if !given {
                return Err((field, "a climate metric needs it".to_owned()));
            }
        }
        let Some(c) = self.climate() else {
            return Ok(());
        };
        if c.lineage_id.is_empty() || c.lineage_id.len() > 64 {
            return Err(("metric.lineage_id", "must be 1 to 64 characters".to_owned()));
        }
        let bullying = c.indicator == Indicator::BullyingVictimization;
        match (c.measure, bullying) {
            (ClimateMeasure::FrequentVictimization, false) => {
                return Err((
                    "metric.measure",
                    "frequent_victimization is a figure of bullying_victimization only".to_owned(),
                ))
            }
            (ClimateMeasure::PercentFavorable | ClimateMeasure::Index, true) => {
                return Err((
                    "metric.measure",
                    "bullying_victimization is measured as frequent_victimization".to_owned(),
                ))
            }
            _ => {}
        }
        if c.grades.iter().any(|g| !(0..=12).contains(g)) {
            return Err((
                "metric.grades",
                "grades are 0 (kindergarten) to 12".to_owned(),
            ));
        }
        let mut sorted = c.grades.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != c.grades.len() {
            return Err(("metric.grades", "lists a grade twice".to_owned()));
        }
        Ok(())
    }

    /// The same metric with its grades in order (stored and compared so).
    pub fn normalized(mut self) -> Metric {
        self.grades.sort();
        self
    }
}
