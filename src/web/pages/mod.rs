//! The pages, one module per audience.

pub mod activate;
pub mod activity;
pub mod audit;
pub mod cards;
pub mod home;
pub mod imports;
pub mod meeting;
pub mod mentoring;
pub mod opt_outs;
pub mod reports;
pub mod sign_in;
pub mod student;
pub mod support;
pub mod teacher;
pub mod trends;
