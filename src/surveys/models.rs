//! Survey rows as stored, and the shapes the API returns for them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::vocab::{BullyingForm, Indicator, PpraArea, Scale};
use crate::db::schema::{survey_instruments, survey_items, survey_windows};
use crate::vocab::vocabulary;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_instruments)]
pub struct InstrumentRow {
    pub id: String,
    pub district_id: String,
    pub lineage_id: String,
    pub version: i32,
    pub status: InstrumentStatus,
    pub title: String,
    pub description: String,
    pub grade_min: i32,
    pub grade_max: i32,
    pub created_by: String,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl InstrumentRow {
    pub fn is_published(&self) -> bool {
        self.status == InstrumentStatus::Published
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_items)]
pub struct ItemRow {
    pub id: String,
    pub instrument_id: String,
    pub position: i32,
    pub section: String,
    pub prompt: String,
    pub scale: Scale,
    pub indicator: Indicator,
    pub reverse_scored: bool,
    pub required: bool,
    pub ppra_areas: String,
    pub bullying_form: Option<BullyingForm>,
}

impl ItemRow {
    pub fn scale(&self) -> Scale {
        self.scale
    }

    pub fn indicator(&self) -> Indicator {
        self.indicator
    }

    pub fn bullying_form(&self) -> Option<BullyingForm> {
        self.bullying_form
    }

    pub fn ppra(&self) -> Vec<PpraArea> {
        serde_json::from_str(&self.ppra_areas).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerOption {
    #[schema(minimum = 1, maximum = 5)]
    pub value: i32,
    pub label: String,
}

pub fn options(scale: Scale) -> Vec<AnswerOption> {
    scale
        .options()
        .iter()
        .map(|(value, label)| AnswerOption {
            value: *value,
            label: (*label).to_owned(),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Item {
    pub id: String,
    #[schema(minimum = 1)]
    pub position: i32,
    pub prompt: String,
    pub scale: Scale,
    pub indicator: Indicator,
    pub reverse_scored: bool,
    pub required: bool,
    pub ppra_areas: Vec<PpraArea>,
    /// Bullying victimization items: the form of bullying asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bullying_form: Option<BullyingForm>,
    pub options: Vec<AnswerOption>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

vocabulary!(
    InstrumentStatus {
        Draft = "draft",
        Published = "published",
    }
);

/// A questionnaire version with every item, exactly as students see it once published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Instrument {
    pub id: String,
    pub lineage_id: String,
    #[schema(minimum = 1)]
    pub version: i32,
    pub status: InstrumentStatus,
    pub title: String,
    pub description: String,
    #[schema(minimum = 0, maximum = 12)]
    pub grade_min: i32,
    #[schema(minimum = 0, maximum = 12)]
    pub grade_max: i32,
    /// Every PPRA protected area any item touches: non-empty means parental notice and opt-out.
    pub ppra_areas: Vec<PpraArea>,
    pub sections: Vec<Section>,
    #[serde(serialize_with = "crate::dates::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstrumentSummary {
    pub id: String,
    pub lineage_id: String,
    #[schema(minimum = 1)]
    pub version: i32,
    pub status: InstrumentStatus,
    pub title: String,
    #[schema(minimum = 0, maximum = 12)]
    pub grade_min: i32,
    #[schema(minimum = 0, maximum = 12)]
    pub grade_max: i32,
    #[serde(serialize_with = "crate::dates::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
}

impl InstrumentRow {
    pub fn summary(&self) -> InstrumentSummary {
        InstrumentSummary {
            id: self.id.clone(),
            lineage_id: self.lineage_id.clone(),
            version: self.version,
            status: self.status,
            title: self.title.clone(),
            grade_min: self.grade_min,
            grade_max: self.grade_max,
            published_at: self.published_at,
        }
    }

    pub fn with_items(&self, items: Vec<ItemRow>) -> Instrument {
        let mut sections: Vec<Section> = Vec::new();
        let mut ppra: Vec<PpraArea> = Vec::new();
        for row in items {
            let item = Item {
                id: row.id.clone(),
                position: row.position,
                prompt: row.prompt.clone(),
                scale: row.scale(),
                indicator: row.indicator(),
                reverse_scored: row.reverse_scored,
                required: row.required,
                ppra_areas: row.ppra(),
                bullying_form: row.bullying_form(),
                options: options(row.scale()),
            };
            ppra.extend(item.ppra_areas.iter().copied());
            match sections.last_mut() {
                Some(s) if s.title == row.section => s.items.push(item),
                _ => sections.push(Section {
                    title: row.section,
                    items: vec![item],
                }),
            }
        }
        ppra.sort();
        ppra.dedup();
        Instrument {
            id: self.id.clone(),
            lineage_id: self.lineage_id.clone(),
            version: self.version,
            status: self.status,
            title: self.title.clone(),
            description: self.description.clone(),
            grade_min: self.grade_min,
            grade_max: self.grade_max,
            ppra_areas: ppra,
            sections,
            published_at: self.published_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_windows)]
pub struct WindowRow {
    pub id: String,
    pub district_id: String,
    pub instrument_id: String,
    pub title: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub grades: String,
    pub min_cell_size: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// The window's data key, wrapped by the server's seal key (set when the window opens).
    pub sealed_key: Option<String>,
    /// When the eligible population was fixed (`survey_window_roster`).
    pub frozen_at: Option<NaiveDateTime>,
    /// When the sealed responses were opened and the aggregates built.
    pub opened_at: Option<NaiveDateTime>,
}

impl WindowRow {
    /// A window not yet frozen or opened (as created).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        district_id: &str,
        instrument_id: &str,
        title: String,
        opens_at: NaiveDateTime,
        closes_at: NaiveDateTime,
        grades: &[i32],
        min_cell_size: i32,
        created_by: &str,
        created_at: NaiveDateTime,
    ) -> WindowRow {
        WindowRow {
            id,
            district_id: district_id.to_owned(),
            instrument_id: instrument_id.to_owned(),
            title,
            opens_at,
            closes_at,
            grades: serde_json::to_string(grades).unwrap_or_else(|_| "[]".into()),
            min_cell_size,
            created_by: created_by.to_owned(),
            created_at,
            sealed_key: None,
            frozen_at: None,
            opened_at: None,
        }
    }

    pub fn grades(&self) -> Vec<i32> {
        serde_json::from_str(&self.grades).unwrap_or_default()
    }

    pub fn state_at(&self, now: NaiveDateTime) -> WindowState {
        if now < self.opens_at {
            WindowState::Upcoming
        } else if now < self.closes_at {
            WindowState::Open
        } else {
            WindowState::Closed
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Upcoming,
    Open,
    Closed,
}

/// A survey window: one instrument version offered to chosen schools and grades for a time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Window {
    pub id: String,
    pub instrument_id: String,
    pub title: String,
    #[serde(serialize_with = "crate::dates::utc")]
    pub opens_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub closes_at: NaiveDateTime,
    pub state: WindowState,
    pub school_ids: Vec<String>,
    #[schema(minimum = 0, maximum = 12)]
    pub grades: Vec<i32>,
    /// Report cells with fewer respondents are suppressed.
    #[schema(minimum = 5, maximum = 1000)]
    pub min_cell_size: i32,
}

/// The questionnaire of a window, as a student answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Questionnaire {
    pub window_id: String,
    pub title: String,
    pub description: String,
    #[serde(serialize_with = "crate::dates::utc")]
    pub closes_at: NaiveDateTime,
    pub sections: Vec<Section>,
}
