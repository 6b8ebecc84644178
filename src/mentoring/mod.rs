//! Peer mentoring: school programs, participants with interests and availability, do-not-match
//! pairs, optimal matching suggestions, the match lifecycle (proposed → active → closed),
//! meeting logs, the cadence attention list, and numbers for reports.

pub mod cadence;
pub mod demo;
pub mod do_not_match;
pub mod dto;
pub mod lifecycle;
pub mod matches;
pub mod matching;
pub mod meetings;
pub mod models;
pub mod numbers;
pub mod programs;
pub mod queries;
pub mod scope;
pub mod suggestions;
pub mod vocab;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(programs::list_programs)
        .service(programs::create_program)
        .service(programs::get_program)
        .service(programs::list_participants)
        .service(programs::create_participant)
        .service(do_not_match::list_do_not_match)
        .service(do_not_match::create_do_not_match)
        .service(suggestions::get_suggestions)
        .service(matches::list_matches)
        .service(matches::create_matches)
        .service(matches::get_match)
        .service(matches::update_match)
        .service(meetings::list_meetings)
        .service(meetings::create_meeting)
        .service(meetings::attention)
        .service(meetings::my_mentoring);
}
