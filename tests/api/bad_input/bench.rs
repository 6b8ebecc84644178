//! The bench: sends a case, checks the answer and the database, records failures.

use super::*;

#[derive(Clone, Copy, Debug)]
pub(super) enum Want<'a> {
    /// A problem document with this status.
    Problem(u16),
    /// 422 naming this field.
    Invalid(&'a str),
    /// 422 naming one of these fields (where either is a fair answer).
    InvalidOneOf(&'a [&'a str]),
    /// 422 naming this field, its message listing this allowed value (and not the sent one:
    /// ``unknown value, expected one of `a`, `b` ``).
    InvalidListing(&'a str, &'a str),
    /// An empty list (200, total 0), or 422 naming this parameter.
    EmptyOrInvalid(&'a str),
    /// A problem document with one of these statuses.
    ProblemOneOf(&'a [u16]),
    /// Anything but a server error; a refusal must still leave the database alone.
    NoServerError,
}

impl Want<'_> {
    pub(super) fn expects_refusal(&self) -> bool {
        !matches!(self, Want::NoServerError | Want::EmptyOrInvalid(_))
    }
}

pub(super) const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

pub(super) struct Bench {
    pub(super) app: TestApp,
    /// The district administrator's token.
    pub(super) token: String,
    /// Tokens by username, signed in on first use.
    pub(super) tokens: HashMap<String, String>,
    pub(super) conn: DbConnection,
    /// The database as the previous case left it (nothing else writes between cases).
    pub(super) last: Option<Snapshot>,
    pub(super) cases: usize,
    pub(super) failures: Vec<String>,
}

impl Bench {
    pub(super) fn new(app: TestApp) -> Bench {
        let token = app.login(ADMIN);
        let mut conn = app.conn();
        // Every case snapshots every writable table before and after; the demo's thousands of
        // check-ins, which no case here needs, would be most of that work. A case that writes
        // a check-in still shows in the snapshot.
        diesel::delete(securebase::db::schema::check_ins::table)
            .execute(&mut conn)
            .expect("clear the demo's check-ins");
        Bench {
            app,
            tokens: HashMap::from([(ADMIN.to_owned(), token.clone())]),
            token,
            conn,
            last: None,
            cases: 0,
            failures: Vec::new(),
        }
    }

    pub(super) fn fixtures(&mut self) -> Fx {
        fixtures(&mut self.conn)
    }

    /// Call after writing outside the bench, so the next case takes a fresh snapshot.
    pub(super) fn forget(&mut self) {
        self.last = None;
    }

    /// The caller's token, signing in on first use (a sign-in writes a refresh token, so the
    /// next case takes a fresh snapshot).
    pub(super) fn token_for(&mut self, caller: Option<&str>) -> Option<String> {
        let user = caller?;
        if let Some(token) = self.tokens.get(user) {
            return Some(token.clone());
        }
        let token = self.app.login(user);
        self.tokens.insert(user.to_owned(), token.clone());
        self.forget();
        Some(token)
    }

    /// Sends a JSON body to a route.
    pub(super) fn json(&mut self, route: &Route, case: &str, body: &[u8], want: Want) {
        self.send(
            &format!("{} [{case}]", route.label),
            route.method,
            &route.path,
            route.caller,
            JSON,
            Some(body),
            want,
        );
    }

    pub(super) fn value(&mut self, route: &Route, case: &str, body: &Value, want: Want) {
        self.json(route, case, &serde_json::to_vec(body).unwrap(), want);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn send(
        &mut self,
        what: &str,
        method: &str,
        path: &str,
        caller: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        want: Want,
    ) {
        self.exchange(what, caller, want, |app, token| {
            let r = app.request(method, path, token, headers, body);
            let content_type = r.header("content-type").map(str::to_owned);
            (r.status, content_type, r.text)
        });
    }

    /// Sends a body without Content-Length (chunked transfer encoding).
    pub(super) fn chunked(&mut self, route: &Route, case: &str, body: &[u8], want: Want) {
        let what = format!("{} [{case}]", route.label);
        self.exchange(&what, route.caller, want, |app, token| {
            send_chunked(app, route.method, &route.path, token.unwrap_or(""), body)
        });
    }

    /// Runs one exchange, checks the answer, and checks that a refusal wrote nothing.
    pub(super) fn exchange(
        &mut self,
        what: &str,
        caller: Option<&str>,
        want: Want,
        call: impl FnOnce(&TestApp, Option<&str>) -> (u16, Option<String>, String),
    ) {
        let token = self.token_for(caller);
        let before = match self.last.take() {
            Some(s) => s,
            None => Snapshot::writable(&mut self.conn),
        };
        let (status, content_type, text) = call(&self.app, token.as_deref());
        self.cases += 1;
        let mut problems = check_response(status, content_type.as_deref(), &text, want);
        let after = Snapshot::writable(&mut self.conn);
        if (status >= 400 || want.expects_refusal()) && after != before {
            problems.push(format!(
                "the database changed (answered {status}): {}",
                before.changes(&after, &HashSet::new()).join("; ")
            ));
        }
        self.last = Some(after);
        if !problems.is_empty() {
            self.failures
                .push(format!("{what}: {}", problems.join("; ")));
        }
    }

    pub(super) fn finish(self, test: &str) {
        eprintln!("{test}: {} cases checked", self.cases);
        if !self.failures.is_empty() {
            let mut report = format!(
                "{test}: {} of {} cases failed:\n",
                self.failures.len(),
                self.cases
            );
            for f in &self.failures {
                let _ = writeln!(report, "  - {f}");
            }
            panic!("{report}");
        }
    }
}

pub(super) fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Everything wrong with a response, given what was wanted.
pub(super) fn check_response(
    status: u16,
    content_type: Option<&str>,
    text: &str,
    want: Want,
) -> Vec<String> {
    let mut problems = Vec::new();
    if status >= 500 {
        problems.push(format!("server error {status}: {text}"));
        return problems;
    }
    let body: Option<Value> = serde_json::from_str(text).ok();
    if status >= 400 {
        if content_type != Some("application/problem+json") {
            problems.push(format!(
                "{status} with Content-Type {content_type:?}, not application/problem+json"
            ));
        }
        match &body {
            Some(b) => {
                let typed = b["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("urn:securebase:problem:"));
                if b["status"] != status
                    || !typed
                    || !b["title"].is_string()
                    || !b["detail"].is_string()
                {
                    problems.push(format!("malformed problem document: {text}"));
                }
            }
            None => problems.push(format!("{status} body is not JSON: {text:?}")),
        }
    }
    let fields = body.as_ref().map(error_fields).unwrap_or_default();
    let invalid = |names: &[&str], problems: &mut Vec<String>| {
        if status != 422 {
            problems.push(format!(
                "expected 422 naming {names:?}, got {status}: {text}"
            ));
        } else if !fields.iter().any(|f| names.contains(&f.as_str())) {
            problems.push(format!(
                "expected 422 naming {names:?}, but it names {fields:?}: {text}"
            ));
        }
    };
    match want {
        Want::Problem(expected) => {
            if status != expected {
                problems.push(format!("expected {expected}, got {status}: {text}"));
            }
        }
        Want::ProblemOneOf(allowed) => {
            if !allowed.contains(&status) {
                problems.push(format!("expected one of {allowed:?}, got {status}: {text}"));
            }
        }
        Want::Invalid(field) => invalid(&[field], &mut problems),
        Want::InvalidOneOf(names) => invalid(names, &mut problems),
        Want::InvalidListing(field, allowed) => {
            invalid(&[field], &mut problems);
            let listed = body
                .as_ref()
                .and_then(|b| b["errors"].as_array())
                .is_some_and(|errors| {
                    errors.iter().any(|e| {
                        e["field"] == field
                            && e["message"].as_str().is_some_and(|m| {
                                m.starts_with("unknown value, expected ")
                                    && m.contains(&format!("`{allowed}`"))
                            })
                    })
                });
            if status == 422 && !listed {
                problems.push(format!(
                    "the message on {field} is not \"unknown value, expected …`{allowed}`…\": {text}"
                ));
            }
        }
        Want::EmptyOrInvalid(field) => {
            if status == 200 {
                let total = body.as_ref().map(|b| b["total"].clone());
                if total != Some(json!(0)) {
                    problems.push(format!(
                        "expected an empty list or 422 naming {field}, got 200 with total {total:?}"
                    ));
                }
            } else {
                invalid(&[field], &mut problems);
            }
        }
        Want::NoServerError => {}
    }
    problems
}

/// Sends a request with a chunked body (no Content-Length) over a raw connection.
pub(super) fn send_chunked(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: &[u8],
) -> (u16, Option<String>, String) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    // The server may answer and stop reading early; write errors are expected then.
    let _ = stream.write_all(head.as_bytes());
    for chunk in body.chunks(512) {
        let sent = stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|_| stream.write_all(chunk))
            .and_then(|_| stream.write_all(b"\r\n"));
        if sent.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, text) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {raw:?}"));
    let content_type = head.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.trim().to_owned())
    });
    (status, content_type, text.to_owned())
}
