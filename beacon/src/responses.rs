//! The exact bytes and headers of ingress responses, shared by the aggregator and the edge so a
//! site sees the same answers whichever entrance it talks to.

/// Shynet's 43-byte transparent 1x1 GIF89a.
pub const PIXEL_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// Body of a successful script beacon, byte for byte as Shynet answers.
pub const OK_BODY: &str = "{\"status\": \"OK\"}";

/// Cache-Control of the pixel: every load must reach us.
pub const PIXEL_CACHE_CONTROL: &str = "no-cache, no-store, must-revalidate";

/// Cache-Control of the script: short so that settings changes reach visitors within minutes,
/// revalidated cheaply with the ETag.
pub const SCRIPT_CACHE_CONTROL: &str = "public, max-age=300";

/// The script body depends on these request headers (DNT variant, compression).
pub const SCRIPT_VARY: &str = "DNT, Sec-GPC, Accept-Encoding";

/// Methods announced on ingress CORS responses.
pub const ALLOW_METHODS: &str = "GET, HEAD, OPTIONS, POST";

/// Request headers a tracked page may send with a beacon.
pub const ALLOW_HEADERS: &str = "Origin, X-Requested-With, Content-Type, Accept, Referer";

/// How long browsers may cache a preflight answer (seconds).
pub const PREFLIGHT_MAX_AGE: &str = "86400";

/// Whether a request asks not to be tracked: `DNT: 1` or `Sec-GPC: 1` (both honoured, unlike
/// Shynet's script which looked at DNT only).
pub fn wants_no_tracking(dnt: Option<&str>, sec_gpc: Option<&str>) -> bool {
    dnt.map(str::trim) == Some("1") || sec_gpc.map(str::trim) == Some("1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_is_shynets_gif() {
        let hex: String = PIXEL_GIF.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
        );
    }

    #[test]
    fn dnt_and_gpc_both_count() {
        assert!(wants_no_tracking(Some("1"), None));
        assert!(wants_no_tracking(None, Some("1")));
        assert!(!wants_no_tracking(Some("0"), None));
        assert!(!wants_no_tracking(None, None));
    }
}
