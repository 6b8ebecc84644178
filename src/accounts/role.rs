use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    DistrictAdmin,
    SchoolAdmin,
    Counselor,
    Teacher,
    Student,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::DistrictAdmin,
        Role::SchoolAdmin,
        Role::Counselor,
        Role::Teacher,
        Role::Student,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::DistrictAdmin => "district_admin",
            Role::SchoolAdmin => "school_admin",
            Role::Counselor => "counselor",
            Role::Teacher => "teacher",
            Role::Student => "student",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Every role but the district's own staff works inside one school.
    pub fn is_school_bound(self) -> bool {
        self != Role::DistrictAdmin
    }
}

crate::db::text_enum!(Role);

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
