//! The stylesheet and icon, compiled into the binary (no build step, nothing fetched).

use actix_web::http::header;
use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../static/app.css");
const ICON: &str = include_str!("../../static/icon.svg");

/// Assets may be cached for a day: they change only with the binary.
fn cached(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}

pub async fn stylesheet() -> HttpResponse {
    cached("text/css; charset=utf-8", STYLESHEET)
}

pub async fn icon() -> HttpResponse {
    cached("image/svg+xml", ICON)
}
