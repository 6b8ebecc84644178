//! `POST /api/v1/districts/{id}/imports/oneroster`: a district administrator uploads a bundle.

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{post, web, HttpRequest};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{ImportProblem, ImportReport, Limits};
use crate::accounts::{Authorized, DistrictAdmins};
use crate::error::ApiError;
use crate::extract::ValidQuery;
use crate::rosters;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_oneroster);
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Check the bundle and report what would change, without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// A zip of the OneRoster 1.1 CSV files (`manifest.csv`, `orgs.csv`, `users.csv`…).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Import a OneRoster 1.1 CSV bundle into the district.
///
/// The bundle is read completely and every row checked before anything is written; then all
/// changes are written in one transaction. With problems, nothing is written and the answer is
/// 422 with the report listing each (file, line, column, message). Re-importing the same bundle
/// changes nothing. Files marked `bulk` in the manifest are the whole truth: imported users,
/// classes and enrollments they no longer list are deactivated (never deleted).
#[utoipa::path(
    security(("bearer" = [])),
    tag = "rosters",
    params(("id" = String, Path, description = "District id"), ImportQuery),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Imported (or, with `dry_run=true`, checked)", body = ImportReport),
        (status = 404, description = "Not your district"),
        (status = 413, description = "The upload exceeds `IMPORT_MAX_BYTES`"),
        (status = 408, description = "The upload did not arrive within `UPLOAD_TIMEOUT_SECS`"),
        (status = 415, description = "Not a multipart/form-data upload"),
        (status = 422, description = "The bundle has problems; nothing was written", body = ImportProblem, content_type = "application/problem+json"),
    )
)]
#[post("/districts/{id}/imports/oneroster")]
pub async fn import_oneroster(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
    query: ValidQuery<ImportQuery>,
    req: HttpRequest,
    payload: Multipart,
) -> Result<web::Json<ImportReport>, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (district_id, dry_run) = (path.into_inner(), query.0.dry_run);
    let report =
        upload_and_import(&state, &caller, district_id, dry_run, declared, payload).await?;
    if report.error_count > 0 {
        return Err(report.rejection());
    }
    Ok(web::Json(report))
}

/// Receives a bundle (the multipart field `file`, under `IMPORT_MAX_BYTES` and within
/// `UPLOAD_TIMEOUT_SECS`) and imports it into the caller's district, or only checks it with
/// `dry_run`; the report lists every problem (then nothing was written). For the API's
/// `POST …/imports/oneroster` and the pages' import form.
pub async fn upload_and_import(
    state: &AppState,
    caller: &Authorized<DistrictAdmins>,
    district_id: String,
    dry_run: bool,
    declared_length: Option<u64>,
    payload: Multipart,
) -> Result<ImportReport, ApiError> {
    rosters::scope::own_district(caller, &district_id)?;
    let limit = state.config.import_max_bytes;
    if declared_length.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let deadline = std::time::Duration::from_secs(state.config.upload_timeout_secs);
    let upload = actix_web::rt::time::timeout(deadline, receive_file(payload, limit))
        .await
        .map_err(|_| ApiError::RequestTimeout {
            secs: deadline.as_secs(),
        })??;
    let limits = Limits {
        max_uncompressed_bytes: state.config.import_max_uncompressed_bytes,
    };
    let caller = caller.caller.clone();
    state
        .db
        .run(move |conn| {
            super::import(
                conn,
                &district_id,
                upload.path(),
                limits,
                dry_run,
                Some(&caller),
            )
        })
        .await
}

fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    }
}

/// Streams the multipart field `file` into a temporary file, refusing it past `limit` bytes.
async fn receive_file(
    mut payload: Multipart,
    limit: u64,
) -> Result<tempfile::NamedTempFile, ApiError> {
    let malformed = |e: actix_multipart::MultipartError| match e {
        actix_multipart::MultipartError::ContentTypeMissing
        | actix_multipart::MultipartError::ContentTypeParse
        | actix_multipart::MultipartError::ContentTypeIncompatible
        | actix_multipart::MultipartError::BoundaryMissing => ApiError::UnsupportedMediaType(
            "upload the bundle as multipart/form-data with the zip in the field `file` \
             (curl -F file=@bundle.zip)",
        ),
        other => ApiError::Malformed {
            detail: format!("unreadable multipart body: {other}"),
            field: None,
        },
    };
    let mut upload = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(malformed)?;
        let is_file = field.name() == Some("file");
        let mut file = if is_file && upload.is_none() {
            Some(
                tempfile::NamedTempFile::new()
                    .map_err(|e| ApiError::internal(format!("temporary file: {e}")))?,
            )
        } else {
            None
        };
        let mut received = 0u64;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            received += chunk.len() as u64;
            if received > limit {
                return Err(too_large(limit));
            }
            if let Some(file) = file.as_mut() {
                file.write_all(&chunk)
                    .map_err(|e| ApiError::internal(format!("temporary file: {e}")))?;
            }
        }
        if file.is_some() {
            upload = file;
        }
    }
    upload.ok_or_else(|| {
        ApiError::invalid(
            "file",
            "attach the OneRoster bundle (a zip) as the multipart field `file`",
        )
    })
}
