//! The one error type of the API and its single mapping to HTTP: RFC 9457 problem details.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Where each problem `type` URI points. Stable: clients may match on it.
const TYPE_BASE: &str = "urn:securebase:problem:";

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:securebase:problem:validation-failed`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field problems, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// The offending field, as a JSON path (`teacher_ids[1]`) or query parameter name.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {detail}")]
    Malformed {
        detail: String,
        field: Option<String>,
    },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        field: Option<String>,
    },
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    /// The body is not of the media type the operation reads (named in the message).
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    /// The client took longer than allowed to send its body.
    #[error("request timeout")]
    RequestTimeout { secs: u64 },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    /// An uploaded roster bundle with problems: answered with the whole import report.
    #[error("import rejected")]
    ImportRejected(Box<crate::oneroster::ImportReport>),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(msg: impl Into<String>) -> ApiError {
        ApiError::Internal(msg.into())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: Option<&str>, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            detail: detail.into(),
            field: field.map(str::to_owned),
        }
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::Forbidden(detail.into())
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Malformed { .. } => ("malformed-request", "Malformed request"),
            ApiError::Validation(_) => ("validation-failed", "Validation failed"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::RequestTimeout { .. } => ("request-timeout", "Request timeout"),
            ApiError::RateLimited { .. } => ("rate-limited", "Too many requests"),
            ApiError::Unavailable => ("service-unavailable", "Service unavailable"),
            ApiError::ImportRejected(_) => ("import-rejected", "Import rejected"),
            ApiError::Internal(_) => ("internal-error", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let (detail, errors) = match self {
            ApiError::Malformed { detail, field } => (
                detail.clone(),
                field
                    .as_ref()
                    .map(|f| vec![FieldError::new(f, detail.clone())]),
            ),
            ApiError::Validation(errors) => (
                "one or more fields are invalid".to_owned(),
                Some(errors.clone()),
            ),
            ApiError::Unauthorized(why) => ((*why).to_owned(), None),
            ApiError::Forbidden(why) => (why.clone(), None),
            ApiError::NotFound(what) => (format!("{what} not found"), None),
            ApiError::Conflict { detail, field } => (
                detail.clone(),
                field
                    .as_ref()
                    .map(|f| vec![FieldError::new(f, detail.clone())]),
            ),
            ApiError::PayloadTooLarge { limit } => {
                (format!("request body exceeds {limit} bytes"), None)
            }
            ApiError::UnsupportedMediaType(expected) => ((*expected).to_owned(), None),
            ApiError::RequestTimeout { secs } => (
                format!("the request body did not arrive within {secs} seconds"),
                None,
            ),
            ApiError::RateLimited { retry_after_secs } => (
                format!("too many attempts; retry after {retry_after_secs} seconds"),
                None,
            ),
            ApiError::Unavailable => (
                "the database is unreachable; retry shortly".to_owned(),
                None,
            ),
            ApiError::ImportRejected(report) => (
                format!(
                    "the bundle has {} problem(s); nothing was imported (see report.errors)",
                    report.error_count
                ),
                None,
            ),
            // Internal details go to the log, never to the client.
            ApiError::Internal(_) => ("an unexpected error occurred".to_owned(), None),
        };
        Problem {
            type_: format!("{TYPE_BASE}{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(msg) = self {
            tracing::error!(error = %msg, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        if let ApiError::ImportRejected(report) = self {
            let body = crate::oneroster::ImportProblem::new(self.problem(), report);
            return response.body(serde_json::to_string(&body).unwrap_or_default());
        }
        let body = serde_json::to_string(&self.problem())
            .unwrap_or_else(|_| String::from("{\"title\":\"error\"}"));
        response.body(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => ApiError::NotFound("resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict(None, "a record with these values already exists")
            }
            _ if crate::db::is_connection_lost(&e) => ApiError::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::conflict(None, "a concurrent change conflicted with this one; retry")
            }
            _ => ApiError::internal(format!("database error: {e}")),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> ApiError {
        let mut out = Vec::new();
        flatten_validation(&errors, "", &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Validation(out)
    }
}

fn flatten_validation(
    errors: &validator::ValidationErrors,
    prefix: &str,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    // Struct-level checks land under `__all__`; their code names the field they blame.
                    let path = if field == "__all__" {
                        e.code.to_string()
                    } else {
                        path.clone()
                    };
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe_code(e));
                    out.push(FieldError::new(path, message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validation(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn describe_code(e: &validator::ValidationError) -> String {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".to_owned(),
        },
        "email" => "must be a valid email address".to_owned(),
        other => format!("invalid ({other})"),
    }
}
