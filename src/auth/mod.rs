//! Authentication: passwords, tokens, the caller extractors, and the auth routes.

pub mod activation;
pub mod caller;
pub mod hashing;
pub mod password;
pub mod queries;
pub mod rate_limit;
pub mod role;
pub mod routes;
pub mod tokens;

pub use caller::{Authorized, Caller, DistrictAdmins, RosterAdmins, SchoolStaff, Staff, Students};
pub use role::Role;
