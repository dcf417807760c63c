//! Dates in dashboard query strings (`startDate`/`endDate`): never a panic, and a window that
//! parses is ordered.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use stats::window;

const ZONES: [chrono_tz::Tz; 4] = [
    chrono_tz::America::New_York,
    chrono_tz::UTC,
    chrono_tz::Pacific::Apia,
    chrono_tz::Australia::Lord_Howe,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, query)) = data.split_first() else {
        return;
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (start, end) = (get("startDate"), get("endDate"));
    for s in [start, end].into_iter().flatten() {
        let _ = window::parse_date(s);
    }
    let tz = ZONES[usize::from(sel) % ZONES.len()];
    let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    if let Ok(w) = window::from_dates(start, end, tz, now) {
        assert!(w.start <= w.end, "{w:?}");
    }
});
