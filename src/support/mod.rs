//! Student support: daily check-ins (a mood diary) and help requests (asking an adult to talk).
//! Both are about a named child, kept apart from the anonymous surveys; students are told who
//! reads them, and staff reads of what a student wrote are audited.

pub mod check_ins;
pub mod demo;
pub mod dto;
pub mod figures;
pub mod help_requests;
pub mod models;
pub mod notice;
pub mod numbers;
pub mod queries;
pub mod school_time;
pub mod scope;
pub mod settings;
pub mod settings_routes;
pub mod summary;
pub mod vocab;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(check_ins::my_check_ins)
        .service(check_ins::record_check_in)
        .service(check_ins::student_check_ins)
        .service(summary::class_summary)
        .service(summary::school_summary)
        .service(notice::students_to_notice)
        .service(help_requests::trusted_adults)
        .service(help_requests::create_help_request)
        .service(help_requests::list_help_requests)
        // Before `/help-requests/{id}`, which would otherwise take "overdue" for an id.
        .service(help_requests::overdue_help_requests)
        .service(help_requests::get_help_request)
        .service(help_requests::update_help_request)
        .service(numbers::support_numbers)
        .service(settings_routes::get_support_settings)
        .service(settings_routes::put_support_settings);
}
