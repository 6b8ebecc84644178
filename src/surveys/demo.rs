//! Closed demo windows with answers, so the demo has reports to read: the previous term's and an
//! earlier one this term, beside the open window students can take. Answers go through the
//! submission code path (validation, scoring, the two-row transaction), with dates relative to
//! the day of the load.

use anyhow::anyhow;
use chrono::TimeDelta;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::dto::Answer;
use super::library::stable_id;
use super::models::WindowRow;
use super::queries;
use super::responses::record_answers;
use super::roster;
use super::synthetic::draw;
use super::vocab::Indicator;
use crate::auth::{Caller, Role};
use crate::authz;
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::seal::SealKeys;

/// One closed demo window: when, and how the school felt then.
struct Past {
    key: &'static str,
    title: &'static str,
    opened_days_ago: i64,
    closed_days_ago: i64,
    /// Mean latent well-being of respondents (0–1): higher this term, so trends show a change.
    wellbeing: f64,
}

const PAST: [Past; 2] = [
    Past {
        key: "spring-2026",
        title: "Spring 2026 climate survey",
        opened_days_ago: 230,
        closed_days_ago: 216,
        wellbeing: 0.52,
    },
    Past {
        key: "fall-2026-early",
        title: "Fall 2026 early-term climate check",
        opened_days_ago: 45,
        closed_days_ago: 31,
        wellbeing: 0.64,
    },
];

/// Share of students who answer; one small group answers little, so its cell is suppressed.
fn response_rate(school_high_grade: i32, grade: i32) -> f64 {
    if school_high_grade == 12 && grade == 12 {
        0.3
    } else {
        0.85
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
    let mut rng = StdRng::seed_from_u64(2026);
    let mut windows = Vec::new();
    // Sealed under the public demo key and opened by the caller at once.
    let keys = SealKeys::demo();
    for past in &PAST {
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
            // Answered on a day the window was open.
            let answered_at = window.opens_at + TimeDelta::days(3);
            for (school_id, _, high) in &offered {
                let students: Vec<(String, Option<i32>)> = users::table
                    .filter(users::school_id.eq(school_id))
                    .filter(users::role.eq("student"))
                    .filter(users::grade.eq_any(&grades))
                    .order(users::username.asc())
                    .select((users::id, users::grade))
                    .load(conn)?;
                for (student_id, grade) in students {
                    let grade = grade.unwrap_or_default();
                    if !rng.gen_bool(response_rate(*high, grade)) {
                        continue;
                    }
                    let caller = Caller {
                        user_id: student_id,
                        role: Role::Student,
                        district_id: district_id.to_owned(),
                        school_id: Some(school_id.clone()),
                        grade: Some(grade),
                    };
                    let wellbeing = (past.wellbeing + rng.gen_range(-0.3..0.3)).clamp(0.0, 1.0);
                    let answers: Vec<Answer> = items
                        .iter()
                        .map(|item| Answer {
                            item_id: item.id.clone(),
                            value: draw(
                                &mut rng,
                                item.scale(),
                                item.reverse_scored,
                                item.indicator() == Indicator::BullyingVictimization,
                                wellbeing,
                            ),
                        })
                        .collect();
                    let visible =
                        authz::window(conn, &caller, &window.id).map_err(|e| anyhow!("{e:?}"))?;
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
