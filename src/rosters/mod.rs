//! Rosters: district → schools → terms → classes → enrollments, user accounts, and issuing
//! their activation codes.

pub mod activation;
pub mod classes;
pub mod dto;
pub mod models;
pub mod org;
pub mod people;
pub mod queries;
pub mod scope;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(org::get_district)
        .service(org::update_district)
        .service(org::list_schools)
        .service(org::create_school)
        .service(org::get_school)
        .service(org::update_school)
        .service(org::list_terms)
        .service(org::create_term)
        .service(org::get_term)
        .service(org::update_term)
        .service(people::list_users)
        .service(people::create_user)
        .service(people::get_user)
        .service(people::update_user)
        .service(classes::list_classes)
        .service(classes::create_class)
        .service(classes::get_class)
        .service(classes::update_class)
        .service(classes::list_enrollments)
        .service(classes::create_enrollment)
        .service(classes::delete_enrollment)
        .service(activation::issue_for_school)
        .service(activation::reissue_for_user);
}
