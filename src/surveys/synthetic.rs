//! Synthetic load data: a district of N schools and M students per school whose survey answers
//! are submitted through the same code path as the API (scope check, validation, scoring, the
//! two-row transaction). For benchmarks and for exercising reports at scale. The answers come
//! from the latent model (`latent`; README "Demo and synthetic answers").

use std::time::Instant;

use anyhow::anyhow;
use chrono::TimeDelta;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::latent::{self, Model, Plan};
use super::models::WindowRow;
use super::queries;
use super::responses::record_answers;
use super::roster;
use super::scope;
use crate::accounts::{Caller, Role, UserRow};
use crate::auth::password;
use crate::db::schema::districts;
use crate::db::{self, write_transaction, DbConnection};
use crate::rosters::models::School;
use crate::rosters::queries as rosters;
use crate::seal::SealKeys;

#[derive(Debug, Clone)]
pub struct Spec {
    pub schools: usize,
    pub students_per_school: usize,
    /// Share of students who answer (0–1).
    pub response_rate: f64,
    pub seed: u64,
    /// Close the window after the submissions, so reports can read it.
    pub close: bool,
    /// Earlier windows of the same questionnaire, already closed, that the same students
    /// answered (for trends and for report benchmarks at scale).
    pub past_windows: usize,
}

#[derive(Debug)]
pub struct Generated {
    pub district_id: String,
    pub window_id: String,
    /// The past windows, oldest first.
    pub past_window_ids: Vec<String>,
    pub admin_id: String,
    pub students: usize,
    pub responses: usize,
    /// Students who did not answer (all of them at a response rate of 0): the respondents a load
    /// benchmark signs in as.
    pub pending: Vec<Caller>,
    pub seconds: f64,
}

/// How much lower each earlier window's climate is than the next one's (latent standard
/// deviations, `latent::Model::means`): past windows show a gentle improvement.
const TERM_STEP: f64 = 0.05;

/// Submissions per transaction.
const CHUNK: usize = 1000;

/// Generates the district and its sealed answers; closed windows (the past ones, and the last
/// with `close`) are left for the survey job to open (`reports::opening::run_job`), as the
/// command does right after.
pub fn generate(
    conn: &mut DbConnection,
    spec: &Spec,
    keys: &SealKeys,
) -> anyhow::Result<Generated> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let now = db::now();
    let district_id = db::new_id();
    let admin_id = db::new_id();
    // Synthetic accounts cannot sign in: one random password hash for all of them.
    let hash = password::hash(&db::new_id()).map_err(|e| anyhow!("{e}"))?;
    let (windows, students) = write_transaction(
        conn,
        |conn| -> anyhow::Result<(Vec<WindowRow>, Vec<Caller>)> {
            diesel::insert_into(districts::table)
                .values((
                    districts::id.eq(&district_id),
                    districts::name.eq(format!(
                        "Synthetic District {} ({})",
                        spec.seed,
                        &district_id[..8]
                    )),
                    districts::created_at.eq(now),
                    districts::updated_at.eq(now),
                ))
                .execute(conn)?;
            let user = |id: &str,
                        role: Role,
                        school: Option<&str>,
                        grade: Option<i32>,
                        username: String| UserRow {
                id: id.to_owned(),
                district_id: district_id.clone(),
                school_id: school.map(str::to_owned),
                role,
                username,
                email: None,
                given_name: "Synthetic".to_owned(),
                family_name: "Student".to_owned(),
                grade,
                password_hash: Some(hash.clone()),
                active: true,
                failed_logins: 0,
                locked_until: None,
                created_at: now,
                updated_at: now,
            };
            let tag = &district_id[..8];
            rosters::insert_user(
                conn,
                &user(
                    &admin_id,
                    Role::DistrictAdmin,
                    None,
                    None,
                    format!("syn-{tag}-admin"),
                ),
            )
            .map_err(|e| anyhow!("{e:?}"))?;
            let instruments = super::library::install_starter(conn, &district_id, &admin_id)?;
            let (_, instrument_id, grade_min, grade_max) = instruments
                .iter()
                .find(|(_, _, min, _)| *min >= 6)
                .cloned()
                .ok_or_else(|| anyhow!("the starter instrument has no grades 6-12 version"))?;
            let mut school_ids = Vec::new();
            let mut students = Vec::new();
            for s in 0..spec.schools {
                let school = School {
                    id: db::new_id(),
                    district_id: district_id.clone(),
                    name: format!("Synthetic School {s:04}"),
                    low_grade: grade_min,
                    high_grade: grade_max,
                    active: true,
                    created_at: now,
                    updated_at: now,
                };
                rosters::insert_school(conn, &school).map_err(|e| anyhow!("{e:?}"))?;
                for i in 0..spec.students_per_school {
                    let grade = grade_min + (i as i32 % (grade_max - grade_min + 1));
                    let id = db::new_id();
                    let row = user(
                        &id,
                        Role::Student,
                        Some(&school.id),
                        Some(grade),
                        format!("syn-{tag}-{s}-{i}"),
                    );
                    rosters::insert_user(conn, &row).map_err(|e| anyhow!("{e:?}"))?;
                    students.push(Caller {
                        user_id: id,
                        role: Role::Student,
                        district_id: district_id.clone(),
                        school_id: Some(school.id.clone()),
                        grade: Some(grade),
                    });
                }
                school_ids.push(school.id);
            }
            let grades: Vec<i32> = (grade_min..=grade_max).collect();
            let window_at = |n: usize, opens_at, closes_at| {
                WindowRow::new(
                    db::new_id(),
                    &district_id,
                    &instrument_id,
                    format!("Synthetic window {n} (seed {})", spec.seed),
                    opens_at,
                    closes_at,
                    &grades,
                    10,
                    &admin_id,
                    now,
                )
            };
            // Past windows lie 60 days apart, each open for two weeks.
            let mut windows = Vec::new();
            for n in 0..spec.past_windows {
                let opens = now - TimeDelta::days(60 * (spec.past_windows - n) as i64 + 30);
                windows.push(window_at(n + 1, opens, opens + TimeDelta::days(14)));
            }
            windows.push(window_at(
                spec.past_windows + 1,
                now - TimeDelta::days(30),
                now + TimeDelta::days(1),
            ));
            for window in &windows {
                queries::insert_window(conn, window, &school_ids).map_err(|e| anyhow!("{e:?}"))?;
                // Synthetic students are made just now: all of them count as settled.
                roster::freeze(conn, window, keys, TimeDelta::zero(), now)
                    .map_err(|e| anyhow!("{e:?}"))?;
            }
            Ok((windows, students))
        },
    )?;

    let items =
        queries::instrument_items(conn, &windows[0].instrument_id).map_err(|e| anyhow!("{e:?}"))?;
    // The latent model (`latent`): every school its climate, every student stable traits (by the
    // seed and their index, so the same in every window), answers by the graded-response model.
    let model = Model::new();
    let plan = Plan::new(&items);
    let climates: Vec<f64> = (0..spec.schools)
        .map(|s| latent::school_climate(spec.seed, s))
        .collect();
    let mut responses = 0;
    let mut pending = Vec::new();
    let last = windows.len() - 1;
    for (n, window) in windows.iter().enumerate() {
        // Answered while the window was open; the current one, now.
        let answered_at = if n == last {
            db::now()
        } else {
            window.opens_at + TimeDelta::days(1)
        };
        let term = -TERM_STEP * (last - n) as f64;
        // Each submission runs the API's code path; they are committed a thousand at a time
        // only because one commit per answer would make a million-answer data set take hours.
        for (c, chunk) in students.chunks(CHUNK).enumerate() {
            let mut answered = 0;
            write_transaction(conn, |conn| -> anyhow::Result<()> {
                for (i, student) in chunk.iter().enumerate() {
                    if !rng.gen_bool(spec.response_rate.clamp(0.0, 1.0)) {
                        if n == last {
                            pending.push(student.clone());
                        }
                        continue;
                    }
                    // Students were made school by school, `students_per_school` each.
                    let index = c * CHUNK + i;
                    let school = index / spec.students_per_school.max(1);
                    let means =
                        model.means(climates[school], student.grade.unwrap_or_default(), term);
                    let traits =
                        model.traits(&model.student(spec.seed, index as u64), &means, &mut rng);
                    let answers = plan.answers(&items, &traits, &mut rng);
                    let visible =
                        scope::window(conn, student, &window.id).map_err(|e| anyhow!("{e:?}"))?;
                    record_answers(
                        conn,
                        &visible,
                        &items,
                        student,
                        &answers,
                        None,
                        answered_at,
                        (keys, TimeDelta::zero()),
                    )
                    .map_err(|e| anyhow!("submission failed: {e:?}"))?;
                    answered += 1;
                }
                Ok(())
            })?;
            responses += answered;
        }
    }
    let window = windows[last].clone();
    if spec.close {
        diesel::update(crate::db::schema::survey_windows::table.find(&window.id))
            .set(crate::db::schema::survey_windows::closes_at.eq(db::now()))
            .execute(conn)?;
    }
    Ok(Generated {
        district_id,
        window_id: window.id,
        past_window_ids: windows[..last].iter().map(|w| w.id.clone()).collect(),
        admin_id,
        students: students.len(),
        responses,
        pending,
        seconds: started.elapsed().as_secs_f64(),
    })
}
