//! A real OpenID Provider for the sign-in tests (tests/oidc/provider.mjs: panva's
//! oidc-provider on the machine's Node), and a small browser that follows its redirects with
//! cookies, as a person's browser would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// `npm ci` in tests/oidc once per test run when its packages are not installed yet (CI
/// installs them first; a developer's first `cargo test` does it here).
fn ensure_installed() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let result = INSTALLED.get_or_init(|| {
        let dir = provider_dir();
        if dir.join("node_modules/oidc-provider/package.json").exists() {
            return Ok(());
        }
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .output()
            .map_err(|e| {
                format!("npm could not be run ({e}): the sign-in tests need Node.js 20+ and npm")
            })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "npm ci in tests/oidc failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(why) = result {
        panic!("{why}");
    }
}

/// One provider process for one test; stopped when dropped.
pub struct TestProvider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    child: Child,
}

/// An account at the provider.
pub fn account(id: &str, claims: Value) -> Value {
    let mut a = claims;
    a["id"] = Value::String(id.to_owned());
    a
}

impl TestProvider {
    /// Starts a provider whose one client may return only to `callback`. `tamper` ("aud" or
    /// "expired") has it sign ID tokens issued to another client, or already expired.
    pub fn start(callback: &str, accounts: &[Value], tamper: Option<&str>) -> TestProvider {
        Self::start_named(callback, accounts, tamper, "127.0.0.1")
    }

    /// The same, with `host` as the issuer's host name (it listens on 127.0.0.1 either way).
    pub fn start_named(
        callback: &str,
        accounts: &[Value],
        tamper: Option<&str>,
        host: &str,
    ) -> TestProvider {
        ensure_installed();
        let client_id = "securebase-test".to_owned();
        let client_secret = "provider-client-secret-for-tests-0123456789".to_owned();
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(provider_dir())
            .env("OIDC_REDIRECT_URI", callback)
            .env("OIDC_CLIENT_ID", &client_id)
            .env("OIDC_CLIENT_SECRET", &client_secret)
            .env("OIDC_ACCOUNTS", Value::Array(accounts.to_vec()).to_string())
            .env("OIDC_TAMPER", tamper.unwrap_or(""))
            .env("OIDC_EXIT_WITH_STDIN", "1")
            .env("OIDC_ISSUER_HOST", host)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs tests/oidc/provider.mjs");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("READY ") {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let issuer = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(issuer) => issuer,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the test provider did not start: {}",
                    errors.join().unwrap_or_default()
                );
            }
        };
        TestProvider {
            issuer,
            client_id,
            client_secret,
            child,
        }
    }

    /// Replaces the provider's signing key with a new one (a new `kid`).
    pub fn rotate_keys(&self) -> String {
        let r = ureq::post(&format!("{}/__control/rotate", self.issuer))
            .call()
            .expect("rotate the provider's keys");
        let body: Value = r.into_json().unwrap();
        body["kid"].as_str().unwrap().to_owned()
    }

    /// The provider's published keys.
    pub fn key_ids(&self) -> Vec<String> {
        let jwks: Value = ureq::get(&format!("{}/jwks", self.issuer))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PKCE verifier and its S256 challenge, as a client makes them.
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// An answer to the browser: status, `Location` resolved to an absolute URL, body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A browser: keeps cookies, does not follow redirects by itself.
pub struct Browser {
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: HashMap::new(),
        }
    }
}

impl Browser {
    fn send(&mut self, url: &str, form: Option<&[(&str, &str)]>) -> Page {
        let method = if form.is_some() { "POST" } else { "GET" };
        let mut req = self.agent.request(method, url);
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.set("Cookie", &header);
        }
        let result = match form {
            Some(fields) => req.send_form(fields),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {url}: {e}"),
        };
        for cookie in response.all("set-cookie") {
            if let Some((name, rest)) = cookie.split_once('=') {
                let value = rest.split(';').next().unwrap_or("");
                self.cookies
                    .insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let base = openidconnect::url::Url::parse(url).unwrap();
        let location = response
            .header("location")
            .map(|l| base.join(l).unwrap().to_string());
        Page {
            status: response.status(),
            location,
            body: response.into_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, url: &str) -> Page {
        self.send(url, None)
    }

    /// Follows redirects from `url`, signing in as `account` on the provider's page, until a
    /// redirect leads to an address starting with `stop_at`; returns that address.
    pub fn sign_in_at_provider(&mut self, url: &str, account: &str, stop_at: &str) -> String {
        let mut next = url.to_owned();
        for _ in 0..10 {
            let page = self.get(&next);
            if let Some(location) = page.location {
                if location.starts_with(stop_at) {
                    return location;
                }
                next = location;
                continue;
            }
            assert_eq!(page.status, 200, "{next}: {}", page.body);
            let uid = next
                .rsplit_once("/interaction/")
                .map(|(_, uid)| uid.to_owned())
                .unwrap_or_else(|| panic!("expected the provider's sign-in page at {next}"));
            let base = next.split("/interaction/").next().unwrap().to_owned();
            let page = self.send(
                &format!("{base}/interaction/{uid}/login"),
                Some(&[("account", account)]),
            );
            next = page.location.unwrap_or_else(|| {
                panic!("sign-in at the provider: {} {}", page.status, page.body)
            });
            if next.starts_with(stop_at) {
                return next;
            }
        }
        panic!("too many redirects from {url}");
    }
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    openidconnect::url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
