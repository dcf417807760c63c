//! Allowed-origin lists and the Origin/Referer check: never a panic, the canonical form parses
//! back, and an allowed request echoes an origin that is `*` or listed.
#![no_main]

use beacon::origins::{AllowedOrigins, OriginCheck};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Line 1: the list; line 2: Origin; line 3: Referer.
    let f = shynet_fuzz::fields(data, 3);
    let list = shynet_fuzz::text(f[0]);
    let origin = f.get(1).map(|b| shynet_fuzz::text(b));
    let referer = f.get(2).map(|b| shynet_fuzz::text(b));
    let Ok(allowed) = list.parse::<AllowedOrigins>() else {
        return;
    };
    if let AllowedOrigins::List(l) = &allowed {
        let again: AllowedOrigins = l.join(", ").parse().expect("canonical list parses");
        assert_eq!(again, allowed);
    }
    match allowed.check(origin.as_deref(), referer.as_deref()) {
        OriginCheck::Allowed { allow_origin } => match &allowed {
            AllowedOrigins::List(l) => assert!(l.contains(&allow_origin), "{allow_origin}"),
            AllowedOrigins::Any => assert!(!allow_origin.contains(['\r', '\n'])),
        },
        OriginCheck::Denied { .. } => assert!(matches!(allowed, AllowedOrigins::List(_))),
    }
});
