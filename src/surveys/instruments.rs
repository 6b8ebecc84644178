//! `/api/v1/survey-instruments`: versioned questionnaires of a district.

use actix_web::{get, post, web, HttpResponse};

use super::dto::NewInstrument;
use super::models::{Instrument, InstrumentRow, InstrumentStatus, InstrumentSummary, ItemRow};
use super::queries;
use super::scope;
use crate::accounts::{Authorized, DistrictAdmins, Staff};
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

/// Builds the rows of a new instrument version (a draft).
pub fn instrument_rows(
    district_id: &str,
    created_by: &str,
    lineage_id: String,
    version: i32,
    new: &NewInstrument,
) -> (InstrumentRow, Vec<ItemRow>) {
    let now = db::now();
    let row = InstrumentRow {
        id: db::new_id(),
        district_id: district_id.to_owned(),
        lineage_id,
        version,
        status: InstrumentStatus::Draft,
        title: new.title.trim().to_owned(),
        description: new.description.trim().to_owned(),
        grade_min: new.grade_min,
        grade_max: new.grade_max,
        created_by: created_by.to_owned(),
        published_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut position = 0;
    let mut items = Vec::new();
    for section in &new.sections {
        for item in &section.items {
            position += 1;
            let mut ppra = item.ppra_areas.clone();
            ppra.sort();
            ppra.dedup();
            items.push(ItemRow {
                id: db::new_id(),
                instrument_id: row.id.clone(),
                position,
                section: section.title.trim().to_owned(),
                prompt: item.prompt.trim().to_owned(),
                scale: item.scale,
                indicator: item.indicator,
                reverse_scored: item.reverse_scored,
                required: item.required,
                ppra_areas: serde_json::to_string(&ppra).unwrap_or_else(|_| "[]".into()),
                bullying_form: item.bullying_form,
            });
        }
    }
    (row, items)
}

/// Questionnaires of the district (district staff also see drafts).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, body = Page<InstrumentSummary>),
        Forbidden,
    )
)]
#[get("/survey-instruments")]
pub async fn list_instruments(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Page<InstrumentSummary>>, ApiError> {
    let paging = query.0.paging();
    let page = state
        .db
        .run(move |conn| queries::list_instruments(conn, &caller, paging))
        .await?;
    Ok(web::Json(Page {
        items: page.items.iter().map(InstrumentRow::summary).collect(),
        page: page.page,
        limit: page.limit,
        total: page.total,
    }))
}

/// Create a questionnaire version as a draft (district administrators). With `lineage_id` it
/// becomes the next version of that questionnaire.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), request_body = NewInstrument,
    responses(
        (status = 201, body = Instrument),
        Forbidden,
    )
)]
#[post("/survey-instruments")]
pub async fn create_instrument(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    body: ValidJson<NewInstrument>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let instrument = state
        .db
        .write(move |conn| {
            let (lineage, version) = match &new.lineage_id {
                Some(lineage) => {
                    let next = queries::next_version(conn, &caller.district_id, lineage)?
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "lineage_id",
                                "no questionnaire with this lineage in your district",
                            )
                        })?;
                    (lineage.clone(), next)
                }
                None => (db::new_id(), 1),
            };
            let (row, items) =
                instrument_rows(&caller.district_id, &caller.user_id, lineage, version, &new);
            queries::insert_instrument(conn, &row, &items)?;
            Ok(row.with_items(items))
        })
        .await?;
    Ok(HttpResponse::Created().json(instrument))
}

#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Instrument),
        NotFound,
    )
)]
#[get("/survey-instruments/{id}")]
pub async fn get_instrument(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
) -> Result<web::Json<Instrument>, ApiError> {
    let id = path.into_inner().id;
    let instrument = state
        .db
        .run(move |conn| {
            let row = scope::instrument(conn, &caller, &id)?;
            let items = queries::instrument_items(conn, &row.id)?;
            Ok(row.with_items(items))
        })
        .await?;
    Ok(web::Json(instrument))
}

/// Publish a draft: the version is frozen and can be used by survey windows.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Instrument),
        Forbidden,
        NotFound,
        (status = 409, description = "Already published"),
    )
)]
#[post("/survey-instruments/{id}/publish")]
pub async fn publish_instrument(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<IdPath>,
) -> Result<web::Json<Instrument>, ApiError> {
    let id = path.into_inner().id;
    let instrument = state
        .db
        .write(move |conn| {
            let row = scope::manage_instrument(conn, &caller, &id)?;
            queries::publish_instrument(conn, &row)?;
            let row = scope::instrument(conn, &caller, &id)?;
            let items = queries::instrument_items(conn, &row.id)?;
            Ok(row.with_items(items))
        })
        .await?;
    Ok(web::Json(instrument))
}

/// The exact text of a published questionnaire, for parents and guardians (PPRA gives them
/// the right to inspect it). No sign-in needed; it holds no student data.
#[utoipa::path(
    tag = "surveys", params(IdPath),
    responses(
        (status = 200, body = Instrument),
        NotFound,
    )
)]
#[get("/public/survey-instruments/{id}")]
pub async fn public_instrument(
    state: web::Data<AppState>,
    path: web::Path<IdPath>,
) -> Result<web::Json<Instrument>, ApiError> {
    let id = path.into_inner().id;
    let instrument = state
        .db
        .run(move |conn| {
            let row = queries::published_instrument(conn, &id)?;
            let items = queries::instrument_items(conn, &row.id)?;
            Ok(row.with_items(items))
        })
        .await?;
    Ok(web::Json(instrument))
}
