//! Sign-in with a district's identity provider (OpenID Connect: Google Workspace, Microsoft
//! Entra ID, Clever, ClassLink, …). The district registers its providers (`providers`); a
//! person signs in at the provider and is matched to an existing account of the district —
//! nobody is created by signing in, the roster stays the source of truth (`flow`). The
//! protocol is the `openidconnect` crate's (`relying_party`).

pub mod dto;
pub mod flow;
pub mod models;
pub mod providers;
pub mod queries;
pub mod relying_party;
pub mod vocab;

pub use relying_party::RelyingParty;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(providers::list_identity_providers)
        .service(providers::create_identity_provider)
        .service(providers::update_identity_provider)
        .service(flow::oidc_start)
        .service(flow::oidc_callback)
        .service(flow::oidc_token);
}
