//! The dropped-traffic counts an edge batch carries ([`EdgeDrop`]), and those the aggregator
//! adds while preparing the batch (archived services, robots, invalid events): checked for
//! shape before anything is applied, counted only once the batch is first applied (a
//! redelivered batch counts nothing again).

use super::api::EdgeApi;
use beacon::dropped::DropKind;
use beacon::edge_protocol::{EdgeDrop, MAX_BATCH_DROPS, MAX_DROP_COUNT};
use chrono::NaiveDate;
use uuid::Uuid;

/// Days before today a reported drop may fall on (an edge holding counts over a long outage);
/// older ones are ignored rather than refused, so they cannot block the batch.
pub const MAX_DROP_AGE_DAYS: i64 = 7;

/// Why a batch's `drops` are refused (400), if they are.
pub fn refusal(drops: &[EdgeDrop]) -> Option<String> {
    if drops.len() > MAX_BATCH_DROPS {
        return Some(format!(
            "a batch carries at most {MAX_BATCH_DROPS} drop counters"
        ));
    }
    if drops.iter().any(|d| d.count > MAX_DROP_COUNT) {
        return Some(format!("a drop counter is at most {MAX_DROP_COUNT}"));
    }
    None
}

fn day_of(n: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(n.into()))
}

/// Counts an applied batch's drops: the edge's (for services this aggregator knows, on recent
/// days) and the aggregator's own (`local`, today).
pub async fn record(api: &EdgeApi, edge: &[EdgeDrop], local: &[(Uuid, DropKind)]) {
    let drops = &api.ingest.drops;
    for (service, kind) in local {
        drops.record(*service, *kind);
    }
    let today = chrono::Utc::now().date_naive();
    for d in edge {
        let Some(day) = day_of(d.day) else { continue };
        if day > today + chrono::Duration::days(1)
            || day < today - chrono::Duration::days(MAX_DROP_AGE_DAYS)
        {
            continue;
        }
        if matches!(api.ingest.services.get(d.service).await, Ok(Some(_))) {
            drops.add(d.service, day, d.reason, i64::from(d.count));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_days() {
        let d = |count| EdgeDrop {
            service: Uuid::nil(),
            day: 20_000,
            reason: DropKind::Dnt,
            count,
        };
        assert!(refusal(&[d(1)]).is_none());
        assert!(refusal(&[d(MAX_DROP_COUNT + 1)]).is_some());
        assert!(refusal(&vec![d(1); MAX_BATCH_DROPS + 1]).is_some());
        assert_eq!(day_of(0), NaiveDate::from_ymd_opt(1970, 1, 1));
        assert_eq!(day_of(20_000), NaiveDate::from_ymd_opt(2024, 10, 4));
    }
}
