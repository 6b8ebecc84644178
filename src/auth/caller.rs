//! Who is calling: typed extractors every handler uses to get its caller.
//!
//! [`authenticate`] (middleware) verifies the token and loads the account once per request;
//! `Caller` proves a valid access token of an account that is active right now, and
//! `Authorized<R>` additionally proves the caller's role is in the role set `R`, so a handler
//! taking `Authorized<RosterAdmins>` cannot run for a teacher. Both resolve before the body is
//! read, so an authentication or role refusal always comes before input errors.
//! Object-level scope (which school, which class) is checked in `crate::authz`.

use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use actix_web::{web, FromRequest, HttpRequest};
use diesel::prelude::*;
use std::future::{ready, Ready};

use super::role::Role;
use super::tokens::Claims;
use crate::db::schema::users;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub district_id: String,
    pub school_id: Option<String>,
    /// Grade, for students (read with the account, so survey checks need no second lookup).
    pub grade: Option<i32>,
}

impl Caller {
    /// The caller's school; every role but district staff has one.
    pub fn school(&self) -> Option<&str> {
        self.school_id.as_deref()
    }
}

/// The outcome of authenticating a request, resolved once by [`authenticate`] before any
/// extractor runs, so an authentication or role refusal always wins over input errors.
#[derive(Clone)]
struct Resolved(Result<Caller, ApiError>);

/// Middleware: verifies the bearer token (if any) and loads the account, once per request.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let resolved = match verify_token(req.request()) {
            Ok((state, claims)) => current_caller(&state, claims).await,
            Err(e) => Err(e),
        };
        req.extensions_mut().insert(Resolved(resolved));
    }
    next.call(req).await
}

fn resolved_caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    match req.extensions().get::<Resolved>() {
        Some(Resolved(result)) => result.clone(),
        None => Err(ApiError::Unauthorized("missing bearer token")),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(resolved_caller(req))
    }
}

fn verify_token(req: &HttpRequest) -> Result<(web::Data<AppState>, Claims), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("missing bearer token"))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(ApiError::Unauthorized(
            "Authorization must use the Bearer scheme",
        ))?
        .trim();
    let claims = state.tokens.verify(token)?;
    Ok((state, claims))
}

/// id, district, role, school, grade, active
type AccountState = (String, String, String, Option<String>, Option<i32>, bool);

/// The token proves who signed in; the account's role, school and active flag are read now,
/// so deactivating an account or changing its role takes effect on its very next request,
/// not when its access token expires.
async fn current_caller(state: &AppState, claims: Claims) -> Result<Caller, ApiError> {
    let user_id = claims.sub;
    let row: Option<AccountState> = state
        .db
        .run(move |conn| {
            Ok(users::table
                .find(&user_id)
                .select((
                    users::id,
                    users::district_id,
                    users::role,
                    users::school_id,
                    users::grade,
                    users::active,
                ))
                .first(conn)
                .optional()?)
        })
        .await?;
    let (user_id, district_id, role, school_id, grade, active) =
        row.ok_or(ApiError::Unauthorized("account not found"))?;
    if !active {
        return Err(ApiError::Unauthorized("account is deactivated"));
    }
    let role = Role::parse(&role).ok_or(ApiError::Unauthorized("account has no valid role"))?;
    if claims.did != district_id || role.is_school_bound() != school_id.is_some() {
        return Err(ApiError::Unauthorized("invalid access token"));
    }
    Ok(Caller {
        user_id,
        role,
        district_id,
        school_id,
        grade,
    })
}

/// A set of roles allowed to call an operation.
pub trait RoleSet {
    const ROLES: &'static [Role];
    const DESCRIPTION: &'static str;
}

/// A caller whose role is in `R`. Refused with 403 otherwise.
pub struct Authorized<R: RoleSet> {
    pub caller: Caller,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> std::ops::Deref for Authorized<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<R: RoleSet> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(resolved_caller(req).and_then(|caller| {
            if R::ROLES.contains(&caller.role) {
                Ok(Authorized {
                    caller,
                    _roles: PhantomData,
                })
            } else {
                Err(ApiError::forbidden(format!(
                    "this operation is only for {}",
                    R::DESCRIPTION
                )))
            }
        }))
    }
}

macro_rules! role_set {
    ($(#[$doc:meta])* $name:ident, $desc:literal, [$($role:ident),+]) => {
        $(#[$doc])*
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
            const DESCRIPTION: &'static str = $desc;
        }
    };
}

role_set!(
    /// District staff only.
    DistrictAdmins, "district administrators", [DistrictAdmin]
);
role_set!(
    /// Those who manage rosters: district staff and school administrators.
    RosterAdmins, "district or school administrators", [DistrictAdmin, SchoolAdmin]
);
role_set!(
    /// Staff who may read a school's people: administrators and counselors.
    SchoolStaff, "administrators and counselors", [DistrictAdmin, SchoolAdmin, Counselor]
);
role_set!(
    /// Every adult role.
    Staff, "staff", [DistrictAdmin, SchoolAdmin, Counselor, Teacher]
);
role_set!(
    /// Students only.
    Students, "students", [Student]
);
