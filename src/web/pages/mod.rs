//! The pages, one module per audience.

pub mod home;
pub mod mentoring;
pub mod reports;
pub mod sign_in;
pub mod student;
pub mod support;
pub mod teacher;
