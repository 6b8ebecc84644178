//! The OneRoster 1.1 tables this importer reads, and the parsing of their field types
//! (status, dates, grade codes, lists, booleans).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::report::Problems;
use super::table::{Row, Shape};
use crate::db;

pub const MANIFEST: Shape = Shape {
    file: "manifest.csv",
    known: &["propertyName", "value"],
    required: &["propertyName", "value"],
};

pub const ORGS: Shape = Shape {
    file: "orgs.csv",
    known: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
    ],
    required: &["sourcedId", "name", "type"],
};

pub const SESSIONS: Shape = Shape {
    file: "academicSessions.csv",
    known: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    required: &["sourcedId", "title", "startDate", "endDate"],
};

pub const COURSES: Shape = Shape {
    file: "courses.csv",
    known: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ],
    required: &["sourcedId", "title"],
};

pub const USERS: Shape = Shape {
    file: "users.csv",
    known: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ],
    required: &[
        "sourcedId",
        "orgSourcedIds",
        "role",
        "username",
        "givenName",
        "familyName",
    ],
};

pub const CLASSES: Shape = Shape {
    file: "classes.csv",
    known: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    required: &["sourcedId", "title", "schoolSourcedId", "termSourcedIds"],
};

pub const ENROLLMENTS: Shape = Shape {
    file: "enrollments.csv",
    known: &[
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
    required: &["sourcedId", "classSourcedId", "userSourcedId", "role"],
};

/// How the manifest says a file is to be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The file is the whole truth: imported rows absent from it are deactivated.
    Bulk,
    /// The file holds changes only: `status` and `dateLastModified` say what to do.
    Delta,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bulk => "bulk",
            Mode::Delta => "delta",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    ToBeDeleted,
}

/// What the common leading columns of a row say.
pub struct Header<'r> {
    pub sourced_id: &'r str,
    pub status: Status,
    pub modified: Option<NaiveDateTime>,
}

/// Reads `sourcedId`, `status` and `dateLastModified`; None (with problems recorded) when unusable.
pub fn header<'r>(row: &'r Row, problems: &mut Problems) -> Option<Header<'r>> {
    let before = problems.total;
    let sourced_id = row.get("sourcedId");
    if sourced_id.is_empty() {
        row.problem(problems, "sourcedId", "required value is empty");
    }
    let status = match row.get("status").to_ascii_lowercase().as_str() {
        "" | "active" => Status::Active,
        "tobedeleted" => Status::ToBeDeleted,
        other => {
            row.problem(
                problems,
                "status",
                format!("unknown status \"{other}\" (expected active or tobedeleted)"),
            );
            Status::Active
        }
    };
    let modified = match row.opt("dateLastModified") {
        None => None,
        Some(text) => match parse_datetime(text) {
            Some(t) => Some(t),
            None => {
                row.problem(
                    problems,
                    "dateLastModified",
                    format!("bad date-time \"{text}\" (expected e.g. 2026-08-01T12:00:00.000Z)"),
                );
                None
            }
        },
    };
    (problems.total == before).then_some(Header {
        sourced_id,
        status,
        modified,
    })
}

/// ISO 8601 date-times as SIS exports write them: with an offset (`Z`, `+02:00`), without one
/// (taken as UTC), or a bare date.
pub fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(db::truncate(t.naive_utc()));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(db::truncate(t));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// A required `YYYY-MM-DD` date.
pub fn date(row: &Row, column: &str, problems: &mut Problems) -> Option<NaiveDate> {
    let text = row.get(column);
    if text.is_empty() {
        row.problem(problems, column, "required value is empty");
        return None;
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            row.problem(
                problems,
                column,
                format!("bad date \"{text}\" (expected YYYY-MM-DD)"),
            );
            None
        }
    }
}

/// An optional `YYYY-MM-DD` date (blank: None; a full timestamp is read as its day).
pub fn optional_date(row: &Row, column: &str, problems: &mut Problems) -> Option<NaiveDate> {
    let text = row.get(column);
    if text.is_empty() {
        return None;
    }
    if let Some(t) = parse_datetime(text) {
        return Some(t.date());
    }
    date(row, column, problems)
}

/// A OneRoster grade code (CEDS): what securebase does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// Kindergarten (0) to grade 12.
    Served(i32),
    /// A valid code for a level securebase does not serve (pre-K, post-secondary, ungraded).
    NotServed,
}

pub fn parse_grade(code: &str) -> Result<Grade, String> {
    match code {
        // Transitional kindergarten is the first of two kindergarten years: its students take
        // part as kindergarteners (the import says so in a notice).
        "KG" | "TK" => Ok(Grade::Served(0)),
        "IT" | "PR" | "PK" | "PS" | "13" | "UG" | "Other" => Ok(Grade::NotServed),
        two if two.len() == 2 && two.bytes().all(|b| b.is_ascii_digit()) => {
            match two.parse::<i32>() {
                Ok(n @ 1..=12) => Ok(Grade::Served(n)),
                _ => Err(format!(
                    "unknown grade code \"{code}\" (expected KG or 01-12)"
                )),
            }
        }
        _ => Err(format!(
            "unknown grade code \"{code}\" (expected KG or 01-12)"
        )),
    }
}

/// The first grade of a `grades` list, if any.
pub fn first_grade(row: &Row, problems: &mut Problems) -> Result<Option<Grade>, ()> {
    let Some(first) = list(row.get("grades")).next() else {
        return Ok(None);
    };
    parse_grade(first).map(Some).map_err(|message| {
        row.problem(problems, "grades", message);
    })
}

/// A comma-separated list field (`"org-1,org-2"`), blanks dropped.
pub fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty())
}

/// `true` / `false` (any case); blank is `default`.
pub fn boolean(row: &Row, column: &str, default: bool, problems: &mut Problems) -> bool {
    match row.get(column).to_ascii_lowercase().as_str() {
        "" => default,
        "true" => true,
        "false" => false,
        other => {
            row.problem(
                problems,
                column,
                format!("expected true or false, not \"{other}\""),
            );
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_codes_follow_ceds() {
        assert_eq!(parse_grade("KG"), Ok(Grade::Served(0)));
        assert_eq!(parse_grade("07"), Ok(Grade::Served(7)));
        assert_eq!(parse_grade("12"), Ok(Grade::Served(12)));
        assert_eq!(parse_grade("PK"), Ok(Grade::NotServed));
        assert_eq!(parse_grade("TK"), Ok(Grade::Served(0)));
        assert_eq!(parse_grade("13"), Ok(Grade::NotServed));
        for bad in ["7", "00", "14", "K", "kg", "Grade 7", ""] {
            assert!(parse_grade(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn date_times_in_the_forms_exports_use() {
        let expected = NaiveDate::from_ymd_opt(2026, 8, 1)
            .unwrap()
            .and_hms_milli_opt(12, 0, 0, 0)
            .unwrap();
        assert_eq!(parse_datetime("2026-08-01T12:00:00.000Z"), Some(expected));
        assert_eq!(parse_datetime("2026-08-01T14:00:00+02:00"), Some(expected));
        assert_eq!(parse_datetime("2026-08-01T12:00:00"), Some(expected));
        assert!(parse_datetime("2026-08-01").is_some());
        assert_eq!(parse_datetime("01/08/2026"), None);
    }
}
