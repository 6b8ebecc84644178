//! `/`: the start page of each role (students: Today; teachers: their classes), or where to
//! go (counselors and administrators: mentoring; district staff: reports); sign-in first.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use super::{student, teacher};
use crate::accounts::{Anyone, Role, Staff, Students};
use crate::state::AppState;
use crate::web::page::{see_other, Viewer, WebError};

pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer<Anyone>,
) -> Result<HttpResponse, WebError> {
    match viewer.role {
        Role::Student => {
            let student = Viewer::<Students>::from_request(&req, &mut Payload::None).await?;
            let query = web::Query::<student::TodayQuery>::from_query(req.query_string())
                .map(web::Query::into_inner)
                .unwrap_or_default();
            student::today_page(state, student, query).await
        }
        Role::Teacher => {
            let teacher = Viewer::<Staff>::from_request(&req, &mut Payload::None).await?;
            teacher::classes(state, teacher).await
        }
        Role::Counselor | Role::SchoolAdmin => Ok(see_other("/mentoring")),
        Role::DistrictAdmin => Ok(see_other("/reports")),
    }
}
