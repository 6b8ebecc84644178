//! Roster import from OneRoster 1.1 CSV bundles (what student information systems export).
//!
//! An import reads the whole bundle first — every row checked, every reference resolved against
//! the bundle and the stored roster — and writes only when nothing is wrong, in one transaction.
//! Each imported record keeps its `sourcedId`, so importing the same bundle again changes nothing.

mod apply;
mod bundle;
mod current;
mod fields;
mod orgs;
mod people;
mod plan;
pub mod report;
pub mod routes;
mod sections;
mod slots;
mod table;

use std::path::Path;

use diesel::prelude::*;

pub use bundle::Limits;
pub use report::{Changes, FileSummary, ImportError, ImportProblem, ImportReport};

use crate::accounts::Caller;
use crate::db::schema::districts;
use crate::db::{write_transaction, DbConnection};
use crate::error::ApiError;

/// What an anonymized account keeps of its sourcedId: a one-way tombstone, so a later import
/// still listing the former student (inactive) recognises and skips it instead of creating a new
/// account with the personal data retention removed.
pub fn anonymized_source(district_id: &str, source_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{district_id}:{source_id}").as_bytes());
    format!("anonymized:{digest:x}")
}

/// Imports the bundle at `path` (a zip file or a folder) into `district_id`. A bundle with
/// problems yields a report listing them (and writes nothing); only database failures are errors.
/// Without an acting account (the command line) the audit trail names the system.
pub fn import(
    conn: &mut DbConnection,
    district_id: &str,
    path: &Path,
    limits: Limits,
    dry_run: bool,
    actor: Option<&Caller>,
) -> Result<ImportReport, ApiError> {
    let mut bundle = match bundle::Bundle::open(path, limits) {
        Ok(bundle) => bundle,
        Err(bundle::OpenError(message)) => {
            return Ok(ImportReport::unreadable(district_id, dry_run, message))
        }
    };
    let exists: bool =
        diesel::select(diesel::dsl::exists(districts::table.find(district_id))).get_result(conn)?;
    if !exists {
        return Err(ApiError::NotFound("district"));
    }
    if dry_run {
        crate::metrics::global().import("dry_run");
        return Ok(plan::Plan::read(conn, district_id, &mut bundle, true)?.report);
    }
    let report = write_transaction(conn, |conn| {
        // Holding the district row serializes concurrent imports into one district.
        diesel::update(districts::table.find(district_id))
            .set(districts::updated_at.eq(districts::updated_at))
            .execute(conn)?;
        let plan = plan::Plan::read(conn, district_id, &mut bundle, false)?;
        let mut report = plan.report;
        if report.error_count > 0 {
            return Ok(report);
        }
        let who = actor
            .map(crate::audit::Actor::from)
            .unwrap_or(crate::audit::Actor::system(district_id));
        apply::write(
            conn,
            district_id,
            &plan.state.roster,
            plan.state.bind_district_source.as_deref(),
            who,
        )?;
        crate::audit::record_in_transaction(
            conn,
            who,
            "roster.import",
            serde_json::json!({
                "users": report.users,
                "classes": report.classes,
                "enrollments": report.enrollments,
            }),
        )?;
        report.applied = true;
        Ok(report)
    });
    if let Ok(r) = &report {
        crate::metrics::global().import(if r.applied { "applied" } else { "rejected" });
    }
    report
}
