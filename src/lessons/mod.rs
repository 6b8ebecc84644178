//! SEL lessons: the plan library (district, school and private plans, immutable published
//! versions), assignments to classes, completion with reflections, and progress numbers.

pub mod assignments;
pub mod dto;
pub mod library;
pub mod models;
pub mod plans;
pub mod progress;
pub mod queries;
pub mod scope;
pub mod vocab;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(plans::search_plans)
        .service(plans::create_plan)
        .service(plans::get_plan)
        .service(plans::update_plan)
        .service(plans::publish_plan)
        .service(assignments::list_class_assignments)
        .service(assignments::create_assignment)
        .service(assignments::get_assignment)
        .service(assignments::update_assignment)
        .service(assignments::complete_assignment)
        .service(assignments::list_completions)
        .service(assignments::assignment_progress)
        .service(assignments::my_assignments)
        .service(assignments::class_progress)
        .service(assignments::school_progress);
}
