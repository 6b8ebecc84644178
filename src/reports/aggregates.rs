//! The aggregates of a closed window per (school, grade), built once from the anonymous
//! responses and kept: reports are assembled from them, never from individual responses.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::stats::Sums;
use crate::authz::Visible;
use crate::db::schema::{
    survey_opt_outs as opt_outs, survey_responses as responses, survey_window_aggregations,
    survey_window_cells as cells, survey_window_schools, survey_windows, users,
};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::surveys::models::{WindowRow, WindowState};
use crate::surveys::queries::participation_cells;
use crate::surveys::scoring::IndicatorScore;
use crate::surveys::vocab::Indicator;

/// Additive sums of one (school, grade) cell: cells of a school, a grade or a district add up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// Per indicator: respondents with a score, sum and sum of squares of their scores, and how
    /// many were favorable (scale indicators) or victimized (bullying victimization).
    pub indicators: BTreeMap<Indicator, Sums>,
    /// Per item: how many chose each answer value.
    pub items: BTreeMap<String, BTreeMap<i32, u64>>,
}

impl Aggregates {
    pub fn add_response(
        &mut self,
        answers: &BTreeMap<String, i32>,
        scores: &BTreeMap<Indicator, IndicatorScore>,
    ) {
        for (indicator, score) in scores {
            let hit = score.favorable.or(score.victimized);
            self.indicators
                .entry(*indicator)
                .or_default()
                .add(score.mean, hit);
        }
        for (item, value) in answers {
            *self
                .items
                .entry(item.clone())
                .or_default()
                .entry(*value)
                .or_insert(0) += 1;
        }
    }

    pub fn merge(&mut self, other: &Aggregates) {
        for (indicator, sums) in &other.indicators {
            self.indicators.entry(*indicator).or_default().merge(sums);
        }
        for (item, counts) in &other.items {
            let mine = self.items.entry(item.clone()).or_default();
            for (value, n) in counts {
                *mine.entry(*value).or_insert(0) += n;
            }
        }
    }
}

/// One (school, grade) cell of a closed window.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub school_id: String,
    pub grade: i32,
    pub eligible: i64,
    pub opted_out: i64,
    pub respondents: i64,
    /// Respondents whose account and placement were settled before the window opened; a cell is
    /// small when either count is below the window's minimum. Never published.
    pub settled_respondents: i64,
    pub aggregates: Aggregates,
}

/// Proof that a window is closed, so its results may be read.
pub struct Closed<'a>(&'a WindowRow);

pub fn closed(window: &Visible<WindowRow>, now: NaiveDateTime) -> Result<Closed<'_>, ApiError> {
    match window.state_at(now) {
        WindowState::Closed => Ok(Closed(window)),
        _ => Err(ApiError::conflict(
            Some("window_id"),
            "results exist only for closed windows; while a window is open, see its participation",
        )),
    }
}

/// The window's cells, building them in this (write) transaction the first time.
pub fn cells_of(conn: &mut DbConnection, window: &Closed) -> Result<Vec<Cell>, ApiError> {
    let window = window.0;
    ensure_built(conn, window)?;
    let rows: Vec<(String, i32, i32, i32, i32, String)> = cells::table
        .filter(cells::window_id.eq(&window.id))
        .order((cells::school_id.asc(), cells::grade.asc()))
        .select((
            cells::school_id,
            cells::grade,
            cells::eligible,
            cells::opted_out,
            cells::respondents,
            cells::aggregates,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(school_id, grade, eligible, opted_out, respondents, json)| {
                Ok(Cell {
                    school_id,
                    grade,
                    eligible: i64::from(eligible),
                    opted_out: i64::from(opted_out),
                    respondents: i64::from(respondents),
                    settled_respondents: i64::from(respondents),
                    aggregates: serde_json::from_str(&json)
                        .map_err(|e| ApiError::internal(format!("stored aggregates: {e}")))?,
                })
            },
        )
        .collect()
}

/// Builds the window's aggregates unless they exist (in the caller's write transaction). Called
/// by the first report read, and by a purge before it removes the participation rows the
/// eligible and respondent counts come from.
pub fn ensure_built(conn: &mut DbConnection, window: &WindowRow) -> Result<(), ApiError> {
    // A no-op update takes the window's row lock (PostgreSQL; SQLite writers are serialized), so
    // two first readers do not both build.
    diesel::update(survey_windows::table.find(&window.id))
        .set(survey_windows::min_cell_size.eq(survey_windows::min_cell_size))
        .execute(conn)?;
    let built: i64 = survey_window_aggregations::table
        .find(&window.id)
        .count()
        .get_result(conn)?;
    if built == 0 {
        build(conn, window)?;
    }
    Ok(())
}

/// Responses are read in pages so memory stays bounded whatever the window's size.
const PAGE: i64 = 5_000;

fn build(conn: &mut DbConnection, window: &WindowRow) -> Result<(), ApiError> {
    let school_ids: Vec<String> = survey_window_schools::table
        .filter(survey_window_schools::window_id.eq(&window.id))
        .select(survey_window_schools::school_id)
        .load(conn)?;
    let grades = window.grades();
    let participation = participation_cells(conn, window, &school_ids)?;
    let opted: Vec<(Option<String>, Option<i32>, i64)> = opt_outs::table
        .inner_join(users::table)
        .filter(opt_outs::window_id.eq(&window.id))
        .group_by((users::school_id, users::grade))
        .select((users::school_id, users::grade, diesel::dsl::count_star()))
        .load(conn)?;
    let mut by_cell: HashMap<(String, i32), (i64, i64, i64, Aggregates)> = HashMap::new();
    for school in &school_ids {
        for grade in &grades {
            let (eligible, _) = participation
                .get(&(school.clone(), *grade))
                .copied()
                .unwrap_or((0, 0));
            by_cell.insert(
                (school.clone(), *grade),
                (eligible, 0, 0, Aggregates::default()),
            );
        }
    }
    for (school, grade, n) in opted {
        if let Some(cell) = school.zip(grade).and_then(|k| by_cell.get_mut(&k)) {
            cell.1 = n;
        }
    }
    let mut last = String::new();
    let mut total = 0i64;
    loop {
        let page: Vec<(String, String, i32, String, String)> = responses::table
            .filter(responses::window_id.eq(&window.id))
            .filter(responses::id.gt(&last))
            .order(responses::id.asc())
            .limit(PAGE)
            .select((
                responses::id,
                responses::school_id,
                responses::grade,
                responses::answers,
                responses::scores,
            ))
            .load(conn)?;
        let Some((id, ..)) = page.last() else { break };
        last = id.clone();
        for (_, school, grade, answers, scores) in &page {
            let answers: BTreeMap<String, i32> = serde_json::from_str(answers)
                .map_err(|e| ApiError::internal(format!("stored answers: {e}")))?;
            let scores: BTreeMap<Indicator, IndicatorScore> = serde_json::from_str(scores)
                .map_err(|e| ApiError::internal(format!("stored scores: {e}")))?;
            let cell =
                by_cell
                    .entry((school.clone(), *grade))
                    .or_insert((0, 0, 0, Aggregates::default()));
            cell.2 += 1;
            cell.3.add_response(&answers, &scores);
            total += 1;
        }
    }
    for ((school, grade), (eligible, opted_out, respondents, aggregates)) in by_cell {
        diesel::insert_into(cells::table)
            .values((
                cells::window_id.eq(&window.id),
                cells::school_id.eq(&school),
                cells::grade.eq(grade),
                cells::eligible.eq(eligible as i32),
                cells::opted_out.eq(opted_out as i32),
                cells::respondents.eq(respondents as i32),
                cells::aggregates.eq(serde_json::to_string(&aggregates)
                    .map_err(|e| ApiError::internal(e.to_string()))?),
            ))
            .execute(conn)?;
    }
    diesel::insert_into(survey_window_aggregations::table)
        .values((
            survey_window_aggregations::window_id.eq(&window.id),
            survey_window_aggregations::responses.eq(total as i32),
            survey_window_aggregations::built_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}
