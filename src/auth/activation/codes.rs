//! Activation codes: how they are made, stored (hashed), issued to accounts and looked up.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::accounts::UserRow;
use crate::accounts::{Caller, Role};
use crate::csv_export::CsvExport;
use crate::db::schema::{activation_codes, enrollments, users};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError};
use crate::rosters;

/// Letters and digits that cannot be mistaken for one another when read off a printed card.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 12 symbols of 31: about 59 bits, so guessing is hopeless within the rate limit and expiry.
const CODE_LENGTH: usize = 12;
pub const DEFAULT_DAYS: u32 = 14;
const MAX_ACCOUNTS: usize = 2000;
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let raw: String = (0..CODE_LENGTH)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
}

/// The stored form of a code, as typed in any case, with or without dashes and spaces.
pub fn hash_code(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    format!("{:x}", Sha256::digest(normalized.as_bytes()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "one_target"))]
pub struct IssueCodes {
    /// The active students of this class.
    #[validate(length(min = 1, max = 64))]
    pub class_id: Option<String>,
    /// Every active student of this grade at the school (0 = kindergarten).
    #[validate(range(min = 0, max = 12))]
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
pub fn issue(
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
        diesel::delete(
            activation_codes::table
                .filter(activation_codes::user_id.eq(&account.id))
                .filter(activation_codes::used_at.is_null()),
        )
        .execute(conn)?;
        diesel::insert_into(activation_codes::table)
            .values((
                activation_codes::code_hash.eq(hash_code(&code)),
                activation_codes::user_id.eq(&account.id),
                activation_codes::created_by.eq(&caller.user_id),
                activation_codes::expires_at.eq(expires_at),
                activation_codes::created_at.eq(now),
            ))
            .execute(conn)?;
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
pub fn accounts_for(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: &str,
    body: &IssueCodes,
) -> Result<Vec<UserRow>, ApiError> {
    let mut query = users::table
        .filter(users::school_id.eq(school_id.to_owned()))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .into_boxed::<db::DbBackend>();
    if let Some(class_id) = &body.class_id {
        let class = rosters::scope::class(conn, caller, class_id)?;
        if class.school_id != school_id {
            return Err(ApiError::NotFound("class"));
        }
        let students = enrollments::table
            .filter(enrollments::class_id.eq(class.id.clone()))
            .filter(enrollments::active.eq(true))
            .select(enrollments::student_id);
        query = query
            .filter(users::role.eq(Role::Student))
            .filter(users::id.eq_any(students));
    } else if let Some(grade) = body.grade {
        query = query
            .filter(users::role.eq(Role::Student))
            .filter(users::grade.eq(grade));
    } else if let Some(ids) = &body.user_ids {
        query = query.filter(users::id.eq_any(ids.clone()));
    }
    let mut found = query.load(conn)?;
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
pub fn login_cards_csv(codes: &[IssuedCode]) -> Result<String, ApiError> {
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

/// A code still usable, and its account: active, unexpired, unused.
pub fn usable_code(
    conn: &mut DbConnection,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserRow>> {
    activation_codes::table
        .inner_join(users::table.on(users::id.eq(activation_codes::user_id)))
        .filter(activation_codes::code_hash.eq(code_hash))
        .filter(activation_codes::used_at.is_null())
        .filter(activation_codes::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}
