//! The counselor's "students to notice": students whose recent check-ins show a pattern worth a
//! conversation. It is a prompt, never a diagnosis. The rule, with the district's settings
//! (defaults in brackets):
//! - a *hard day* is a check-in with a distressing feeling (worried, sad, angry, frustrated,
//!   overwhelmed or lonely) at intensity ≥ `notice_intensity` [4];
//! - **sustained**: at least `notice_days` [3] hard days within the last
//!   `notice_lookback_days` [7] calendar days (today included);
//! - **sudden change** (when `notice_sudden_change` [on]): the latest check-in, within the
//!   look-back, is a hard day, and the 14 days before it hold at least 3 check-ins, none with a
//!   distressing feeling.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{NaiveDate, TimeDelta};

use super::dto::{NoticeList, StudentToNotice};
use super::queries::{self, CheckInFact};
use super::scope;
use super::settings::SupportSettings;
use super::vocab::distressing;
use crate::accounts::Caller;
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::IdPath;
use crate::state::AppState;

/// Days before a check-in that a sudden change compares it with, and how many check-ins they
/// must hold.
const CALM_BEFORE_DAYS: i64 = 14;
const CALM_BEFORE_CHECK_INS: usize = 3;

pub fn rule_text(s: &SupportSettings) -> String {
    let mut text = format!(
        "At least {} hard days (a distressing feeling at intensity {} or more) in the last {} \
         days",
        s.notice_days, s.notice_intensity, s.notice_lookback_days
    );
    if s.notice_sudden_change {
        text.push_str(
            "; or a hard day as the latest check-in after at least 3 check-ins in the 14 days \
             before it with no distressing feeling",
        );
    }
    text.push_str(". A prompt to check in with the student, not a diagnosis.");
    text
}

/// Why one student's check-ins (any order) match the rule, if they do, with the hard days in
/// the look-back and the last day.
pub fn reasons(
    facts: &[&CheckInFact],
    s: &SupportSettings,
    today: NaiveDate,
) -> Option<(Vec<String>, i64, NaiveDate)> {
    let since = today - TimeDelta::days(i64::from(s.notice_lookback_days) - 1);
    let hard = |f: &CheckInFact| distressing(f.2) && f.3 >= s.notice_intensity;
    let recent: Vec<&&CheckInFact> = facts
        .iter()
        .filter(|f| f.1 >= since && f.1 <= today)
        .collect();
    let hard_days = recent.iter().filter(|f| hard(f)).count() as i64;
    let latest = recent.iter().max_by_key(|f| f.1)?;
    let mut why = Vec::new();
    if hard_days >= i64::from(s.notice_days) {
        why.push("sustained".to_owned());
    }
    if s.notice_sudden_change && hard(latest) {
        let before: Vec<&&CheckInFact> = facts
            .iter()
            .filter(|f| f.1 < latest.1 && f.1 >= latest.1 - TimeDelta::days(CALM_BEFORE_DAYS))
            .collect();
        if before.len() >= CALM_BEFORE_CHECK_INS && before.iter().all(|f| !distressing(f.2)) {
            why.push("sudden_change".to_owned());
        }
    }
    (!why.is_empty()).then_some((why, hard_days, latest.1))
}

/// Students of a school whose recent check-ins match the district's rule, most hard days first:
/// for the school's counselors.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = NoticeList),
        Forbidden,
        NotFound,
    )
)]
#[get("/schools/{id}/check-ins/notice")]
pub async fn students_to_notice(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<NoticeList>, ApiError> {
    let id = path.into_inner().id;
    let list = state
        .db
        .run(move |conn| {
            let school = scope::notice_school(conn, &caller, &id)?;
            let settings = queries::settings(conn, &caller.district_id)?;
            let today = settings.clock().local_day(db::now());
            // The look-back, and for a sudden change the days before its first day.
            let from = today
                - TimeDelta::days(i64::from(settings.notice_lookback_days) + CALM_BEFORE_DAYS);
            let facts = queries::facts_of_school(conn, &school.id, None, from, today)?;
            let mut by_student: BTreeMap<&str, Vec<&CheckInFact>> = BTreeMap::new();
            for f in &facts {
                by_student.entry(f.0.as_str()).or_default().push(f);
            }
            let matched: Vec<(String, Vec<String>, i64, NaiveDate)> = by_student
                .into_iter()
                .filter_map(|(student, facts)| {
                    reasons(&facts, &settings, today)
                        .map(|(why, hard, last)| (student.to_owned(), why, hard, last))
                })
                .collect();
            let ids: Vec<String> = matched.iter().map(|m| m.0.clone()).collect();
            let people = queries::people(conn, &ids)?;
            let mut items: Vec<StudentToNotice> = matched
                .into_iter()
                .filter_map(|(id, reasons, hard_days, last_check_in)| {
                    people.iter().find(|p| p.id == id).map(|p| StudentToNotice {
                        student: p.clone(),
                        hard_days,
                        last_check_in,
                        reasons,
                    })
                })
                .collect();
            items.sort_by(|a, b| {
                b.hard_days
                    .cmp(&a.hard_days)
                    .then_with(|| a.student.family_name.cmp(&b.student.family_name))
                    .then_with(|| a.student.id.cmp(&b.student.id))
            });
            Ok(NoticeList {
                rule: rule_text(&settings),
                items,
            })
        })
        .await?;
    Ok(web::Json(list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::vocab::Emotion;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn fact(d: u32, e: Emotion, i: i32) -> CheckInFact {
        ("s".into(), day(d), e, i)
    }

    #[test]
    fn three_hard_days_in_a_week_are_sustained() {
        let s = SupportSettings::default();
        let facts = [
            fact(1, Emotion::Worried, 4),
            fact(3, Emotion::Sad, 5),
            fact(4, Emotion::Calm, 2),
            fact(7, Emotion::Overwhelmed, 4),
        ];
        let refs: Vec<&CheckInFact> = facts.iter().collect();
        let (why, hard, last) = reasons(&refs, &s, day(7)).unwrap();
        assert_eq!(why, vec!["sustained".to_owned()]);
        assert_eq!((hard, last), (3, day(7)));
        // On the 10th the first two have left the 7-day look-back.
        assert!(reasons(&refs, &s, day(10)).is_none());
    }

    #[test]
    fn intensity_below_the_rule_is_not_a_hard_day() {
        let s = SupportSettings::default();
        let facts = [
            fact(1, Emotion::Worried, 3),
            fact(2, Emotion::Sad, 3),
            fact(3, Emotion::Angry, 3),
        ];
        let refs: Vec<&CheckInFact> = facts.iter().collect();
        assert!(reasons(&refs, &s, day(3)).is_none());
    }

    #[test]
    fn a_hard_day_after_calm_ones_is_a_sudden_change() {
        let s = SupportSettings::default();
        let facts = [
            fact(1, Emotion::Calm, 2),
            fact(2, Emotion::Happy, 3),
            fact(4, Emotion::Tired, 3),
            fact(7, Emotion::Lonely, 5),
        ];
        let refs: Vec<&CheckInFact> = facts.iter().collect();
        let (why, hard, _) = reasons(&refs, &s, day(7)).unwrap();
        assert_eq!(why, vec!["sudden_change".to_owned()]);
        assert_eq!(hard, 1);
        let off = SupportSettings {
            notice_sudden_change: false,
            ..SupportSettings::default()
        };
        assert!(reasons(&refs, &off, day(7)).is_none());
    }
}
