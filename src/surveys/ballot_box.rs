//! The ballot box: while a window is open its responses are stored only sealed, each row
//! holding nothing in clear but the window; when it closes the box is opened in one
//! transaction (see `reports::opening`) and the plain responses are written one row per
//! (school, grade) cell (`survey_cell_responses`), the cell's respondents in a random order.
//!
//! A sealed response (an *envelope*) holds the respondent's frozen cell (school, grade), whether
//! they were settled, and one digit per item of the instrument in position order (`0`: not
//! answered). Envelopes are padded to one length per window, so the length of a ciphertext says
//! nothing about which optional items were skipped or how long a school's id is.
//!
//! The ballots of a cell too small to report (fewer respondents, or settled respondents, than
//! the window's minimum) stay sealed after the opening: written in the clear with their school
//! and grade, they would be named by a backup taken while the window was open.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::models::{ItemRow, WindowRow};
use super::scoring::{self, IndicatorScore, ScoredItem};
use super::vocab::Indicator;
use crate::db::on_backend;
use crate::db::schema::{survey_cell_responses as plain, survey_sealed_responses as sealed};
use crate::db::{insert_batches, DbConnection};
use crate::error::ApiError;
use crate::seal::{DataKey, SealKeys};

/// One respondent's answers, in the clear: only ever in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub school_id: String,
    pub grade: i32,
    pub settled: bool,
    /// The value given to each item of the instrument, in position order; 0 for no answer.
    pub answers: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    v: u8,
    s: String,
    g: i32,
    t: bool,
    a: String,
}

fn aad(window_id: &str) -> Vec<u8> {
    format!("securebase/response/v1/{window_id}").into_bytes()
}

/// Every envelope of a window with `items` items is this long (school ids are at most 64
/// characters, grades at most two digits).
fn envelope_len(items: usize) -> usize {
    (128 + items).div_ceil(64) * 64
}

impl Ballot {
    fn envelope(&self) -> Vec<u8> {
        let envelope = Envelope {
            v: 1,
            s: self.school_id.clone(),
            g: self.grade,
            t: self.settled,
            a: self.answers.iter().map(|v| char::from(b'0' + v)).collect(),
        };
        let mut bytes = serde_json::to_vec(&envelope).expect("an envelope serializes");
        // JSON ignores trailing white space, so padding needs no framing.
        let len = envelope_len(self.answers.len()).max(bytes.len().div_ceil(64) * 64);
        bytes.resize(len, b' ');
        bytes
    }

    fn from_envelope(bytes: &[u8]) -> Result<Ballot, ApiError> {
        let e: Envelope = serde_json::from_slice(bytes)
            .map_err(|_| ApiError::internal("a sealed response holds no valid envelope"))?;
        let answers =
            e.a.bytes()
                .map(|b| b.checked_sub(b'0').filter(|v| *v <= 9))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| ApiError::internal("a sealed response holds bad answers"))?;
        Ok(Ballot {
            school_id: e.s,
            grade: e.g,
            settled: e.t,
            answers,
        })
    }

    /// The respondent's indicator scores (`surveys::scoring`); `scored` holds the instrument's
    /// items as `scored_items` gives them.
    pub fn scores(&self, scored: &[ScoredItem]) -> BTreeMap<Indicator, IndicatorScore> {
        let given: Vec<(&ScoredItem, i32)> = scored
            .iter()
            .zip(&self.answers)
            .filter(|(_, v)| **v != 0)
            .map(|(item, v)| (item, i32::from(*v)))
            .collect();
        scoring::score(&given)
    }

    /// Appends the ballot's values, in item order, to a cell's JSON array of respondents
    /// (`survey_cell_responses.answers`): `[4,2,null,…]`, null for an item not answered.
    pub fn append_json(&self, out: &mut String) {
        out.push(if out.is_empty() { '[' } else { ',' });
        out.push('[');
        for (i, v) in self.answers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                0 => out.push_str("null"),
                v => out.push(char::from(b'0' + v)),
            }
        }
        out.push(']');
    }
}

/// The instrument's items as scoring needs them, in position order.
pub fn scored_items(items: &[ItemRow]) -> Vec<ScoredItem> {
    items
        .iter()
        .map(|item| ScoredItem {
            scale: item.scale(),
            indicator: item.indicator(),
            reverse_scored: item.reverse_scored,
            form: item.bullying_form(),
        })
        .collect()
}

/// `ballot` sealed under the window's data key.
pub fn seal(key: &DataKey, window_id: &str, ballot: &Ballot) -> String {
    key.seal(&ballot.envelope(), &aad(window_id))
}

/// Stores a sealed response (in the submission's transaction) under a random id.
pub fn insert_sealed(
    conn: &mut DbConnection,
    window_id: &str,
    envelope: &str,
) -> Result<(), ApiError> {
    diesel::insert_into(sealed::table)
        .values((
            sealed::id.eq(uuid::Uuid::new_v4().to_string()),
            sealed::window_id.eq(window_id),
            sealed::sealed.eq(envelope),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores ballots sealed again, each under a new random id, in the order given (in the opening
/// transaction: the ballots of cells too small to be written in the clear).
pub fn reseal(
    conn: &mut DbConnection,
    window_id: &str,
    key: &DataKey,
    ballots: &[&Ballot],
) -> Result<(), ApiError> {
    let values: Vec<_> = ballots
        .iter()
        .map(|b| {
            (
                sealed::id.eq(uuid::Uuid::new_v4().to_string()),
                sealed::window_id.eq(window_id),
                sealed::sealed.eq(seal(key, window_id, b)),
            )
        })
        .collect();
    Ok(insert_batches(values.len(), 3, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(sealed::table)
            .values(&values[range])
            .execute(c))
    })?)
}

/// Sealed rows are read in pages so that a window of any size is read in bounded steps.
const PAGE: i64 = 10_000;

/// Takes every response of `window` out of the box (in the caller's transaction): decrypts the
/// sealed ones, reads any plain ones written before sealing existed, and deletes both. The
/// caller writes them back in a random order.
pub fn take_all(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
    items: &[ItemRow],
) -> Result<Vec<Ballot>, ApiError> {
    let mut ballots = Vec::new();
    if let Some(wrapped) = &window.sealed_key {
        let key = keys
            .unwrap_data_key(wrapped, &window.id)
            .map_err(|e| ApiError::internal(format!("window {}: {e}", window.id)))?;
        let aad = aad(&window.id);
        let mut last = String::new();
        loop {
            let page: Vec<(String, String)> = sealed::table
                .filter(sealed::window_id.eq(&window.id))
                .filter(sealed::id.gt(&last))
                .order(sealed::id.asc())
                .limit(PAGE)
                .select((sealed::id, sealed::sealed))
                .load(conn)?;
            let Some((id, _)) = page.last() else { break };
            last = id.clone();
            for (_, envelope) in &page {
                let bytes = key
                    .open(envelope, &aad)
                    .map_err(|e| ApiError::internal(format!("window {}: {e}", window.id)))?;
                ballots.push(Ballot::from_envelope(&bytes)?);
            }
        }
        diesel::delete(sealed::table.filter(sealed::window_id.eq(&window.id))).execute(conn)?;
    }
    ballots.extend(take_plain(conn, window, items)?);
    Ok(ballots)
}

/// Responses stored in the clear before sealing existed (a window open during the upgrade),
/// which `survey_cell_responses` holds for a window not opened yet.
fn take_plain(
    conn: &mut DbConnection,
    window: &WindowRow,
    items: &[ItemRow],
) -> Result<Vec<Ballot>, ApiError> {
    let rows: Vec<(String, i32, String, String)> = plain::table
        .filter(plain::window_id.eq(&window.id))
        .select((
            plain::school_id,
            plain::grade,
            plain::item_ids,
            plain::answers,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let position: BTreeMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    let bad = |e: serde_json::Error| ApiError::internal(format!("stored answers: {e}"));
    let mut out = Vec::new();
    for (school_id, grade, item_ids, answers) in rows {
        let item_ids: Vec<String> = serde_json::from_str(&item_ids).map_err(bad)?;
        let respondents: Vec<Vec<Option<u8>>> = serde_json::from_str(&answers).map_err(bad)?;
        for given in respondents {
            let mut values = vec![0u8; items.len()];
            for (item, value) in item_ids.iter().zip(given) {
                match (position.get(item.as_str()), value) {
                    (Some(&i), Some(v @ 1..=9)) => values[i] = v,
                    (_, None) | (None, _) => {}
                    (Some(_), Some(_)) => {
                        return Err(ApiError::internal("stored answers: a value out of range"))
                    }
                }
            }
            out.push(Ballot {
                school_id: school_id.clone(),
                grade,
                // Stored before the settling rule existed: counted as it was then.
                settled: true,
                answers: values,
            });
        }
    }
    diesel::delete(plain::table.filter(plain::window_id.eq(&window.id))).execute(conn)?;
    Ok(out)
}

/// The plain responses of one cell of an opened window, as `survey_cell_responses` holds them.
pub struct PlainCell<'a> {
    pub school_id: &'a str,
    pub grade: i32,
    pub respondents: i64,
    /// The JSON array `Ballot::append_json` built, respondents in the (random) order given.
    pub answers: String,
}

/// Writes the plain responses of an opened window's cells (in the opening transaction).
pub fn insert_cells(
    conn: &mut DbConnection,
    window_id: &str,
    items: &[ItemRow],
    cells: &[PlainCell],
) -> Result<(), ApiError> {
    let item_ids = serde_json::to_string(&items.iter().map(|i| &i.id).collect::<Vec<_>>())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    for cell in cells {
        diesel::insert_into(plain::table)
            .values((
                plain::window_id.eq(window_id),
                plain::school_id.eq(cell.school_id),
                plain::grade.eq(cell.grade),
                plain::item_ids.eq(&item_ids),
                plain::answers.eq(&cell.answers),
                plain::respondents.eq(cell.respondents as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_of_a_window_have_one_length_whatever_was_answered() {
        let ballot = |school: &str, grade, answers: Vec<u8>| Ballot {
            school_id: school.to_owned(),
            grade,
            settled: true,
            answers,
        };
        let full = ballot("6f1c2a3e-0000-4000-8000-000000000001", 12, vec![5; 27]);
        let sparse = ballot("s", 7, {
            let mut a = vec![0; 27];
            a[0] = 1;
            a
        });
        let unsettled = Ballot {
            settled: false,
            ..sparse.clone()
        };
        let lens: Vec<usize> = [&full, &sparse, &unsettled]
            .iter()
            .map(|b| b.envelope().len())
            .collect();
        assert!(lens.iter().all(|l| *l == lens[0]), "{lens:?}");
        for b in [full, sparse, unsettled] {
            assert_eq!(Ballot::from_envelope(&b.envelope()).unwrap(), b);
        }
    }

    #[test]
    fn a_sealed_envelope_opens_with_its_window_key_only() {
        let keys = SealKeys::demo();
        let wrapped = keys.new_wrapped_data_key("w1");
        let key = keys.unwrap_data_key(&wrapped, "w1").unwrap();
        let b = Ballot {
            school_id: "school".into(),
            grade: 8,
            settled: false,
            answers: vec![1, 2, 0, 5],
        };
        let sealed = seal(&key, "w1", &b);
        assert!(!sealed.contains("school"));
        let opened = key.open(&sealed, &aad("w1")).unwrap();
        assert_eq!(Ballot::from_envelope(&opened).unwrap(), b);
        assert!(key.open(&sealed, &aad("w2")).is_err());
    }
}
