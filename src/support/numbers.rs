//! Student-support numbers for district staff, without names, for ended periods only, each kept
//! as first computed (`figures`): per school and month, help
//! requests by topic, the median time to acknowledge and the share acknowledged in time; per
//! school and week, how many students checked in. Counts below the district's threshold k are
//! withheld, as in check-in totals (`summary`):
//! - a month with 1 to k−1 requests shows none of its figures;
//! - a topic with 1 to k−1 requests is withheld, and when it is the only one, so is the
//!   smallest shown non-zero topic (the total minus the others would give it back);
//! - the median time to acknowledge needs k acknowledged requests, the share in time k requests
//!   whose deadline has passed (or that were acknowledged);
//! - a week with 1 to k−1 students checked in shows no count.
//!
//! Median: the middle value of the sorted hours (the mean of the two middle ones for an even
//! count), in hours of wall-clock time from the request to its acknowledgement, to 0.1 h.

use actix_web::{get, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::figures;
use super::models::HelpRequestRow;
use super::queries;
use super::school_time::SchoolClock;
use super::vocab::{HelpState, HelpTopic};
use crate::accounts::{Authorized, DistrictAdmins};
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::ValidQuery;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NumbersQuery {
    /// Ended months before this one (default 3, at most 24).
    #[validate(range(min = 1, max = 24))]
    #[param(minimum = 1, maximum = 24)]
    pub months: Option<i32>,
    /// Ended weeks of check-in participation before this one (default 8, at most 52).
    #[validate(range(min = 1, max = 52))]
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TopicCount {
    pub topic: HelpTopic,
    /// Null when withheld.
    #[schema(minimum = 0)]
    pub requests: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthOfRequests {
    /// `YYYY-MM`, in the district's time zone.
    pub month: String,
    /// Null when 1 to k−1.
    #[schema(minimum = 0)]
    pub requests: Option<i64>,
    pub by_topic: Vec<TopicCount>,
    /// Median hours from a request to its acknowledgement; null below k acknowledged.
    pub median_hours_to_acknowledge: Option<f64>,
    /// Percent of requests acknowledged by their deadline, among those whose deadline has
    /// passed or that were acknowledged; null below k.
    pub acknowledged_in_time_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WeekOfCheckIns {
    pub week_of: NaiveDate,
    /// Active students of the school now.
    #[schema(minimum = 0)]
    pub students: i64,
    /// Students who checked in at least once; null when 1 to k−1.
    #[schema(minimum = 0)]
    pub checked_in: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolSupportNumbers {
    pub school_id: String,
    pub school_name: String,
    pub months: Vec<MonthOfRequests>,
    pub check_in_weeks: Vec<WeekOfCheckIns>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportNumbers {
    #[schema(minimum = 0)]
    pub threshold: i64,
    pub schools: Vec<SchoolSupportNumbers>,
}

fn shown(count: i64, k: i64) -> Option<i64> {
    (count == 0 || count >= k).then_some(count)
}

/// The median of values (None when empty), to one decimal.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let m = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

/// One month of a school's requests, withheld as the module says.
pub fn month_figures(
    month: String,
    rows: &[&HelpRequestRow],
    now: NaiveDateTime,
    k: i64,
) -> MonthOfRequests {
    let total = rows.len() as i64;
    let counts: Vec<(HelpTopic, i64)> = HelpTopic::ALL
        .iter()
        .map(|&t| (t, rows.iter().filter(|r| r.topic == t).count() as i64))
        .collect();
    if total > 0 && total < k {
        return MonthOfRequests {
            month,
            requests: None,
            by_topic: counts
                .iter()
                .map(|&(topic, _)| TopicCount {
                    topic,
                    requests: None,
                })
                .collect(),
            median_hours_to_acknowledge: None,
            acknowledged_in_time_percent: None,
        };
    }
    let mut topics: Vec<Option<i64>> = counts.iter().map(|&(_, c)| shown(c, k)).collect();
    if topics.iter().filter(|c| c.is_none()).count() == 1 {
        if let Some((_, i)) = topics
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.filter(|&c| c > 0).map(|c| (c, i)))
            .min()
        {
            topics[i] = None;
        }
    }
    let hours: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            r.acknowledged_at
                .map(|a| (a - r.created_at).num_seconds() as f64 / 3600.0)
        })
        .collect();
    let due: Vec<&&HelpRequestRow> = rows
        .iter()
        .filter(|r| {
            r.acknowledged_at.is_some()
                || (r.state == HelpState::New && now > r.acknowledge_by)
                || r.withdrawn_at.is_some_and(|w| w > r.acknowledge_by)
        })
        .collect();
    let in_time = due
        .iter()
        .filter(|r| r.acknowledged_at.is_some_and(|a| a <= r.acknowledge_by))
        .count();
    MonthOfRequests {
        month,
        requests: Some(total),
        by_topic: counts
            .iter()
            .zip(topics)
            .map(|(&(topic, _), requests)| TopicCount { topic, requests })
            .collect(),
        median_hours_to_acknowledge: if hours.len() as i64 >= k {
            median(hours)
        } else {
            None
        },
        acknowledged_in_time_percent: (due.len() as i64 >= k)
            .then(|| (in_time as f64 / due.len() as f64 * 1000.0).round() / 10.0),
    }
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn previous_month(first: NaiveDate) -> NaiveDate {
    month_start(first - TimeDelta::days(1))
}

/// The first days of the `n` months that ended last, newest first.
fn ended_months(clock: &SchoolClock, now: NaiveDateTime, n: i32) -> Vec<NaiveDate> {
    let mut m = month_start(clock.local_day(now));
    let mut out = Vec::new();
    for _ in 0..n {
        m = previous_month(m);
        out.push(m);
    }
    out
}

/// Help requests and check-in participation per school, without names (district
/// administrators), for ended months and weeks only, newest first, each kept as first computed.
#[utoipa::path(
    tag = "support", security(("bearer" = [])),
    params(("id" = String, Path, description = "District id"), NumbersQuery),
    responses(
        (status = 200, body = SupportNumbers),
        Forbidden,
        NotFound,
    )
)]
#[get("/districts/{id}/support-numbers")]
pub async fn support_numbers(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
    query: ValidQuery<NumbersQuery>,
) -> Result<web::Json<SupportNumbers>, ApiError> {
    let id = path.into_inner();
    crate::rosters::scope::own_district(&caller, &id)?;
    let q = query.0;
    let numbers = state
        .db
        .run(move |conn| {
            let settings = queries::settings(conn, &id)?;
            let clock = settings.clock();
            let k = settings.threshold();
            let now = db::now();
            let today = clock.local_day(now);
            let months = ended_months(&clock, now, q.months.unwrap_or(3));
            let weeks = super::summary::ended_weeks(today, q.weeks.unwrap_or(8));
            let mut schools = Vec::new();
            for (school_id, school_name) in queries::district_schools(conn, &id)? {
                let mut month_rows = Vec::new();
                for &m in &months {
                    month_rows.push(figures::frozen(
                        conn,
                        "school-requests",
                        &school_id,
                        m,
                        |conn| {
                            // A day either side, so that every request of a local month is read.
                            let from = m.and_time(chrono::NaiveTime::MIN) - TimeDelta::days(1);
                            let next = month_start(m + TimeDelta::days(32));
                            let to = next.and_time(chrono::NaiveTime::MIN) + TimeDelta::days(1);
                            let requests =
                                queries::requests_of_school_between(conn, &school_id, from, to)?;
                            let rows: Vec<&HelpRequestRow> = requests
                                .iter()
                                .filter(|r| month_start(clock.local_day(r.created_at)) == m)
                                .collect();
                            Ok(month_figures(m.format("%Y-%m").to_string(), &rows, now, k))
                        },
                    )?);
                }
                let mut check_in_weeks = Vec::new();
                for &monday in &weeks {
                    check_in_weeks.push(figures::frozen(
                        conn,
                        "school-participation",
                        &school_id,
                        monday,
                        |conn| {
                            let sunday = monday + TimeDelta::days(6);
                            let students =
                                queries::school_students(conn, &school_id, None)?.len() as i64;
                            let facts =
                                queries::facts_of_school(conn, &school_id, None, monday, sunday)?;
                            let mut who: Vec<&str> = facts.iter().map(|f| f.0.as_str()).collect();
                            who.sort_unstable();
                            who.dedup();
                            Ok(WeekOfCheckIns {
                                week_of: monday,
                                students,
                                checked_in: shown(who.len() as i64, k),
                            })
                        },
                    )?);
                }
                schools.push(SchoolSupportNumbers {
                    school_id,
                    school_name,
                    months: month_rows,
                    check_in_weeks,
                });
            }
            Ok(SupportNumbers {
                threshold: k,
                schools,
            })
        })
        .await?;
    Ok(web::Json(numbers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 10.0]), Some(3.0));
        assert_eq!(median(vec![0.25, 0.5]), Some(0.4));
    }
}
