//! The role × route matrix runner: cases of (caller, method, path, body, expected status) sent
//! with each caller signed in once, every mismatch collected with caller, method and path, and
//! the test failing at the end with all of them, so one run shows the whole picture.

use std::collections::HashMap;
use std::collections::HashSet;

use serde_json::Value;

use super::{Resp, TestApp};

/// Every case's path is under this prefix.
pub const API: &str = "/api/v1";

/// One request and the answer it must get.
#[derive(Debug, Clone)]
pub struct Case {
    /// A username; empty for a request without a token.
    pub who: String,
    pub method: &'static str,
    /// The full path, `/api/v1` included.
    pub path: String,
    pub body: Option<Value>,
    pub expect: u16,
    /// For 422: the field the problem must name.
    pub field: Option<String>,
}

impl Case {
    /// A request to `path` under `/api/v1`.
    pub fn new(
        who: &str,
        method: &'static str,
        path: &str,
        body: Option<Value>,
        expect: u16,
    ) -> Case {
        Case {
            who: who.to_owned(),
            method,
            path: format!("{API}{path}"),
            body,
            expect,
            field: None,
        }
    }
    pub fn get(who: &str, path: &str, expect: u16) -> Case {
        Case::new(who, "GET", path, None, expect)
    }
    pub fn patch(who: &str, path: &str, body: Value, expect: u16) -> Case {
        Case::new(who, "PATCH", path, Some(body), expect)
    }
    pub fn post(who: &str, path: &str, body: Value, expect: u16) -> Case {
        Case::new(who, "POST", path, Some(body), expect)
    }
    /// A POST without a body.
    pub fn bare_post(who: &str, path: &str, expect: u16) -> Case {
        Case::new(who, "POST", path, None, expect)
    }
    pub fn delete(who: &str, path: &str, expect: u16) -> Case {
        Case::new(who, "DELETE", path, None, expect)
    }
    /// A 422 naming `field`; other callers (those `expect` does not turn into 422) keep theirs.
    pub fn field(mut self, field: &str) -> Case {
        if self.expect == 422 {
            self.field = Some(field.to_owned());
        }
        self
    }
    /// Caller, method, path and (shortened) body, to name the case in a failure.
    pub fn label(&self) -> String {
        let who = if self.who.is_empty() {
            "anonymous"
        } else {
            &self.who
        };
        match &self.body {
            Some(b) => {
                let mut body = b.to_string();
                if body.len() > 160 {
                    let mut end = 160;
                    while !body.is_char_boundary(end) {
                        end -= 1;
                    }
                    body.truncate(end);
                    body.push('…');
                }
                format!("{who} {} {} {body}", self.method, self.path)
            }
            None => format!("{who} {} {}", self.method, self.path),
        }
    }
}

/// Runs cases, signing each caller in once, and collects every mismatch before failing.
pub struct Matrix<'a> {
    pub app: &'a TestApp,
    tokens: HashMap<String, String>,
    failures: Vec<String>,
    cases: usize,
}

impl<'a> Matrix<'a> {
    pub fn new(app: &'a TestApp) -> Matrix<'a> {
        Matrix {
            app,
            tokens: HashMap::new(),
            failures: Vec::new(),
            cases: 0,
        }
    }

    /// The caller's token, signing in once per test (Argon2 is slow on purpose).
    pub fn token(&mut self, who: &str) -> String {
        if let Some(t) = self.tokens.get(who) {
            return t.clone();
        }
        let t = self.app.login(who);
        self.tokens.insert(who.to_owned(), t.clone());
        t
    }

    fn send(&mut self, case: &Case) -> Resp {
        let token = (!case.who.is_empty()).then(|| self.token(&case.who));
        match &case.body {
            Some(body) => self
                .app
                .send(case.method, &case.path, token.as_deref(), body),
            None => self
                .app
                .request(case.method, &case.path, token.as_deref(), &[], None),
        }
    }

    /// Checks status, problem+json shape for errors, and the 422 field. Returns the response.
    pub fn check(&mut self, case: &Case) -> Resp {
        self.cases += 1;
        let r = self.send(case);
        if let Err(why) = verdict(case, &r) {
            self.failures.push(format!("{}: {why}", case.label()));
        }
        r
    }

    pub fn check_all(&mut self, cases: impl IntoIterator<Item = Case>) {
        for case in cases {
            self.check(&case);
        }
    }

    /// Checks the case; a 403 or 404 is then compared with the same request with every `foreign`
    /// id (in path and body) replaced by an id that exists nowhere: same status, same detail, so
    /// the refusal tells nothing about whether the objects exist. (Other refusals may depend on
    /// the object's state, which an id that exists nowhere does not have.)
    pub fn check_hidden<S: AsRef<str>>(&mut self, case: &Case, foreign: &[S]) -> Resp {
        self.check_twin(case, foreign, [403, 404].contains(&case.expect))
    }

    /// As [`Matrix::check_hidden`], for every refusal (403, 404, 422…): for cases refused only
    /// because of the `foreign` ids, which must then read exactly as ids that exist nowhere.
    pub fn check_indistinguishable<S: AsRef<str>>(&mut self, case: &Case, foreign: &[S]) -> Resp {
        self.check_twin(case, foreign, case.expect >= 400)
    }

    fn check_twin<S: AsRef<str>>(&mut self, case: &Case, foreign: &[S], twin: bool) -> Resp {
        let real = self.check(case);
        if !twin {
            return real;
        }
        let bogus = uuid::Uuid::new_v4().to_string();
        let swap = |s: &str| {
            foreign
                .iter()
                .fold(s.to_owned(), |acc, id| acc.replace(id.as_ref(), &bogus))
        };
        let twin = Case {
            path: swap(&case.path),
            body: case
                .body
                .as_ref()
                .map(|b| serde_json::from_str(&swap(&b.to_string())).unwrap()),
            ..case.clone()
        };
        let ghost = self.check(&twin);
        if ghost.status == real.status {
            let detail = |r: &Resp| {
                serde_json::from_str::<Value>(&r.text)
                    .ok()
                    .map(|b| b["detail"].clone())
            };
            if detail(&real) != detail(&ghost) {
                self.failures.push(format!(
                    "{}: answers differently for a real and a non-existent id: {} vs {}",
                    case.label(),
                    real.text,
                    ghost.text
                ));
            }
        }
        real
    }

    /// Every item of a list (path under /api/v1), following the pages, if the caller may read
    /// it (`expect` 200); `None` when it is refused (as expected or not: a mismatch is recorded).
    pub fn list(&mut self, who: &str, path: &str, expect: u16) -> Option<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        for page in 1.. {
            let case = Case::get(who, &format!("{path}{sep}limit=200&page={page}"), expect);
            let r = self.check(&case);
            if r.status != 200 || expect != 200 {
                return None;
            }
            let body = r.json();
            let batch = body["items"].as_array().unwrap().clone();
            let total = body["total"].as_u64().unwrap() as usize;
            let done = batch.is_empty();
            items.extend(batch);
            if done || items.len() >= total {
                break;
            }
        }
        Some(items)
    }

    /// A list must hold exactly the `expected` ids.
    pub fn list_equals(&mut self, who: &str, path: &str, expected: &HashSet<String>) {
        let Some(items) = self.list(who, path, 200) else {
            return;
        };
        let got: HashSet<String> = items
            .iter()
            .map(|i| {
                i["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no string id in {i}"))
                    .to_owned()
            })
            .collect();
        if &got != expected {
            let missing: Vec<_> = expected.difference(&got).take(5).collect();
            let extra: Vec<_> = got.difference(expected).take(5).collect();
            self.failures.push(format!(
                "{who} GET {API}{path}: {} listed, {} expected; missing e.g. {missing:?}, \
                 must not include e.g. {extra:?}",
                got.len(),
                expected.len()
            ));
        }
    }

    /// A list must hold nothing that names any of `foreign` (ids, school_id, district_id, teachers…).
    pub fn list_excludes(&mut self, who: &str, path: &str, expect: u16, foreign: &HashSet<String>) {
        for item in self.list(who, path, expect).unwrap_or_default() {
            let text = item.to_string();
            if let Some(id) = foreign.iter().find(|id| text.contains(id.as_str())) {
                self.failures
                    .push(format!("{who} GET {API}{path}: lists {item} (names {id})"));
            }
        }
    }

    pub fn fail(&mut self, why: String) {
        self.failures.push(why);
    }

    /// Fails with every mismatch, naming caller, method and path.
    pub fn finish(self, name: &str) {
        eprintln!(
            "{name}: {} cases, {} sign-ins",
            self.cases,
            self.tokens.len()
        );
        if !self.failures.is_empty() {
            let shown: Vec<&str> = self.failures.iter().take(80).map(String::as_str).collect();
            panic!(
                "{name}: {} of {} cases failed:\n  {}{}",
                self.failures.len(),
                self.cases,
                shown.join("\n  "),
                if self.failures.len() > shown.len() {
                    "\n  …"
                } else {
                    ""
                }
            );
        }
    }
}

/// The status must be the expected one; an error must be a problem document (RFC 9457) of that
/// status with a detail, naming the case's field if it has one.
fn verdict(case: &Case, r: &Resp) -> Result<(), String> {
    let short: String = r.text.chars().take(300).collect();
    if r.status != case.expect {
        return Err(format!(
            "expected {}, got {}: {short}",
            case.expect, r.status
        ));
    }
    if r.status >= 400 {
        if r.header("content-type") != Some("application/problem+json") {
            return Err(format!("error is not problem+json: {short}"));
        }
        let body: Value =
            serde_json::from_str(&r.text).map_err(|_| format!("not JSON: {short}"))?;
        if body["status"] != r.status || !body["detail"].is_string() {
            return Err(format!("malformed problem: {short}"));
        }
        if let Some(field) = &case.field {
            let named = body["errors"]
                .as_array()
                .is_some_and(|errs| errs.iter().any(|e| e["field"] == field.as_str()));
            if !named {
                return Err(format!("expected a 422 naming {field}: {short}"));
            }
        }
    }
    Ok(())
}
