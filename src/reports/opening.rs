//! The survey job: fixes the population of windows that have opened (`surveys::roster`) and
//! opens the box of windows that have closed. It runs in the server every
//! `SURVEY_JOB_INTERVAL_SECS` and as `securebase surveys close-due`.
//!
//! Opening a window's box is one transaction: it decrypts every sealed response, shuffles them
//! with a cryptographic random generator, builds the window's (school, grade) aggregates from
//! them, writes the plain responses one row per cell (each cell's respondents in the shuffled
//! order), renders its reports (so the first read costs what any later read does), deletes the
//! sealed rows, forgets who answered (participation and roster rows) and records the event.
//! The responses and aggregates of a cell too small to report stay sealed (`ballot_box`,
//! `aggregates::store`). So no response has a row, transaction id or storage place of its own,
//! the order within a cell is random, and nothing of the submission order survives; a crash at
//! any point leaves the window either sealed or opened. Several servers may run the job against
//! one database: the first to mark a
//! window opened (a conditional update, which takes its row lock) opens it, the others skip it.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::aggregates::{self, Aggregates, Cell};
use crate::audit::{self, Actor};
use crate::db::schema::{
    survey_participation as participation, survey_window_roster as roster_rows,
    survey_window_schools, survey_windows as windows,
};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::ballot_box;
use crate::surveys::models::WindowRow;
use crate::surveys::queries::{instrument_items, offered_cells};
use crate::surveys::roster;

/// What one run of the job did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Windows whose population this run fixed.
    pub frozen: usize,
    /// Windows this run opened.
    pub opened: Vec<Opened>,
    /// Windows whose opening failed (left sealed, tried again at the next run), with why: a
    /// seal key that is not configured, say, must not hold up the other windows.
    pub failed: Vec<(String, String)>,
    /// Opened windows this run scored again under the current scoring rules
    /// (`reports::rescoring`).
    pub rescored: Vec<String>,
    /// Windows whose rescoring failed (left as they were, tried again at the next run).
    pub rescore_failed: Vec<(String, String)>,
}

/// A window whose box this run opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub window_id: String,
    /// How many responses it held.
    pub responses: usize,
    /// How long its opening transaction took, commit included.
    pub took: std::time::Duration,
}

/// One run of the survey job over every district.
pub fn run_job(
    conn: &mut DbConnection,
    keys: &SealKeys,
    settle: TimeDelta,
) -> Result<JobRun, ApiError> {
    let frozen = roster::freeze_due(conn, keys, settle, None)?;
    let now = db::now();
    let due = due_windows(conn, now)?;
    let (mut opened, mut failed) = (Vec::new(), Vec::new());
    for window in &due {
        let started = std::time::Instant::now();
        match db::write_transaction(conn, |c| open(c, window, keys, settle, now)) {
            Ok(Some(n)) => opened.push(Opened {
                window_id: window.id.clone(),
                responses: n,
                took: started.elapsed(),
            }),
            Ok(None) => {}
            // The database itself is gone: the next run tries everything again.
            Err(ApiError::Unavailable) => return Err(ApiError::Unavailable),
            Err(e) => failed.push((window.id.clone(), e.to_string())),
        }
    }
    let (rescored, rescore_failed) = super::rescoring::rescore_stale(conn, keys)?;
    Ok(JobRun {
        frozen,
        opened,
        failed,
        rescored,
        rescore_failed,
    })
}

/// Windows that have closed and are not opened yet, first closed first.
fn due_windows(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<WindowRow>, ApiError> {
    Ok(windows::table
        .filter(windows::closes_at.le(now))
        .filter(windows::opened_at.is_null())
        .order((windows::closes_at.asc(), windows::id.asc()))
        .select(WindowRow::as_select())
        .load(conn)?)
}

/// A rehearsal of the job for windows due to be opened (`surveys close-due --dry-run`): each is
/// opened in its own transaction, which is then rolled back, so nothing changes. Tells how long
/// each opening takes (commit excluded) and finds windows that could not be opened.
pub fn rehearse(
    conn: &mut DbConnection,
    keys: &SealKeys,
    settle: TimeDelta,
) -> Result<JobRun, ApiError> {
    /// Carries the outcome out of the transaction, which any error rolls back.
    enum Outcome {
        RolledBack(Option<usize>),
        Failed(ApiError),
    }
    impl From<diesel::result::Error> for Outcome {
        fn from(e: diesel::result::Error) -> Outcome {
            Outcome::Failed(e.into())
        }
    }
    let now = db::now();
    let due = due_windows(conn, now)?;
    let mut run = JobRun::default();
    for window in &due {
        let started = std::time::Instant::now();
        let outcome = db::write_transaction(conn, |c| -> Result<(), Outcome> {
            match open(c, window, keys, settle, now) {
                Ok(n) => Err(Outcome::RolledBack(n)),
                Err(e) => Err(Outcome::Failed(e)),
            }
        });
        match outcome {
            Err(Outcome::RolledBack(Some(n))) => run.opened.push(Opened {
                window_id: window.id.clone(),
                responses: n,
                took: started.elapsed(),
            }),
            Err(Outcome::Failed(e)) => run.failed.push((window.id.clone(), e.to_string())),
            Ok(()) | Err(Outcome::RolledBack(None)) => {}
        }
    }
    Ok(run)
}

/// Opens the box of a closed window in the caller's write transaction; returns the number of
/// responses, or None when the window was opened already (by another server).
pub fn open(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
    settle: TimeDelta,
    now: NaiveDateTime,
) -> Result<Option<usize>, ApiError> {
    // A window nobody touched while it was open is frozen now, as it is.
    roster::freeze(conn, window, keys, settle, now)?;
    let claimed = diesel::update(
        windows::table
            .find(&window.id)
            .filter(windows::opened_at.is_null()),
    )
    .set(windows::opened_at.eq(now))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    let window: WindowRow = windows::table
        .find(&window.id)
        .select(WindowRow::as_select())
        .first(conn)?;
    let mut phases = Phases::start(&window.id);
    let items = instrument_items(conn, &window.instrument_id)?;
    let mut ballots = ballot_box::take_all(conn, &window, keys, &items)?;
    ballots.shuffle(&mut rand::rngs::StdRng::from_entropy());
    phases.done("take and shuffle");

    let key = aggregates::window_key(&window, keys)?;

    let mut cells: Vec<Cell> = empty_cells(conn, &window)?.into_values().collect();
    let mut index: HashMap<(String, i32), usize> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.school_id.clone(), c.grade), i))
        .collect();
    // The cell of each ballot, in the shuffled order.
    let mut cell_of = Vec::with_capacity(ballots.len());
    for ballot in &ballots {
        let at = *index
            .entry((ballot.school_id.clone(), ballot.grade))
            .or_insert_with(|| {
                cells.push(blank_cell(&ballot.school_id, ballot.grade));
                cells.len() - 1
            });
        cells[at].respondents += 1;
        cells[at].settled_respondents += i64::from(ballot.settled);
        cell_of.push(at);
    }
    super::ballots::write(conn, &window, &key, &mut cells, &ballots, &cell_of, &items)?;
    phases.done("reseal, aggregate and write");
    aggregates::store(conn, &window, &cells, &key)?;
    phases.done("store aggregates");
    super::rendering::render_all(conn, &window, &cells)?;
    phases.done("render reports");
    forget_who_answered(conn, &window.id)?;
    phases.done("forget who answered");
    // No count here: the audit trail is readable by district administrators, and a window's
    // exact number of responses is published only as far as its reports show it.
    audit::record_in_transaction(
        conn,
        Actor::system(&window.district_id),
        "survey_window.closed",
        serde_json::json!({"window_id": window.id}),
    )?;
    Ok(Some(ballots.len()))
}

/// Deletes who took the window and where each student stood in it: from here on the window's
/// counts live in its aggregates. Kept, the participation and roster rows would let anyone
/// holding a later backup tie the plain responses of a cell to the few students of that cell
/// who answered (the only respondent of a cell, say).
fn forget_who_answered(conn: &mut DbConnection, window_id: &str) -> Result<(), ApiError> {
    diesel::delete(participation::table.filter(participation::window_id.eq(window_id)))
        .execute(conn)?;
    diesel::delete(roster_rows::table.filter(roster_rows::window_id.eq(window_id)))
        .execute(conn)?;
    Ok(())
}

/// Logs how long each step of an opening took (at debug level), for operators and benchmarks.
struct Phases<'a> {
    window_id: &'a str,
    since: std::time::Instant,
}

impl<'a> Phases<'a> {
    fn start(window_id: &'a str) -> Phases<'a> {
        Phases {
            window_id,
            since: std::time::Instant::now(),
        }
    }

    fn done(&mut self, step: &str) {
        let took = self.since.elapsed();
        tracing::debug!(window_id = self.window_id, step, ?took, "opening a window");
        self.since = std::time::Instant::now();
    }
}

fn blank_cell(school_id: &str, grade: i32) -> Cell {
    Cell {
        school_id: school_id.to_owned(),
        grade,
        eligible: 0,
        opted_out: 0,
        respondents: 0,
        settled_respondents: 0,
        aggregates: Aggregates::default(),
    }
}

/// A cell for every school and grade of the window, with its frozen eligible and opted-out
/// counts.
fn empty_cells(
    conn: &mut DbConnection,
    window: &WindowRow,
) -> Result<BTreeMap<(String, i32), Cell>, ApiError> {
    let schools: Vec<String> = survey_window_schools::table
        .filter(survey_window_schools::window_id.eq(&window.id))
        .select(survey_window_schools::school_id)
        .load(conn)?;
    let counts = offered_cells(conn, window, &schools)?;
    let mut cells = BTreeMap::new();
    for school in &schools {
        for grade in window.grades() {
            let mut cell = blank_cell(school, grade);
            if let Some(c) = counts.get(&(school.clone(), grade)) {
                cell.eligible = c.eligible;
                cell.opted_out = c.opted_out;
            }
            cells.insert((school.clone(), grade), cell);
        }
    }
    Ok(cells)
}
