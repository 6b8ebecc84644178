//! Daily check-ins: a student records how they are; the student reads their own history; the
//! adults the district allows read a student's, each read audited.

use actix_web::{get, put, web};
use chrono::{Datelike, NaiveDate, TimeDelta};

use super::dto::{
    CheckIn, CheckInInput, CheckInReceipt, CheckInWeek, MyCheckIns, StudentCheckIns, WeeksQuery,
    WhoCanRead,
};
use super::help_requests::open_request;
use super::models::CheckInRow;
use super::settings::SupportSettings;
use super::vocab::{HelpTopic, Urgency};
use super::{queries, scope};
use crate::accounts::{Authorized, Caller, Students};
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::rosters::models::PersonRef;
use crate::state::AppState;

const DEFAULT_WEEKS: i64 = 8;

/// The Monday of a day's week.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The first day of the `weeks` weeks up to and including `today`'s.
pub fn first_day(today: NaiveDate, weeks: i64) -> NaiveDate {
    week_of(today) - TimeDelta::weeks(weeks - 1)
}

pub fn who_can_read(settings: &SupportSettings) -> WhoCanRead {
    let (individual, totals_only, summary) = if settings.teachers_see_check_ins {
        (
            vec!["counselor", "teacher"],
            vec!["school_admin", "district_admin"],
            "Your school's counselors and your teachers can read your check-ins, notes included. \
             School and district administrators see only totals, never your name. Each time an \
             adult reads your check-ins, it is recorded.",
        )
    } else {
        (
            vec!["counselor"],
            vec!["teacher", "school_admin", "district_admin"],
            "Your school's counselors can read your check-ins, notes included. Your teachers and \
             school and district administrators see only totals, never your name. Each time an \
             adult reads your check-ins, it is recorded.",
        )
    };
    WhoCanRead {
        summary: summary.to_owned(),
        individual: individual.into_iter().map(str::to_owned).collect(),
        totals_only: totals_only.into_iter().map(str::to_owned).collect(),
    }
}

pub fn view(row: CheckInRow) -> CheckIn {
    CheckIn {
        id: row.id,
        on: row.on_day,
        emotion: row.emotion,
        intensity: row.intensity,
        note: row.note,
        updated_at: row.updated_at,
    }
}

/// Check-ins (newest first) grouped into each week from `first` to `today`'s, newest first;
/// weeks without a check-in are listed empty.
fn by_week(rows: Vec<CheckInRow>, first: NaiveDate, today: NaiveDate) -> Vec<CheckInWeek> {
    let mut weeks = Vec::new();
    let mut monday = week_of(today);
    while monday >= first {
        let sunday = monday + TimeDelta::days(6);
        let check_ins: Vec<CheckIn> = rows
            .iter()
            .filter(|r| (monday..=sunday).contains(&r.on_day))
            .cloned()
            .map(view)
            .collect();
        let mean_intensity = (!check_ins.is_empty()).then(|| {
            let sum: i32 = check_ins.iter().map(|c| c.intensity).sum();
            (f64::from(sum) / check_ins.len() as f64 * 100.0).round() / 100.0
        });
        weeks.push(CheckInWeek {
            week_of: monday,
            check_ins,
            mean_intensity,
        });
        monday -= TimeDelta::weeks(1);
    }
    weeks
}

/// A student's own check-ins of the last `weeks` weeks, who can read them, and the crisis line.
pub fn mine(
    conn: &mut db::DbConnection,
    caller: &Authorized<Students>,
    weeks: i64,
) -> Result<MyCheckIns, ApiError> {
    let settings = queries::settings(conn, &caller.district_id)?;
    let today = settings.clock().local_day(db::now());
    let first = first_day(today, weeks);
    let rows = queries::check_ins_of(conn, &caller.user_id, first, today)?;
    Ok(MyCheckIns {
        who_can_read: who_can_read(&settings),
        weeks: by_week(rows, first, today),
        crisis_message: settings.crisis_message,
    })
}

/// Your own check-ins by week, newest first, with who can read them.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(WeeksQuery),
    responses(
        (status = 200, body = MyCheckIns),
        (status = 403, description = "Only students check in"),
    )
)]
#[get("/me/check-ins")]
pub async fn my_check_ins(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
    query: ValidQuery<WeeksQuery>,
) -> Result<web::Json<MyCheckIns>, ApiError> {
    let weeks = query.0.weeks.unwrap_or(DEFAULT_WEEKS);
    let mine = state.db.run(move |conn| mine(conn, &caller, weeks)).await?;
    Ok(web::Json(mine))
}

/// Record how you are today (a second check-in the same day replaces the first). `on` may name
/// an earlier day of this week to fill in a missed one. With `wants_to_talk`, a help request to the
/// school's counselors is opened too.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), request_body = CheckInInput,
    responses(
        (status = 200, body = CheckInReceipt),
        (status = 403, description = "Only students check in"),
        (status = 422, description = "A feeling outside the vocabulary, an intensity outside 1–5, a note too long, or a day in the future or of an ended week"),
    )
)]
#[put("/me/check-ins")]
pub async fn record_check_in(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
    body: ValidJson<CheckInInput>,
) -> Result<web::Json<CheckInReceipt>, ApiError> {
    let input = body.0;
    let receipt = state
        .db
        .write(move |conn| record(conn, &caller, &input))
        .await?;
    Ok(web::Json(receipt))
}

/// Records a student's check-in (replacing the same day's), opening a help request when asked.
pub fn record(
    conn: &mut db::DbConnection,
    student: &Authorized<Students>,
    input: &CheckInInput,
) -> Result<CheckInReceipt, ApiError> {
    let caller: &Caller = student;
    let settings = queries::settings(conn, &caller.district_id)?;
    let now = db::now();
    let today = settings.clock().local_day(now);
    let on = input.on.unwrap_or(today);
    if on > today {
        return Err(ApiError::invalid("on", "must not be in the future"));
    }
    if on < week_of(today) {
        // An ended week's totals are kept as they were (`figures`); its check-ins stay too.
        return Err(ApiError::invalid(
            "on",
            format!("must be a day of this week (from {})", week_of(today)),
        ));
    }
    let (Some(school_id), Some(grade)) = (caller.school_id.clone(), caller.grade) else {
        return Err(ApiError::conflict(
            None,
            "your account has no school or grade yet; ask your school to add them",
        ));
    };
    let row = CheckInRow {
        id: db::new_id(),
        student_id: caller.user_id.clone(),
        school_id,
        grade,
        on_day: on,
        emotion: input.emotion,
        intensity: input.intensity,
        note: input.note.clone(),
        created_at: now,
        updated_at: now,
    };
    let (stored, created) = queries::record_check_in(conn, &row)?;
    let help_request = if input.wants_to_talk {
        Some(match queries::open_request_of_check_in(conn, &stored.id)? {
            Some(open) => open,
            None => open_request(
                conn,
                caller,
                &settings,
                None,
                HelpTopic::SomethingElse,
                Urgency::ThisWeek,
                None,
                Some(stored.id.clone()),
                now,
            )?,
        })
    } else {
        None
    };
    let help_request = match help_request {
        Some(r) => Some(super::help_requests::student_view(conn, r, &settings)?),
        None => None,
    };
    Ok(CheckInReceipt {
        check_in: view(stored),
        replaced: !created,
        help_request,
        who_can_read: who_can_read(&settings),
        crisis_message: settings.crisis_message,
    })
}

/// A student's check-ins by week, notes included: the counselors of the student's school, and
/// the student's own teachers where the district allows it. Every read is in the audit trail.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(IdPath, WeeksQuery),
    responses(
        (status = 200, body = StudentCheckIns),
        Forbidden,
        NotFound,
    )
)]
#[get("/students/{id}/check-ins")]
pub async fn student_check_ins(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    query: ValidQuery<WeeksQuery>,
) -> Result<web::Json<StudentCheckIns>, ApiError> {
    let id = path.into_inner().id;
    let weeks = query.0.weeks.unwrap_or(DEFAULT_WEEKS);
    let found = state
        .db
        .run(move |conn| {
            let settings = queries::settings(conn, &caller.district_id)?;
            let student = scope::student_check_ins(conn, &caller, &settings, &id)?;
            let today = settings.clock().local_day(db::now());
            let first = first_day(today, weeks);
            let rows = queries::check_ins_of(conn, &student.id, first, today)?;
            crate::audit::record(
                conn,
                &caller,
                "check_ins.read",
                serde_json::json!({"student_id": student.id, "from": first, "to": today}),
            )?;
            Ok(StudentCheckIns {
                student: PersonRef {
                    id: student.id.clone(),
                    given_name: student.given_name.clone(),
                    family_name: student.family_name.clone(),
                },
                weeks: by_week(rows, first, today),
            })
        })
        .await?;
    Ok(web::Json(found))
}
