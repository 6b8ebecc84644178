//! User accounts: staff and students.

use actix_web::{get, patch, post, web, HttpResponse};

use super::dto::{NewUser, UserFilter, UserPatch};
use super::models::School;
use super::queries;
use super::scope;
use crate::accounts::{Authorized, Caller, Role, RosterAdmins, SchoolStaff, User, UserRow};
use crate::auth::{password, AuthState};
use crate::authz::{self, Managed};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::state::AppState;

/// Role, school and grade must agree: district staff have no school, everyone else one;
/// only students have a grade, and it must be a grade the school teaches.
fn check_placement(
    role: Role,
    school: Option<&School>,
    grade: Option<i32>,
) -> Result<(), ApiError> {
    match (role, school) {
        (Role::DistrictAdmin, Some(_)) => {
            return Err(ApiError::invalid(
                "school_id",
                "district administrators do not belong to a school",
            ))
        }
        (r, None) if r.is_school_bound() => {
            return Err(ApiError::invalid(
                "school_id",
                format!("required for role {r}"),
            ))
        }
        _ => {}
    }
    match (role, grade, school) {
        (Role::Student, None, _) => Err(ApiError::invalid("grade", "required for students")),
        (Role::Student, Some(g), Some(s)) if !s.teaches_grade(g) => Err(ApiError::invalid(
            "grade",
            format!(
                "{} teaches grades {} to {}",
                s.name, s.low_grade, s.high_grade
            ),
        )),
        (r, Some(_), _) if r != Role::Student => {
            Err(ApiError::invalid("grade", "only students have a grade"))
        }
        _ => Ok(()),
    }
}

fn resolve_school(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: Option<&str>,
) -> Result<Option<Managed<School>>, ApiError> {
    school_id
        .map(|id| {
            scope::roster_school(conn, caller, id).map_err(|e| match e {
                ApiError::NotFound(_) => {
                    ApiError::invalid("school_id", "no such school in your scope")
                }
                other => other,
            })
        })
        .transpose()
}

/// Accounts in the caller's scope (administrators and counselors), filterable and paginated.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(UserFilter),
    responses(
        (status = 200, body = Page<User>),
        (status = 403, description = "Teachers and students cannot list accounts"),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    filter: ValidQuery<UserFilter>,
) -> Result<web::Json<Page<User>>, ApiError> {
    let page = state
        .db
        .run(move |conn| {
            let scope = authz::list_scope(&caller);
            queries::list_users(conn, &scope, &caller.district_id, &filter.0)
        })
        .await?;
    Ok(web::Json(Page {
        items: page.items.into_iter().map(User::from).collect(),
        page: page.page,
        limit: page.limit,
        total: page.total,
    }))
}

/// Create an account. District administrators create any role in the district; school
/// administrators create teachers and students of their own school.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), request_body = NewUser,
    responses(
        (status = 201, body = User),
        Forbidden,
        (status = 409, description = "Username taken"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    caller: Authorized<RosterAdmins>,
    body: ValidJson<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let mut new = body.0;
    // Hashed on the hashing pool, before the database work.
    let password_hash = match new.password.take() {
        Some(p) => Some(auth.hashes.run(move || password::hash(&p)).await??),
        None => None,
    };
    let user = state
        .db
        .run(move |conn| {
            let school_id = match (new.school_id.as_deref(), caller.role) {
                (None, Role::SchoolAdmin) => caller.school(),
                (id, _) => id,
            };
            let school = resolve_school(conn, &caller, school_id)?;
            authz::may_place_account(&caller, new.role, school.as_ref())?;
            check_placement(new.role, school.as_deref(), new.grade)?;
            let now = db::now();
            let row = UserRow {
                id: db::new_id(),
                district_id: caller.district_id.clone(),
                school_id: school.map(|s| s.id.clone()),
                role: new.role,
                username: new.username,
                email: new.email.map(|e| e.trim().to_owned()),
                given_name: new.given_name.trim().to_owned(),
                family_name: new.family_name.trim().to_owned(),
                grade: new.grade,
                password_hash,
                active: true,
                failed_logins: 0,
                locked_until: None,
                created_at: now,
                updated_at: now,
            };
            db::write_transaction(conn, |c| {
                queries::insert_user(c, &row)?;
                crate::audit::record_in_transaction(
                    c,
                    &caller,
                    "user.created",
                    serde_json::json!({
                        "user_id": row.id, "role": row.role, "school_id": row.school_id,
                    }),
                )
            })?;
            Ok(User::from(row))
        })
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// One account: own account for everyone; students of own classes for teachers; the school's
/// people for school staff; the district's for district staff.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = User),
        NotFound,
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<User>, ApiError> {
    let id = path.into_inner().id;
    let user = state
        .db
        .run(move |conn| authz::user(conn, &caller, &id))
        .await?;
    Ok(web::Json(user.into_inner().into()))
}

/// Update an account; `active: false` deactivates it and revokes its sessions.
/// Role and school changes are for district administrators.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath), request_body = UserPatch,
    responses(
        (status = 200, body = User),
        Forbidden,
        NotFound,
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    path: web::Path<IdPath>,
    body: ValidJson<UserPatch>,
) -> Result<web::Json<User>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let user = state
        .db
        .write(move |conn| {
            let user = authz::manage_user(conn, &caller, &id)?;
            if (patch.role.is_some() || patch.school_id.is_some())
                && caller.role != Role::DistrictAdmin
            {
                return Err(ApiError::forbidden(
                    "only district administrators change roles or schools",
                ));
            }
            let mut changed = (*user).clone();
            if let Some(role) = patch.role {
                changed.role = role;
                if role == Role::DistrictAdmin {
                    changed.school_id = None;
                }
                if role != Role::Student {
                    changed.grade = None;
                }
            }
            if let Some(school_id) = patch.school_id {
                changed.school_id = Some(school_id);
            }
            if let Some(v) = patch.given_name {
                changed.given_name = v.trim().to_owned();
            }
            if let Some(v) = patch.family_name {
                changed.family_name = v.trim().to_owned();
            }
            if let Some(v) = patch.email {
                changed.email = Some(v.trim().to_owned());
            }
            changed.grade = patch.grade.or(changed.grade);
            changed.active = patch.active.unwrap_or(changed.active);
            changed.updated_at = db::now();
            let school = match changed.school_id.clone() {
                Some(id) => resolve_school(conn, &caller, Some(&id))?,
                None => None,
            };
            check_placement(changed.role, school.as_deref(), changed.grade)?;
            queries::update_user(conn, &user, &changed)?;
            // Role, school and active flag decide what an account may see: every change is audited.
            if (&user.role, &user.school_id, user.active)
                != (&changed.role, &changed.school_id, changed.active)
            {
                crate::audit::record_in_transaction(
                    conn,
                    &caller,
                    "user.access_changed",
                    serde_json::json!({
                        "user_id": user.id,
                        "role": {"from": user.role, "to": changed.role},
                        "school_id": {"from": user.school_id, "to": changed.school_id},
                        "active": {"from": user.active, "to": changed.active},
                    }),
                )?;
            }
            Ok(User::from(changed))
        })
        .await?;
    Ok(web::Json(user))
}
