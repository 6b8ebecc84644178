//! securebase: a self-hostable REST API for school social-emotional learning.
//!
//! One module per domain area (`auth`, `rosters`), beside the shared spine:
//! `db` (one connection type over PostgreSQL and SQLite), `seal` (authenticated encryption),
//! `error` (one error type mapped to HTTP once), `authz` (object-level scope checks), `extract`
//! (validated input), `csv_export` (the one CSV writer, safe to open in a spreadsheet).

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
pub mod health;
pub mod lessons;
pub mod mentoring;
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
pub mod surveys;
pub mod vocab;
