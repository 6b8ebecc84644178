//! The one error type of the API and its single mapping to HTTP: RFC 9457 problem details.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Where each problem `type` URI points. Stable: clients may match on it.
const TYPE_BASE: &str = "urn:securebase:problem:";

/// Every kind of problem the API reports (the `type` is `TYPE_BASE` and one of these), as in
/// README "API conventions". A test checks that each `ApiError` maps to one of them.
pub const PROBLEM_SLUGS: [&str; 15] = [
    "malformed-request",
    "validation-failed",
    "unauthorized",
    "forbidden",
    "not-found",
    "conflict",
    "payload-too-large",
    "unsupported-media-type",
    "request-timeout",
    "rate-limited",
    "service-unavailable",
    "busy",
    "import-rejected",
    "identity-provider-unreachable",
    "internal-error",
];

/// The `type` of a problem document in the OpenAPI document: a closed set of URNs, so clients
/// can match on them (a named string enum rather than a free string).
pub struct ProblemType;

impl utoipa::PartialSchema for ProblemType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Stable identifier of the kind of problem: `urn:securebase:problem:` and a slug.",
            ))
            .enum_values(Some(
                PROBLEM_SLUGS.iter().map(|s| format!("{TYPE_BASE}{s}")),
            ))
            .examples([serde_json::json!(format!("{TYPE_BASE}validation-failed"))])
            .into()
    }
}

impl ToSchema for ProblemType {}

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:securebase:problem:validation-failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "one or more fields are invalid",
    "errors": [{"field": "teacher_ids[1]", "message": "unknown teacher"}]
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:securebase:problem:validation-failed`.
    #[serde(rename = "type")]
    #[schema(value_type = ProblemType)]
    pub type_: String,
    pub title: String,
    /// The HTTP status code of the response.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    pub detail: String,
    /// Per-field problems, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// Error responses a route lists in its `#[utoipa::path(responses(...))]` by name, e.g.
/// `responses((status = 200, body = Class), Forbidden, NotFound)`. Those every operation can
/// give (400, 401, 403 for the role, 408, 413, 415, 422 for a field, 500, 503) are added by
/// `openapi::SecurityAndErrors` and not listed; a route-specific wording is listed as
/// `(status = 409, description = "Username taken")`, which that modifier gives the `Problem`
/// body.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such object, or it is outside your scope",
    content_type = "application/problem+json"
)]
pub struct NotFound(pub Problem);

/// The caller's role may call the operation, but not on this object (see [`NotFound`]).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "Your role may not do this to this object",
    content_type = "application/problem+json"
)]
pub struct Forbidden(pub Problem);

/// The request conflicts with the stored data (see [`NotFound`]).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "Conflicts with existing data",
    content_type = "application/problem+json"
)]
pub struct Conflict(pub Problem);

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

/// Every error of the API. Its `Display` and `Debug` (which tracing-actix-web logs for each
/// failed request) name the variant, the fields and our own wording, never text that may carry
/// what the client sent: the details of `Malformed`, `Validation` and `Conflict` go to the
/// client in the problem document only.
#[derive(Clone, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request")]
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
    #[error("conflict")]
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
    /// The server is at its limit of work of one kind (password hashing): retry shortly.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    /// A refusal whose problem document carries a body of the area that refused it (an
    /// uploaded roster bundle's whole import report, say) as extension members (RFC 9457 §3.2).
    #[error("rejected: {}", .0.slug)]
    Rejected(Box<Rejection>),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The parts of a [`ApiError::Rejected`]: its problem type, status and detail, and the extension
/// members its problem document carries beside them.
#[derive(Clone)]
pub struct Rejection {
    /// One of [`PROBLEM_SLUGS`].
    pub slug: &'static str,
    pub title: &'static str,
    pub status: StatusCode,
    pub detail: String,
    /// Each member's JSON as written by its area, in that area's field order.
    pub extensions: std::collections::BTreeMap<&'static str, Box<serde_json::value::RawValue>>,
}

/// A problem document with extension members after the standard ones.
#[derive(Serialize)]
struct WithExtensions<'a> {
    #[serde(flatten)]
    problem: Problem,
    #[serde(flatten)]
    extensions: &'a std::collections::BTreeMap<&'static str, Box<serde_json::value::RawValue>>,
}

/// Written by hand so that a log line built from `{:?}` of an error cannot carry a request value
/// (see [`ApiError`]); `Internal` keeps its detail, which is ours.
impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Malformed { field, .. } => f
                .debug_struct("Malformed")
                .field("field", field)
                .finish_non_exhaustive(),
            ApiError::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                f.debug_struct("Validation")
                    .field("fields", &fields)
                    .finish_non_exhaustive()
            }
            ApiError::Unauthorized(why) => f.debug_tuple("Unauthorized").field(why).finish(),
            ApiError::Forbidden(why) => f.debug_tuple("Forbidden").field(why).finish(),
            ApiError::NotFound(what) => f.debug_tuple("NotFound").field(what).finish(),
            ApiError::Conflict { field, .. } => f
                .debug_struct("Conflict")
                .field("field", field)
                .finish_non_exhaustive(),
            ApiError::PayloadTooLarge { limit } => f
                .debug_struct("PayloadTooLarge")
                .field("limit", limit)
                .finish(),
            ApiError::UnsupportedMediaType(expected) => f
                .debug_tuple("UnsupportedMediaType")
                .field(expected)
                .finish(),
            ApiError::RequestTimeout { secs } => f
                .debug_struct("RequestTimeout")
                .field("secs", secs)
                .finish(),
            ApiError::RateLimited { retry_after_secs } => f
                .debug_struct("RateLimited")
                .field("retry_after_secs", retry_after_secs)
                .finish(),
            ApiError::Unavailable => f.write_str("Unavailable"),
            ApiError::Busy { retry_after_secs } => f
                .debug_struct("Busy")
                .field("retry_after_secs", retry_after_secs)
                .finish(),
            // Never the extension values: they may quote the request.
            ApiError::Rejected(rejection) => f
                .debug_struct("Rejected")
                .field("slug", &rejection.slug)
                .field(
                    "extensions",
                    &rejection.extensions.keys().collect::<Vec<_>>(),
                )
                .finish_non_exhaustive(),
            ApiError::Internal(msg) => f.debug_tuple("Internal").field(msg).finish(),
        }
    }
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

    /// 502: a district's identity provider did not answer as OpenID Connect requires. The
    /// detail never quotes what it sent (an administrator could otherwise read any address the
    /// server reaches through a provider's issuer URL).
    pub fn identity_provider_unreachable() -> ApiError {
        ApiError::Rejected(Box::new(Rejection {
            slug: "identity-provider-unreachable",
            title: "Identity provider unreachable",
            status: StatusCode::BAD_GATEWAY,
            detail: "the district's identity provider could not be reached or did not answer as \
                     OpenID Connect requires; try again later or ask the district's administrator"
                .to_owned(),
            extensions: Default::default(),
        }))
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
            ApiError::Busy { .. } => ("busy", "Service busy"),
            ApiError::Rejected(rejection) => (rejection.slug, rejection.title),
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
            ApiError::Busy { retry_after_secs } => (
                format!(
                    "the server is checking as many passwords as it can; retry after \
                     {retry_after_secs} seconds"
                ),
                None,
            ),
            ApiError::Rejected(rejection) => (rejection.detail.clone(), None),
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
            ApiError::Unavailable | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Rejected(rejection) => rejection.status,
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
            ApiError::Busy { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        if let ApiError::Rejected(rejection) = self {
            let body = WithExtensions {
                problem: self.problem(),
                extensions: &rejection.extensions,
            };
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
            _ if is_connection_lost(&e) => ApiError::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::conflict(None, "a concurrent change conflicted with this one; retry")
            }
            _ => ApiError::internal(database_error(&e)),
        }
    }
}

/// True when a diesel error says the connection to the database is gone (the server restarted,
/// crashed or is shutting down): the request gets 503, and the connection is dropped.
pub fn is_connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            [
                "no connection to the server",
                "server closed the connection",
                "terminating connection",
                "could not receive data from server",
                "could not send data to server",
                "the database system is shutting down",
                "the database system is starting up",
                "the database system is in recovery mode",
                "SSL SYSCALL error",
                "connection to server",
            ]
            .iter()
            .any(|needle| message.contains(needle))
        }
        _ => false,
    }
}

/// What the log says about an unexpected database error. diesel's `Display` is the server's
/// primary message only (never PostgreSQL's DETAIL, which quotes rows: `Key (username)=(alice)`),
/// but some primary messages quote a value too (`invalid input syntax for type integer: "abc"`),
/// so quoted text is dropped and the table, column and constraint are named instead.
fn database_error(e: &diesel::result::Error) -> String {
    let diesel::result::Error::DatabaseError(kind, info) = e else {
        return format!("database error: {e}");
    };
    let mut message = format!(
        "database error ({kind:?}): {}",
        without_quoted(info.message())
    );
    for (name, value) in [
        ("table", info.table_name()),
        ("column", info.column_name()),
        ("constraint", info.constraint_name()),
    ] {
        if let Some(value) = value {
            message.push_str(&format!("; {name} {value}"));
        }
    }
    message
}

/// `text` with every double-quoted part replaced by `"…"`.
fn without_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('"').enumerate() {
        if i > 0 {
            out.push('"');
        }
        out.push_str(if i % 2 == 1 { "…" } else { part });
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "SECRET-5517";

    #[test]
    fn every_problem_type_is_a_documented_urn() {
        let errors = [
            ApiError::Malformed {
                detail: String::new(),
                field: None,
            },
            ApiError::Validation(Vec::new()),
            ApiError::Unauthorized(""),
            ApiError::Forbidden(String::new()),
            ApiError::NotFound(""),
            ApiError::conflict(None, ""),
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::UnsupportedMediaType(""),
            ApiError::RequestTimeout { secs: 1 },
            ApiError::RateLimited {
                retry_after_secs: 1,
            },
            ApiError::Unavailable,
            ApiError::Busy {
                retry_after_secs: 1,
            },
            ApiError::internal(""),
        ];
        let mut seen: Vec<&str> = errors.iter().map(|e| e.slug_and_title().0).collect();
        // Rejections name their own slug (the import report's is "import-rejected").
        seen.push("import-rejected");
        seen.push("identity-provider-unreachable");
        seen.sort_unstable();
        let mut documented = PROBLEM_SLUGS.to_vec();
        documented.sort_unstable();
        assert_eq!(seen, documented);
        let schema =
            serde_json::to_value(<ProblemType as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"].as_array().unwrap().len(),
            PROBLEM_SLUGS.len()
        );
        assert_eq!(
            schema["enum"][1],
            "urn:securebase:problem:validation-failed"
        );
    }

    #[test]
    fn debug_and_display_name_fields_never_client_text() {
        let errors = [
            ApiError::Validation(vec![FieldError::new(
                "answers[0].value",
                format!("invalid type: string \"{MARKER}\", expected i32"),
            )]),
            ApiError::Malformed {
                detail: format!("bad {MARKER}"),
                field: Some("file".to_owned()),
            },
            ApiError::conflict(Some("username"), format!("{MARKER} is taken")),
        ];
        for e in &errors {
            for text in [format!("{e:?}"), format!("{e}"), format!("{e:#?}")] {
                assert!(!text.contains(MARKER), "{text}");
            }
        }
        assert_eq!(
            format!("{:?}", errors[0]),
            r#"Validation { fields: ["answers[0].value"], .. }"#
        );
        assert_eq!(
            format!("{:?}", errors[1]),
            r#"Malformed { field: Some("file"), .. }"#
        );
        assert_eq!(
            format!("{:?}", errors[2]),
            r#"Conflict { field: Some("username"), .. }"#
        );
        // The client still gets the whole message.
        let problem = serde_json::to_string(&errors[0].problem()).unwrap();
        assert!(problem.contains("answers[0].value") && problem.contains(MARKER));
    }

    #[test]
    fn internal_details_stay_in_the_log() {
        let e = ApiError::internal("token signing failed: bad key");
        assert_eq!(
            format!("{e:?}"),
            r#"Internal("token signing failed: bad key")"#
        );
        assert_eq!(
            format!("{e}"),
            "internal error: token signing failed: bad key"
        );
    }

    #[test]
    fn database_errors_drop_quoted_values() {
        use diesel::result::{DatabaseErrorKind, Error};
        let e = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(format!(
                "invalid input syntax for type integer: \"{MARKER}\""
            )),
        );
        let ApiError::Internal(logged) = ApiError::from(e) else {
            panic!("not internal");
        };
        assert_eq!(
            logged,
            "database error (Unknown): invalid input syntax for type integer: \"…\""
        );
        assert_eq!(without_quoted(r#"a "b" c "d"#), r#"a "…" c "…"#);
        assert_eq!(without_quoted("no quotes"), "no quotes");
    }
}
