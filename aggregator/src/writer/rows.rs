//! The rows the write path inserts, with named fields, and their columnar form: set-based SQL
//! binds one array per column, and binding 20-odd arrays by position is where a column added
//! in one place but not the other slips through. Here a column is one field line: the struct,
//! the per-column vectors, the column list, the bind order, the `unnest` casts and the COPY
//! types all come from that line.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::net::IpAddr;
use tokio_postgres::types::{Json, ToSql, Type};
use uuid::Uuid;

/// One column of a row type: its name in the table and its Postgres type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name, also the field name.
    pub name: &'static str,
    /// Postgres type of one value (the statement binds an array of it).
    pub ty: Type,
}

/// A row type that maps field for field onto a table's columns.
pub trait Columnar {
    /// The table the rows go to.
    const TABLE: &'static str;
    /// Its columns, in bind order.
    const COLUMNS: &'static [Column];
}

/// `INSERT … SELECT * FROM unnest($1::t1[], …)`: a whole set of rows in one statement.
pub fn insert_unnest<R: Columnar>() -> String {
    let names: Vec<&str> = R::COLUMNS.iter().map(|c| c.name).collect();
    let arrays: Vec<String> = R::COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, c.ty.name()))
        .collect();
    format!(
        "INSERT INTO {} ({}) SELECT * FROM unnest({})",
        R::TABLE,
        names.join(", "),
        arrays.join(", ")
    )
}

/// `COPY … FROM STDIN BINARY` over every column, for bulk loads.
pub fn copy_in<R: Columnar>() -> String {
    let names: Vec<&str> = R::COLUMNS.iter().map(|c| c.name).collect();
    format!("COPY {} ({}) FROM STDIN BINARY", R::TABLE, names.join(", "))
}

/// The binary COPY types, in column order.
pub fn copy_types<R: Columnar>() -> Vec<Type> {
    R::COLUMNS.iter().map(|c| c.ty.clone()).collect()
}

/// Declares a row struct and its columnar twin from one list of `field: type => PG_TYPE`.
macro_rules! columnar {
    (
        $(#[$meta:meta])*
        pub struct $row:ident<'a> in $table:literal as $columns:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $pg:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $row<'a> {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Columnar for $row<'_> {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [Column] =
                &[$( Column { name: stringify!($field), ty: Type::$pg }, )*];
        }

        impl $row<'_> {
            /// The values in column order (one COPY row).
            pub fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
                vec![$( &self.$field as &(dyn ToSql + Sync), )*]
            }
        }

        #[doc = concat!("Many [`", stringify!($row), "`]s as one vector per column.")]
        #[derive(Debug, Default)]
        pub struct $columns<'a> {
            rows: usize,
            $( $field: Vec<$ty>, )*
        }

        impl<'a> $columns<'a> {
            /// Room for `n` rows.
            pub fn with_capacity(n: usize) -> Self {
                Self { rows: 0, $( $field: Vec::with_capacity(n), )* }
            }

            /// Appends one row.
            pub fn push(&mut self, row: $row<'a>) {
                self.rows += 1;
                $( self.$field.push(row.$field); )*
            }

            /// Rows pushed.
            pub fn len(&self) -> usize {
                self.rows
            }

            /// Whether no row was pushed.
            pub fn is_empty(&self) -> bool {
                self.rows == 0
            }

            /// One array per column, in column order: the parameters of
            /// [`insert_unnest`].
            pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
                vec![$( &self.$field as &(dyn ToSql + Sync), )*]
            }

            #[cfg(test)]
            #[allow(dead_code)]
            pub(crate) fn column_lens(&self) -> Vec<usize> {
                vec![$( self.$field.len(), )*]
            }
        }
    };
}

columnar! {
    /// A new row of `hits`: one page view.
    pub struct HitRow<'a> in "hits" as HitColumns {
        id: i64 => INT8,
        session_id: Uuid => UUID,
        service_id: Uuid => UUID,
        /// The first page view of its session.
        initial: bool => BOOL,
        start_time: DateTime<Utc> => TIMESTAMPTZ,
        last_seen: DateTime<Utc> => TIMESTAMPTZ,
        heartbeats: i32 => INT4,
        tracker: &'a str => TEXT,
        location: &'a str => TEXT,
        referrer: &'a str => TEXT,
        load_time: Option<f64> => FLOAT8,
        /// `location` without the service's tracking parameters; `None` when that is `location`.
        location_clean: Option<&'a str> => TEXT,
    }
}

columnar! {
    /// A new row of `sessions`: one visit, described by its first beacon.
    pub struct SessionRow<'a> in "sessions" as SessionColumns {
        id: Uuid => UUID,
        service_id: Uuid => UUID,
        start_time: DateTime<Utc> => TIMESTAMPTZ,
        last_seen: DateTime<Utc> => TIMESTAMPTZ,
        identifier: &'a str => TEXT,
        /// Identifying: empty unless the service collects IPs.
        user_agent: &'a str => TEXT,
        browser: &'a str => TEXT,
        browser_version: &'a str => TEXT,
        os: &'a str => TEXT,
        os_version: &'a str => TEXT,
        device: &'a str => TEXT,
        device_type: &'a str => TEXT,
        ip: Option<IpAddr> => INET,
        asn: Option<i32> => INT4,
        as_org: &'a str => TEXT,
        country: &'a str => TEXT,
        region: &'a str => TEXT,
        city: &'a str => TEXT,
        latitude: Option<f64> => FLOAT8,
        longitude: Option<f64> => FLOAT8,
        time_zone: &'a str => TEXT,
        hit_count: i32 => INT4,
        /// Stored rather than derived so that readers need not know the rule.
        is_bounce: bool => BOOL,
        /// Campaign tags of the entry URL (normalised, bounded: `beacon::campaign`).
        utm_source: &'a str => TEXT,
        utm_medium: &'a str => TEXT,
        utm_campaign: &'a str => TEXT,
        utm_term: &'a str => TEXT,
        utm_content: &'a str => TEXT,
        /// `beacon::channels::Channel` name.
        channel: &'a str => TEXT,
        /// Clean URL of the session's latest page view (moved forward as the session goes on).
        exit_page: &'a str => TEXT,
        /// The daily-salted visitor hash, for distinct visitors per UTC day. Unrecoverable once
        /// the day's salt is deleted (at most 48 h later): it links sessions of one day only.
        visitor: &'a [u8] => BYTEA,
    }
}

columnar! {
    /// A new row of `events`: one custom event (the table's `id` is its own identity).
    pub struct EventRow<'a> in "events" as EventColumns {
        service_id: Uuid => UUID,
        session_id: Uuid => UUID,
        /// The session's start_time, the hour conversions are counted in.
        session_start: DateTime<Utc> => TIMESTAMPTZ,
        /// The page view it was sent from; the writer leaves it `None` and binds it in SQL
        /// from the page-view token ([`super::events`]).
        hit_id: Option<i64> => INT8,
        start_time: DateTime<Utc> => TIMESTAMPTZ,
        name: &'a str => TEXT,
        props: Json<&'a BTreeMap<String, String>> => JSONB,
        location: &'a str => TEXT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sample::*;

    /// Two versions of one row type, before and after adding a column.
    #[allow(dead_code)]
    mod sample {
        use crate::writer::rows::*;

        columnar! {
            /// A row with one more column than its sibling below.
            pub struct Wide<'a> in "t" as WideColumns {
                a: i64 => INT8,
                b: &'a str => TEXT,
                c: Option<f64> => FLOAT8,
            }
        }

        columnar! {
            /// The same row without `c`.
            pub struct Narrow<'a> in "t" as NarrowColumns {
                a: i64 => INT8,
                b: &'a str => TEXT,
            }
        }
    }

    fn hit(id: i64) -> HitRow<'static> {
        HitRow {
            id,
            session_id: Uuid::nil(),
            service_id: Uuid::nil(),
            initial: true,
            start_time: DateTime::<Utc>::default(),
            last_seen: DateTime::<Utc>::default(),
            heartbeats: 0,
            tracker: "JS",
            location: "https://example.com/",
            referrer: "",
            load_time: None,
            location_clean: None,
        }
    }

    #[test]
    fn every_column_gets_one_value_per_row() {
        let mut cols = HitColumns::with_capacity(3);
        assert!(cols.is_empty());
        for id in 0..3 {
            cols.push(hit(id));
        }
        assert_eq!(cols.len(), 3);
        assert_eq!(cols.params().len(), HitRow::COLUMNS.len());
        assert!(cols.column_lens().iter().all(|&n| n == 3));
        assert_eq!(hit(1).values().len(), HitRow::COLUMNS.len());
        assert_eq!(SessionRow::COLUMNS.len(), 31);
        assert_eq!(SessionColumns::default().params().len(), 31);
    }

    #[test]
    fn statements_list_the_columns_in_bind_order() {
        assert_eq!(
            insert_unnest::<HitRow>(),
            "INSERT INTO hits (id, session_id, service_id, initial, start_time, last_seen, \
             heartbeats, tracker, location, referrer, load_time, location_clean) SELECT * FROM \
             unnest($1::int8[], $2::uuid[], $3::uuid[], $4::bool[], $5::timestamptz[], \
             $6::timestamptz[], $7::int4[], $8::text[], $9::text[], $10::text[], $11::float8[], \
             $12::text[])"
        );
        let sql = insert_unnest::<SessionRow>();
        assert!(sql.contains("(id, service_id, start_time, last_seen, identifier,"));
        assert!(sql.contains("$13::inet[]"));
        assert!(sql.contains("$22::int4[], $23::bool[], $24::text[]"));
        assert!(sql.ends_with("$30::text[], $31::bytea[])"));
        assert_eq!(
            copy_in::<SessionRow>(),
            format!(
                "COPY sessions ({}) FROM STDIN BINARY",
                SessionRow::COLUMNS
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
        assert_eq!(copy_types::<HitRow>()[0], Type::INT8);
    }

    #[test]
    fn adding_a_field_adds_it_everywhere() {
        assert_eq!(
            insert_unnest::<Narrow>(),
            "INSERT INTO t (a, b) SELECT * FROM unnest($1::int8[], $2::text[])"
        );
        assert_eq!(
            insert_unnest::<Wide>(),
            "INSERT INTO t (a, b, c) SELECT * FROM unnest($1::int8[], $2::text[], $3::float8[])"
        );
        assert_eq!(copy_in::<Wide>(), "COPY t (a, b, c) FROM STDIN BINARY");
        let mut wide = WideColumns::default();
        wide.push(Wide {
            a: 1,
            b: "x",
            c: Some(2.0),
        });
        let mut narrow = NarrowColumns::default();
        narrow.push(Narrow { a: 1, b: "x" });
        assert_eq!(wide.params().len(), narrow.params().len() + 1);
        assert_eq!(wide.column_lens(), vec![1, 1, 1]);
    }
}
