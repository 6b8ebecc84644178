//! Accounts: who a user is (the stored account and its role) and who is calling (the typed
//! caller extractors every handler uses). Everything above the base layer may use this module;
//! it uses only the base layer (docs/ARCHITECTURE.md, "Layers").

pub mod caller;
pub mod role;
pub mod user;

pub use caller::{
    Anyone, Authorized, Caller, DistrictAdmins, Resolved, RoleSet, RosterAdmins, SchoolStaff,
    SessionResolved, Staff, Students, Teachers,
};
pub use role::Role;
pub use user::{User, UserRow};
