//! First sign-in with a login card: the one-time code and a new password, through the API's
//! own activation (`auth::activation::with_code`: its rate limit, one use per code, sessions
//! ended, on the record), then the sign-in form with the username filled in.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::activation::{with_code, ActivateRequest};
use crate::auth::routes::client_ip;
use crate::auth::AuthState;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::forms::{from_this_site, read_fields, FormFields};
use crate::web::page::{field_errors, render, see_other, text, WebError};
use crate::web::text::Text;

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    t: &'static Text,
    code: String,
    errors: std::collections::HashMap<String, String>,
}

impl ActivatePage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn page(
    status: StatusCode,
    code: String,
    errors: std::collections::HashMap<String, String>,
) -> Result<HttpResponse, WebError> {
    render(
        status,
        &ActivatePage {
            t: text(),
            code,
            errors,
        },
    )
}

pub async fn form() -> Result<HttpResponse, WebError> {
    page(StatusCode::OK, String::new(), Default::default())
}

/// The code is the secret here (there is no session yet): the form needs no CSRF token, but it
/// must come from this site.
pub async fn submit(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let t = text();
    if !from_this_site(&req) {
        return Err(WebError::FormExpired);
    }
    let fields = FormFields(read_fields(&req, payload.into_inner()).await?);
    let code = fields.get("code").unwrap_or("").to_owned();
    let password = fields.raw("password").unwrap_or("").to_owned();
    let again = fields.raw("password_again").unwrap_or("").to_owned();
    let mut errors = std::collections::HashMap::new();
    if password != again {
        errors.insert("password_again".to_owned(), t.passwords_differ.to_owned());
    }
    let request = ActivateRequest {
        code: code.clone(),
        password: password.clone(),
    };
    if let Err(e) = validator::Validate::validate(&request) {
        errors.extend(field_errors(&ApiError::from(e)).unwrap_or_default());
    }
    if !errors.is_empty() {
        return page(StatusCode::UNPROCESSABLE_ENTITY, code, errors);
    }
    let ip = client_ip(&req, state.config.trust_forwarded_for);
    match with_code(&state, &auth, &ip, code.clone(), password).await {
        Ok(done) => {
            let username: String =
                form_urlencoded::byte_serialize(done.username.as_bytes()).collect();
            Ok(see_other(&format!("/sign-in?activated={username}")))
        }
        Err(e) => match field_errors(&e) {
            Some(fields) => {
                errors.extend(fields);
                page(StatusCode::UNPROCESSABLE_ENTITY, code, errors)
            }
            None => Err(e.into()),
        },
    }
}
