//! What a school or district goal measures: a figure the product already computes and
//! publishes to the same readers (a climate report's indicator, the SEL activity of lessons,
//! mentoring numbers), never a new cut of the data.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocab::ClimateMeasure;
use crate::lessons::vocab::Competency;
use crate::surveys::vocab::Indicator;

/// The figure a goal follows. `kind` says which; the other fields depend on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Metric {
    /// A climate indicator of one questionnaire lineage, measured by its closed windows: percent
    /// favorable (0–100), frequent victimization (0–100) or the index (1–5), for the whole
    /// school or district or for a grade or grade group (`grades`).
    Climate(ClimateMetric),
    /// Lessons delivered per class per month in a term (all competencies, or one).
    LessonsDelivered(LessonMetric),
    /// Percent of the students of delivered lessons' classes who completed them, in a term.
    LessonCompletion(LessonMetric),
    /// Distinct students (mentors and mentees) in a mentoring match active during a term.
    MentoringStudentsServed(MentoringMetric),
    /// Percent of the active mentoring matches that are on cadence (as of the term's end, or
    /// today).
    MentoringOnCadence(MentoringMetric),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClimateMetric {
    /// The questionnaire lineage (`instrument_lineage_id` of a report).
    #[schema(max_length = 64)]
    pub lineage_id: String,
    pub indicator: Indicator,
    pub measure: ClimateMeasure,
    /// A grade or grade group; empty (the default): every grade.
    #[serde(default)]
    #[schema(maximum = 12, minimum = 0)]
    pub grades: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LessonMetric {
    /// One CASEL competency; absent: every lesson.
    #[serde(default)]
    pub competency: Option<Competency>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentoringMetric {}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

impl Metric {
    pub fn direction(&self) -> Direction {
        match self {
            Metric::Climate(c) if c.measure == ClimateMeasure::FrequentVictimization => {
                Direction::Down
            }
            _ => Direction::Up,
        }
    }

    /// Whether its values come from survey windows (else from terms).
    pub fn is_climate(&self) -> bool {
        matches!(self, Metric::Climate(_))
    }

    /// The unit of its values, for people.
    pub fn unit(&self) -> &'static str {
        match self {
            Metric::Climate(c) if c.measure == ClimateMeasure::Index => "index (1-5)",
            Metric::Climate(_) | Metric::LessonCompletion(_) | Metric::MentoringOnCadence(_) => {
                "percent"
            }
            Metric::LessonsDelivered(_) => "lessons per class per month",
            Metric::MentoringStudentsServed(_) => "students",
        }
    }

    /// The values a target may take.
    pub fn range(&self) -> (f64, f64) {
        match self {
            Metric::Climate(c) if c.measure == ClimateMeasure::Index => (1.0, 5.0),
            Metric::Climate(_) | Metric::LessonCompletion(_) | Metric::MentoringOnCadence(_) => {
                (0.0, 100.0)
            }
            Metric::LessonsDelivered(_) => (0.0, 100.0),
            Metric::MentoringStudentsServed(_) => (0.0, 100_000.0),
        }
    }

    /// A problem with the metric itself, before any data is read: the field and the message.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let Metric::Climate(c) = self else {
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
        if let Metric::Climate(c) = &mut self {
            c.grades.sort();
        }
        self
    }
}
