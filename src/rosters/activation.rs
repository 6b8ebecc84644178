//! Issuing activation codes: staff give imported accounts (a class, a grade, chosen accounts of
//! a school, or one account again) one-time codes, shown once and printable as login cards.
//! Redeeming a code is `auth::activation`; codes are stored only as SHA-256 hashes.

use actix_web::http::header;
use actix_web::{post, web, HttpResponse};
use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::scope;
use crate::accounts::{Authorized, Caller, Role, RosterAdmins, Staff, UserRow};
use crate::auth::activation::{hash_code, new_code};
use crate::auth::queries::{self, Accounts};
use crate::authz;
use crate::csv_export::CsvExport;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;

/// Days a code stays usable unless the request says otherwise.
pub const DEFAULT_DAYS: u32 = 14;
const MAX_ACCOUNTS: usize = 2000;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "one_target"))]
pub struct IssueCodes {
    /// The active students of this class.
    #[validate(length(min = 1, max = 64))]
    pub class_id: Option<String>,
    /// Every active student of this grade at the school (0 = kindergarten).
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    /// Chosen accounts of the school (students or teachers).
    #[validate(length(min = 1, max = 2000))]
    pub user_ids: Option<Vec<String>>,
    /// Also issue codes to accounts that already have a password (it stays valid until the code
    /// is used). By default only accounts awaiting activation get one.
    #[serde(default)]
    pub include_activated: bool,
    /// Days until the codes expire: 1 to 90, 14 by default.
    #[validate(range(min = 1, max = 90))]
    pub expires_in_days: Option<u32>,
}

fn one_target(body: &IssueCodes) -> Result<(), ValidationError> {
    let given = [
        body.class_id.is_some(),
        body.grade.is_some(),
        body.user_ids.is_some(),
    ];
    if given.iter().filter(|g| **g).count() == 1 {
        Ok(())
    } else {
        Err(ValidationError::new("class_id")
            .with_message("give exactly one of class_id, grade or user_ids".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReissueCode {
    /// Days until the code expires: 1 to 90, 14 by default.
    #[validate(range(min = 1, max = 90))]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CodesFormat {
    Json,
    Csv,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CodesQuery {
    /// `csv` for printable login cards (one row per account); JSON by default.
    pub format: Option<CodesFormat>,
}

/// A new code, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCode {
    pub user_id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub role: Role,
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    #[schema(example = "K7QM-2WXP-9RTD")]
    pub code: String,
    #[serde(serialize_with = "crate::dates::utc")]
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCodes {
    pub count: usize,
    pub codes: Vec<IssuedCode>,
}

/// Replaces any unused code of each account with a new one; returns the codes.
fn issue(
    conn: &mut DbConnection,
    caller: &Caller,
    accounts: Vec<UserRow>,
    days: u32,
) -> Result<Vec<IssuedCode>, ApiError> {
    let now = db::now();
    let expires_at = now + TimeDelta::days(i64::from(days));
    let mut issued = Vec::with_capacity(accounts.len());
    for account in accounts {
        let code = new_code();
        queries::void_activation_codes(conn, &account.id)?;
        queries::insert_code(
            conn,
            &hash_code(&code),
            &account.id,
            &caller.user_id,
            expires_at,
            now,
        )?;
        issued.push(IssuedCode {
            role: account.role,
            user_id: account.id,
            username: account.username,
            given_name: account.given_name,
            family_name: account.family_name,
            grade: account.grade,
            code,
            expires_at,
        });
    }
    issued.sort_by(|a, b| {
        (&a.family_name, &a.given_name, &a.username).cmp(&(
            &b.family_name,
            &b.given_name,
            &b.username,
        ))
    });
    Ok(issued)
}

/// The accounts a request names, all of `school_id`, active, and (unless asked) not yet activated.
fn accounts_for(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: &str,
    body: &IssueCodes,
) -> Result<Vec<UserRow>, ApiError> {
    let class = match &body.class_id {
        Some(class_id) => {
            let class = scope::class(conn, caller, class_id)?;
            if class.school_id != school_id {
                return Err(ApiError::NotFound("class"));
            }
            Some(class)
        }
        None => None,
    };
    let which = if let Some(class) = &class {
        Accounts::Class(&class.id)
    } else if let Some(grade) = body.grade {
        Accounts::Grade(grade)
    } else if let Some(ids) = &body.user_ids {
        Accounts::Ids(ids)
    } else {
        Accounts::All
    };
    let mut found = queries::school_accounts(conn, school_id, which)?;
    if let Some(ids) = &body.user_ids {
        let may_issue = |u: &UserRow| match caller.role {
            Role::DistrictAdmin => u.role != Role::DistrictAdmin,
            _ => matches!(u.role, Role::Teacher | Role::Student),
        };
        let errors: Vec<FieldError> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !found.iter().any(|u| &u.id == *id && may_issue(u)))
            .map(|(i, _)| {
                FieldError::new(
                    format!("user_ids[{i}]"),
                    "not an active account of this school that you may issue a code for",
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    }
    if !body.include_activated {
        found.retain(|u| u.password_hash.is_none());
    }
    if found.len() > MAX_ACCOUNTS {
        return Err(ApiError::invalid(
            "grade",
            format!("more than {MAX_ACCOUNTS} accounts at once; issue codes class by class"),
        ));
    }
    Ok(found)
}

/// Printable login cards: one row per account, sorted by name.
fn login_cards_csv(codes: &[IssuedCode]) -> Result<String, ApiError> {
    let mut out = CsvExport::new();
    out.row([
        "family_name",
        "given_name",
        "username",
        "role",
        "grade",
        "code",
        "expires_at",
    ])?;
    for c in codes {
        out.row([
            c.family_name.as_str(),
            c.given_name.as_str(),
            c.username.as_str(),
            c.role.as_str(),
            &c.grade.map(|g| g.to_string()).unwrap_or_default(),
            c.code.as_str(),
            &crate::dates::format_utc(c.expires_at),
        ])?;
    }
    out.finish()
}

/// Issues activation codes for a school's accounts (a class, a grade, or chosen accounts),
/// on the record; the codes are shown once, to print as login cards.
pub fn issue_for(
    conn: &mut DbConnection,
    caller: &Authorized<RosterAdmins>,
    school_id: &str,
    body: &IssueCodes,
) -> Result<Vec<IssuedCode>, ApiError> {
    let school = scope::roster_school(conn, caller, school_id)?;
    let accounts = accounts_for(conn, caller, &school.id, body)?;
    let codes = issue(
        conn,
        caller,
        accounts,
        body.expires_in_days.unwrap_or(DEFAULT_DAYS),
    )?;
    crate::audit::record_in_transaction(
        conn,
        &**caller,
        "activation_codes.issue",
        serde_json::json!({
            "school_id": school.id,
            "class_id": body.class_id,
            "grade": body.grade,
            "accounts": codes.len(),
        }),
    )?;
    Ok(codes)
}

/// Issue activation codes for a class, a grade or chosen accounts of a school.
///
/// For school and district administrators. Each account gets a new one-time code (any unused
/// earlier code stops working). The codes are shown only in this answer — `format=csv` gives
/// printable login cards — and stored only as hashes.
#[utoipa::path(
    security(("bearer" = [])),
    tag = "auth",
    params(("id" = String, Path, description = "School id"), CodesQuery),
    request_body = IssueCodes,
    responses(
        (status = 201, description = "Codes issued", content(
            (IssuedCodes = "application/json"),
            (String = "text/csv", example = "family_name,given_name,username,role,grade,code,expires_at\nOkafor,Maya,cf.mokafor,student,7,K7QM-2WXP-9RTD,2026-12-11T08:00:00Z\n"),
        )),
        (status = 403, description = "Not a roster administrator of this school"),
        (status = 404, description = "School or class not found in your scope"),
        (status = 422, description = "Invalid request"),
    )
)]
#[post("/schools/{id}/activation-codes")]
pub async fn issue_for_school(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    path: web::Path<String>,
    query: ValidQuery<CodesQuery>,
    body: ValidJson<IssueCodes>,
) -> Result<HttpResponse, ApiError> {
    let (school_id, body) = (path.into_inner(), body.0);
    let codes = state
        .db
        .write(move |conn| issue_for(conn, &caller, &school_id, &body))
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if query.0.format == Some(CodesFormat::Csv) {
        return Ok(response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"login-cards.csv\"",
            ))
            .body(login_cards_csv(&codes)?));
    }
    Ok(response.json(IssuedCodes {
        count: codes.len(),
        codes,
    }))
}

/// Issue a new activation code for one account (a forgotten password, a lost card).
///
/// For staff who may reset the account: district and school administrators, and for a student
/// also the school's counselors and the student's teachers. Earlier unused codes stop working;
/// the current password stays valid until the new code is used.
#[utoipa::path(
    security(("bearer" = [])),
    tag = "auth",
    params(("id" = String, Path, description = "User id")),
    request_body = ReissueCode,
    responses(
        (status = 201, description = "Code issued", body = IssuedCode),
        (status = 403, description = "Your role may not reset this account"),
        (status = 404, description = "Account not found in your scope"),
    )
)]
#[post("/users/{id}/activation-code")]
pub async fn reissue_for_user(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<String>,
    body: ValidJson<ReissueCode>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path.into_inner();
    let days = body.0.expires_in_days.unwrap_or(DEFAULT_DAYS);
    let caller = caller.caller;
    let mut codes = state
        .db
        .write(move |conn| {
            let account = authz::reissue_activation(conn, &caller, &user_id)?.into_inner();
            if !account.active {
                return Err(ApiError::conflict(None, "the account is deactivated"));
            }
            let codes = issue(conn, &caller, vec![account], days)?;
            crate::audit::record_in_transaction(
                conn,
                &caller,
                "activation_codes.reissue",
                serde_json::json!({ "user_id": user_id }),
            )?;
            Ok(codes)
        })
        .await?;
    let code = codes
        .pop()
        .ok_or_else(|| ApiError::internal("no code issued"))?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(code))
}
