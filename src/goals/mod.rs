//! Goals and monitoring: what a school or the district aims for on a figure the product already
//! publishes (a climate indicator, lessons, mentoring), with a baseline, target, deadline and
//! review cadence, and progress computed from the data on every read; and students' personal
//! SEL goals, set with a counselor and logged by the student.

pub mod demo;
pub mod dto;
pub mod history;
pub mod measure;
pub mod metric;
pub mod models;
pub mod queries;
pub mod reviews;
pub mod routes;
pub mod scope;
pub mod status;
pub mod students;
pub mod terms;
pub mod view;
pub mod vocab;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(routes::create_goal)
        .service(routes::list_goals)
        // Before `/goals/{id}`, which would otherwise take "reviews-due" for an id.
        .service(reviews::reviews_due)
        .service(routes::get_goal)
        .service(routes::update_goal)
        .service(reviews::list_reviews)
        .service(reviews::create_review)
        .service(students::student_goals)
        .service(students::create_student_goal)
        .service(students::my_goals)
        .service(students::log_progress);
}
