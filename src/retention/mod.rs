//! Retention: how long each district keeps participation rows, deactivated students' personal
//! data, reflections, check-in notes and closed help requests — set by its administrators, applied by `securebase purge`.

pub mod purge;
mod queries;

use actix_web::{get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub use purge::{purge, Purged};

use crate::accounts::{Authorized, DistrictAdmins};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::ValidJson;
use crate::rosters;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_retention).service(put_retention);
}

/// A district's retention settings. `null` keeps the data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Days after a survey window closes that its participation rows (who answered, who opted
    /// out) are kept. Aggregates and anonymous responses stay, so reports do not change.
    #[validate(range(min = 1, max = 3650))]
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub participation_days: Option<i32>,
    /// Days a deactivated student account keeps its name, username, email and reflections
    /// before it is anonymized (the row stays for class history and aggregates).
    #[validate(range(min = 1, max = 3650))]
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub deactivated_account_days: Option<i32>,
    /// Days the text of a lesson reflection is kept after it was written (the emotion label
    /// stays).
    #[validate(range(min = 1, max = 3650))]
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub reflection_days: Option<i32>,
    /// Days the note of a check-in is kept after it was last written (the feeling and
    /// intensity stay, for the student's history and the totals).
    #[validate(range(min = 1, max = 3650))]
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub check_in_note_days: Option<i32>,
    /// Days a closed or withdrawn help request is kept, with its message and staff notes,
    /// after it was closed or withdrawn. Open requests are never removed.
    #[validate(range(min = 1, max = 3650))]
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub closed_help_request_days: Option<i32>,
}

/// The district's retention settings (district administrators).
#[utoipa::path(
    security(("bearer" = [])),
    tag = "rosters", params(("id" = String, Path, description = "District id")),
    responses(
        (status = 200, body = RetentionSettings),
        Forbidden,
        NotFound,
    )
)]
#[get("/districts/{id}/retention")]
pub async fn get_retention(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
) -> Result<web::Json<RetentionSettings>, ApiError> {
    let id = path.into_inner();
    rosters::scope::own_district(&caller, &id)?;
    let settings = state
        .db
        .run(move |conn| queries::load(conn, &id).map_err(ApiError::from))
        .await?;
    Ok(web::Json(settings))
}

/// Replace the district's retention settings (district administrators). `securebase purge`
/// applies them; a field left out or `null` keeps that data.
#[utoipa::path(
    security(("bearer" = [])),
    tag = "rosters", params(("id" = String, Path, description = "District id")),
    request_body = RetentionSettings,
    responses(
        (status = 200, body = RetentionSettings),
        Forbidden,
        NotFound,
        (status = 422, description = "See the problem document"),
    )
)]
#[put("/districts/{id}/retention")]
pub async fn put_retention(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
    body: ValidJson<RetentionSettings>,
) -> Result<web::Json<RetentionSettings>, ApiError> {
    let id = path.into_inner();
    rosters::scope::own_district(&caller, &id)?;
    let wanted = body.0;
    let saved = wanted.clone();
    state
        .db
        .write(move |conn| {
            let before = queries::load(conn, &id)?;
            queries::save(conn, &id, &wanted)?;
            crate::audit::record_in_transaction(
                conn,
                &caller,
                "retention.changed",
                serde_json::json!({"from": before, "to": wanted}),
            )
        })
        .await?;
    Ok(web::Json(saved))
}
