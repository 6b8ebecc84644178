//! Ids of rows looked up directly in a test's database by a natural key (a username, a school's
//! or a class's name), for the rows the seed made or a test created through the API.

use diesel::prelude::*;
use securebase::db::schema::{classes, schools, users};
use securebase::db::DbConnection;

/// The demo district (seed/demo), where every demo login belongs.
pub const DEMO_DISTRICT: &str = "Maple Valley Unified School District";
/// The second, small district of [`super::other_district_files`].
pub const OTHER_DISTRICT: &str = "Harbor Point School District";

/// The demo district's id (district ids follow from their names).
pub fn demo_district() -> String {
    securebase::seed::district_id(DEMO_DISTRICT)
}

/// An account's id by its username.
pub fn user_id(conn: &mut DbConnection, username: &str) -> String {
    users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("user {username}: {e}"))
}

/// A school's id by its name.
pub fn school_id(conn: &mut DbConnection, name: &str) -> String {
    schools::table
        .filter(schools::name.eq(name))
        .select(schools::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("school {name}: {e}"))
}

/// A class's id by its name, which must be unique.
pub fn class_id(conn: &mut DbConnection, name: &str) -> String {
    let found: Vec<String> = classes::table
        .filter(classes::name.eq(name))
        .select(classes::id)
        .load(conn)
        .unwrap();
    assert_eq!(
        found.len(),
        1,
        "class name {name:?} is not unique: {found:?}"
    );
    found[0].clone()
}
