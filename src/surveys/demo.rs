//! Closed demo windows with answers, so the demo has reports to read: the previous term's and an
//! earlier one this term, beside the open window students can take. Answers go through the
//! submission code path (validation, scoring, the two-row transaction), with dates relative to
//! the day of the load. The answers come from the latent model (`latent`; README "Demo and
//! synthetic answers").

use anyhow::anyhow;
use chrono::TimeDelta;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::latent::{self, Model, Plan};
use super::library::stable_id;
use super::models::WindowRow;
use super::queries;
use super::responses::record_answers;
use super::roster;
use super::scope;
use crate::accounts::{Caller, Role};
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::seal::SealKeys;

/// Seed of the demo's latent model: its schools' climates (`latent::school_climate`, by the
/// school's place in the district's list: Cedar Grove +0.06, Riverbend −0.31, Lakeview +0.29,
/// so the three schools differ clearly) and its students' stable traits.
pub(crate) const MODEL_SEED: u64 = 1;

/// Seed of the demo's draws (who answers, occasion and item noise). The demo's cells are small
/// (10–30 students), so one draw can stray far from the model; of the seeds 2026–2033 this one
/// puts the schools' belonging, safety and trusted-adult figures nearest the model's expected
/// values.
const ANSWER_SEED: u64 = 2033;

pub(crate) const PAST_WINDOWS: usize = 2;

/// One closed demo window: when, and how the district's climate stood then.
struct Past {
    key: &'static str,
    title: &'static str,
    opened_days_ago: i64,
    closed_days_ago: i64,
    /// Shift of every school's climate in this window (latent standard deviations): higher
    /// this term, so trends show a modest change.
    term: f64,
}

const PAST: [Past; PAST_WINDOWS] = [
    Past {
        key: "spring-2026",
        title: "Spring 2026 climate survey",
        opened_days_ago: 230,
        closed_days_ago: 216,
        term: -0.08,
    },
    Past {
        key: "fall-2026-early",
        title: "Fall 2026 early-term climate check",
        opened_days_ago: 45,
        closed_days_ago: 31,
        term: 0.08,
    },
];

/// The climate shift of past window `window` (0 = the oldest).
pub(crate) fn term_shift(window: usize) -> f64 {
    PAST[window].term
}

/// Share of students who answer, by past window (0 = the oldest), school (its highest grade)
/// and grade: most cells 82–92%; Riverbend (6–8) answered only half in the spring window, low
/// enough for the reports' low-response flag while its cells of 30 still report; and one small
/// group (Lakeview's grade 12) answers little, so its cell is suppressed.
fn response_rate(window: usize, school_high_grade: i32, grade: i32) -> f64 {
    match (school_high_grade, grade) {
        (12, 12) => 0.3,
        (12, g) => 0.88 - 0.03 * f64::from(g - 9),
        (8, _) if window == 0 => 0.5,
        (8, _) => 0.88,
        _ => 0.92,
    }
}

/// Creates the closed demo windows with their sealed answers; the caller opens their boxes
/// (`reports::opening`), as the survey job would.
pub fn closed_demo_windows(
    conn: &mut DbConnection,
    district_id: &str,
    opened_by: &str,
    instruments: &[(String, String, i32, i32)],
    schools: &[(String, i32, i32)],
) -> anyhow::Result<Vec<WindowRow>> {
    let now = db::now();
    let mut rng = StdRng::seed_from_u64(ANSWER_SEED);
    let model = Model::new();
    let mut windows = Vec::new();
    // Sealed under the public demo key and opened by the caller at once.
    let keys = SealKeys::demo();
    for (term, past) in PAST.iter().enumerate() {
        for (key, instrument_id, grade_min, grade_max) in instruments {
            let offered: Vec<&(String, i32, i32)> = schools
                .iter()
                .filter(|(_, low, high)| low <= grade_max && high >= grade_min)
                .collect();
            if offered.is_empty() {
                continue;
            }
            let grades: Vec<i32> = (*grade_min..=*grade_max).collect();
            let window = WindowRow::new(
                stable_id(district_id, "window", &format!("{}:{key}", past.key)),
                district_id,
                instrument_id,
                format!("{} (grades {grade_min}-{grade_max})", past.title),
                now - TimeDelta::days(past.opened_days_ago),
                now - TimeDelta::days(past.closed_days_ago),
                &grades,
                10,
                opened_by,
                now - TimeDelta::days(past.opened_days_ago + 1),
            );
            let school_ids: Vec<String> = offered.iter().map(|(id, _, _)| id.clone()).collect();
            queries::insert_window(conn, &window, &school_ids)
                .map_err(|e| anyhow!("window {}: {e:?}", window.title))?;
            // The demo's roster is as loaded today, every student counted as settled.
            roster::freeze(conn, &window, &keys, TimeDelta::zero(), now)
                .map_err(|e| anyhow!("window {}: {e:?}", window.title))?;
            windows.push(window.clone());
            let items =
                queries::instrument_items(conn, instrument_id).map_err(|e| anyhow!("{e:?}"))?;
            let plan = Plan::new(&items);
            // Answered on a day the window was open.
            let answered_at = window.opens_at + TimeDelta::days(3);
            for (school_id, _, high) in &offered {
                let school = schools
                    .iter()
                    .position(|(id, _, _)| id == school_id)
                    .unwrap_or_default();
                let climate = latent::school_climate(MODEL_SEED, school);
                let students: Vec<(String, Option<i32>)> = users::table
                    .filter(users::school_id.eq(school_id))
                    .filter(users::role.eq(Role::Student))
                    .filter(users::grade.eq_any(&grades))
                    .order(users::username.asc())
                    .select((users::id, users::grade))
                    .load(conn)?;
                for (student_id, grade) in students {
                    let grade = grade.unwrap_or_default();
                    if !rng.gen_bool(response_rate(term, *high, grade)) {
                        continue;
                    }
                    let caller = Caller {
                        user_id: student_id,
                        role: Role::Student,
                        district_id: district_id.to_owned(),
                        school_id: Some(school_id.clone()),
                        grade: Some(grade),
                    };
                    // The same student (by id) has the same stable traits in every window.
                    let student = model.student(MODEL_SEED, latent::key(&caller.user_id));
                    let means = model.means(climate, grade, term_shift(term));
                    let traits = model.traits(&student, &means, &mut rng);
                    let answers = plan.answers(&items, &traits, &mut rng);
                    let visible =
                        scope::window(conn, &caller, &window.id).map_err(|e| anyhow!("{e:?}"))?;
                    record_answers(
                        conn,
                        &visible,
                        &items,
                        &caller,
                        &answers,
                        None,
                        answered_at,
                        (&keys, TimeDelta::zero()),
                    )
                    .map_err(|e| anyhow!("demo answer: {e:?}"))?;
                }
            }
        }
    }
    Ok(windows)
}
