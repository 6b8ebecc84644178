//! The routes of a district's student-support settings (`settings` says what they mean).

use actix_web::{get, put, web};

use super::queries;
use super::settings::SupportSettings;
use crate::accounts::{Authorized, DistrictAdmins};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::ValidJson;
use crate::rosters;
use crate::state::AppState;

/// The district's student-support settings (district administrators).
#[utoipa::path(
    security(("bearer" = [])),
    tag = "support", params(("id" = String, Path, description = "District id")),
    responses(
        (status = 200, body = SupportSettings),
        Forbidden,
        NotFound,
    )
)]
#[get("/districts/{id}/support-settings")]
pub async fn get_support_settings(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
) -> Result<web::Json<SupportSettings>, ApiError> {
    let id = path.into_inner();
    rosters::scope::own_district(&caller, &id)?;
    let settings = state
        .db
        .run(move |conn| queries::settings(conn, &id))
        .await?;
    Ok(web::Json(settings))
}

/// Replace the district's student-support settings (district administrators). A field left out
/// takes its default. Deadlines of requests already made do not change.
#[utoipa::path(
    security(("bearer" = [])),
    tag = "support", params(("id" = String, Path, description = "District id")),
    request_body = SupportSettings,
    responses(
        (status = 200, body = SupportSettings),
        Forbidden,
        NotFound,
        (status = 422, description = "See the problem document"),
    )
)]
#[put("/districts/{id}/support-settings")]
pub async fn put_support_settings(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
    body: ValidJson<SupportSettings>,
) -> Result<web::Json<SupportSettings>, ApiError> {
    let id = path.into_inner();
    rosters::scope::own_district(&caller, &id)?;
    let wanted = body.0;
    let saved = wanted.clone();
    state
        .db
        .write(move |conn| {
            let before = queries::settings(conn, &id)?;
            queries::save_settings(conn, &id, &wanted)?;
            crate::audit::record_in_transaction(
                conn,
                &caller.caller,
                "support_settings.changed",
                serde_json::json!({"from": before, "to": wanted}),
            )
        })
        .await?;
    Ok(web::Json(saved))
}
