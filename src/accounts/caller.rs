//! Who is calling: typed extractors every handler uses to get its caller.
//!
//! The authentication middleware (`auth::authenticate`) verifies the token and loads the account
//! once per request, leaving a [`Resolved`] outcome on the request;
//! `Caller` proves a valid access token of an account that is active right now, and
//! `Authorized<R>` additionally proves the caller's role is in the role set `R`, so a handler
//! taking `Authorized<RosterAdmins>` cannot run for a teacher. Both resolve before the body is
//! read, so an authentication or role refusal always comes before input errors.
//! Object-level scope (which school, which class) is checked in `crate::authz`.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::HttpMessage;
use actix_web::{FromRequest, HttpRequest};

use super::Role;
use crate::error::ApiError;

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
pub struct Resolved(pub Result<Caller, ApiError>);

/// The outcome of resolving a web session's cookie. Kept apart from [`Resolved`]: the API's
/// extractors (`Caller`, `Authorized<R>`) read only a bearer token's outcome, so a session
/// cookie never authenticates an API call, whatever path the request was routed by; only the
/// pages ask for it ([`Authorized::from_session`]).
#[derive(Clone)]
pub struct SessionResolved(pub Result<Caller, ApiError>);

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

// The proof is as good in a clone: it says who the caller is, not how many times.
impl<R: RoleSet> Clone for Authorized<R> {
    fn clone(&self) -> Self {
        Authorized {
            caller: self.caller.clone(),
            _roles: PhantomData,
        }
    }
}

impl<R: RoleSet> std::ops::Deref for Authorized<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<R: RoleSet> Authorized<R> {
    fn check(caller: Caller) -> Result<Self, ApiError> {
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
    }

    /// The same proof for a request of the web pages, from its session (never a bearer token).
    pub fn from_session(req: &HttpRequest) -> Result<Self, ApiError> {
        let resolved = match req.extensions().get::<SessionResolved>() {
            Some(SessionResolved(result)) => result.clone(),
            None => Err(ApiError::Unauthorized("not signed in")),
        };
        resolved.and_then(Self::check)
    }
}

impl<R: RoleSet> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(resolved_caller(req).and_then(Self::check))
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
    /// Everyone signed in.
    Anyone, "signed-in users", [DistrictAdmin, SchoolAdmin, Counselor, Teacher, Student]
);
role_set!(
    /// Teachers only.
    Teachers, "teachers", [Teacher]
);
role_set!(
    /// Students only.
    Students, "students", [Student]
);
