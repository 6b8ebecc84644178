//! The OpenAPI document: generated from the registered routes, committed as `openapi/openapi.json`.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::error::{Problem, ProblemType};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "securebase API",
        description = "Self-hostable REST API for school social-emotional learning: rosters, SEL lessons, \
anonymous climate surveys, peer mentoring and privacy-safe reports.\n\n\
Errors are `application/problem+json` (RFC 9457) with a stable `type` URN (`ProblemType`) and, for \
invalid input, an `errors` array naming each offending field. Every response carries an \
`X-Request-Id` header; `429` and `503` carry `Retry-After`.\n\n\
Rates: fields named `*_rate` are fractions from 0 to 1; fields named `*_percent` (and \
`percent`) are percentages from 0 to 100.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/", description = "The server this document is served from")),
    // Enums used only as query parameters are referenced, not inlined: list them so the
    // references resolve.
    components(schemas(
        Problem,
        ProblemType,
        crate::reports::trend::TrendFormat,
        crate::surveys::vocab::Indicator,
        crate::reports::routes::Format,
        crate::reports::routes::Breakdown,
        crate::rosters::activation::CodesFormat,
    )),
    tags(
        (name = "auth", description = "Sign-in, token rotation, own account"),
        (name = "rosters", description = "District, schools, terms, accounts, classes and enrollments"),
        (name = "lessons", description = "SEL lesson library, assignments, completion and progress"),
        (name = "surveys", description = "Anonymous climate surveys: instruments, windows, opt-outs, responses, participation"),
        (name = "mentoring", description = "Peer mentoring: programs, participants, suggested and confirmed matches, meetings, cadence"),
        (name = "support", description = "Student support, about a named child and never anonymous: daily check-ins, help requests, students to notice, district numbers without names"),
        (name = "goals", description = "School and district goals on figures the product already publishes, with progress computed from the data and reviews at a monthly or quarterly cadence; students' personal SEL goals with the progress they log"),
        (name = "reports", description = "Privacy-safe climate reports per school, grade and district, trends, SEL activity, audit trail"),
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct ApiDoc;

/// Applied after the routes are collected (a `modifiers(...)` entry would run before any path exists).
/// Declares the bearer scheme and adds the error responses every operation can give,
/// so each route only lists the ones specific to it; then makes the document read well to
/// client generators and linters (see [`contract`]).
///
/// A route lists its own error responses by name (`NotFound`, `Forbidden`, `Conflict` of
/// `crate::error`) or, with a wording of its own, as `(status = 409, description = "…")`:
/// every error response listed without a body gets the `Problem` body here.
pub struct SecurityAndErrors;

fn problem_content() -> Content {
    Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        Response::builder()
            .description(description)
            .content("application/problem+json", problem_content())
            .build(),
    )
}

impl Modify for SecurityAndErrors {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The METRICS_TOKEN of the server's configuration (for GET /metrics only)",
                    ))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let is_api = path.starts_with("/api/");
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = op.request_body.is_some();
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut op.responses.responses;
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(description));
                };
                if has_body {
                    add("400", "Malformed JSON");
                    add("408", "The request body did not arrive in time");
                    add("413", "Request body too large");
                    add("415", "Body is not JSON");
                }
                if has_body || has_params {
                    add("422", "Invalid field; `errors` names each one");
                }
                if secured {
                    add("401", "Missing, expired or invalid access token");
                    // Every signed-in operation is refused to roles it is not for.
                    add("403", "Your role may not do this");
                }
                if is_api || path == "/readyz" {
                    add("503", "Database unreachable");
                }
                add("500", "Unexpected error");
                for (code, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        if response.description.is_empty() {
                            response.description = default_description(code).to_owned();
                        }
                        let is_error = code.starts_with('4') || code.starts_with('5');
                        if is_error && response.content.is_empty() {
                            response
                                .content
                                .insert("application/problem+json".to_owned(), problem_content());
                        }
                    }
                }
            }
        }
        contract::apply(openapi);
    }
}

/// The description of a response listed without one. The 403, 404 and 409 wordings are those of
/// `crate::error::{Forbidden, NotFound, Conflict}`.
fn default_description(code: &str) -> &'static str {
    match code {
        "200" => "OK",
        "201" => "Created",
        "204" => "No content",
        "403" => "Your role may not do this to this object",
        "404" => "No such object, or it is outside your scope",
        "409" => "Conflicts with existing data",
        _ => "See the problem document",
    }
}

/// What makes generated clients clean and `redocly lint --extends recommended` pass: public
/// operations say `security: []`, every operation has a summary, list pages reference their
/// item schema by name, and every response documents its headers. (Every integer's bounds are
/// stated on its DTO field, `#[schema(minimum = …, maximum = …)]`, beside its validator.)
pub mod contract {
    use super::*;

    pub fn apply(openapi: &mut OpenApiDoc) {
        operations(openapi);
        name_page_items(openapi);
    }

    fn operations(openapi: &mut OpenApiDoc) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                // Sign-in, refresh, sign-out (the refresh token is the credential), activation,
                // the public instrument text and the probes take no bearer token.
                if op.security.as_ref().is_none_or(|s| s.is_empty()) {
                    op.security = Some(Vec::new());
                }
                if op.summary.is_none() {
                    op.summary = op.operation_id.as_deref().map(summary_of);
                }
                for (code, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    response
                        .headers
                        .entry("X-Request-Id".to_owned())
                        .or_insert_with(|| {
                            HeaderBuilder::new()
                                .schema(ObjectBuilder::new().schema_type(Type::String))
                                .description(Some(
                                    "Identifies this request in the server's logs; quote it when reporting a problem.",
                                ))
                                .build()
                        });
                    if code == "429" || code == "503" {
                        response
                            .headers
                            .entry("Retry-After".to_owned())
                            .or_insert_with(|| {
                                HeaderBuilder::new()
                                    .schema(
                                        ObjectBuilder::new()
                                            .schema_type(Type::Integer)
                                            .format(Some(
                                                utoipa::openapi::SchemaFormat::KnownFormat(
                                                    utoipa::openapi::KnownFormat::Int64,
                                                ),
                                            ))
                                            .minimum(Some(0)),
                                    )
                                    .description(Some("Seconds to wait before trying again"))
                                    .build()
                            });
                    }
                }
            }
        }
    }

    /// `get_class` → `Get class`: for the operations whose handler has no doc comment.
    pub fn summary_of(operation_id: &str) -> String {
        let words = operation_id.replace('_', " ");
        let mut chars = words.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }

    /// utoipa inlines a generic's type argument: `Page_Class.items` would be an anonymous copy
    /// of `Class`, which generators name `PageClassItemsItem`. Reference the named schema instead
    /// (registering the inline copy under its name when no route named it yet).
    fn name_page_items(openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let pages: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| name.starts_with("Page_"))
            .cloned()
            .collect();
        for page in pages {
            let item_name = page["Page_".len()..].to_owned();
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&page) else {
                continue;
            };
            let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut("items") else {
                continue;
            };
            let ArrayItems::RefOrSchema(items) = &mut array.items else {
                continue;
            };
            let inline = std::mem::replace(
                items.as_mut(),
                RefOr::Ref(Ref::from_schema_name(item_name.clone())),
            );
            if let RefOr::T(_) = inline {
                components.schemas.entry(item_name).or_insert(inline);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::contract::summary_of;

    #[test]
    fn summaries_from_operation_ids() {
        assert_eq!(summary_of("get_class"), "Get class");
        assert_eq!(summary_of(""), "");
    }
}
