//! The sessionizer's decisions, without I/O: which beacons belong to one visitor and one
//! session, which start a page view and which are its heartbeats, what each session adds up
//! to, and which closed hours a batch touched. Custom events (see [`super::events`]) take part
//! in sessions like any beacon but are never page views: no hit, no heartbeat. The live state these decisions consult comes
//! from [`super::live_state`]; [`super::apply`] runs the steps in order.

use super::beacons::Enriched;
use beacon::wire::VisitorKey;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use uuid::Uuid;

const HOUR_MS: i64 = 3_600_000;

/// Client-side pre-filter for dirty hours: an hour is sent only if it ended more than the session
/// timeout minus this much ago (the database applies the exact rule with its own clock).
const DIRTY_SLACK_MS: i64 = 3_600_000;

/// A timestamp from milliseconds since the epoch.
pub fn ts(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// One visitor's beacons of a batch, in time order, split into runs wherever the visitor went
/// quiet for longer than the session timeout (possible when a delayed batch is replayed).
#[derive(Debug)]
pub struct Group {
    /// Service and visitor.
    pub key: (Uuid, VisitorKey),
    /// Beacon indices per run; the first run may continue the live session.
    pub runs: Vec<Vec<usize>>,
    /// Yesterday's key of the visitor, sent just after UTC midnight.
    pub previous: Option<VisitorKey>,
}

/// Where a beacon's session came from.
#[derive(Debug, Clone, Copy)]
pub struct SessionRef {
    /// The session.
    pub id: Uuid,
    /// Started by this batch.
    pub is_new: bool,
    /// The session's start_time (its partition key), for continuing sessions as stored in
    /// `active_sessions.session_start`.
    pub start: DateTime<Utc>,
}

/// A visitor's live session replaced by a later run of the same batch.
#[derive(Debug, Clone, Copy)]
pub struct Reset {
    /// Service and visitor.
    pub key: (Uuid, VisitorKey),
    /// The run's session.
    pub session: Uuid,
    /// First beacon of the run (ms).
    pub start_ms: i64,
    /// Last beacon of the run (ms).
    pub last_ms: i64,
}

/// What the batch proposes per visitor group, should its live session have expired.
#[derive(Debug)]
pub struct Proposal {
    /// A fresh session id per group.
    pub ids: Vec<Uuid>,
    /// Start of each group's first run.
    pub starts: Vec<DateTime<Utc>>,
    /// End of each group's first run.
    pub lasts: Vec<DateTime<Utc>>,
}

/// Live sessions after the upsert: (service, visitor) → (session, start).
pub type LiveSessions = HashMap<(Uuid, Vec<u8>), (Uuid, DateTime<Utc>)>;

/// The beacons of one page-view token.
#[derive(Debug)]
pub struct TokenGroup<'b> {
    /// Service.
    pub service: Uuid,
    /// The page-view token.
    pub token: &'b str,
    /// Beacon indices in time order.
    pub beacons: Vec<usize>,
}

/// The hit a token resolved to.
#[derive(Debug, Clone, Copy)]
pub struct TokenHit {
    /// Hit id.
    pub id: i64,
    /// Started by this batch (else the beacons are heartbeats of a stored hit).
    pub is_new: bool,
    /// The hit's start_time.
    pub start: DateTime<Utc>,
}

/// A hit to insert.
#[derive(Debug)]
pub struct NewHit {
    /// Its id.
    pub id: i64,
    /// Index of its first beacon.
    pub first: usize,
    /// Time of its last beacon (ms).
    pub last_ms: i64,
    /// Heartbeats already seen in this batch.
    pub heartbeats: i32,
}

/// Heartbeats for a stored hit.
#[derive(Debug)]
pub struct Beat {
    /// Hit id.
    pub id: i64,
    /// Heartbeats to add.
    pub n: i32,
    /// Time of the last one (ms).
    pub last_ms: i64,
    /// The hit's start_time.
    pub start: DateTime<Utc>,
}

/// What a batch adds to one session.
#[derive(Debug, Default)]
pub struct SessionAcc {
    /// Index of its earliest beacon.
    pub first: usize,
    /// Its latest beacon (ms).
    pub last_seen: i64,
    /// New hits in it.
    pub new_hits: i32,
    /// First non-empty identifier.
    pub identifier: String,
    /// The latest of its new hits, by start then id: the session's exit page so far.
    pub exit: Option<Exit>,
    saw_initial: bool,
}

/// The latest new hit of a session in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exit {
    /// Its start (ms).
    pub at_ms: i64,
    /// Its id.
    pub id: i64,
    /// Index of its first beacon.
    pub beacon: usize,
}

/// Sessions split into those to insert and those to update, both in id order (a fixed lock
/// order between concurrent writers).
#[derive(Debug)]
pub struct SessionSplit<'s> {
    /// Sessions this batch started.
    pub new: Vec<(Uuid, &'s SessionAcc)>,
    /// Stored sessions this batch continued.
    pub old: Vec<(Uuid, &'s SessionAcc)>,
    /// Every session of the batch.
    pub refs: HashMap<Uuid, SessionRef>,
}

/// Whether a beacon is a page view (or heartbeat) rather than a custom event.
fn is_page_view(e: &Enriched) -> bool {
    e.beacon.event.is_none()
}

/// Groups beacons by visitor, in time order, split into runs.
pub fn group_visitors(batch: &[Enriched], timeout_ms: i64) -> Vec<Group> {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&i| {
        let b = &batch[i].beacon;
        (b.service, b.visitor, b.time_ms)
    });
    let mut groups: Vec<Group> = Vec::new();
    for &i in &order {
        let b = &batch[i].beacon;
        let key = (b.service, b.visitor);
        match groups.last_mut() {
            Some(g) if g.key == key => {
                let last_ms = g
                    .runs
                    .last()
                    .and_then(|r| r.last())
                    .map(|&j| batch[j].beacon.time_ms)
                    .unwrap_or(b.time_ms);
                if b.time_ms - last_ms > timeout_ms {
                    g.runs.push(vec![i]);
                } else if let Some(r) = g.runs.last_mut() {
                    r.push(i);
                }
                if g.previous.is_none() {
                    g.previous = b.previous_visitor;
                }
            }
            _ => groups.push(Group {
                key,
                runs: vec![vec![i]],
                previous: b.previous_visitor,
            }),
        }
    }
    groups
}

/// A fresh session id. Time-ordered (UUIDv7), so the indexes keyed by session id (the sessions'
/// primary key, the hits' session index) take new entries at their right edge like the time
/// indexes do, instead of on random pages of an index that grows all day and outgrows the
/// buffer cache. The id reveals its creation time to the millisecond, which the stored session
/// row holds anyway.
pub fn new_session_id() -> Uuid {
    Uuid::now_v7()
}

/// A fresh session per group's first run, used where the live one expired.
pub fn propose_sessions(batch: &[Enriched], groups: &[Group]) -> Proposal {
    let at = |i: usize| ts(batch[i].beacon.time_ms);
    Proposal {
        ids: groups.iter().map(|_| new_session_id()).collect(),
        starts: groups.iter().map(|g| at(g.runs[0][0])).collect(),
        lasts: groups
            .iter()
            .map(|g| at(g.runs[0][g.runs[0].len() - 1]))
            .collect(),
    }
}

/// Gives every beacon its session: the live one for a group's first run (new when the
/// proposal won), a fresh one for each later run, which also replaces the live session.
pub fn assign_sessions(
    batch: &[Enriched],
    groups: &[Group],
    proposal: &Proposal,
    live: &LiveSessions,
) -> (Vec<Option<SessionRef>>, Vec<Reset>) {
    let mut session_of: Vec<Option<SessionRef>> = vec![None; batch.len()];
    let mut resets: Vec<Reset> = Vec::new();
    for ((g, prop), proposed_start) in groups.iter().zip(&proposal.ids).zip(&proposal.starts) {
        let (sid, start) = live
            .get(&(g.key.0, g.key.1 .0.to_vec()))
            .copied()
            .unwrap_or((*prop, *proposed_start));
        let first = SessionRef {
            id: sid,
            is_new: sid == *prop,
            start,
        };
        for &i in &g.runs[0] {
            session_of[i] = Some(first);
        }
        for run in &g.runs[1..] {
            let start_ms = batch[run[0]].beacon.time_ms;
            let s = SessionRef {
                id: new_session_id(),
                is_new: true,
                start: ts(start_ms),
            };
            for &i in run {
                session_of[i] = Some(s);
            }
            let reset = Reset {
                key: g.key,
                session: s.id,
                start_ms,
                last_ms: batch[run[run.len() - 1]].beacon.time_ms,
            };
            match resets.iter().position(|r| r.key == g.key) {
                Some(pos) => resets[pos] = reset,
                None => resets.push(reset),
            }
        }
    }
    (session_of, resets)
}

/// Groups the beacons that carry a page-view token by (service, token), in time order.
pub fn group_tokens(batch: &[Enriched]) -> Vec<TokenGroup<'_>> {
    let mut by_token: Vec<usize> = (0..batch.len())
        .filter(|&i| is_page_view(&batch[i]) && batch[i].beacon.idempotency.is_some())
        .collect();
    by_token.sort_by(|&x, &y| {
        let (a, b) = (&batch[x].beacon, &batch[y].beacon);
        (a.service, a.idempotency.as_deref(), a.time_ms).cmp(&(
            b.service,
            b.idempotency.as_deref(),
            b.time_ms,
        ))
    });
    let mut groups: Vec<TokenGroup<'_>> = Vec::new();
    for i in by_token {
        let b = &batch[i].beacon;
        let token = b.idempotency.as_deref().unwrap_or("");
        match groups.last_mut() {
            Some(t) if t.service == b.service && t.token == token => t.beacons.push(i),
            _ => groups.push(TokenGroup {
                service: b.service,
                token,
                beacons: vec![i],
            }),
        }
    }
    groups
}

/// Hits the batch needs ids for: one per untokened page view and one per token.
pub fn hit_ids_wanted(batch: &[Enriched], tokens: &[TokenGroup<'_>]) -> usize {
    batch
        .iter()
        .filter(|e| is_page_view(e) && e.beacon.idempotency.is_none())
        .count()
        + tokens.len()
}

/// Splits the batch into hits to insert and heartbeats for stored hits. The first beacon of a
/// token is a new hit unless the token is live in the same session; every other beacon of it
/// is a heartbeat. `ids` supplies the ids of untokened hits.
pub fn split_hits(
    batch: &[Enriched],
    tokens: &[TokenGroup<'_>],
    token_hits: &[TokenHit],
    ids: &mut impl Iterator<Item = i64>,
) -> (Vec<NewHit>, Vec<Beat>) {
    let mut new_hits: Vec<NewHit> = Vec::new();
    let mut beats: Vec<Beat> = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        if is_page_view(e) && e.beacon.idempotency.is_none() {
            new_hits.push(NewHit {
                id: ids.next().unwrap_or_default(),
                first: i,
                last_ms: e.beacon.time_ms,
                heartbeats: 0,
            });
        }
    }
    for (t, hit) in tokens.iter().zip(token_hits) {
        let last_ms = batch[t.beacons[t.beacons.len() - 1]].beacon.time_ms;
        if hit.is_new {
            new_hits.push(NewHit {
                id: hit.id,
                first: t.beacons[0],
                last_ms,
                heartbeats: (t.beacons.len() - 1) as i32,
            });
        } else {
            beats.push(Beat {
                id: hit.id,
                n: t.beacons.len() as i32,
                last_ms,
                start: hit.start,
            });
        }
    }
    new_hits.sort_by_key(|h| (batch[h.first].beacon.time_ms, h.id));
    beats.sort_by_key(|b| b.id);
    (new_hits, beats)
}

/// Adds the batch up per session, and flags each new hit that opens a new session.
pub fn accumulate_sessions(
    batch: &[Enriched],
    session_of: &[Option<SessionRef>],
    new_hits: &[NewHit],
) -> (HashMap<Uuid, SessionAcc>, Vec<bool>) {
    let mut sessions: HashMap<Uuid, SessionAcc> = HashMap::new();
    for (i, e) in batch.iter().enumerate() {
        let Some(s) = session_of[i] else { continue };
        let acc = sessions.entry(s.id).or_insert_with(|| SessionAcc {
            first: i,
            last_seen: e.beacon.time_ms,
            ..SessionAcc::default()
        });
        if e.beacon.time_ms < batch[acc.first].beacon.time_ms {
            acc.first = i;
        }
        acc.last_seen = acc.last_seen.max(e.beacon.time_ms);
        if acc.identifier.is_empty() && !e.beacon.identifier.is_empty() {
            acc.identifier = e.beacon.identifier.clone();
        }
    }
    let mut initial_flags: Vec<bool> = Vec::with_capacity(new_hits.len());
    for h in new_hits {
        let s = session_of[h.first].unwrap_or(SessionRef {
            id: Uuid::nil(),
            is_new: false,
            start: DateTime::<Utc>::default(),
        });
        let acc = sessions.entry(s.id).or_default();
        acc.new_hits += 1;
        let exit = Exit {
            at_ms: batch[h.first].beacon.time_ms,
            id: h.id,
            beacon: h.first,
        };
        acc.exit = acc.exit.max(Some(exit));
        let initial = s.is_new && !acc.saw_initial;
        if initial {
            acc.saw_initial = true;
        }
        initial_flags.push(initial);
    }
    (sessions, initial_flags)
}

/// Flags the first new hit of each session in `first_hits` (stored sessions that had no hit yet:
/// a custom event opened them) as its session's entry page, as it would have been had it come
/// first.
pub fn entry_hits_of(
    first_hits: &[Uuid],
    session_of: &[Option<SessionRef>],
    new_hits: &[NewHit],
    initial: &mut [bool],
) {
    if first_hits.is_empty() {
        return;
    }
    let mut waiting: std::collections::HashSet<Uuid> = first_hits.iter().copied().collect();
    // `new_hits` is in time order: the first one of such a session is its entry.
    for (h, flag) in new_hits.iter().zip(initial.iter_mut()) {
        if let Some(s) = session_of[h.first] {
            if waiting.remove(&s.id) {
                *flag = true;
            }
        }
    }
}

/// Separates the sessions to insert from those to update.
pub fn split_sessions<'s>(
    sessions: &'s HashMap<Uuid, SessionAcc>,
    session_of: &[Option<SessionRef>],
) -> SessionSplit<'s> {
    let refs: HashMap<Uuid, SessionRef> = session_of.iter().flatten().map(|s| (s.id, *s)).collect();
    let mut new = Vec::new();
    let mut old = Vec::new();
    for (id, acc) in sessions {
        if refs.get(id).is_some_and(|s| s.is_new) {
            new.push((*id, acc));
        } else if !id.is_nil() {
            old.push((*id, acc));
        }
    }
    new.sort_by_key(|s| s.0);
    old.sort_by_key(|s| s.0);
    SessionSplit { new, old, refs }
}

/// Hours (service, hour start in ms) before the rollup horizon whose rows this batch changed
/// (new hits, sessions started or continued, events by their own time):
/// the rollup job re-rolls them. The horizon (hour end older than the session timeout) is a
/// little earlier than the job's own (timeout + 5 minutes), so an hour the job may already have
/// rolled is always marked. Most batches touch only recent hours and mark none.
pub fn dirty_hours(
    batch: &[Enriched],
    new_hits: &[NewHit],
    sessions: &SessionSplit<'_>,
    timeout_ms: i64,
    now_ms: i64,
) -> Vec<(Uuid, i64)> {
    let horizon_ms = now_ms - timeout_ms + DIRTY_SLACK_MS;
    let mut dirty: Vec<(Uuid, i64)> = Vec::new();
    let mut consider = |svc: Uuid, t_ms: i64| {
        let hour = t_ms.div_euclid(HOUR_MS) * HOUR_MS;
        if hour + HOUR_MS <= horizon_ms {
            dirty.push((svc, hour));
        }
    };
    for h in new_hits {
        consider(batch[h.first].beacon.service, batch[h.first].beacon.time_ms);
    }
    for e in batch.iter().filter(|e| !is_page_view(e)) {
        consider(e.beacon.service, e.beacon.time_ms);
    }
    for (id, acc) in sessions.new.iter().chain(&sessions.old) {
        let start = sessions
            .refs
            .get(id)
            .map(|r| r.start.timestamp_millis())
            .unwrap_or(batch[acc.first].beacon.time_ms);
        consider(batch[acc.first].beacon.service, start);
    }
    dirty.sort_unstable();
    dirty.dedup();
    dirty
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon::ua::{DeviceType, UaInfo};
    use beacon::wire::{Beacon, Tracker};
    use std::sync::Arc;

    const TIMEOUT_MS: i64 = 1_800_000;

    fn beacon(visitor: u8, time_ms: i64, token: Option<&str>) -> Enriched {
        Enriched::new(
            Beacon {
                service: Uuid::nil(),
                time_ms,
                tracker: Tracker::Js,
                identifier: String::new(),
                idempotency: token.map(str::to_owned),
                location: String::new(),
                referrer: String::new(),
                load_time: None,
                user_agent: String::new(),
                visitor: VisitorKey([visitor; 16]),
                previous_visitor: None,
                ip: None,
                geo: Default::default(),
                event: None,
            },
            Arc::new(UaInfo {
                browser: String::new(),
                browser_version: String::new(),
                os: String::new(),
                os_version: String::new(),
                device: String::new(),
                device_type: DeviceType::Other,
                is_robot: false,
            }),
            &Default::default(),
        )
    }

    #[test]
    fn a_quiet_gap_longer_than_the_timeout_starts_a_new_run() {
        let batch = [
            beacon(1, TIMEOUT_MS * 3, None),
            beacon(2, 0, None),
            beacon(1, 0, None),
            beacon(1, 1_000, None),
        ];
        let groups = group_visitors(&batch, TIMEOUT_MS);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].runs, vec![vec![2, 3], vec![0]]);
        assert_eq!(groups[1].runs, vec![vec![1]]);
    }

    #[test]
    fn a_later_run_gets_a_fresh_session_that_becomes_the_live_one() {
        let batch = [beacon(1, 0, None), beacon(1, TIMEOUT_MS * 2, None)];
        let groups = group_visitors(&batch, TIMEOUT_MS);
        let proposal = propose_sessions(&batch, &groups);
        let (session_of, resets) = assign_sessions(&batch, &groups, &proposal, &HashMap::new());
        let (first, second) = (session_of[0].unwrap(), session_of[1].unwrap());
        assert!(first.is_new && second.is_new);
        assert_eq!(first.id, proposal.ids[0]);
        assert_ne!(first.id, second.id);
        assert_eq!(resets.len(), 1);
        assert_eq!(resets[0].session, second.id);
    }

    #[test]
    fn repeats_of_a_token_are_heartbeats_of_one_hit() {
        let batch = [
            beacon(1, 0, Some("t")),
            beacon(1, 5_000, Some("t")),
            beacon(1, 10_000, None),
        ];
        let tokens = group_tokens(&batch);
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].beacons, vec![0, 1]);
        assert_eq!(hit_ids_wanted(&batch, &tokens), 2);
        let hit = TokenHit {
            id: 7,
            is_new: true,
            start: ts(0),
        };
        let (new_hits, beats) = split_hits(&batch, &tokens, &[hit], &mut [8].into_iter());
        assert!(beats.is_empty());
        assert_eq!(new_hits.iter().map(|h| h.id).collect::<Vec<_>>(), [7, 8]);
        assert_eq!(new_hits[0].heartbeats, 1);
        let stored = TokenHit {
            is_new: false,
            ..hit
        };
        let (new_hits, beats) = split_hits(&batch, &tokens, &[stored], &mut [8].into_iter());
        assert_eq!(new_hits.len(), 1);
        assert_eq!((beats[0].id, beats[0].n), (7, 2));
    }

    #[test]
    fn the_latest_new_hit_is_the_exit() {
        let batch = [
            beacon(1, 5_000, Some("b")),
            beacon(1, 0, Some("a")),
            beacon(1, 9_000, Some("a")),
            beacon(1, 5_000, None),
        ];
        let groups = group_visitors(&batch, TIMEOUT_MS);
        let proposal = propose_sessions(&batch, &groups);
        let (session_of, _) = assign_sessions(&batch, &groups, &proposal, &HashMap::new());
        let tokens = group_tokens(&batch);
        let hits: Vec<TokenHit> = [10, 11]
            .map(|id| TokenHit {
                id,
                is_new: true,
                start: ts(0),
            })
            .to_vec();
        let (new_hits, _) = split_hits(&batch, &tokens, &hits, &mut [12].into_iter());
        let (sessions, _) = accumulate_sessions(&batch, &session_of, &new_hits);
        let exit = sessions[&proposal.ids[0]].exit.unwrap();
        // Page "a" started first and beat later; "b" and the pixel hit tie at 5 s, the higher
        // id wins.
        assert_eq!((exit.at_ms, exit.id, exit.beacon), (5_000, 12, 3));
    }

    #[test]
    fn only_hours_behind_the_rollup_horizon_are_dirty() {
        let now_ms = 100 * HOUR_MS;
        let batch = [
            beacon(1, 10 * HOUR_MS + 5, None),
            beacon(2, now_ms - 1, None),
        ];
        let groups = group_visitors(&batch, TIMEOUT_MS);
        let proposal = propose_sessions(&batch, &groups);
        let (session_of, _) = assign_sessions(&batch, &groups, &proposal, &HashMap::new());
        let (new_hits, _) = split_hits(&batch, &[], &[], &mut [1, 2].into_iter());
        let (sessions, initial) = accumulate_sessions(&batch, &session_of, &new_hits);
        assert_eq!(initial, [true, true]);
        let exits: Vec<usize> = sessions
            .values()
            .filter_map(|a| a.exit.map(|e| e.beacon))
            .collect();
        assert_eq!(exits.len(), 2);
        let split = split_sessions(&sessions, &session_of);
        assert_eq!(split.new.len(), 2);
        // A 3 h timeout puts the client-side horizon 2 h back: hour 99 is still open.
        let dirty = dirty_hours(&batch, &new_hits, &split, 3 * HOUR_MS, now_ms);
        assert_eq!(dirty, vec![(Uuid::nil(), 10 * HOUR_MS)]);
    }
}
