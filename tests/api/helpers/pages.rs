//! A browser for the web pages, as a test sees them: a cookie jar, no redirects followed, forms
//! posted with the CSRF token of the page they came from.

use std::collections::HashMap;

use super::{TestApp, DEMO_PASSWORD};

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: HashMap<String, String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's (first) form.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").unwrap_or_else(|| panic!("no csrf field in: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// The value of the first hidden input named `name`.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub struct Pages<'a> {
    app: &'a TestApp,
    agent: ureq::Agent,
    pub cookies: HashMap<String, String>,
    /// Sent as `Origin` with every POST, as a browser does (None: none sent).
    pub origin: Option<String>,
}

impl<'a> Pages<'a> {
    pub fn new(app: &'a TestApp) -> Pages<'a> {
        Pages {
            app,
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: HashMap::new(),
            origin: Some(app.base.clone()),
        }
    }

    fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        self.send_body(method, path, form, None)
    }

    /// POSTs a raw body (a multipart upload) with the session's cookies and the origin.
    pub fn post_raw(&mut self, path: &str, content_type: &str, body: &[u8]) -> Page {
        self.send_body("POST", path, None, Some((content_type, body)))
    }

    fn send_body(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        raw: Option<(&str, &[u8])>,
    ) -> Page {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.app.base));
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.set("Cookie", &header);
        }
        if let Some(origin) = self.origin.as_ref().filter(|_| method == "POST") {
            req = req.set("Origin", origin);
        }
        let result = match (form, raw) {
            (Some(fields), _) => req.send_form(fields),
            (None, Some((content_type, body))) => {
                req.set("Content-Type", content_type).send_bytes(body)
            }
            (None, None) => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let set_cookies: Vec<String> = response
            .all("set-cookie")
            .into_iter()
            .map(str::to_owned)
            .collect();
        for cookie in &set_cookies {
            if let Some((name, rest)) = cookie.split_once('=') {
                let value = rest.split(';').next().unwrap_or("");
                if cookie.contains("Max-Age=0") {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        let headers = response
            .headers_names()
            .into_iter()
            .map(|h| {
                let v = response.header(&h).unwrap_or("").to_owned();
                (h.to_ascii_lowercase(), v)
            })
            .collect();
        Page {
            status: response.status(),
            location: response.header("location").map(str::to_owned),
            headers,
            set_cookies,
            body: response.into_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None)
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(fields))
    }

    /// Signs in through the sign-in form; returns the answer to the form.
    pub fn try_sign_in(&mut self, username: &str, password: &str, next: &str) -> Page {
        let form = self.get("/sign-in");
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf();
        self.post(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", next),
            ],
        )
    }

    /// Signs in with the demo password; panics unless it worked.
    pub fn sign_in(&mut self, username: &str) {
        let done = self.try_sign_in(username, DEMO_PASSWORD, "/");
        assert_eq!(done.status, 303, "sign in {username}: {}", done.body);
    }
}
