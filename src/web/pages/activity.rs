//! SEL activity of a school in a term, to read beside its climate: lessons assigned, taught
//! and completed per competency, and the mentoring numbers (through
//! `reports::trend::sel_activity_of`, on the record as the API's). School staff see their
//! school; district staff choose one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::accounts::SchoolStaff;
use crate::reports::trend::{sel_activity_of, SelActivity};
use crate::rosters::models::School;
use crate::state::AppState;
use crate::web::page::{render, text, Frame, Viewer, WebError};

#[derive(serde::Deserialize)]
pub struct ActivityQuery {
    school: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/activity.html")]
struct ActivityPage {
    frame: Frame,
    schools: Vec<School>,
    school_id: String,
    /// District staff choose the school.
    choose: bool,
    activity: Option<SelActivity>,
}

pub async fn activity(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, WebError> {
    let (who, asked) = (viewer.who.clone(), query.into_inner().school);
    let (schools, school_id, activity) = state
        .db
        .run(move |conn| {
            let filter = crate::rosters::dto::SchoolFilter {
                active: Some(true),
                page: Some(1),
                limit: Some(200),
            };
            let schools = crate::rosters::queries::list_schools(
                conn,
                &who.district_id,
                who.school_id.as_deref(),
                &filter,
            )?
            .items;
            let school_id = who
                .school_id
                .clone()
                .or(asked.filter(|s| s.len() <= 64))
                .unwrap_or_default();
            let activity = if school_id.is_empty() {
                None
            } else {
                Some(crate::db::write_transaction(conn, |c| {
                    sel_activity_of(c, &who, &school_id, None)
                })?)
            };
            Ok((schools, school_id, activity))
        })
        .await?;
    render(
        StatusCode::OK,
        &ActivityPage {
            frame: Frame::new(&viewer, text().activity_title, "/reports"),
            schools,
            school_id,
            choose: viewer.school_id.is_none(),
            activity,
        },
    )
}
