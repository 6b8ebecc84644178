//! `securebase purge`: forgets, per district, what its retention settings say is no longer
//! needed. Aggregates and anonymous responses are never touched, so reports stay the same.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::Role;
use crate::db::schema::{
    activation_codes, check_ins, district_retention, goal_reviews, goal_versions, goals,
    help_request_notes, help_requests, lesson_completions, refresh_tokens, student_goal_progress,
    survey_opt_outs, survey_participation, survey_window_roster, survey_windows, users,
};
use crate::db::{write_transaction, DbConnection};
use crate::error::ApiError;
use crate::surveys::models::WindowRow;

/// What a purge did (or, dry, would do) in one district.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Purged {
    pub district_id: String,
    /// Closed windows whose participation rows were removed.
    pub windows: u64,
    pub participation_rows: u64,
    pub opt_outs: u64,
    pub accounts_anonymized: u64,
    pub reflections_cleared: u64,
    pub check_in_notes_cleared: u64,
    /// Closed or withdrawn help requests removed, with their staff notes.
    pub help_requests_removed: u64,
}

/// One district's settings: its id, then days (`None`: keep) for participation, deactivated
/// accounts, reflections, check-in notes and closed help requests.
type Settings = (
    String,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

/// Why a district's transaction ends without committing.
enum Abort {
    /// A dry run: everything was done, then rolled back; here is what it did.
    DryRun(Purged),
    Failed(ApiError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Abort {
        Abort::Failed(e.into())
    }
}

impl From<ApiError> for Abort {
    fn from(e: ApiError) -> Abort {
        Abort::Failed(e)
    }
}

/// Applies every district's settings as of `now`; with `dry_run`, only counts.
pub fn purge(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    dry_run: bool,
) -> Result<Vec<Purged>, ApiError> {
    let settings: Vec<Settings> = district_retention::table
        .select((
            district_retention::district_id,
            district_retention::participation_days,
            district_retention::deactivated_account_days,
            district_retention::reflection_days,
            district_retention::check_in_note_days,
            district_retention::closed_help_request_days,
        ))
        .order(district_retention::district_id)
        .load(conn)?;
    let mut out = Vec::new();
    for setting in &settings {
        // One transaction per district; a dry run does all the work and rolls it back, so it
        // counts exactly what a real run would do.
        let result = write_transaction(conn, |conn| {
            let purged = purge_district(conn, setting, now)?;
            if dry_run {
                return Err(Abort::DryRun(purged));
            }
            crate::audit::record_in_transaction(
                conn,
                crate::audit::Actor::system(&setting.0),
                "retention.purge",
                serde_json::to_value(&purged).unwrap_or_default(),
            )?;
            Ok(purged)
        });
        match result {
            Ok(purged) | Err(Abort::DryRun(purged)) => out.push(purged),
            Err(Abort::Failed(e)) => return Err(e),
        }
    }
    Ok(out)
}

fn days_before(now: NaiveDateTime, days: i32) -> NaiveDateTime {
    now - TimeDelta::days(i64::from(days))
}

fn purge_district(
    conn: &mut DbConnection,
    (district, participation_days, account_days, reflection_days, note_days, request_days): &Settings,
    now: NaiveDateTime,
) -> Result<Purged, Abort> {
    let mut purged = Purged {
        district_id: district.clone(),
        ..Purged::default()
    };
    if let Some(days) = participation_days {
        let windows: Vec<WindowRow> = survey_windows::table
            .filter(survey_windows::district_id.eq(district))
            .filter(survey_windows::closes_at.lt(days_before(now, *days)))
            // Reports count from the aggregates built when the box was opened; a window not
            // opened yet keeps its rows until the survey job has opened it.
            .filter(survey_windows::opened_at.is_not_null())
            .select(WindowRow::as_select())
            .load(conn)?;
        for window in windows {
            let participation =
                survey_participation::table.filter(survey_participation::window_id.eq(&window.id));
            let opt_outs = survey_opt_outs::table.filter(survey_opt_outs::window_id.eq(&window.id));
            let rows: i64 = participation.count().get_result(conn)?;
            let opted: i64 = opt_outs.count().get_result(conn)?;
            let roster =
                survey_window_roster::table.filter(survey_window_roster::window_id.eq(&window.id));
            let offered: i64 = roster.count().get_result(conn)?;
            if rows + opted + offered == 0 {
                continue;
            }
            diesel::delete(participation).execute(conn)?;
            diesel::delete(roster).execute(conn)?;
            diesel::delete(opt_outs).execute(conn)?;
            purged.windows += 1;
            purged.participation_rows += rows as u64;
            purged.opt_outs += opted as u64;
        }
    }
    if let Some(days) = account_days {
        let due: Vec<String> = users::table
            .filter(users::district_id.eq(district))
            .filter(users::role.eq(Role::Student))
            .filter(users::active.eq(false))
            .filter(users::anonymized_at.is_null())
            .filter(users::deactivated_at.lt(days_before(now, *days)))
            .select(users::id)
            .load(conn)?;
        for id in &due {
            anonymize(conn, id, now)?;
        }
        purged.accounts_anonymized = due.len() as u64;
    }
    if let Some(days) = reflection_days {
        let students = users::table
            .filter(users::district_id.eq(district.clone()))
            .select(users::id);
        let cleared = diesel::update(
            lesson_completions::table
                .filter(lesson_completions::student_id.eq_any(students))
                // The last time the completion (and so its reflection) was written.
                .filter(lesson_completions::updated_at.lt(days_before(now, *days)))
                .filter(lesson_completions::reflection.is_not_null()),
        )
        .set(lesson_completions::reflection.eq(None::<String>))
        .execute(conn)?;
        purged.reflections_cleared = cleared as u64;
    }
    if let Some(days) = note_days {
        let students = users::table
            .filter(users::district_id.eq(district.clone()))
            .select(users::id);
        let cleared = diesel::update(
            check_ins::table
                .filter(check_ins::student_id.eq_any(students))
                .filter(check_ins::updated_at.lt(days_before(now, *days)))
                .filter(check_ins::note.is_not_null()),
        )
        .set(check_ins::note.eq(None::<String>))
        .execute(conn)?;
        purged.check_in_notes_cleared = cleared as u64;
    }
    if let Some(days) = request_days {
        let cutoff = days_before(now, *days);
        let students = users::table
            .filter(users::district_id.eq(district.clone()))
            .select(users::id);
        let done: Vec<String> = help_requests::table
            .filter(help_requests::student_id.eq_any(students))
            .filter(
                help_requests::closed_at
                    .lt(cutoff)
                    .or(help_requests::withdrawn_at.lt(cutoff)),
            )
            .select(help_requests::id)
            .load(conn)?;
        for chunk in done.chunks(500) {
            diesel::delete(
                help_request_notes::table.filter(help_request_notes::request_id.eq_any(chunk)),
            )
            .execute(conn)?;
            diesel::delete(help_requests::table.filter(help_requests::id.eq_any(chunk)))
                .execute(conn)?;
        }
        purged.help_requests_removed = done.len() as u64;
    }
    Ok(purged)
}

/// Removes what identifies a deactivated student, keeping the row (its school and grade still
/// count in aggregates, its enrollments and completions in class history).
fn anonymize(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    let (district_id, source_id): (String, Option<String>) = users::table
        .find(id)
        .select((users::district_id, users::source_id))
        .first(conn)?;
    let tombstone = source_id.map(|s| crate::oneroster::anonymized_source(&district_id, &s));
    let short: String = id.replace('-', "").chars().take(16).collect();
    let username = format!("former-{short}");
    diesel::update(users::table.find(id))
        .set((
            users::username.eq(&username),
            users::given_name.eq("Former"),
            users::family_name.eq("student"),
            users::email.eq(None::<String>),
            users::password_hash.eq(None::<String>),
            users::source_id.eq(tombstone),
            users::source_modified_at.eq(None::<NaiveDateTime>),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::failed_logins.eq(0),
            users::search_key.eq(format!("former student {username}")),
            users::anonymized_at.eq(Some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(id))).execute(conn)?;
    crate::auth::sessions::close_all_for_user(conn, id)?;
    diesel::delete(activation_codes::table.filter(activation_codes::user_id.eq(id)))
        .execute(conn)?;
    diesel::update(lesson_completions::table.filter(lesson_completions::student_id.eq(id)))
        .set(lesson_completions::reflection.eq(None::<String>))
        .execute(conn)?;
    // What the student wrote, and what staff wrote about them; feelings, topics and dates stay
    // for the totals.
    diesel::update(check_ins::table.filter(check_ins::student_id.eq(id)))
        .set(check_ins::note.eq(None::<String>))
        .execute(conn)?;
    let requests = help_requests::table
        .filter(help_requests::student_id.eq(id))
        .select(help_requests::id);
    diesel::delete(
        help_request_notes::table.filter(help_request_notes::request_id.eq_any(requests)),
    )
    .execute(conn)?;
    diesel::update(help_requests::table.filter(help_requests::student_id.eq(id)))
        .set(help_requests::message.eq(None::<String>))
        .execute(conn)?;
    // A student's personal goals are never aggregated: nothing of them needs to stay.
    let goals = goals::table
        .filter(goals::student_id.eq(id))
        .select(goals::id);
    diesel::delete(
        student_goal_progress::table.filter(student_goal_progress::goal_id.eq_any(goals)),
    )
    .execute(conn)?;
    diesel::delete(goal_reviews::table.filter(goal_reviews::goal_id.eq_any(goals)))
        .execute(conn)?;
    diesel::delete(goal_versions::table.filter(goal_versions::goal_id.eq_any(goals)))
        .execute(conn)?;
    diesel::delete(goals::table.filter(goals::student_id.eq(id))).execute(conn)?;
    Ok(())
}
