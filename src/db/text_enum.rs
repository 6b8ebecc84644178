//! Closed vocabularies stored in TEXT columns: one mapping for every enum with `as_str` and
//! `parse`, on both backends and on the multi-backend connection, so rows, filters and writes
//! carry the enum and never a string literal.

/// Maps `$name` onto `diesel::sql_types::Text` (and `Nullable<Text>`). `$name` must be `Copy`,
/// have `fn as_str(self) -> &'static str` and `fn parse(&str) -> Option<$name>`, and derive
/// `diesel::AsExpression` and `diesel::FromSqlRow` with `#[diesel(sql_type = Text)]`.
/// Writes store `as_str`; a stored string `parse` does not know is a deserialization error,
/// never a silent default. `vocabulary!` invokes it for every vocabulary.
macro_rules! text_enum {
    ($name:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                diesel::serialize::ToSql::<diesel::sql_types::Text, _>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                diesel::serialize::ToSql::<diesel::sql_types::Text, _>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::DbBackend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::DbBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self.as_str()));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                use diesel::{deserialize::FromSql, pg::Pg, sql_types::Text};
                let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                $crate::db::text_enum::parsed(<$name>::parse(&text), stringify!($name))
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>
            for $name
        {
            fn from_sql(
                bytes: diesel::sqlite::SqliteValue<'_, '_, '_>,
            ) -> diesel::deserialize::Result<Self> {
                use diesel::{deserialize::FromSql, sql_types::Text, sqlite::Sqlite};
                let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
                $crate::db::text_enum::parsed(<$name>::parse(&text), stringify!($name))
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::DbBackend>
            for $name
        {
            fn from_sql(
                bytes: <$crate::db::DbBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                bytes.from_sql::<Self, diesel::sql_types::Text>()
            }
        }
    };
}

pub(crate) use text_enum;

/// The value `parse` found, or an error naming the type (never the stored string: errors are
/// logged, and some of these columns describe a student, like a reflection's emotion).
pub fn parsed<T>(value: Option<T>, type_name: &str) -> diesel::deserialize::Result<T> {
    value.ok_or_else(|| format!("a stored value is not a known {type_name}").into())
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use crate::db::{establish, on_backend, DbConnection};
    use crate::vocab::vocabulary;

    vocabulary!(
        /// A vocabulary for these tests only.
        Shade {
            Light = "light",
            Dark = "dark-ish",
        }
    );

    diesel::table! {
        shades (id) {
            id -> Integer,
            shade -> Text,
            maybe -> Nullable<Text>,
        }
    }

    #[derive(Debug, PartialEq, Queryable, Selectable, Insertable)]
    #[diesel(table_name = shades)]
    struct ShadeRow {
        id: i32,
        shade: Shade,
        maybe: Option<Shade>,
    }

    /// A fresh SQLite database in memory, and the PostgreSQL test database when
    /// `TEST_DATABASE_URL` names one; each with a `shades` table only this connection sees.
    fn connections() -> Vec<DbConnection> {
        let mut urls = vec![":memory:".to_owned()];
        urls.extend(std::env::var("TEST_DATABASE_URL").ok());
        urls.iter()
            .map(|url| {
                let mut conn = establish(url).expect("test database");
                conn.batch_execute(
                    "CREATE TEMPORARY TABLE shades (id INTEGER PRIMARY KEY, shade TEXT NOT NULL, maybe TEXT)",
                )
                .unwrap();
                conn
            })
            .collect()
    }

    #[test]
    fn a_vocabulary_round_trips_through_each_backend() {
        for mut conn in connections() {
            let rows = [
                ShadeRow {
                    id: 1,
                    shade: Shade::Light,
                    maybe: None,
                },
                ShadeRow {
                    id: 2,
                    shade: Shade::Dark,
                    maybe: Some(Shade::Light),
                },
            ];
            diesel::insert_into(shades::table)
                .values(&rows[0])
                .execute(&mut conn)
                .unwrap();
            // Through the concrete connection too: batch inserts run there (`on_backend!`).
            on_backend!(&mut conn, |c| diesel::insert_into(shades::table)
                .values(&rows[1..])
                .execute(c)
                .unwrap());

            let loaded: Vec<ShadeRow> = shades::table
                .order(shades::id)
                .select(ShadeRow::as_select())
                .load(&mut conn)
                .unwrap();
            assert_eq!(loaded, rows);
            let stored: Vec<(String, Option<String>)> = shades::table
                .order(shades::id)
                .select((shades::shade, shades::maybe))
                .load(&mut conn)
                .unwrap();
            assert_eq!(
                stored,
                [
                    ("light".into(), None),
                    ("dark-ish".into(), Some("light".into()))
                ]
            );

            let dark: Vec<i32> = shades::table
                .filter(shades::shade.eq(Shade::Dark))
                .select(shades::id)
                .load(&mut conn)
                .unwrap();
            assert_eq!(dark, [2]);
            let not_dark: Vec<i32> = shades::table
                .filter(shades::shade.ne(Shade::Dark))
                .select(shades::id)
                .load(&mut conn)
                .unwrap();
            assert_eq!(not_dark, [1]);
            let either: i64 = shades::table
                .filter(shades::shade.eq_any([Shade::Light, Shade::Dark]))
                .count()
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(either, 2);

            diesel::update(shades::table.filter(shades::id.eq(1)))
                .set(shades::maybe.eq(Some(Shade::Dark)))
                .execute(&mut conn)
                .unwrap();
            let maybe: Option<Shade> = shades::table
                .find(1)
                .select(shades::maybe)
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(maybe, Some(Shade::Dark));
        }
    }

    #[test]
    fn an_unknown_stored_string_is_an_error_not_a_default() {
        for mut conn in connections() {
            conn.batch_execute("INSERT INTO shades (id, shade) VALUES (1, 'Light')")
                .unwrap();
            let err = shades::table
                .select(shades::shade)
                .get_result::<Shade>(&mut conn)
                .unwrap_err();
            // The error names the type, never the stored string (errors are logged).
            let diesel::result::Error::DeserializationError(e) = &err else {
                panic!("{err:?}")
            };
            let cause = e.source().map_or_else(|| e.to_string(), |s| s.to_string());
            assert_eq!(cause, "a stored value is not a known Shade");
            let err = on_backend!(&mut conn, |c| shades::table
                .select(shades::shade)
                .get_result::<Shade>(c)
                .unwrap_err());
            assert!(
                matches!(err, diesel::result::Error::DeserializationError(_)),
                "{err:?}"
            );
        }
    }
}
