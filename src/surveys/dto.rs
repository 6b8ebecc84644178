//! Request bodies and query parameters of the survey routes, with their validation rules.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::vocab::{BullyingForm, Indicator, PpraArea, Scale};
use crate::pagination::paged;
use crate::rosters::dto::validate_not_blank;

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(
    function = "form_of_victimization_items_only",
    skip_on_field_errors = false
))]
pub struct NewItem {
    #[validate(length(min = 1, max = 500), custom(function = "validate_not_blank"))]
    pub prompt: String,
    pub scale: Scale,
    pub indicator: Indicator,
    #[serde(default)]
    pub reverse_scored: bool,
    #[serde(default = "default_true")]
    pub required: bool,
    #[serde(default)]
    #[validate(length(max = 8))]
    pub ppra_areas: Vec<PpraArea>,
    /// Bullying victimization items only: the form of bullying the item asks about, so the
    /// reports show each form's prevalence (an item without one counts toward the indicator's
    /// overall figures only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bullying_form: Option<BullyingForm>,
}

fn form_of_victimization_items_only(i: &NewItem) -> Result<(), ValidationError> {
    if i.bullying_form.is_none() || i.indicator == Indicator::BullyingVictimization {
        Ok(())
    } else {
        let mut e = ValidationError::new("bullying_form");
        e.message = Some("only bullying_victimization items have a bullying_form".into());
        Err(e)
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSection {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    #[validate(length(min = 1, max = 100), nested)]
    pub items: Vec<NewItem>,
}

/// A new questionnaire version (a draft until published). Give `lineage_id` to make it the
/// next version of an existing questionnaire, so reports can trend across versions.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "grades_in_order", skip_on_field_errors = false))]
pub struct NewInstrument {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    #[validate(length(min = 1, max = 2000), custom(function = "validate_not_blank"))]
    pub description: String,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade_min: i32,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade_max: i32,
    #[validate(length(min = 1, max = 64))]
    pub lineage_id: Option<String>,
    #[validate(length(min = 1, max = 20), nested)]
    pub sections: Vec<NewSection>,
}

fn grades_in_order(i: &NewInstrument) -> Result<(), ValidationError> {
    if i.grade_min <= i.grade_max {
        Ok(())
    } else {
        Err(ValidationError::new("grade_min")
            .with_message("grade_min must not exceed grade_max".into()))
    }
}

/// Open a survey window: one published instrument for chosen schools and grades.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "window_dates_in_order", skip_on_field_errors = false))]
pub struct NewWindow {
    #[validate(length(min = 1, max = 64))]
    pub instrument_id: String,
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    #[validate(length(min = 1, max = 100))]
    pub school_ids: Vec<String>,
    #[validate(length(min = 1, max = 13), custom(function = "validate_grades"))]
    #[schema(minimum = 0, maximum = 12)]
    pub grades: Vec<i32>,
    /// Minimum respondents for a report cell to be shown (default 10, never below 5).
    #[validate(range(min = 5, max = 1000))]
    #[schema(minimum = 5, maximum = 1000)]
    pub min_cell_size: Option<i32>,
}

fn window_dates_in_order(w: &NewWindow) -> Result<(), ValidationError> {
    if w.opens_at < w.closes_at {
        Ok(())
    } else {
        Err(ValidationError::new("closes_at")
            .with_message("closes_at must be after opens_at".into()))
    }
}

fn validate_grades(grades: &[i32]) -> Result<(), ValidationError> {
    if grades.iter().all(|g| (0..=12).contains(g)) {
        Ok(())
    } else {
        Err(ValidationError::new("grades").with_message("grades are 0 (kindergarten) to 12".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOptOut {
    #[validate(length(min = 1, max = 64))]
    pub student_id: String,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    #[validate(length(min = 1, max = 64))]
    pub item_id: String,
    #[schema(minimum = 1, maximum = 5)]
    pub value: i32,
}

/// All answers of one student at once. Values must be one of the item's option values.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    #[validate(length(min = 1, max = 200), nested)]
    pub answers: Vec<Answer>,
}

/// The query of `GET /survey-windows`: an optional state, and paging.
#[derive(Debug, Clone, Copy, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WindowFilter {
    /// Only windows in this state now: `upcoming` (not yet open), `open` or `closed`.
    pub state: Option<super::models::WindowState>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(WindowFilter);
