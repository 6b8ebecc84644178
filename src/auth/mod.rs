//! Authentication: passwords, tokens, the middleware that resolves the caller, and the auth
//! routes. Who the caller is (`Caller`, `Authorized<R>`, `Role`) lives in `crate::accounts`.

pub mod activation;
pub mod authenticate;
pub mod hashing;
pub mod oidc;
pub mod password;
pub mod queries;
pub mod rate_limit;
pub mod routes;
pub mod sessions;
pub mod sign_in;
pub mod state;
pub mod tokens;

pub use authenticate::authenticate;
pub use state::AuthState;
