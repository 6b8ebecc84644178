//! securebase: a self-hostable REST API for school social-emotional learning.
//!
//! Modules in layers, each using only its own layer and those below (docs/ARCHITECTURE.md,
//! "Layers"; checked by `tests/api/architecture.rs`):
//! - base: `error`, `db`, `extract`, `state`, `config`, `seal`, `pagination`, `dates`, `vocab`,
//!   `csv_export`, `metrics`;
//! - `accounts`: who a user is and who is calling;
//! - services: `auth` (sign-in), `authz` (scope proofs), `audit` (the audit trail);
//! - domains: `rosters`, `lessons`, `surveys`, `mentoring`, `reports`, `oneroster`, `retention`,
//!   `support`, `goals`;
//! - app: `app` (routes and middleware), `web` (the pages), `openapi`, `ops` (subcommands),
//!   `seed`, `health`.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod config;
pub mod csv_export;
pub mod dates;
pub mod db;
pub mod error;
pub mod extract;
pub mod goals;
pub mod health;
pub mod lessons;
pub mod mentoring;
pub mod metrics;
pub mod oneroster;
pub mod openapi;
pub mod ops;
pub mod pagination;
pub mod reports;
pub mod retention;
pub mod rosters;
pub mod seal;
pub mod seed;
pub mod state;
pub mod support;
pub mod surveys;
pub mod vocab;
pub mod web;
