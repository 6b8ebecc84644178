//! The OpenAPI document: generated from the registered routes, committed as `openapi/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "securebase API",
        description = "Self-hostable REST API for school social-emotional learning: rosters, SEL lessons \
and anonymous climate surveys.\n\n\
Errors are `application/problem+json` (RFC 9457) with a stable `type` URI and, for invalid input, \
an `errors` array naming each offending field.",
        license(name = "Apache-2.0")
    ),
    // Enums used only as query parameters are referenced, not inlined: list them so the
    // references resolve.
    components(schemas(
        Problem,
        crate::reports::routes::Format,
        crate::reports::routes::Breakdown,
        crate::auth::activation::CodesFormat,
    )),
    tags(
        (name = "auth", description = "Sign-in, token rotation, own account"),
        (name = "rosters", description = "District, schools, terms, accounts, classes and enrollments"),
        (name = "lessons", description = "SEL lesson library, assignments, completion and progress"),
        (name = "surveys", description = "Anonymous climate surveys: instruments, windows, opt-outs, responses, participation"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

/// Applied after the routes are collected (a `modifiers(...)` entry would run before any path exists).
/// Declares the bearer scheme and adds the error responses every operation can give,
/// so each route only lists the ones specific to it.
pub struct SecurityAndErrors;

fn problem(description: &str) -> RefOr<Response> {
    let content = Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
        "Problem",
    ))));
    RefOr::T(
        Response::builder()
            .description(description)
            .content("application/problem+json", content)
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
                    }
                }
            }
        }
    }
}

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
