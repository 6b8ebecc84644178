//! What every page shares: the signed-in viewer (the API's own role proof), the frame around
//! the content (menu, sign-out form), rendering, and errors shown as pages.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::text::{Text, EN};
use crate::accounts::{Authorized, Role, RoleSet};
use crate::auth::authenticate::SessionSecret;
use crate::auth::sessions;
use crate::error::ApiError;

/// The language of a request's pages (one for now).
pub fn text() -> &'static Text {
    &EN
}

/// A signed-in viewer whose role is in `R`: the API's `Authorized<R>`, resolved from the web
/// session the same way, so a page cannot run for a role its domain functions refuse. Without
/// a live session the browser is sent to sign in and back; with the wrong role it gets 403.
pub struct Viewer<R: RoleSet> {
    pub who: Authorized<R>,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
}

impl<R: RoleSet> std::ops::Deref for Viewer<R> {
    type Target = Authorized<R>;
    fn deref(&self) -> &Authorized<R> {
        &self.who
    }
}

impl<R: RoleSet + 'static> FromRequest for Viewer<R> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let proof = Authorized::<R>::from_session(req);
        let csrf = req
            .extensions()
            .get::<SessionSecret>()
            .map(|s| sessions::csrf_token(&s.0));
        let back_to = back_to(req);
        Box::pin(async move {
            match (proof, csrf) {
                (Ok(who), Some(csrf)) => Ok(Viewer { who, csrf }),
                (Ok(_), None) | (Err(ApiError::Unauthorized(_)), _) => {
                    Err(WebError::SignIn { back_to })
                }
                (Err(e), _) => Err(WebError::Api(e)),
            }
        })
    }
}

/// The page to come back to after signing in: this one (GET) or, after a form, the page of the
/// form's address (a POST cannot be replayed through a redirect).
fn back_to(req: &HttpRequest) -> String {
    let path = req.path();
    if req.method() == actix_web::http::Method::GET && !req.query_string().is_empty() {
        format!("{path}?{}", req.query_string())
    } else {
        path.to_owned()
    }
}

/// A local path safe to redirect to after sign-in: one of ours, never `//host` or `/\host`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/sign-")
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A link of the main menu.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame of a signed-in page: title, menu for the role, who is signed in, sign-out form.
pub struct Frame {
    pub t: &'static Text,
    pub title: String,
    pub nav: Vec<NavLink>,
    pub who: String,
    pub csrf: String,
}

impl Frame {
    /// The frame for `viewer` with the menu item `section` marked current.
    pub fn new<R: RoleSet>(viewer: &Viewer<R>, title: impl Into<String>, section: &str) -> Frame {
        let t = text();
        let role = viewer.role;
        let items: &[(&'static str, &'static str)] = match role {
            Role::Student => &[("/", t.nav_today)],
            Role::Teacher => &[("/", t.nav_classes), ("/library", t.nav_library)],
            Role::Counselor => &[
                ("/mentoring", t.nav_mentoring),
                ("/reports", t.nav_reports),
                ("/opt-outs", t.nav_opt_outs),
                ("/library", t.nav_library),
            ],
            Role::SchoolAdmin => &[
                ("/mentoring", t.nav_mentoring),
                ("/reports", t.nav_reports),
                ("/opt-outs", t.nav_opt_outs),
                ("/login-cards", t.nav_cards),
                ("/library", t.nav_library),
            ],
            Role::DistrictAdmin => &[
                ("/reports", t.nav_reports),
                ("/audit", t.nav_audit),
                ("/imports", t.nav_imports),
                ("/library", t.nav_library),
            ],
        };
        Frame {
            t,
            title: title.into(),
            nav: items
                .iter()
                .map(|&(href, label)| NavLink {
                    href,
                    label,
                    current: href == section,
                })
                .collect(),
            who: t.word(role.as_str()).to_owned(),
            csrf: viewer.csrf.clone(),
        }
    }
}

/// Renders a page: HTML, never stored by a cache (see `app::secure_headers`).
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, WebError> {
    let html = page
        .render()
        .map_err(|e| WebError::Api(ApiError::internal(format!("template: {e}"))))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// 303 See Other: where a form sends the browser after it is done.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Field errors of a domain refusal, by field name (the API's own messages), for a form to
/// show beside its fields; None for a refusal that is not about a field.
pub fn field_errors(e: &ApiError) -> Option<Vec<(String, String)>> {
    match e {
        ApiError::Validation(errors) => Some(
            errors
                .iter()
                .map(|f| (f.field.clone(), f.message.clone()))
                .collect(),
        ),
        ApiError::Conflict {
            field: Some(field),
            detail,
        } => Some(vec![(field.clone(), detail.clone())]),
        _ => None,
    }
}

/// The field errors of a refusal as one sentence, for a form that shows them in one place;
/// None for a refusal that is not about a field.
pub fn field_message(e: &ApiError) -> Option<String> {
    field_errors(e).map(|fields| {
        fields
            .into_iter()
            .map(|(_, message)| message)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Errors of the pages: a missing session goes to sign-in and back; the rest are pages with
/// the status the API would answer, and a plain sentence (never a trace).
#[derive(Debug)]
pub enum WebError {
    SignIn { back_to: String },
    FormExpired,
    Api(ApiError),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        match e {
            ApiError::Unauthorized(_) => WebError::SignIn {
                back_to: "/".to_owned(),
            },
            e => WebError::Api(e),
        }
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::SignIn { .. } => f.write_str("sign in first"),
            WebError::FormExpired => f.write_str("form expired"),
            WebError::Api(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Text,
    title: &'a str,
    message: String,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::FormExpired => StatusCode::FORBIDDEN,
            WebError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let t = text();
        let status = self.status_code();
        let (title, message) = match self {
            WebError::SignIn { back_to } => {
                let next: String = form_urlencoded::byte_serialize(back_to.as_bytes()).collect();
                return see_other(&format!("/sign-in?next={next}"));
            }
            WebError::FormExpired => (t.not_allowed_title, t.form_expired.to_owned()),
            WebError::Api(e) => match e {
                ApiError::Forbidden(_) => (t.not_allowed_title, t.not_allowed.to_owned()),
                ApiError::NotFound(_) => (t.not_found_title, t.not_found.to_owned()),
                ApiError::RateLimited { .. } | ApiError::Busy { .. } | ApiError::Unavailable => {
                    (t.too_many_title, t.sign_in_busy.to_owned())
                }
                e if status.is_client_error() => {
                    // The API's sentence for the refusal (written for people; never a value
                    // the user did not send).
                    {
                        let problem = e.problem();
                        let mut message = problem.detail;
                        for f in problem.errors.unwrap_or_default() {
                            message.push_str(&format!("; {}: {}", f.field, f.message));
                        }
                        (t.bad_request_title, message)
                    }
                }
                e => {
                    tracing::error!(error = %e, "page failed");
                    (t.server_error_title, t.server_error.to_owned())
                }
            },
        };
        let page = ErrorPage { t, title, message };
        let body = page.render().unwrap_or_else(|_| t.server_error.to_owned());
        let mut res = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body);
        if let WebError::Api(ApiError::RateLimited { retry_after_secs }) = self {
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}
