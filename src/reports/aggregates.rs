//! The aggregates of a closed window per (school, grade), built once when its sealed responses
//! are opened (`opening`) and kept: reports are assembled from them, never from individual
//! responses.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::stats::Sums;
use crate::authz::Visible;
use crate::db::schema::{survey_window_aggregations, survey_window_cells as cells, survey_windows};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::{DataKey, SealKeys};
use crate::surveys::models::{WindowRow, WindowState};
use crate::surveys::scoring::{IndicatorScore, SCORING_RULES_VERSION};
use crate::surveys::vocab::{BullyingForm, Indicator};

/// Additive sums of one (school, grade) cell: cells of a school, a grade or a district add up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// Per indicator: respondents with a score, sum and sum of squares of their scores, and how
    /// many were favorable (scale indicators) or victimized (bullying victimization).
    pub indicators: BTreeMap<Indicator, Sums>,
    /// Per item: how many chose each answer value.
    pub items: BTreeMap<String, BTreeMap<i32, u64>>,
    /// Bullying victimization's secondary figures (the indicator's `hits` are the frequently
    /// victimized): any victimization, over the indicator's respondents ...
    #[serde(default)]
    pub any_victimization: Sums,
    /// ... and frequent victimization per form, over the respondents who answered an item of
    /// that form.
    #[serde(default)]
    pub forms: BTreeMap<BullyingForm, Sums>,
}

impl Aggregates {
    pub fn add_response<'a>(
        &mut self,
        answers: impl IntoIterator<Item = (&'a str, i32)>,
        scores: &BTreeMap<Indicator, IndicatorScore>,
    ) {
        self.add_scores(scores);
        for (item, value) in answers {
            let counts = match self.items.get_mut(item) {
                Some(counts) => counts,
                None => self.items.entry(item.to_owned()).or_default(),
            };
            *counts.entry(value).or_insert(0) += 1;
        }
    }

    fn add_scores(&mut self, scores: &BTreeMap<Indicator, IndicatorScore>) {
        for (indicator, score) in scores {
            let hit = score.favorable.or(score.victimized);
            self.indicators
                .entry(*indicator)
                .or_default()
                .add(score.mean, hit);
            if *indicator == Indicator::BullyingVictimization {
                self.any_victimization.add(None, score.any_victimization);
                for (form, frequent) in BullyingForm::ALL.iter().zip(score.forms) {
                    if frequent.is_some() {
                        self.forms.entry(*form).or_default().add(None, frequent);
                    }
                }
            }
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
        self.any_victimization.merge(&other.any_victimization);
        for (form, sums) in &other.forms {
            self.forms.entry(*form).or_default().merge(sums);
        }
    }
}

/// A cell's aggregates as its ballots are opened: answers are counted by item position and
/// value (an array, where `add_response` looks each item id up in a map), and keyed by item id
/// once, at the end. Gives the same aggregates as `add_response` over the same responses.
pub struct Tally {
    counts: Vec<[u64; 10]>,
    aggregates: Aggregates,
}

impl Tally {
    pub fn new(items: usize) -> Tally {
        Tally {
            counts: vec![[0; 10]; items],
            aggregates: Aggregates::default(),
        }
    }

    /// Adds one response: its value per item in position order (0: not answered, otherwise
    /// 1–9) and its indicator scores.
    pub fn add(&mut self, values: &[u8], scores: &BTreeMap<Indicator, IndicatorScore>) {
        self.aggregates.add_scores(scores);
        for (counts, v) in self.counts.iter_mut().zip(values) {
            if *v != 0 {
                counts[usize::from(*v)] += 1;
            }
        }
    }

    /// The aggregates, items keyed by `item_ids` (in position order).
    pub fn finish<'a>(self, item_ids: impl IntoIterator<Item = &'a str>) -> Aggregates {
        let mut aggregates = self.aggregates;
        for (id, counts) in item_ids.into_iter().zip(self.counts) {
            let chosen: BTreeMap<i32, u64> = (1..10)
                .filter(|v| counts[*v] > 0)
                .map(|v| (v as i32, counts[v]))
                .collect();
            if !chosen.is_empty() {
                aggregates.items.insert(id.to_owned(), chosen);
            }
        }
        aggregates
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
    /// Respondents who were settled when the window opened (`surveys::roster`): the count a
    /// cell's minimum size applies to besides `respondents`. Never published.
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

/// The window's cells, as built when its box was opened (409 until then: the survey job opens a
/// closed window within seconds; report reads never do that work). Sealed aggregates of small
/// cells are opened with `keys`.
pub fn cells_of(
    conn: &mut DbConnection,
    window: &Closed,
    keys: &SealKeys,
) -> Result<Vec<Cell>, ApiError> {
    let window = window.0;
    let opened: Option<NaiveDateTime> = survey_windows::table
        .find(&window.id)
        .select(survey_windows::opened_at)
        .first(conn)?;
    if opened.is_none() {
        return Err(ApiError::conflict(
            Some("window_id"),
            "the window has just closed and its responses are being tallied; retry in a minute",
        ));
    }
    stored_cells(conn, window, keys)
}

/// The scoring rules version a window's aggregates were built with (None before opening).
pub fn scoring_version(
    conn: &mut DbConnection,
    window_id: &str,
) -> Result<Option<String>, ApiError> {
    Ok(survey_window_aggregations::table
        .find(window_id)
        .select(survey_window_aggregations::scoring_rules_version)
        .first::<String>(conn)
        .optional()?)
}

/// The stored cells of an opened window (`cells_of` without its checks).
pub fn stored_cells(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
) -> Result<Vec<Cell>, ApiError> {
    let rows: Vec<(String, i32, i32, i32, i32, i32, String)> = cells::table
        .filter(cells::window_id.eq(&window.id))
        .order((cells::school_id.asc(), cells::grade.asc()))
        .select((
            cells::school_id,
            cells::grade,
            cells::eligible,
            cells::opted_out,
            cells::respondents,
            cells::settled_respondents,
            cells::aggregates,
        ))
        .load(conn)?;
    let mut key = None;
    rows.into_iter()
        .map(
            |(school_id, grade, eligible, opted_out, respondents, settled, stored)| {
                let json = match stored.strip_prefix(SEALED) {
                    None => stored.clone(),
                    Some(sealed) => {
                        if key.is_none() {
                            key = Some(window_key(window, keys)?);
                        }
                        let aad = cell_aad(&window.id, &school_id, grade);
                        let bytes = key
                            .as_ref()
                            .expect("unwrapped above")
                            .open(sealed, &aad)
                            .map_err(|e| {
                                ApiError::internal(format!("window {}: {e}", window.id))
                            })?;
                        String::from_utf8(bytes)
                            .map_err(|e| ApiError::internal(format!("stored aggregates: {e}")))?
                    }
                };
                Ok(Cell {
                    school_id,
                    grade,
                    eligible: i64::from(eligible),
                    opted_out: i64::from(opted_out),
                    respondents: i64::from(respondents),
                    settled_respondents: i64::from(settled),
                    aggregates: parse_stored(&json)?,
                })
            },
        )
        .collect()
}

fn parse_stored(json: &str) -> Result<Aggregates, ApiError> {
    let mut aggregates: Aggregates = serde_json::from_str(json)
        .map_err(|e| ApiError::internal(format!("stored aggregates: {e}")))?;
    for sums in aggregates.indicators.values_mut() {
        *sums = sums.with_legacy_values();
    }
    Ok(aggregates)
}

/// The window's data key, unwrapped with the server's seal keys.
pub fn window_key(window: &WindowRow, keys: &SealKeys) -> Result<DataKey, ApiError> {
    let wrapped = window
        .sealed_key
        .as_deref()
        .ok_or_else(|| ApiError::internal(format!("window {} has no data key", window.id)))?;
    keys.unwrap_data_key(wrapped, &window.id)
        .map_err(|e| ApiError::internal(format!("window {}: {e}", window.id)))
}

/// Whether a cell is below the window's minimum size: by its respondents, or by those of them
/// who were settled (the reports' small-cell rule, `climate`).
pub fn is_small(respondents: i64, settled_respondents: i64, min_cell_size: i32) -> bool {
    let k = i64::from(min_cell_size.max(1));
    respondents < k || settled_respondents < k
}

/// Marks aggregates stored sealed.
const SEALED: &str = "sealed:";

fn cell_aad(window_id: &str, school_id: &str, grade: i32) -> Vec<u8> {
    format!("securebase/cell-aggregates/v1/{window_id}/{school_id}/{grade}").into_bytes()
}

/// Stores the cells of a window being opened (in the opening transaction). The aggregates of a
/// small cell are stored sealed under the window's data key: in the clear, next to a backup
/// taken while the window was open (who answered, per school and grade), they would be the
/// answers of a student who was their cell's only respondent. Rendering a report again needs
/// the seal key, as opening did.
pub fn store(
    conn: &mut DbConnection,
    window: &WindowRow,
    cells: &[Cell],
    key: &DataKey,
) -> Result<(), ApiError> {
    let window_id = window.id.as_str();
    let responses: i64 = cells.iter().map(|c| c.respondents).sum();
    for cell in cells {
        let json = serde_json::to_string(&cell.aggregates)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let stored = if is_small(
            cell.respondents,
            cell.settled_respondents,
            window.min_cell_size,
        ) {
            let aad = cell_aad(window_id, &cell.school_id, cell.grade);
            format!("{SEALED}{}", key.seal(json.as_bytes(), &aad))
        } else {
            json
        };
        diesel::insert_into(cells::table)
            .values((
                cells::window_id.eq(window_id),
                cells::school_id.eq(&cell.school_id),
                cells::grade.eq(cell.grade),
                cells::eligible.eq(cell.eligible as i32),
                cells::opted_out.eq(cell.opted_out as i32),
                cells::respondents.eq(cell.respondents as i32),
                cells::settled_respondents.eq(cell.settled_respondents as i32),
                cells::aggregates.eq(stored),
            ))
            .execute(conn)?;
    }
    diesel::insert_into(survey_window_aggregations::table)
        .values((
            survey_window_aggregations::window_id.eq(window_id),
            survey_window_aggregations::responses.eq(responses as i32),
            survey_window_aggregations::built_at.eq(db::now()),
            survey_window_aggregations::scoring_rules_version.eq(SCORING_RULES_VERSION),
        ))
        .execute(conn)?;
    Ok(())
}

/// The rules the window's aggregates were scored with (the current ones before opening).
pub fn scoring_rules_version(conn: &mut DbConnection, window_id: &str) -> Result<String, ApiError> {
    Ok(scoring_version(conn, window_id)?.unwrap_or_else(|| SCORING_RULES_VERSION.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::scoring::{score, ScoredItem};
    use crate::surveys::vocab::Scale;

    #[test]
    fn a_tally_gives_the_aggregates_add_response_gives() {
        let items = [
            ("a", Scale::Agreement5, Indicator::Belonging, false),
            ("b", Scale::Agreement5, Indicator::Belonging, true),
            (
                "c",
                Scale::Frequency5,
                Indicator::BullyingVictimization,
                false,
            ),
            ("d", Scale::YesNo, Indicator::TrustedAdult, false),
        ];
        let scored: Vec<ScoredItem> = items
            .iter()
            .map(|(_, scale, indicator, reverse_scored)| ScoredItem {
                scale: *scale,
                indicator: *indicator,
                reverse_scored: *reverse_scored,
                form: None,
            })
            .collect();
        // Every combination of no answer and each value of each item.
        let responses: Vec<Vec<u8>> = (0..6 * 6 * 6 * 3)
            .map(|n: u32| {
                vec![
                    (n % 6) as u8,
                    (n / 6 % 6) as u8,
                    (n / 36 % 6) as u8,
                    (n / 216) as u8,
                ]
            })
            .collect();
        let mut by_map = Aggregates::default();
        let mut tally = Tally::new(items.len());
        for values in &responses {
            let given: Vec<(&ScoredItem, i32)> = scored
                .iter()
                .zip(values)
                .filter(|(_, v)| **v != 0)
                .map(|(s, v)| (s, i32::from(*v)))
                .collect();
            let scores = score(&given);
            let answers = items
                .iter()
                .zip(values)
                .filter(|(_, v)| **v != 0)
                .map(|(item, v)| (item.0, i32::from(*v)));
            by_map.add_response(answers, &scores);
            tally.add(values, &scores);
        }
        let tallied = tally.finish(items.iter().map(|i| i.0));
        assert_eq!(tallied, by_map);
        assert_eq!(tallied.items["d"], BTreeMap::from([(1, 216), (2, 216)]));
    }
}
