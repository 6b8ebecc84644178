//! Aggregate reports: climate results of closed survey windows per school, grade and district,
//! with small-cell and complementary suppression; trends across windows; SEL activity beside
//! them; and the audit trail of every read.

pub mod aggregates;
pub mod ballots;
pub mod chart;
pub mod climate;
pub mod comparison;
pub mod csv;
pub mod disclosure;
pub mod inputs;
pub mod opening;
pub mod participation;
pub mod pictures;
pub mod queries;
pub mod rendering;
pub mod rescoring;
pub mod routes;
pub mod significance;
pub mod stats;
pub mod store;
mod table;
pub mod trend;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(routes::school_climate)
        .service(routes::district_climate)
        .service(trend::school_trend)
        .service(trend::district_trend)
        .service(trend::sel_activity)
        .service(participation::participation);
}
