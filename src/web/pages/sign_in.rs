//! Signing in and out of the pages. Sign-in is the API's (`auth::sign_in::with_password`: the
//! same limits, lockout, audit and student-password rule); it opens a web session instead of
//! issuing tokens.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use rand::RngCore;

use crate::auth::authenticate::{SessionSecret, SESSION_COOKIE};
use crate::auth::routes::client_ip;
use crate::auth::{sessions, sign_in, AuthState};
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::forms::{from_this_site, read_fields, FormFields};
use crate::web::page::{render, safe_next, see_other, text, WebError};
use crate::web::text::Text;

/// The sign-in form's own CSRF cookie (double submit: there is no session yet).
const SIGN_IN_COOKIE: &str = "__Host-securebase-sign-in";

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    t: &'static Text,
    csrf: String,
    next: String,
    username: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    username_error: Option<&'static str>,
    password_error: Option<&'static str>,
}

#[derive(serde::Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    activated: Option<String>,
}

fn cookie(name: &str, value: String) -> Cookie<'static> {
    Cookie::build(name.to_owned(), value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

fn removal(name: &str) -> Cookie<'static> {
    let mut c = cookie(name, String::new());
    c.make_removal();
    c
}

fn new_form_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The sign-in form, with a fresh CSRF cookie; the query's `next` is carried through.
pub async fn form(
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let notice = if query.activated.is_some() {
        Some(t.activated)
    } else if query.signed_out.is_some() {
        Some(t.signed_out)
    } else if query.next.is_some() {
        Some(t.session_ended)
    } else {
        None
    };
    // Already signed in: straight on.
    if req.extensions().get::<SessionSecret>().is_some() {
        return Ok(see_other(&safe_next(query.next.as_deref())));
    }
    page(
        StatusCode::OK,
        safe_next(query.next.as_deref()),
        String::new(),
        notice,
        None,
        (None, None),
    )
}

fn page(
    status: StatusCode,
    next: String,
    username: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    (username_error, password_error): (Option<&'static str>, Option<&'static str>),
) -> Result<HttpResponse, WebError> {
    let csrf = new_form_token();
    let mut res = render(
        status,
        &SignInPage {
            t: text(),
            csrf: csrf.clone(),
            next,
            username,
            notice,
            error,
            username_error,
            password_error,
        },
    )?;
    res.add_cookie(&cookie(SIGN_IN_COOKIE, csrf))
        .map_err(|e| WebError::Api(ApiError::internal(format!("cookie: {e}"))))?;
    Ok(res)
}

/// Signs in: on success a new session (any old one of this browser closed) and back to the
/// page asked for; otherwise the form again with the username kept, never the password.
pub async fn submit(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let fields = FormFields(read_fields(&req, payload.into_inner()).await?);
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    let sent = fields.raw("csrf");
    let csrf_ok = matches!((expected.as_deref(), sent), (Some(e), Some(s))
        if !e.is_empty() && constant_time_eq(e.as_bytes(), s.as_bytes()));
    if !csrf_ok || !from_this_site(&req) {
        return Err(WebError::FormExpired);
    }
    let next = safe_next(fields.get("next"));
    let username = fields
        .get("username")
        .unwrap_or("")
        .chars()
        .take(254)
        .collect::<String>();
    let password = fields.raw("password").unwrap_or("").to_owned();
    if username.is_empty() || password.is_empty() || password.len() > 1024 {
        let missing = |empty: bool| empty.then_some(t.field_required);
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            next,
            username.clone(),
            None,
            Some(t.fix_errors),
            (missing(username.is_empty()), missing(password.is_empty())),
        );
    }
    let ip = client_ip(&req, state.config.trust_forwarded_for);
    let lifetimes = sessions::Lifetimes::of(&state.config);
    let outcome = sign_in::with_password(
        &state,
        &auth,
        &ip,
        username.clone(),
        password,
        move |conn, user| {
            crate::audit::record_in_transaction(
                conn,
                user,
                "auth.login",
                serde_json::json!({"method": "web"}),
            )?;
            Ok(sessions::open(conn, &user.id, crate::db::now(), lifetimes)?)
        },
    )
    .await;
    let secret = match outcome {
        Ok(secret) => secret,
        Err(ApiError::Unauthorized(_)) => {
            return page(
                StatusCode::UNAUTHORIZED,
                next,
                username,
                None,
                Some(t.sign_in_failed),
                (None, None),
            )
        }
        Err(ApiError::RateLimited { .. } | ApiError::Busy { .. }) => {
            return page(
                StatusCode::TOO_MANY_REQUESTS,
                next,
                username,
                None,
                Some(t.sign_in_busy),
                (None, None),
            )
        }
        Err(e) => return Err(WebError::Api(e)),
    };
    let old = req.extensions().get::<SessionSecret>().cloned();
    if let Some(old) = old {
        state
            .db
            .run(move |conn| Ok(sessions::close(conn, &old.0)?))
            .await?;
    }
    let mut res = see_other(&next);
    res.add_cookie(&cookie(SESSION_COOKIE, secret))
        .and_then(|_| res.add_cookie(&removal(SIGN_IN_COOKIE)))
        .map_err(|e| WebError::Api(ApiError::internal(format!("cookie: {e}"))))?;
    Ok(res)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signs out: the session row is deleted (the cookie is worthless from then on) and cleared.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: FormFields,
) -> Result<HttpResponse, WebError> {
    let secret = req.extensions().get::<SessionSecret>().cloned();
    if let Some(secret) = secret {
        state
            .db
            .run(move |conn| Ok(sessions::close(conn, &secret.0)?))
            .await?;
    }
    let mut res = see_other("/sign-in?signed_out=1");
    res.add_cookie(&removal(SESSION_COOKIE))
        .map_err(|e| WebError::Api(ApiError::internal(format!("cookie: {e}"))))?;
    Ok(res)
}
