//! The HTTP application: every route, registered once, for the server, the tests and the OpenAPI document.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, Error, HttpMessage};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::extract::{path_error, JsonLimit};
use crate::openapi::{ApiDoc, SecurityAndErrors};
use crate::state::AppState;
use crate::{auth, health, lessons, mentoring, oneroster, reports, rosters, surveys};

fn register(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .configure(auth::routes::routes)
                .configure(auth::activation::routes)
                .configure(rosters::routes)
                .configure(oneroster::routes::routes)
                .configure(lessons::routes)
                .configure(surveys::routes)
                .configure(mentoring::routes)
                .configure(reports::routes),
        );
}

/// The OpenAPI document of every registered route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(register)
        .split_for_parts();
    SecurityAndErrors.modify(&mut doc);
    doc
}

async fn unknown_route() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let json_limit = JsonLimit(state.config.max_json_body);
    let (app, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(json_limit)
        .app_data(web::PathConfig::default().error_handler(path_error))
        .configure(register)
        .split_for_parts();
    SecurityAndErrors.modify(&mut doc);
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc))
        .default_service(web::to(unknown_route))
        .wrap(actix_web::middleware::from_fn(
            crate::auth::caller::authenticate,
        ))
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                    res.headers_mut()
                        .insert(HeaderName::from_static("x-request-id"), id);
                }
                Ok(res)
            }
        })
        // Logs method, route, status, latency and request id; never bodies.
        .wrap(TracingLogger::default())
}
