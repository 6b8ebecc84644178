//! Malformed and invalid input on every write route under /api/v1 (and the list queries):
//! each case must get the right problem document, never a 500, and must leave the database
//! exactly as it was.
//!
//! The checks are table-driven. Each test collects every failing case and reports them all at
//! the end, each named by route and case, so one run shows the whole picture.
//!
//! The bench is here and beside it: [`fixtures`] (the rows the routes act on), the table of
//! write routes with a valid body each (assembled from one file per route group: `accounts`,
//! `rosters`, `lessons`, `surveys`, `mentoring`, which also hold the checks of their own
//! routes), and [`bench`] (sends a case, checks the answer and the database). The table-driven
//! checks over every route are in `bodies` (JSON bodies) and `queries` (query strings, ids in
//! paths, unknown routes).

mod accounts;
mod bench;
mod bodies;
mod fixtures;
mod goals;
mod lessons;
mod mentoring;
mod queries;
mod rosters;
mod support;
mod surveys;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use std::collections::{HashMap, HashSet};

use crate::helpers::snapshot::Snapshot;
use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{
    assignments, classes, enrollments, lesson_completions, lesson_plan_versions, lesson_plans,
    mentoring_do_not_match, mentoring_matches, mentoring_participants, mentoring_programs, schools,
    survey_instruments, survey_items, survey_window_schools, survey_windows, terms, users,
};
use securebase::db::DbConnection;
use securebase::mentoring::models::{
    MatchRow as MentoringMatch, ParticipantRow as MentoringParticipant,
};
use securebase::surveys::vocab::Scale;
use serde_json::{json, Value};

/// Who sends the requests: the district administrator by default; a teacher of the lesson
/// class and a student enrolled in it for the teacher and student routes; a Riverbend counselor
/// for guardian opt-outs. The student (a Riverbend 7th grader) also answers the open demo survey.
const ADMIN: &str = "denise.whitfield";
const TEACHER: &str = "samuel.ortega";
const STUDENT: &str = "andreg197";
const COUNSELOR: &str = "daniel.kim";
/// A Riverbend school administrator: may not publish survey instruments.
const PRINCIPAL: &str = "gregory.tan";
/// Samuel Ortega's class that Andre Green is enrolled in.
const LESSON_CLASS: &str = "Health & Wellness 7";

const DEFAULT_LIMIT: usize = 64 * 1024;

use bench::*;
use fixtures::*;

// ---------------------------------------------------------------------------------------------
// The write routes
// ---------------------------------------------------------------------------------------------

/// A route that takes a JSON body.
struct Route {
    /// `METHOD /template`, for messages.
    label: &'static str,
    method: &'static str,
    path: String,
    /// Whose token is sent (a demo username), or none.
    caller: Option<&'static str>,
    /// A body the route would accept; every case below differs from it in one way.
    valid: Value,
    /// Fields whose absence is refused.
    required: &'static [&'static str],
}

impl Route {
    /// The valid body with some fields replaced.
    fn with(&self, changes: Value) -> Value {
        let mut body = self.valid.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }

    fn without(&self, field: &str) -> Value {
        let mut body = self.valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    }
}

/// Every route that takes a JSON body, by route group.
fn write_routes(fx: &Fx) -> Vec<Route> {
    [
        accounts::routes(fx),
        rosters::routes(fx),
        lessons::routes(fx),
        surveys::routes(fx),
        mentoring::routes(fx),
        support::routes(fx),
        goals::routes(fx),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn route<'a>(routes: &'a [Route], label: &str) -> &'a Route {
    routes
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no route {label}"))
}

/// The body if it (with an extra field) fits in `limit` bytes; otherwise the same body with its
/// lists cut to their first element (a survey answer sheet is larger than a small limit).
fn fitting(body: &Value, limit: usize) -> Value {
    let room = limit - r#","zzz_extra":1"#.len();
    if serde_json::to_vec(body).unwrap().len() <= room {
        return body.clone();
    }
    let mut small = body.clone();
    for value in small.as_object_mut().unwrap().values_mut() {
        if let Value::Array(items) = value {
            items.truncate(1);
        }
    }
    assert!(
        serde_json::to_vec(&small).unwrap().len() <= room,
        "no small enough variant of {body}"
    );
    small
}

/// A body padded with trailing JSON whitespace to exactly `len` bytes.
fn padded(body: &Value, len: usize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(body).unwrap();
    assert!(bytes.len() <= len, "body already longer than {len}");
    bytes.resize(len, b' ');
    bytes
}
