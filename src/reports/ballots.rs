//! Writing back the ballots of an opened box: each cell's aggregates tallied from its ballots,
//! the ballots of cells too small to report sealed again, the others in the clear, one row per
//! cell. Shared by the opening of a window and by rescoring under new rules.

use super::aggregates::{self, Cell, Tally};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::seal::DataKey;
use crate::surveys::ballot_box::{self, Ballot, PlainCell};
use crate::surveys::models::{ItemRow, WindowRow};

/// Builds each cell's aggregates from its ballots (in the shuffled order given, `cell_of` the
/// cell of each) and writes the ballots back: those of cells too small to report sealed again
/// under the window's data key (`ballot_box`), the others in the clear, one row per cell.
pub(super) fn write(
    conn: &mut DbConnection,
    window: &WindowRow,
    key: &DataKey,
    cells: &mut [Cell],
    ballots: &[Ballot],
    cell_of: &[usize],
    items: &[ItemRow],
) -> Result<(), ApiError> {
    let small: Vec<bool> = cells
        .iter()
        .map(|c| aggregates::is_small(c.respondents, c.settled_respondents, window.min_cell_size))
        .collect();
    let kept_sealed: Vec<&Ballot> = ballots
        .iter()
        .zip(cell_of)
        .filter(|(_, at)| small[**at])
        .map(|(b, _)| b)
        .collect();
    ballot_box::reseal(conn, &window.id, key, &kept_sealed)?;
    let plain = tally(cells, ballots, cell_of, &small, items);
    let plain: Vec<PlainCell> = cells
        .iter()
        .zip(plain)
        .filter(|(_, answers)| !answers.is_empty())
        .map(|(cell, mut answers)| {
            answers.push(']');
            PlainCell {
                school_id: &cell.school_id,
                grade: cell.grade,
                respondents: cell.respondents,
                answers,
            }
        })
        .collect();
    ballot_box::insert_cells(conn, &window.id, items, &plain)
}

/// Builds each cell's aggregates from its ballots, and returns, per cell, the JSON array of its
/// respondents' answers in the (shuffled) order given: empty for a cell too small to report,
/// whose ballots stay sealed.
fn tally(
    cells: &mut [Cell],
    ballots: &[Ballot],
    cell_of: &[usize],
    small: &[bool],
    items: &[ItemRow],
) -> Vec<String> {
    let scored = ballot_box::scored_items(items);
    let mut tallies: Vec<Tally> = cells.iter().map(|_| Tally::new(items.len())).collect();
    let mut plain: Vec<String> = vec![String::new(); cells.len()];
    for (ballot, &at) in ballots.iter().zip(cell_of) {
        tallies[at].add(&ballot.answers, &ballot.scores(&scored));
        if !small[at] {
            ballot.append_json(&mut plain[at]);
        }
    }
    for (cell, tally) in cells.iter_mut().zip(tallies) {
        cell.aggregates = tally.finish(items.iter().map(|i| i.id.as_str()));
    }
    plain
}
