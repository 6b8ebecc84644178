use std::collections::BTreeSet;

use crate::helpers::*;
use securebase::accounts::Role;
use securebase::auth::tokens::{Claims, TokenKeys, AUDIENCE, ISSUER};
use serde_json::Value;

const SNAPSHOT: &str = "openapi/openapi.json";

fn generated() -> String {
    let doc = securebase::app::openapi();
    format!("{}\n", doc.to_pretty_json().expect("serialize OpenAPI"))
}

/// The committed document is the contract. Regenerate it with
/// `UPDATE_OPENAPI=1 cargo test --test api openapi::` after changing a route or schema.
#[test]
fn committed_openapi_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    let current = generated();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &current).expect("write snapshot");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "{SNAPSHOT} is out of date with the code: run `UPDATE_OPENAPI=1 cargo test --test api openapi::` and commit it"
    );
}

#[test]
fn served_document_is_the_generated_one_and_swagger_ui_is_offline() {
    let app = TestApp::spawn();
    let served = app.get("/openapi.json", None);
    assert_eq!(served.status, 200);
    let generated: Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(served.json(), generated);
    let ui = app.get("/docs/", None);
    assert_eq!(ui.status, 200);
    assert!(ui.text.contains("swagger"), "{}", ui.text);
    // The UI's assets come from the binary, not a CDN.
    let bundle = app.get("/docs/swagger-ui-bundle.js", None);
    assert_eq!(bundle.status, 200);
    assert!(bundle.text.len() > 100_000);
    assert!(
        !ui.text.contains("https://"),
        "Swagger UI page must not load remote assets"
    );
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    ops
}

/// Public operations say `security: []`; secured ones name the bearer scheme.
fn secured(op: &Value) -> bool {
    op["security"].as_array().is_some_and(|s| !s.is_empty())
}

/// What generated clients and `redocly lint --extends recommended` (tests/ci/contract.sh) need.
#[test]
fn the_document_makes_clean_clients() {
    let doc: Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(doc["servers"][0]["url"], "/");
    let declared: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut public = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let here = format!("{method} {path}");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{here}: no summary"
        );
        for tag in op["tags"].as_array().unwrap() {
            assert!(
                declared.contains(tag.as_str().unwrap()),
                "{here}: tag {tag} undeclared"
            );
        }
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{here}: no security"));
        if security.is_empty() {
            public.insert(here.clone());
        }
        for (code, response) in op["responses"].as_object().unwrap() {
            let headers = &response["headers"];
            assert!(
                headers["X-Request-Id"].is_object(),
                "{here} {code}: no X-Request-Id"
            );
            if code == "429" || code == "503" {
                assert!(
                    headers["Retry-After"].is_object(),
                    "{here} {code}: no Retry-After"
                );
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /api/v1/auth/activate",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/refresh",
        "GET /api/v1/auth/oidc/{provider_id}/start",
        "GET /api/v1/auth/oidc/callback",
        "POST /api/v1/auth/oidc/token",
        "GET /api/v1/public/survey-instruments/{id}",
        "GET /healthz",
        "GET /readyz",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(public, expected);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    // Pages reference their item schema by name: no anonymous copies for generators to name.
    for (name, schema) in schemas.iter().filter(|(n, _)| n.starts_with("Page_")) {
        let item = &name["Page_".len()..];
        assert_eq!(
            schema["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{name}"
        );
        assert!(schemas.contains_key(item), "{name}");
    }
    let types = schemas["ProblemType"]["enum"].as_array().unwrap();
    assert!(types.contains(&Value::from("urn:securebase:problem:validation-failed")));
    // Every integer says its range (generators otherwise show 1073741824 as an example).
    fn integers_bounded(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                let ty = &map.get("type");
                let integer = ty.is_some_and(|t| {
                    t == "integer" || t.as_array().is_some_and(|a| a.contains(&"integer".into()))
                });
                if integer && !map.contains_key("minimum") {
                    out.push(at.to_owned());
                }
                for (k, x) in map {
                    integers_bounded(x, &format!("{at}/{k}"), out);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    integers_bounded(x, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut unbounded = Vec::new();
    integers_bounded(&doc["components"], "#/components", &mut unbounded);
    integers_bounded(&doc["paths"], "#/paths", &mut unbounded);
    assert!(
        unbounded.is_empty(),
        "integers without a minimum: {unbounded:#?}"
    );
}

#[test]
fn every_operation_is_documented_with_an_id_and_error_responses() {
    let doc: Value = serde_json::from_str(&generated()).unwrap();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
        let responses = op["responses"].as_object().unwrap();
        // A sign-in step's success is a redirect (303) to the next party.
        assert!(
            responses
                .keys()
                .any(|k| k.starts_with('2') || k.starts_with('3')),
            "{method} {path} has no success response"
        );
        assert!(responses.contains_key("500"), "{method} {path}");
        if secured(&op) {
            assert!(
                responses.contains_key("401"),
                "{method} {path} is secured but documents no 401"
            );
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    for required in [
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/logout",
        "GET /api/v1/me",
        "GET /api/v1/schools",
        "GET /api/v1/classes",
        "GET /api/v1/classes/{id}",
        "GET /api/v1/classes/{id}/enrollments",
        "GET /api/v1/users",
        "GET /healthz",
        "GET /readyz",
    ] {
        let (method, path) = required.split_once(' ').unwrap();
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{required} missing from the OpenAPI document"
        );
    }
}

fn token_with(keys: &TokenKeys, exp_offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    keys.sign(&Claims {
        sub: "x".into(),
        role: Role::DistrictAdmin,
        did: "d".into(),
        sid: None,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        iat: now,
        exp: now + exp_offset,
    })
    .unwrap()
}

/// Walks the document and calls every secured operation without valid credentials.
#[test]
fn every_secured_operation_refuses_missing_bad_expired_and_foreign_tokens() {
    let app = TestApp::spawn();
    let doc = app.get("/openapi.json", None).json();
    let ours = TokenKeys::new(securebase::config::DEMO_JWT_SECRET.as_bytes(), 900);
    let foreign = TokenKeys::new(b"a-key-that-is-not-the-servers-key!!", 900);
    let expired = token_with(&ours, -3600);
    let foreign = token_with(&foreign, 600);
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        // `/metrics` takes the metrics token, not an account's (operations::metrics_…).
        if !secured(&op) || op["security"][0].get("bearer").is_none() {
            continue;
        }
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "00000000-0000-4000-8000-000000000000"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let body = op.get("requestBody").map(|_| b"{}".as_slice());
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("Content-Type", "application/json")]
        } else {
            &[]
        };
        for token in [
            None,
            Some("not-a-jwt"),
            Some(expired.as_str()),
            Some(foreign.as_str()),
        ] {
            let r = app.request(&method, &concrete, token, headers, body);
            assert_eq!(r.status, 401, "{method} {path} with {token:?}: {}", r.text);
            r.problem(401);
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} secured operations found");
}

#[test]
fn migrations_exist_for_both_backends_with_the_same_names() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |backend: &str| -> BTreeSet<String> {
        std::fs::read_dir(root.join(backend))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let pg = names("postgres");
    assert!(!pg.is_empty());
    assert_eq!(pg, names("sqlite"));
    for name in &pg {
        for file in ["up.sql", "down.sql"] {
            assert!(
                root.join("sqlite").join(name).join(file).exists(),
                "sqlite/{name}/{file}"
            );
            assert!(
                root.join("postgres").join(name).join(file).exists(),
                "postgres/{name}/{file}"
            );
        }
    }
}

/// Every type documented in the OpenAPI document has a name of its own. utoipa keys schemas by
/// the type's name and keeps the last one registered, so two types of one name (say goals'
/// review cadence and mentoring's cadence) silently make one of them document the other's
/// answers. Read from `src/` as text: types deriving `ToSchema`, and the `vocabulary!` enums.
#[test]
fn schema_names_are_not_shared_by_two_types() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (mut schema, mut vocabulary) = (false, false);
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with("//") {
                continue;
            }
            if t.contains("macro_rules!") {
                continue;
            }
            if t.contains("ToSchema") && !t.starts_with("use ") {
                schema = true;
            }
            if t.starts_with("vocabulary!(") {
                vocabulary = true;
                continue;
            }
            let declared = t
                .strip_prefix("pub struct ")
                .or_else(|| t.strip_prefix("pub enum "))
                .or_else(|| t.strip_prefix("struct "))
                .or_else(|| t.strip_prefix("enum "));
            let vocab_name = (vocabulary && !t.starts_with('#'))
                .then(|| t.strip_suffix('{').map(str::trim))
                .flatten()
                .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_'));
            let name = match (declared, vocab_name) {
                (Some(rest), _) if schema => Some(rest),
                (None, Some(n)) => Some(n),
                (Some(_), _) => {
                    schema = false;
                    None
                }
                _ => None,
            };
            if let Some(rest) = name {
                let ident: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let at = file.strip_prefix(&root).unwrap().display().to_string();
                names.entry(ident).or_default().push(at);
                schema = false;
                vocabulary = false;
            }
        }
    }
    assert!(names.contains_key("ReviewCadence") && names.contains_key("Cadence"));
    assert!(names.len() > 150, "found only {} schema types", names.len());
    let shared: Vec<_> = names.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(
        shared.is_empty(),
        "schema names used by two types: {shared:?}"
    );
}
