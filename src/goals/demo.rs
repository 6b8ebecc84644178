//! Demo goals, set through the same code as the API, then dated back: each demo school has a
//! belonging goal from the spring window's baseline, set ten weeks ago and reviewed monthly
//! (one review recorded, which changed its strategies, and the next one due), and a bullying or
//! safety goal set three weeks ago; the demo students of the README's sign-in table each have a
//! personal goal with three weeks of logs.

use chrono::{Datelike, NaiveDateTime, TimeDelta, Weekday};
use diesel::prelude::*;

use super::dto::{BaselineInput, GoalInput, ReviewInput, StrategyInput, StudentGoalInput};
use super::measure::Place;
use super::metric::{Metric, MetricKind};
use super::models::ProgressRow;
use super::vocab::{ClimateMeasure, ReviewCadence, StudentMeasure};
use super::{queries, reviews, routes, students};
use crate::accounts::{Caller, Role};
use crate::db::schema::{goal_reviews, goal_versions, goals, users};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::vocab::Indicator;

/// The students with a personal goal: the README's demo students, and what they work on.
const STUDENT_GOALS: &[(&str, &str, StudentMeasure, i32)] = &[
    (
        "alanap489",
        "Use my calm-down corner when I feel upset",
        StudentMeasure::TimesUsed,
        3,
    ),
    (
        "andreg197",
        "Speak up when something is wrong",
        StudentMeasure::YesDays,
        3,
    ),
    (
        "adityah171",
        "Get back to calm faster with box breathing",
        StudentMeasure::MinutesToCalm,
        10,
    ),
];

#[derive(Debug, Default, Clone, Copy)]
pub struct Loaded {
    pub goals: usize,
    pub student_goals: usize,
}

fn caller_with_role(
    conn: &mut DbConnection,
    district: &str,
    school: &str,
    role: Role,
) -> anyhow::Result<Option<Caller>> {
    let found: Option<String> = users::table
        .filter(users::district_id.eq(district))
        .filter(users::school_id.eq(school))
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .order(users::username.asc())
        .select(users::id)
        .first(conn)
        .optional()?;
    Ok(found.map(|user_id| Caller {
        user_id,
        role,
        district_id: district.to_owned(),
        school_id: Some(school.to_owned()),
        grade: None,
    }))
}

fn api(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("demo goals: {e:?}")
}

/// Moves a goal's creation (and its first version) back in time.
fn set_back(conn: &mut DbConnection, goal_id: &str, at: NaiveDateTime) -> anyhow::Result<()> {
    diesel::update(goals::table.find(goal_id))
        .set((goals::created_at.eq(at), goals::updated_at.eq(at)))
        .execute(conn)?;
    diesel::update(
        goal_versions::table
            .filter(goal_versions::goal_id.eq(goal_id))
            .filter(goal_versions::version.eq(1)),
    )
    .set(goal_versions::changed_at.eq(at))
    .execute(conn)?;
    Ok(())
}

/// The spring (oldest) closed window offered at the school and its lineage.
fn spring_window(
    conn: &mut DbConnection,
    district: &str,
    school: &str,
    now: NaiveDateTime,
) -> anyhow::Result<Option<(String, String)>> {
    let rows =
        crate::reports::queries::closed_windows_with_lineage(conn, district, Some(school), now)?;
    Ok(rows.into_iter().next().map(|(w, l)| (w.id, l)))
}

fn climate_goal(
    title: &str,
    school: &str,
    (window, lineage): &(String, String),
    indicator: Indicator,
    measure: ClimateMeasure,
    cadence: ReviewCadence,
    deadline: chrono::NaiveDate,
) -> GoalInput {
    GoalInput {
        title: title.to_owned(),
        school_id: Some(school.to_owned()),
        metric: Metric {
            kind: MetricKind::Climate,
            lineage_id: Some(lineage.clone()),
            indicator: Some(indicator),
            measure: Some(measure),
            grades: Vec::new(),
            competency: None,
        },
        baseline: BaselineInput {
            window_id: Some(window.clone()),
            term_id: None,
        },
        // Replaced below from the baseline.
        target: 0.0,
        deadline,
        cadence,
        owner_id: None,
        strategies: Vec::new(),
    }
}

/// Sets a goal with its target `step` beyond its baseline; None if the baseline is withheld at
/// this school (or its questionnaire does not ask the indicator).
fn set_goal(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &SealKeys,
    mut input: GoalInput,
    step: f64,
) -> anyhow::Result<Option<super::dto::Goal>> {
    let today = routes::today(conn, &caller.district_id).map_err(api)?;
    let place = Place {
        district_id: &caller.district_id,
        school_id: input.school_id.as_deref(),
    };
    let Ok(baseline) = routes::baseline(
        conn,
        caller,
        keys,
        place,
        &input.metric,
        &input.baseline,
        today,
    ) else {
        return Ok(None);
    };
    let Some(base) = baseline.value else {
        return Ok(None);
    };
    input.target = ((base + step) * 10.0).round() / 10.0;
    Ok(Some(
        routes::create(conn, caller, keys, input).map_err(api)?,
    ))
}

/// Loads the demo goals of `district` as of `now`.
pub fn load(conn: &mut DbConnection, district: &str, now: NaiveDateTime) -> anyhow::Result<Loaded> {
    let keys = SealKeys::demo();
    let today = routes::today(conn, district).map_err(api)?;
    let mut loaded = Loaded::default();
    for school in queries::school_ids(conn, district).map_err(api)? {
        let Some(admin) = caller_with_role(conn, district, &school, Role::SchoolAdmin)? else {
            continue;
        };
        let Some(spring) = spring_window(conn, district, &school, now)? else {
            continue;
        };
        let belonging = climate_goal(
            "More students feel they belong",
            &school,
            &spring,
            Indicator::Belonging,
            ClimateMeasure::PercentFavorable,
            ReviewCadence::Monthly,
            today + TimeDelta::days(200),
        );
        if let Some(goal) = set_goal(conn, &admin, &keys, belonging, 8.0)? {
            set_back(conn, &goal.id, now - TimeDelta::days(70))?;
            loaded.goals += 1;
            // The review of the first monthly point, which added a strategy; the second point
            // (ten days ago) is due.
            let review = reviews::review(
                conn,
                &admin,
                &keys,
                &goal.id,
                ReviewInput {
                    what_happened: "Advisory circles started in every grade; attendance at the \
                                    lunch clubs doubled."
                        .to_owned(),
                    what_changes: "Add a peer-welcome strategy for students who joined this \
                                   year."
                        .to_owned(),
                    target: None,
                    deadline: None,
                    strategies: Some(vec![
                        StrategyInput {
                            lesson_plan_id: None,
                            mentoring_program_id: None,
                            note: Some("Weekly advisory circles".to_owned()),
                        },
                        StrategyInput {
                            lesson_plan_id: None,
                            mentoring_program_id: None,
                            note: Some("Peer welcome buddies for new students".to_owned()),
                        },
                    ]),
                    next_review_on: None,
                },
            )
            .map_err(api)?;
            let reviewed_at = now - TimeDelta::days(38);
            diesel::update(goal_reviews::table.find(&review.id))
                .set(goal_reviews::reviewed_at.eq(reviewed_at))
                .execute(conn)?;
            diesel::update(
                goal_versions::table
                    .filter(goal_versions::goal_id.eq(&goal.id))
                    .filter(goal_versions::version.eq(2)),
            )
            .set(goal_versions::changed_at.eq(reviewed_at))
            .execute(conn)?;
            diesel::update(goals::table.find(&goal.id))
                .set(goals::updated_at.eq(reviewed_at))
                .execute(conn)?;
        }
        // A second goal: less bullying, or where the questionnaire does not ask it (or its
        // baseline is withheld), a safer feeling school.
        let second = [
            (
                "Less frequent bullying",
                Indicator::BullyingVictimization,
                ClimateMeasure::FrequentVictimization,
                -4.0,
            ),
            (
                "More students feel safe",
                Indicator::Safety,
                ClimateMeasure::PercentFavorable,
                6.0,
            ),
        ];
        for (title, indicator, measure, step) in second {
            let input = climate_goal(
                title,
                &school,
                &spring,
                indicator,
                measure,
                ReviewCadence::Quarterly,
                today + TimeDelta::days(300),
            );
            if let Some(goal) = set_goal(conn, &admin, &keys, input, step)? {
                set_back(conn, &goal.id, now - TimeDelta::days(21))?;
                loaded.goals += 1;
                break;
            }
        }
    }
    loaded.student_goals = student_goals(conn, district, now, &keys)?;
    Ok(loaded)
}

fn student_goals(
    conn: &mut DbConnection,
    district: &str,
    now: NaiveDateTime,
    keys: &SealKeys,
) -> anyhow::Result<usize> {
    let today = routes::today(conn, district).map_err(api)?;
    let mut count = 0;
    for (n, (username, title, measure, target)) in STUDENT_GOALS.iter().enumerate() {
        let found: Option<(String, Option<String>)> = users::table
            .filter(users::district_id.eq(district))
            .filter(users::username.eq(*username))
            .select((users::id, users::school_id))
            .first(conn)
            .optional()?;
        let Some((student_id, Some(school))) = found else {
            continue;
        };
        let Some(counselor) = caller_with_role(conn, district, &school, Role::Counselor)? else {
            continue;
        };
        let goal = students::create(
            conn,
            &counselor,
            keys,
            &student_id,
            StudentGoalInput {
                title: (*title).to_owned(),
                measure: *measure,
                weekly_target: *target,
                review_on: today + TimeDelta::days(14),
                strategies: Vec::new(),
            },
        )
        .map_err(api)?;
        set_back(conn, &goal.id, now - TimeDelta::days(21))?;
        // School days of the last three weeks up to yesterday, logged on most of them.
        let mut logs = Vec::new();
        for back in (1..=21).rev() {
            let day = today - TimeDelta::days(back);
            if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) || (back + n as i64) % 4 == 3 {
                continue;
            }
            let value = match measure {
                StudentMeasure::TimesUsed => ((back + n as i64) % 3) as i32,
                StudentMeasure::YesDays => i32::from((back + n as i64) % 2 == 0),
                StudentMeasure::MinutesToCalm => 20 - (20 - back as i32) / 2,
            };
            logs.push(ProgressRow {
                id: db::new_id(),
                goal_id: goal.id.clone(),
                on_day: day,
                value,
                check_in_id: None,
                created_at: now,
                updated_at: now,
            });
        }
        for row in &logs {
            queries::record_progress(conn, row).map_err(api)?;
        }
        count += 1;
    }
    Ok(count)
}
