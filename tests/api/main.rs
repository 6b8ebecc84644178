//! The API's integration tests, linked as one test binary (`cargo test --test api`): one module
//! per area, sharing the harness in `helpers` (a database and a server per test, the role × route
//! matrix runner, database snapshots and lookups). Run one area with a module filter, e.g.
//! `cargo test --test api rosters::`.

mod helpers;

mod activation;
mod anonymity;
mod architecture;
mod attacks;
mod audit;
mod auth;
mod authz_matrix;
mod bad_input;
mod frozen_windows;
mod goals;
mod lessons;
mod limits;
mod logs;
mod mentoring;
mod oidc;
mod oneroster;
mod openapi;
mod operations;
mod reports;
mod retention;
mod rosters;
mod spreadsheets;
mod support;
mod survey_scope;
mod surveys;
mod web;
