//! Anonymous school-climate surveys: versioned instruments, survey windows, guardian opt-outs,
//! one-time anonymous responses, and participation counts.
//!
//! The anonymity model (DESIGN.md) is structural: `survey_participation` (window, student)
//! records who took a window; `survey_responses` (random id, window, school, grade, answers,
//! scores) records what was answered. No column, key, timestamp or sequence joins them.

pub mod demo;
pub mod dto;
pub mod instruments;
pub mod library;
pub mod models;
pub mod queries;
pub mod responses;
pub mod scoring;
pub mod synthetic;
pub mod vocab;
pub mod windows;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(instruments::list_instruments)
        .service(instruments::create_instrument)
        .service(instruments::get_instrument)
        .service(instruments::publish_instrument)
        .service(instruments::public_instrument)
        .service(windows::list_windows)
        .service(windows::create_window)
        .service(windows::get_window)
        .service(windows::create_opt_out)
        .service(windows::participation)
        .service(responses::my_surveys)
        .service(responses::questionnaire)
        .service(responses::submit);
}
