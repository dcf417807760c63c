//! Applies beacons inside a transaction with set-based SQL: a fixed number of statements per
//! batch, whatever its size. The order matters: sessions are decided before hits (a token is
//! live only within its session), and ids are taken before any row refers to them.

use super::beacons::{BatchOutcome, Enriched};
use super::sessionize::{self as decide, TokenHit};
use super::{events, live_state, store};
use deadpool_postgres::Transaction;

/// Applies `batch` inside `tx`. Beacons must already be filtered (DNT, ignored IPs, robots).
pub async fn apply(
    tx: &Transaction<'_>,
    batch: &[Enriched],
    session_timeout_secs: f64,
) -> Result<BatchOutcome, tokio_postgres::Error> {
    if batch.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let received = batch.len() as u64;
    // Repeated events go before anything else sees them.
    let kept = events::drop_repeats(tx, batch).await?;
    let batch = kept.subset.as_deref().unwrap_or(batch);
    let timeout_ms = (session_timeout_secs * 1000.0) as i64;

    // Sessions: one per visitor run, continuing the live one where it has not expired.
    let groups = decide::group_visitors(batch, timeout_ms);
    live_state::carry_over_midnight(tx, &groups).await?;
    let proposal = decide::propose_sessions(batch, &groups);
    let live = live_state::continue_sessions(tx, &groups, &proposal, session_timeout_secs).await?;
    let (session_of, resets) = decide::assign_sessions(batch, &groups, &proposal, &live);
    live_state::reset_sessions(tx, &resets).await?;

    // Hits: ids first, then which tokens continue a live hit (their beacons are heartbeats).
    let tokens = decide::group_tokens(batch);
    let ids = store::next_hit_ids(tx, decide::hit_ids_wanted(batch, &tokens)).await?;
    let mut ids = ids.into_iter();
    let proposed: Vec<i64> = tokens
        .iter()
        .map(|_| ids.next().unwrap_or_default())
        .collect();
    let token_hits: Vec<TokenHit> = live_state::claim_hits(
        tx,
        batch,
        &tokens,
        &session_of,
        &proposed,
        session_timeout_secs,
    )
    .await?;
    let (new_hits, beats) = decide::split_hits(batch, &tokens, &token_hits, &mut ids);
    let (sessions, mut initial) = decide::accumulate_sessions(batch, &session_of, &new_hits);
    let split = decide::split_sessions(&sessions, &session_of);

    // Sessions before hits: a stored session a custom event opened gets its entry page now.
    store::insert_sessions(tx, batch, &split).await?;
    let first_hits = store::update_sessions(tx, batch, &split).await?;
    decide::entry_hits_of(&first_hits, &session_of, &new_hits, &mut initial);
    store::insert_hits(tx, batch, &new_hits, &session_of, &initial).await?;
    store::update_heartbeats(tx, &beats).await?;
    // After the hits: an event binds to its page view through `active_hits`, which now holds
    // this batch's page views too.
    let (events, truncated) = events::insert(tx, batch, &session_of).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let dirty = decide::dirty_hours(batch, &new_hits, &split, timeout_ms, now_ms);
    store::mark_dirty(tx, &dirty, session_timeout_secs).await?;

    Ok(BatchOutcome {
        // Repeats count as handled: every beacon received is accounted for.
        beacons: received,
        hits: new_hits.len() as u64,
        sessions: split.new.len() as u64,
        heartbeats: beats.iter().map(|b| b.n as u64).sum::<u64>()
            + new_hits.iter().map(|h| h.heartbeats as u64).sum::<u64>(),
        events,
        event_repeats: kept.repeats as u64,
        event_props_truncated: truncated,
    })
}
