//! Anonymous school-climate surveys: versioned instruments, survey windows, guardian opt-outs
//! and one-time anonymous responses. Participation counts are reported by
//! `reports::participation`.
//!
//! The anonymity model (docs/ARCHITECTURE.md, "Anonymity and disclosure"; README "Threat
//! model"): `survey_participation` (window, student) records who took a window. What they
//! answered is stored only sealed while the window is open (`ballot_box`), counted in the cell
//! the student had when the window opened (`roster`), and written in the clear only when the box
//! is opened after the window closes, in one transaction: one `survey_cell_responses` row per
//! (school, grade) cell, its respondents' answers in a random order. No column, key, timestamp,
//! sequence or order joins participation to answers.

pub mod ballot_box;
pub mod demo;
pub mod dto;
pub mod instruments;
pub mod latent;
pub mod library;
pub mod models;
pub mod queries;
pub mod responses;
pub mod roster;
pub mod scope;
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
        .service(responses::my_surveys)
        .service(responses::questionnaire)
        .service(responses::submit);
}
