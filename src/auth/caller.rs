//! Who is calling: typed extractors every handler uses to get its caller.
//!
//! `Caller` proves a valid access token; `Authorized<R>` additionally proves the caller's role
//! is in the role set `R`, so a handler taking `Authorized<RosterAdmins>` cannot run for a teacher.
//! Object-level scope (which school, which class) is checked in `crate::authz`.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::role::Role;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub district_id: String,
    pub school_id: Option<String>,
}

impl Caller {
    /// The caller's school; every role but district staff has one.
    pub fn school(&self) -> Option<&str> {
        self.school_id.as_deref()
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(caller_from(req))
    }
}

fn caller_from(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
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
    if claims.role.is_school_bound() != claims.sid.is_some() {
        return Err(ApiError::Unauthorized("invalid access token"));
    }
    Ok(Caller {
        user_id: claims.sub,
        role: claims.role,
        district_id: claims.did,
        school_id: claims.sid,
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
        ready(caller_from(req).and_then(|caller| {
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
