//! The import report: what an import did (or, on a dry run, would do), and every problem found.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Rejection};

/// At most this many problems are listed; `error_count` still counts them all.
pub const MAX_LISTED_ERRORS: usize = 1000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub district_id: String,
    pub dry_run: bool,
    /// True when the changes were written; false on a dry run and whenever there are errors
    /// (then nothing was written).
    pub applied: bool,
    /// The files read, with their mode from the manifest and their number of data rows.
    pub files: Vec<FileSummary>,
    pub schools: Changes,
    pub terms: Changes,
    pub users: Changes,
    pub classes: Changes,
    /// Student enrollments.
    pub enrollments: Changes,
    // With problems, records absent from bulk files are not counted as deactivated.
    /// Teacher assignments to classes (teacher enrollments). A deactivated assignment is
    /// removed: it only granted access to the class.
    pub class_teachers: Changes,
    /// Rows deliberately not imported, by reason (e.g. `user role guardian`).
    pub skipped: BTreeMap<String, u64>,
    /// Things worth knowing that did not stop the import (ignored files, adopted records).
    pub notices: Vec<String>,
    /// Total number of problems; when above zero nothing was written.
    pub error_count: u64,
    /// The problems, in file order (at most 1000 are listed).
    pub errors: Vec<ImportError>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FileSummary {
    #[schema(example = "users.csv")]
    pub file: String,
    /// `bulk` (the file is the whole truth: absent rows are deactivated) or `delta`.
    #[schema(example = "bulk")]
    pub mode: String,
    pub rows: u64,
}

/// Counts of one kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Changes {
    pub created: u64,
    pub updated: u64,
    /// Marked inactive (never deleted: survey data and lesson history stay).
    pub deactivated: u64,
    pub unchanged: u64,
    /// Delta rows older than what is stored (by `dateLastModified`), not applied.
    pub stale: u64,
}

/// One problem in the bundle.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ImportError {
    /// The file, or `bundle` for a problem with the upload as a whole.
    #[schema(example = "users.csv")]
    pub file: String,
    /// Line in the file (1 is the header); null when the problem is not on one line.
    pub line: Option<u64>,
    /// The column (its OneRoster header name), when one is to blame.
    #[schema(example = "grades")]
    pub column: Option<String>,
    #[schema(example = "unknown grade code \"7\" (expected KG or 01-12)")]
    pub message: String,
}

/// The answer to a rejected upload: a problem document (RFC 9457) carrying the import report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem<'a> {
    #[serde(rename = "type")]
    #[schema(value_type = crate::error::ProblemType, example = "urn:securebase:problem:import-rejected")]
    pub type_: String,
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    pub detail: String,
    /// The import report, listing every problem (absent when the request itself, e.g. its
    /// query, was invalid: then `errors` names the field).
    pub report: Option<&'a ImportReport>,
}

impl ImportReport {
    /// The refusal of a bundle with problems: an [`ImportProblem`] carrying this report.
    pub fn rejection(&self) -> ApiError {
        // Written as its own JSON, so the report keeps its field order inside the problem.
        let report = serde_json::value::to_raw_value(self)
            .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned());
        let extensions = std::collections::BTreeMap::from([("report", report)]);
        ApiError::Rejected(Box::new(Rejection {
            slug: "import-rejected",
            title: "Import rejected",
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: format!(
                "the bundle has {} problem(s); nothing was imported (see report.errors)",
                self.error_count
            ),
            extensions,
        }))
    }
}

/// Collects problems, listing the first `MAX_LISTED_ERRORS` and counting all.
#[derive(Debug, Default)]
pub struct Problems {
    pub listed: Vec<ImportError>,
    pub total: u64,
}

impl Problems {
    pub fn push(&mut self, file: &str, line: Option<u64>, column: Option<&str>, message: String) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(ImportError {
                file: file.to_owned(),
                line,
                column: column.map(str::to_owned),
                message,
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl ImportReport {
    pub fn new(district_id: &str, dry_run: bool) -> ImportReport {
        ImportReport {
            district_id: district_id.to_owned(),
            dry_run,
            applied: false,
            files: Vec::new(),
            schools: Changes::default(),
            terms: Changes::default(),
            users: Changes::default(),
            classes: Changes::default(),
            enrollments: Changes::default(),
            class_teachers: Changes::default(),
            skipped: BTreeMap::new(),
            notices: Vec::new(),
            error_count: 0,
            errors: Vec::new(),
        }
    }

    /// A report for a bundle that could not be opened at all.
    pub fn unreadable(district_id: &str, dry_run: bool, message: String) -> ImportReport {
        let mut report = ImportReport::new(district_id, dry_run);
        report.error_count = 1;
        report.errors.push(ImportError {
            file: "bundle".to_owned(),
            line: None,
            column: None,
            message,
        });
        report
    }

    /// One line per problem (`file:line: column: message`), for the command line.
    pub fn error_lines(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|e| {
                let mut at = e.file.clone();
                if let Some(line) = e.line {
                    at.push_str(&format!(":{line}"));
                }
                match &e.column {
                    Some(column) => format!("{at}: {column}: {}", e.message),
                    None => format!("{at}: {}", e.message),
                }
            })
            .collect()
    }
}
