//! `GET /api/v1/survey-windows/{id}/participation`: how many took a window, per school and
//! grade (per own class for teachers), under the same disclosure rules as the reports (never
//! names, never answers).

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::disclosure::{protect_with_public, Grid, Suppression};
use crate::accounts::{Authorized, Role, Staff};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::IdPath;
use crate::state::AppState;
use crate::surveys;
use crate::surveys::models::WindowState;
use crate::surveys::{queries, roster};

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipationCell {
    #[schema(minimum = 0, maximum = 12)]
    pub grade: i32,
    /// Students offered the survey when the window opened, less those a guardian had opted out
    /// by then. Fixed when the window opens.
    #[schema(minimum = 0)]
    pub eligible: i64,
    /// Null when withheld (`suppressed`); while the window is open, rounded down to a multiple
    /// of 5 (`rounded`).
    #[schema(minimum = 0)]
    pub responded: Option<i64>,
    /// Responded ÷ eligible (classes: ÷ enrolled), in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 62.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolParticipation {
    pub school_id: String,
    #[schema(minimum = 0)]
    pub eligible: i64,
    #[schema(minimum = 0)]
    pub responded: Option<i64>,
    /// Responded ÷ eligible (classes: ÷ enrolled), in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 62.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
    pub grades: Vec<ParticipationCell>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassParticipation {
    pub class_id: String,
    pub class_name: String,
    /// Students of the class on the window's roster (opted out or not).
    #[schema(minimum = 0)]
    pub enrolled: i64,
    #[schema(minimum = 0)]
    pub responded: Option<i64>,
    /// Responded ÷ eligible (classes: ÷ enrolled), in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 62.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
}

/// Counts only, never names; answers are not readable here at all. While the window is open,
/// counts below its minimum cell size are withheld, with complementary suppression across the
/// window's schools and grades, and shown counts are rounded down to a multiple of 5 (a count
/// steps once every fifth submission). Once the window is closed, the counts are exactly those
/// its reports publish (withheld where they are), and teachers see none.
#[derive(Debug, Serialize, ToSchema)]
pub struct Participation {
    pub window_id: String,
    pub state: WindowState,
    #[schema(minimum = 5, maximum = 1000)]
    pub min_cell_size: i32,
    /// Shown counts are rounded down to a multiple of 5 (while the window is open).
    pub rounded: bool,
    pub schools: Vec<SchoolParticipation>,
    /// For teachers, while the window is open: their own classes that existed when it opened.
    pub classes: Vec<ClassParticipation>,
}

/// A count as published: withheld when suppressed, rounded down to a multiple of 5 when asked.
fn shown(count: i64, suppressed: Option<Suppression>, round: bool) -> Option<i64> {
    match suppressed {
        Some(_) => None,
        None if round => Some(count - count % 5),
        None => Some(count),
    }
}

fn rate(responded: Option<i64>, eligible: i64) -> Option<f64> {
    responded
        .filter(|_| eligible > 0)
        .map(|r| (r as f64 * 1000.0 / eligible as f64).round() / 10.0)
}

/// Participation counts of a window as the caller may see them (see `Participation`).
pub fn participation_of(
    conn: &mut DbConnection,
    caller: &Authorized<Staff>,
    id: &str,
    keys: &crate::seal::SealKeys,
    settle: chrono::TimeDelta,
) -> Result<Participation, ApiError> {
    let window = surveys::scope::window(conn, caller, id)?;
    roster::ensure_frozen(conn, &window, keys, settle)?;
    let view = queries::window_view(conn, &window, db::now())?;
    let k = window.min_cell_size.max(1);
    let round = view.state == WindowState::Open;
    let mut out = Participation {
        window_id: window.id.clone(),
        state: view.state,
        min_cell_size: window.min_cell_size,
        rounded: round,
        schools: Vec::new(),
        classes: Vec::new(),
    };
    let mine: Option<&str> = match caller.role {
        Role::DistrictAdmin => None,
        _ => caller.school(),
    };
    if view.state == WindowState::Closed {
        // Who answered is forgotten once the box is opened: a closed window's counts are
        // its reports' (teachers read none).
        if caller.role != Role::Teacher {
            let closed = super::aggregates::closed(&window, db::now())?;
            let cells = super::aggregates::cells_of(conn, &closed, keys)?;
            let shown = super::climate::shown_respondents(cells, k);
            for (school_id, (eligible, responded, suppressed), grades) in shown.schools {
                if mine.is_some_and(|m| m != school_id) {
                    continue;
                }
                out.schools.push(SchoolParticipation {
                    school_id,
                    eligible,
                    responded,
                    response_percent: rate(responded, eligible),
                    response_rate: rate(responded, eligible),
                    suppressed,
                    grades: grades
                        .into_iter()
                        .map(
                            |(grade, (eligible, responded, suppressed))| ParticipationCell {
                                grade,
                                eligible,
                                responded,
                                response_percent: rate(responded, eligible),
                                response_rate: rate(responded, eligible),
                                suppressed,
                            },
                        )
                        .collect(),
                });
            }
        }
        return Ok(out);
    }
    if caller.role == Role::Teacher {
        for (class_id, class_name, enrolled, responded) in
            queries::participation_by_class(conn, &window, &caller.user_id)?
        {
            let suppressed = (responded < i64::from(k)).then_some(Suppression::SmallCell);
            let responded = shown(responded, suppressed, round);
            out.classes.push(ClassParticipation {
                class_id,
                class_name,
                enrolled,
                responded,
                response_percent: rate(responded, enrolled),
                response_rate: rate(responded, enrolled),
                suppressed,
            });
        }
        return Ok(out);
    }
    // One pattern over the whole window, whoever asks: a district administrator and a
    // school administrator comparing notes see numbers cut from the same table.
    let cells = queries::roster_cells(conn, &window, &view.school_ids)?;
    let grades = window.grades();
    let grid = Grid {
        cells: view
            .school_ids
            .iter()
            .map(|s| {
                grades
                    .iter()
                    .map(|g| {
                        cells
                            .get(&(s.clone(), *g))
                            .map_or(0, |c| c.responded as u64)
                    })
                    .collect()
            })
            .collect(),
    };
    let count = |r: usize, c: usize| {
        cells
            .get(&(view.school_ids[r].clone(), grades[c]))
            .copied()
            .unwrap_or_default()
    };
    let pattern = protect_with_public(
        &grid,
        |r, c| {
            let cell = count(r, c);
            cell.eligible == 0 && cell.responded == 0
        },
        k as u64,
    );
    for (r, school_id) in view.school_ids.iter().enumerate() {
        if mine.is_some_and(|m| m != school_id) {
            continue;
        }
        let grades: Vec<ParticipationCell> = grades
            .iter()
            .enumerate()
            .map(|(c, grade)| {
                let cell = count(r, c);
                let suppressed = pattern.cells[r][c];
                let responded = shown(cell.responded, suppressed, round);
                ParticipationCell {
                    grade: *grade,
                    eligible: cell.eligible,
                    responded,
                    response_percent: rate(responded, cell.eligible),
                    response_rate: rate(responded, cell.eligible),
                    suppressed,
                }
            })
            .collect();
        let eligible = grades.iter().map(|g| g.eligible).sum();
        let total = (0..grades.len()).map(|c| count(r, c).responded).sum();
        let suppressed = pattern.rows[r];
        let responded = shown(total, suppressed, round);
        out.schools.push(SchoolParticipation {
            school_id: school_id.clone(),
            eligible,
            responded,
            response_percent: rate(responded, eligible),
            response_rate: rate(responded, eligible),
            suppressed,
            grades,
        });
    }
    Ok(out)
}

/// Participation counts and response rates: per school and grade for administrators and
/// counselors, per own class for teachers (see `Participation` for what is withheld).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Participation),
        Forbidden,
        NotFound,
    )
)]
#[get("/survey-windows/{id}/participation")]
pub async fn participation(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
) -> Result<web::Json<Participation>, ApiError> {
    let id = path.into_inner().id;
    let (keys, settle) = (state.seal_keys.clone(), state.config.settle_period());
    let participation = state
        .db
        .run(move |conn| participation_of(conn, &caller, &id, &keys, settle))
        .await?;
    Ok(web::Json(participation))
}
