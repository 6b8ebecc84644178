//! Identity providers and sign-ins under way, as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::vocab::AccountMatch;
use crate::db::schema::{identity_providers, oidc_sign_ins};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = identity_providers)]
pub struct ProviderRow {
    pub id: String,
    pub district_id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_key: String,
    pub client_secret_sealed: String,
    pub account_match: AccountMatch,
    pub claim_name: String,
    pub require_verified_email: bool,
    /// JSON list of strings.
    pub redirect_uris: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProviderRow {
    pub fn redirect_uris(&self) -> Vec<String> {
        serde_json::from_str(&self.redirect_uris).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_sign_ins)]
pub struct SignInRow {
    pub state_hash: String,
    pub provider_id: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect_uri: String,
    pub client_state: Option<String>,
    pub client_challenge: String,
    pub browser_hash: String,
    pub started_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub returned_at: Option<NaiveDateTime>,
    pub replayed_at: Option<NaiveDateTime>,
    pub foreign_browser_at: Option<NaiveDateTime>,
    pub user_id: Option<String>,
    pub handoff_hash: Option<String>,
    pub handoff_expires_at: Option<NaiveDateTime>,
    pub handoff_used_at: Option<NaiveDateTime>,
}
