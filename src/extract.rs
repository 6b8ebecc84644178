//! Request-body and query extraction that turns every kind of bad input into a problem
//! document naming the offending field, never a 500.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use validator::Validate;

use crate::error::ApiError;

/// Default limit for JSON bodies: rosters and lesson plans are small documents.
pub const DEFAULT_JSON_LIMIT: usize = 64 * 1024;

/// Deepest nesting of arrays and objects accepted in a JSON body: no request of this API needs
/// more than a few levels, and deep documents cost stack and time to walk.
pub const MAX_JSON_DEPTH: usize = 32;

/// Per-app (or per-scope) override of the JSON body size limit.
#[derive(Clone, Copy)]
pub struct JsonLimit(pub usize);

/// How long a client may take to send a JSON body.
#[derive(Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

/// A JSON body that was parsed and then validated with `validator`.
/// Syntax errors → 400; wrong types, unknown enum values, missing fields → 422 with the field path.
pub struct ValidJson<T>(pub T);

impl<T> FromRequest for ValidJson<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<JsonLimit>()
            .map(|l| l.0)
            .unwrap_or(DEFAULT_JSON_LIMIT);
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let timeout = req
            .app_data::<BodyTimeout>()
            .map(|t| t.0)
            .unwrap_or(std::time::Duration::from_secs(30));
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "request body must be JSON (Content-Type: application/json)",
                ));
            }
            if declared.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let read = async {
                let mut body = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| ApiError::Malformed {
                        detail: format!("could not read request body: {e}"),
                        field: None,
                    })?;
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::PayloadTooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            // A client trickling its body a byte at a time must not hold a worker's attention.
            let body = actix_web::rt::time::timeout(timeout, read)
                .await
                .map_err(|_| ApiError::RequestTimeout {
                    secs: timeout.as_secs(),
                })??;
            let value = parse_json::<T>(&body)?;
            value.validate()?;
            Ok(ValidJson(value))
        })
    }
}

/// Parses in two steps so that every error is reported well: first to a JSON value (only a
/// syntax error is a 400), then into `T` (a type, enum, missing or unknown field is a 422 naming
/// the field). Text containing NUL is refused: PostgreSQL cannot store it, SQLite would.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::Malformed {
            detail: format!("request body is not valid JSON: {e}"),
            field: None,
        })?;
    // Every body of this API is an object; serde would otherwise read `[]` as a struct whose
    // fields all have defaults.
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    if depth(&value) > MAX_JSON_DEPTH {
        return Err(ApiError::Malformed {
            detail: format!(
                "request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"
            ),
            field: None,
        });
    }
    if let Some(path) = nul_in(&value, String::new()) {
        return Err(ApiError::invalid(
            if path.is_empty() {
                "body".to_owned()
            } else {
                path
            },
            "must not contain NUL characters",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = strip_position(&e.inner().to_string());
        ApiError::invalid(field_of(&path, &message), without_sent_value(&message))
    })
}

fn depth(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The JSON path of the first string (or key) containing NUL, if any.
fn nul_in(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(child)
            } else {
                nul_in(v, child)
            }
        }),
        _ => None,
    }
}

/// The field an error is about. serde reports missing, unknown and duplicate fields at the
/// enclosing object, naming the field only in the message (``missing field `name` ``).
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (named, parent) {
        // For unknown fields the path already ends at the offending key.
        (Some(name), parent) if parent == name || parent.ends_with(&format!(".{name}")) => {
            parent.to_owned()
        }
        (Some(name), "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "") => "body".to_owned(),
        (None, parent) => parent.to_owned(),
    }
}

/// A serde message without the value that was sent: errors and logs name the field and what
/// was expected, never what a student answered. serde quotes the input in `invalid_type`
/// (``invalid type: string "5", expected i32``), `invalid_value` (``integer `7` ``),
/// `invalid_length` (the sent length) and `unknown_variant` (the sent text); those keep only
/// their kind and serde's expectation, which comes from our types. Missing, unknown and
/// duplicate *field* names stay: they are keys (ours, or the unknown key the client must fix),
/// not values. Any other message is a `custom` one; it passes only if it quotes nothing.
pub fn without_sent_value(message: &str) -> String {
    // The expectation follows the last ", expected ": a quoted sent string may itself contain
    // ", expected ", our expectations never do.
    let expected = message.rfind(", expected ").map(|i| &message[i + 2..]);
    let kind = [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
        ("invalid length ", "invalid length"),
        ("unknown variant `", "unknown value"),
    ]
    .iter()
    .find(|(prefix, _)| message.starts_with(prefix));
    if let Some((_, kind)) = kind {
        return match expected {
            Some(expected) => format!("{kind}, {expected}"),
            None => (*kind).to_owned(),
        };
    }
    let names_a_field = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .any(|prefix| message.starts_with(prefix));
    // std's bool parser quotes the values it accepts, not the one it got.
    let static_text = message == "provided string was not `true` or `false`";
    if names_a_field || static_text || !message.contains(['"', '`', '\'']) {
        message.to_owned()
    } else {
        "invalid value".to_owned()
    }
}

/// serde_json appends " at line 1 column 17"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_owned(),
        None => message.to_owned(),
    }
}

/// Error handler for `web::Path`: malformed path segments are 404s (the resource cannot exist).
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound("resource").into()
}

/// Query parameters parsed with field-precise errors and then validated.
pub struct ValidQuery<T>(pub T);

impl<T> FromRequest for ValidQuery<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(parse_query::<T>(req.query_string()).map(ValidQuery))
    }
}

pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    if let Some((name, _)) =
        form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(ApiError::invalid(
            name.replace('\0', ""),
            "must not contain NUL characters",
        ));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = field_of(&path, &message);
        ApiError::invalid(
            if field == "body" {
                "query".to_owned()
            } else {
                field
            },
            without_sent_value(&message),
        )
    })?;
    value.validate()?;
    Ok(value)
}

/// The `{id}` of a path naming one object.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// Object id.
    #[serde(deserialize_with = "crate::extract::object_id")]
    pub id: String,
}

/// Path ids: at most 64 visible ASCII characters. Anything else cannot name an object, so the
/// path parameter fails to deserialize and the request gets 404 (see [`path_error`]).
pub fn object_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = String::deserialize(d)?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(serde::de::Error::custom("not an object id"));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "SECRET-5517";

    /// Each message shape of serde's `de::Error`, as serde words it, and what the client sees.
    #[test]
    fn serde_messages_lose_the_sent_value() {
        let cases = [
            // invalid_type, for each kind of sent value
            (
                r#"invalid type: string "5", expected i32"#,
                "invalid type, expected i32",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "invalid type, expected a string",
            ),
            (
                "invalid type: boolean `true`, expected i32",
                "invalid type, expected i32",
            ),
            (
                "invalid type: floating point `1.5`, expected i32",
                "invalid type, expected i32",
            ),
            (
                "invalid type: map, expected a sequence",
                "invalid type, expected a sequence",
            ),
            // invalid_value
            (
                "invalid value: integer `7`, expected u8",
                "invalid value, expected u8",
            ),
            (
                "invalid value: integer `70000000000`, expected i32",
                "invalid value, expected i32",
            ),
            (
                r#"invalid value: string "x", expected a date"#,
                "invalid value, expected a date",
            ),
            // invalid_length: the sent length goes too
            (
                "invalid length 5, expected a tuple of size 2",
                "invalid length, expected a tuple of size 2",
            ),
            // unknown_variant
            (
                "unknown variant `foo`, expected one of `open`, `closed`",
                "unknown value, expected one of `open`, `closed`",
            ),
            (
                "unknown variant `foo`, expected `open` or `closed`",
                "unknown value, expected `open` or `closed`",
            ),
            (
                "unknown variant `foo`, there are no variants",
                "unknown value",
            ),
            // field names stay: they are keys
            (
                "unknown field `nmae`, expected one of `name`, `grade`",
                "unknown field `nmae`, expected one of `name`, `grade`",
            ),
            (
                "unknown field `nmae`, there are no fields",
                "unknown field `nmae`, there are no fields",
            ),
            ("missing field `answers`", "missing field `answers`"),
            ("duplicate field `status`", "duplicate field `status`"),
            // custom: ours and the libraries' plain messages pass
            ("not an object id", "not an object id"),
            (
                "invalid digit found in string",
                "invalid digit found in string",
            ),
            (
                "input contains invalid characters",
                "input contains invalid characters",
            ),
            (
                "provided string was not `true` or `false`",
                "provided string was not `true` or `false`",
            ),
            // a custom message that quotes anything does not
            ("invalid character: found `z` at 3", "invalid value"),
            (r#"bad "input""#, "invalid value"),
        ];
        for (serde, client) in cases {
            assert_eq!(without_sent_value(serde), client, "{serde}");
        }
    }

    #[test]
    fn a_sent_string_that_mimics_the_message_is_dropped_whole() {
        let sent = format!("{MARKER}, expected i32");
        let serde = format!("invalid type: string {sent:?}, expected u8");
        assert_eq!(without_sent_value(&serde), "invalid type, expected u8");
        let serde = format!("unknown variant `{MARKER}, expected x`, expected `a` or `b`");
        assert_eq!(
            without_sent_value(&serde),
            "unknown value, expected `a` or `b`"
        );
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        count: i32,
        small: Option<u8>,
        kind: Option<Kind>,
        pair: Option<(i32, i32)>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Open,
        Closed,
    }

    fn messages(err: ApiError) -> String {
        match err {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Malformed { detail, .. } => detail,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field_not_the_value() {
        let cases = [
            (
                format!(r#"{{"count": "{MARKER}"}}"#),
                "count: invalid type, expected i32",
            ),
            (
                r#"{"count": 1, "small": 5517}"#.to_owned(),
                "small: invalid value, expected u8",
            ),
            (
                format!(r#"{{"count": 1, "kind": "{MARKER}"}}"#),
                "kind: unknown value, expected `open` or `closed`",
            ),
            (
                format!(r#"{{"count": 1, "pair": ["{MARKER}", 1, 2]}}"#),
                "pair[0]: invalid type, expected i32",
            ),
            (
                r#"{"count": 1, "pair": [1, 2, 3]}"#.to_owned(),
                "pair: invalid length, expected fewer elements in array",
            ),
        ];
        for (body, want) in cases {
            let got = messages(parse_json::<Body>(body.as_bytes()).unwrap_err());
            assert_eq!(got, want, "{body}");
            assert!(!got.contains(MARKER) && !got.contains("5517"), "{got}");
        }
    }

    #[test]
    fn json_syntax_errors_quote_nothing_sent() {
        for body in [
            format!(r#"{{"count": {MARKER}}}"#),
            format!(r#"{{"count": "{MARKER}"#),
            format!(r#"{{"count": 1}} {MARKER}"#),
            format!(r#"{{"count": "\{MARKER}"}}"#),
            format!(r#"{{{MARKER}: 1}}"#),
            format!(r#"{{"count" {MARKER}}}"#),
        ] {
            let got = messages(parse_json::<Body>(body.as_bytes()).unwrap_err());
            assert!(
                got.starts_with("request body is not valid JSON"),
                "{body}: {got}"
            );
            assert!(
                !got.contains(MARKER) && !got.contains("SECRET"),
                "{body}: {got}"
            );
        }
    }

    #[derive(Debug, Deserialize, Validate)]
    #[allow(dead_code)]
    struct Query {
        limit: Option<i32>,
        on: Option<bool>,
        kind: Option<Kind>,
    }

    #[test]
    fn query_errors_name_the_parameter_not_the_value() {
        for (query, want) in [
            (
                format!("limit={MARKER}"),
                "limit: invalid digit found in string",
            ),
            (
                format!("on={MARKER}"),
                "on: provided string was not `true` or `false`",
            ),
            (
                format!("kind={MARKER}"),
                "kind: unknown value, expected `open` or `closed`",
            ),
        ] {
            let got = messages(parse_query::<Query>(&query).unwrap_err());
            assert!(!got.contains(MARKER), "{query}: {got}");
            assert_eq!(got, want, "{query}");
        }
    }
}
