//! Custom event bodies and `event.gif` query strings: never a panic, refusals are 4xx with a
//! reason, and an accepted event obeys every limit (and passes the check the aggregator applies
//! to events that arrive from the edge), whichever form it came in.
#![no_main]

use beacon::event::{
    self, EventPayload, MAX_EVENT_NAME_CHARS, MAX_EVENT_PROPS, MAX_PROP_KEY_CHARS,
    MAX_PROP_VALUE_CHARS,
};
use beacon::limits::{MAX_IDEMPOTENCY_BYTES, MAX_URL_BYTES};
use libfuzzer_sys::fuzz_target;

fn accepted(p: &EventPayload) {
    let e = &p.event;
    assert!(!e.name.is_empty() && e.name.chars().count() <= MAX_EVENT_NAME_CHARS);
    assert_eq!(e.name, e.name.trim());
    assert!(e.props.len() <= MAX_EVENT_PROPS);
    for (k, v) in &e.props {
        let k_chars = k.chars().count();
        assert!(k_chars > 0 && k_chars <= MAX_PROP_KEY_CHARS);
        assert!(v.chars().count() <= MAX_PROP_VALUE_CHARS);
        assert!(!k.chars().chain(v.chars()).any(char::is_control));
    }
    for t in [&e.token, &e.page].into_iter().flatten() {
        assert!(!t.is_empty() && t.len() <= MAX_IDEMPOTENCY_BYTES);
    }
    assert!(p.location.as_ref().is_none_or(|l| l.len() <= MAX_URL_BYTES));
    assert!(p.referrer.len() <= MAX_URL_BYTES);
    assert_eq!(event::check(e), Ok(()));
    // What the edge queues, the aggregator reads back unchanged.
    let wire = serde_json::to_string(e).unwrap();
    assert_eq!(&serde_json::from_str::<event::Event>(&wire).unwrap(), e);
}

fuzz_target!(|data: &[u8]| {
    match event::parse_event_body(data) {
        Ok(p) => accepted(&p),
        Err(e) => {
            assert!((400..500).contains(&e.status()));
            assert!(!e.to_string().is_empty());
        }
    }
    match event::parse_event_query(&String::from_utf8_lossy(data)) {
        Ok(p) => accepted(&p),
        Err(e) => assert_eq!(e.status(), 400),
    }
});
