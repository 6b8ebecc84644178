//! The web pages: server-rendered HTML for students, teachers, counselors and administrators,
//! served by the same binary at `/` (the API stays at `/api/v1`).
//!
//! - Pages call the same domain functions as the API's handlers (not HTTP to themselves), and
//!   take the same role proof: [`page::Viewer<R>`] is the API's `Authorized<R>`, resolved from
//!   a web session (`auth::sessions`) instead of a bearer token.
//! - Sessions: a `Secure`, `HttpOnly`, `SameSite=Strict` cookie; every form carries the
//!   session's CSRF token and is refused from another origin (`forms`); sign-in has the API's
//!   limits (`auth::sign_in`); sessions end with the API's (`auth::queries::revoke_all_for_user`).
//! - No script at all: plain forms and links. The Content-Security-Policy (`app`) allows
//!   nothing inline and nothing from elsewhere; pages are never cached (`no-store`).
//! - Every sentence is in [`text`], so a translation can be added in one place.

pub mod assets;
pub mod forms;
pub mod page;
pub mod pages;
pub mod text;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

/// The Content-Security-Policy of every page: our stylesheet and images, no script, no
/// framing, forms only to ourselves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether a path is one of the pages (not the API, its documentation, health or metrics).
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/docs")
        || path == "/openapi.json"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics")
}

/// Middleware: a page address holding a NUL (`%00`, in the path or the query) is answered
/// 404 before any page sees it: PostgreSQL cannot compare text with NUL, and no id, search or
/// filter of ours contains one (the API's extractors refuse it the same way).
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let raw = req.uri().path_and_query().map_or("", |p| p.as_str());
    if is_page(req.path()) && raw.to_ascii_lowercase().contains("%00") {
        let page = page::WebError::Api(crate::error::ApiError::NotFound("page")).error_response();
        return Ok(req.into_response(page).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use pages::{
        activate, activity, audit, cards, home, imports, meeting, mentoring, opt_outs, reports,
        sign_in, student, support, teacher, trends,
    };
    cfg.route("/", web::get().to(home::home))
        .route("/static/app.css", web::get().to(assets::stylesheet))
        .route("/favicon.ico", web::get().to(assets::icon))
        .route("/sign-in", web::get().to(sign_in::form))
        .route("/sign-in", web::post().to(sign_in::submit))
        .route("/sign-out", web::post().to(sign_in::sign_out))
        .route("/activate", web::get().to(activate::form))
        .route("/activate", web::post().to(activate::submit))
        .route("/surveys/{id}", web::get().to(student::survey_intro))
        .route("/surveys/{id}", web::post().to(student::survey_step))
        .route(
            "/surveys/{id}/thanks",
            web::get().to(student::survey_thanks),
        )
        .route("/check-in", web::get().to(support::check_in_form))
        .route("/check-in", web::post().to(support::check_in))
        .route("/help", web::get().to(support::help_form))
        .route("/help", web::post().to(support::ask_for_help))
        .route("/lessons/{id}", web::get().to(student::lesson))
        .route("/lessons/{id}", web::post().to(student::finish_lesson))
        .route("/classes/{id}", web::get().to(teacher::class_page))
        .route("/classes/{id}/assign", web::get().to(teacher::assign_form))
        .route("/classes/{id}/assign", web::post().to(teacher::assign))
        .route("/library", web::get().to(teacher::library))
        .route("/assignments/{id}", web::get().to(teacher::assignment_page))
        .route(
            "/assignments/{id}/delivery",
            web::post().to(teacher::record_delivery),
        )
        .route("/mentoring", web::get().to(mentoring::programs))
        .route(
            "/mentoring/matches/{id}/meeting",
            web::get().to(meeting::form),
        )
        .route(
            "/mentoring/matches/{id}/meeting",
            web::post().to(meeting::record),
        )
        .route(
            "/mentoring/programs/{id}",
            web::get().to(mentoring::program),
        )
        .route(
            "/mentoring/programs/{id}/accept",
            web::post().to(mentoring::accept),
        )
        .route("/login-cards", web::get().to(cards::form))
        .route("/login-cards", web::post().to(cards::issue))
        .route("/opt-outs", web::get().to(opt_outs::page))
        .route("/opt-outs", web::post().to(opt_outs::record))
        .route("/audit", web::get().to(audit::trail))
        .route("/imports", web::get().to(imports::form))
        .route("/imports", web::post().to(imports::upload))
        .route("/reports", web::get().to(reports::index))
        .route("/reports/activity", web::get().to(activity::activity))
        .route("/reports/trend", web::get().to(trends::trend))
        .route("/reports/trend.svg", web::get().to(trends::chart))
        .route("/reports/windows/{id}", web::get().to(reports::report))
        .route(
            "/reports/windows/{id}/chart.svg",
            web::get().to(reports::chart),
        )
        .route(
            "/reports/windows/{id}/report.csv",
            web::get().to(reports::csv),
        );
}
