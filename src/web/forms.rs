//! Forms: every POST of the pages carries the session's CSRF token and, when the browser sends
//! one, an `Origin` of this site; the session cookie is also `SameSite=Strict`. The body is
//! read under the API's JSON limit and decoded as `application/x-www-form-urlencoded`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;

use super::page::WebError;
use crate::auth::authenticate::SessionSecret;
use crate::auth::sessions;
use crate::error::ApiError;
use crate::extract::JsonLimit;

/// The fields of a submitted form, in order (a name may repeat: checkboxes), after the CSRF
/// and origin checks. The `csrf` field itself is removed.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, trimmed; None when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first value of `name` as sent (passwords are not trimmed).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The origin the browser says a form came from must be this site's own (as addressed).
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        // Browsers send Origin with every POST; a client that does not is no browser CSRF.
        return true;
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    origin.to_str().is_ok_and(|o| o.eq_ignore_ascii_case(&own))
}

/// Reads and decodes a urlencoded body under `limit` bytes.
pub async fn read_fields(
    req: &HttpRequest,
    mut payload: Payload,
) -> Result<Vec<(String, String)>, WebError> {
    let limit = req
        .app_data::<JsonLimit>()
        .map(|l| l.0)
        .unwrap_or(crate::extract::DEFAULT_JSON_LIMIT);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(WebError::Api(ApiError::UnsupportedMediaType(
            "a form must be sent as application/x-www-form-urlencoded",
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            WebError::Api(ApiError::Malformed {
                detail: format!("could not read the form: {e}"),
                field: None,
            })
        })?;
        if body.len() + chunk.len() > limit {
            return Err(WebError::Api(ApiError::PayloadTooLarge { limit }));
        }
        body.extend_from_slice(&chunk);
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    // PostgreSQL cannot store NUL; the API refuses it too.
    if fields
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(WebError::Api(ApiError::Malformed {
            detail: "the form contains a NUL character".to_owned(),
            field: None,
        }));
    }
    Ok(fields)
}

impl FromRequest for FormFields {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let secret = req.extensions().get::<SessionSecret>().cloned();
            let Some(secret) = secret else {
                return Err(WebError::SignIn {
                    back_to: req.path().to_owned(),
                });
            };
            if !same_origin(&req) {
                return Err(WebError::FormExpired);
            }
            let mut fields = read_fields(&req, payload).await?;
            let token = fields
                .iter()
                .position(|(k, _)| k == "csrf")
                .map(|i| fields.remove(i).1);
            if !token.is_some_and(|t| sessions::csrf_matches(&secret.0, &t)) {
                return Err(WebError::FormExpired);
            }
            Ok(FormFields(fields))
        })
    }
}

/// `same_origin` for the sign-in form, which has no session yet.
pub fn from_this_site(req: &HttpRequest) -> bool {
    same_origin(req)
}
