//! Programs, their participants, and do-not-match pairs.

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{NewParticipant, NewProgram, ParticipantFilter};
use super::models::{Participant, ParticipantRow, Program, ProgramRow, StudentRef};
use super::numbers::{self, MentoringNumbers};
use super::queries::{self, ProgramScope};
use super::scope;
use super::vocab::ParticipantRole;
use crate::accounts::{Authorized, Caller, Role, SchoolStaff, UserRow};
use crate::authz::{self, Managed};
use crate::dates;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::{Page, PageQuery};
use crate::rosters;
use crate::state::AppState;

/// Programs of your school (district administrators: of the district).
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, body = Page<Program>),
        Forbidden,
    )
)]
#[get("/mentoring/programs")]
pub async fn list_programs(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Page<Program>>, ApiError> {
    let paging = query.0.paging();
    let page = state
        .db
        .run(move |conn| programs_of(conn, &caller, paging))
        .await?;
    Ok(web::Json(page))
}

/// The programs of the caller's school (district staff: of the district).
pub fn programs_of(
    conn: &mut DbConnection,
    caller: &Authorized<SchoolStaff>,
    paging: crate::pagination::PageParams,
) -> Result<Page<Program>, ApiError> {
    let scope = match caller.school() {
        Some(school) if caller.role != Role::DistrictAdmin => ProgramScope::School(school),
        _ => ProgramScope::District(&caller.district_id),
    };
    let page = queries::list_programs(conn, scope, paging)?;
    Ok(Page {
        items: page.items.iter().map(ProgramRow::view).collect(),
        page: page.page,
        limit: page.limit,
        total: page.total,
    })
}

/// Start a program in your school (counselors and school administrators).
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), request_body = NewProgram,
    responses(
        (status = 201, body = Program),
        Forbidden,
        (status = 422, description = "See the problem document"),
    )
)]
#[post("/mentoring/programs")]
pub async fn create_program(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    body: ValidJson<NewProgram>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let program = state
        .db
        .write(move |conn| {
            let school_id = scope::program_school(&caller, new.school_id.as_deref())?;
            let school = rosters::scope::school(conn, &caller, &school_id)?;
            let taught = school.low_grade..=school.high_grade;
            for (field, grades) in [
                ("mentor_grades", &new.mentor_grades),
                ("mentee_grades", &new.mentee_grades),
            ] {
                if let Some(g) = grades.iter().find(|g| !taught.contains(g)) {
                    return Err(ApiError::invalid(
                        field,
                        format!(
                            "grade {g} is not taught at this school ({} to {})",
                            school.low_grade, school.high_grade
                        ),
                    ));
                }
            }
            let sorted = |g: &[i32]| {
                let mut g = g.to_vec();
                g.sort_unstable();
                g.dedup();
                serde_json::to_string(&g).unwrap_or_else(|_| "[]".to_owned())
            };
            let now = db::now();
            let row = ProgramRow {
                id: db::new_id(),
                district_id: caller.district_id.clone(),
                school_id,
                name: new.name.trim().to_owned(),
                goals: new.goals.trim().to_owned(),
                mentor_grades: sorted(&new.mentor_grades),
                mentee_grades: sorted(&new.mentee_grades),
                min_grade_gap: new.min_gap(),
                preferred_grade_gap: new.preferred_gap(),
                mentor_capacity: new.mentor_capacity,
                starts_on: new.starts_on,
                ends_on: new.ends_on,
                created_by: caller.user_id.clone(),
                created_at: now,
                updated_at: now,
            };
            queries::insert_program(conn, &row)?;
            Ok(row.view())
        })
        .await?;
    Ok(HttpResponse::Created().json(program))
}

/// A program with its participant counts and numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramDetail {
    #[serde(flatten)]
    pub program: Program,
    #[schema(minimum = 0)]
    pub mentors: i64,
    #[schema(minimum = 0)]
    pub mentees: i64,
    pub numbers: MentoringNumbers,
}

/// A program the caller can see, with its participant counts and numbers.
pub fn program_detail(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<ProgramDetail, ApiError> {
    let program = scope::program(conn, caller, id)?;
    let everyone = queries::all_participants(conn, &program.id)?;
    let mentors = everyone
        .iter()
        .filter(|p| p.role == ParticipantRole::Mentor)
        .count() as i64;
    let numbers = numbers::program_numbers(conn, &program, dates::today())?;
    Ok(ProgramDetail {
        program: program.view(),
        mentors,
        mentees: everyone.len() as i64 - mentors,
        numbers,
    })
}

/// A program, its participant counts and its numbers (active matches, students served, share
/// on cadence, meetings per match-month).
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = ProgramDetail),
        NotFound,
    )
)]
#[get("/mentoring/programs/{id}")]
pub async fn get_program(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<ProgramDetail>, ApiError> {
    let id = path.into_inner().id;
    let detail = state
        .db
        .run(move |conn| program_detail(conn, &caller, &id))
        .await?;
    Ok(web::Json(detail))
}

/// Participants of a program, mentors first, by name.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath, ParticipantFilter),
    responses(
        (status = 200, body = Page<Participant>),
        NotFound,
    )
)]
#[get("/mentoring/programs/{id}/participants")]
pub async fn list_participants(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    filter: ValidQuery<ParticipantFilter>,
) -> Result<web::Json<Page<Participant>>, ApiError> {
    let id = path.into_inner().id;
    let filter = filter.0;
    let page = state
        .db
        .run(move |conn| {
            let program = scope::program(conn, &caller, &id)?;
            queries::list_participants(conn, &program, filter.role, filter.paging())
        })
        .await?;
    Ok(web::Json(page))
}

/// A student of the program's school, or a 422 naming `field`.
pub(super) fn school_student(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: &str,
    student_id: &str,
    field: &str,
) -> Result<UserRow, ApiError> {
    let student = authz::user(conn, caller, student_id)
        .map_err(|_| ApiError::invalid(field, "no such student in your school"))?
        .into_inner();
    if student.role != Role::Student || student.school_id.as_deref() != Some(school_id) {
        return Err(ApiError::invalid(field, "not a student of this school"));
    }
    if !student.active {
        return Err(ApiError::invalid(
            field,
            "the student's account is deactivated",
        ));
    }
    Ok(student)
}

fn enrol(
    conn: &mut DbConnection,
    caller: &Caller,
    program: &Managed<ProgramRow>,
    new: NewParticipant,
) -> Result<Participant, ApiError> {
    let student = school_student(
        conn,
        caller,
        &program.school_id,
        &new.student_id,
        "student_id",
    )?;
    let allowed = program.grades_for(new.role);
    if !student.grade.is_some_and(|g| allowed.contains(&g)) {
        return Err(ApiError::invalid(
            "student_id",
            format!(
                "grade {} is not a {} grade of this program ({})",
                student
                    .grade
                    .map_or("unknown".to_owned(), |g| g.to_string()),
                new.role.as_str(),
                allowed
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let capacity = match (new.role, new.capacity) {
        (ParticipantRole::Mentee, Some(_)) => {
            return Err(ApiError::invalid(
                "capacity",
                "only mentors have a capacity",
            ))
        }
        (ParticipantRole::Mentee, None) => 0,
        (ParticipantRole::Mentor, Some(c)) if c > program.mentor_capacity => {
            return Err(ApiError::invalid(
                "capacity",
                format!(
                    "at most the program's capacity ({})",
                    program.mentor_capacity
                ),
            ))
        }
        (ParticipantRole::Mentor, c) => c.unwrap_or(program.mentor_capacity),
    };
    if queries::participant(conn, &program.id, &student.id)?.is_some() {
        return Err(ApiError::conflict(
            Some("student_id"),
            "the student is already in this program",
        ));
    }
    let mut interests = new.interests.clone();
    interests.sort_unstable();
    interests.dedup();
    let mut availability = new.availability.clone();
    availability.sort_unstable();
    availability.dedup();
    let as_json = |v: Vec<String>| serde_json::to_string(&v).unwrap_or_else(|_| "[]".to_owned());
    let now = db::now();
    let row = ParticipantRow {
        id: db::new_id(),
        program_id: program.id.clone(),
        student_id: student.id.clone(),
        role: new.role,
        capacity,
        interests: as_json(interests.iter().map(|i| i.as_str().to_owned()).collect()),
        availability: as_json(availability.iter().map(|s| s.key()).collect()),
        enrolled_by: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    queries::insert_participant(conn, &row).map_err(|e| match e {
        ApiError::Conflict { .. } => {
            ApiError::conflict(Some("student_id"), "the student is already in this program")
        }
        other => other,
    })?;
    let refs = std::collections::HashMap::from([(student.id.clone(), StudentRef::of(&student))]);
    Ok(queries::participant_view(&row, &refs, &Default::default()))
}

/// Enrol a student of the program's school as mentor or mentee, with interests and availability.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath), request_body = NewParticipant,
    responses(
        (status = 201, body = Participant),
        Forbidden,
        NotFound,
        (status = 409, description = "Already in the program"),
        (status = 422, description = "Not a student of the school, or not of an eligible grade"),
    )
)]
#[post("/mentoring/programs/{id}/participants")]
pub async fn create_participant(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<NewParticipant>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let new = body.0;
    let participant = state
        .db
        .write(move |conn| {
            let program = scope::manage_program(conn, &caller, &id)?;
            enrol(conn, &caller, &program, new)
        })
        .await?;
    Ok(HttpResponse::Created().json(participant))
}
