//! The ballot box: while a window is open its responses are stored only sealed, each row
//! holding nothing in clear but the window; when it closes the box is opened in one
//! transaction (see `reports::opening`) and the plain responses are written in a random order.
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
use super::scoring::{self, IndicatorScore, ScoredItem, SCORING_RULES_VERSION};
use super::vocab::Indicator;
use crate::db::schema::{survey_responses as responses, survey_sealed_responses as sealed};
use crate::db::{insert_batches, DbConnection};
use crate::error::ApiError;
use crate::on_backend;
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

    /// The answered items with their values.
    pub fn answered<'a>(
        &'a self,
        items: &'a [ItemRow],
    ) -> impl Iterator<Item = (&'a ItemRow, i32)> {
        items
            .iter()
            .zip(&self.answers)
            .filter(|(_, v)| **v != 0)
            .map(|(item, v)| (item, i32::from(*v)))
    }

    /// The respondent's indicator scores (`surveys::scoring`).
    pub fn scores(&self, items: &[ItemRow]) -> BTreeMap<Indicator, IndicatorScore> {
        let scored: Vec<(ScoredItem, i32)> = self
            .answered(items)
            .map(|(item, v)| {
                (
                    ScoredItem {
                        scale: item.scale(),
                        indicator: item.indicator(),
                        reverse_scored: item.reverse_scored,
                    },
                    v,
                )
            })
            .collect();
        let refs: Vec<(&ScoredItem, i32)> = scored.iter().map(|(s, v)| (s, *v)).collect();
        scoring::score(&refs)
    }
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

/// Responses stored in the clear before sealing existed (a window open during the upgrade).
fn take_plain(
    conn: &mut DbConnection,
    window: &WindowRow,
    items: &[ItemRow],
) -> Result<Vec<Ballot>, ApiError> {
    let rows: Vec<(String, i32, String)> = responses::table
        .filter(responses::window_id.eq(&window.id))
        .select((responses::school_id, responses::grade, responses::answers))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let position: BTreeMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (school_id, grade, answers) in rows {
        let map: BTreeMap<String, i32> = serde_json::from_str(&answers)
            .map_err(|e| ApiError::internal(format!("stored answers: {e}")))?;
        let mut values = vec![0u8; items.len()];
        for (item, value) in map {
            if let (Some(&i), Ok(v)) = (position.get(item.as_str()), u8::try_from(value)) {
                values[i] = v;
            }
        }
        out.push(Ballot {
            school_id,
            grade,
            // Stored before the settling rule existed: counted as it was then.
            settled: true,
            answers: values,
        });
    }
    diesel::delete(responses::table.filter(responses::window_id.eq(&window.id))).execute(conn)?;
    Ok(out)
}

/// A plain response row, as the opened box writes it.
pub struct PlainRow {
    pub school_id: String,
    pub grade: i32,
    pub answers: String,
    pub scores: String,
}

impl PlainRow {
    pub fn new(
        ballot: &Ballot,
        items: &[ItemRow],
        scores: &BTreeMap<Indicator, IndicatorScore>,
    ) -> Result<PlainRow, ApiError> {
        let answers: BTreeMap<&str, i32> = ballot
            .answered(items)
            .map(|(item, v)| (item.id.as_str(), v))
            .collect();
        Ok(PlainRow {
            school_id: ballot.school_id.clone(),
            grade: ballot.grade,
            answers: serde_json::to_string(&answers)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            scores: serde_json::to_string(scores).map_err(|e| ApiError::internal(e.to_string()))?,
        })
    }
}

/// Writes plain responses in the order given, each under a new random id.
pub fn insert_plain(
    conn: &mut DbConnection,
    window_id: &str,
    rows: &[PlainRow],
) -> Result<(), ApiError> {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                responses::id.eq(uuid::Uuid::new_v4().to_string()),
                responses::window_id.eq(window_id),
                responses::school_id.eq(&r.school_id),
                responses::grade.eq(r.grade),
                responses::answers.eq(&r.answers),
                responses::scores.eq(&r.scores),
                responses::scoring_rules_version.eq(SCORING_RULES_VERSION),
            )
        })
        .collect();
    Ok(insert_batches(values.len(), 7, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(responses::table)
            .values(&values[range])
            .execute(c))
    })?)
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
