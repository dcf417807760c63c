//! Rendered and gzipped tracker variants, memoised by content so every request does not
//! re-compress the same bytes.

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

/// Distinct script variants remembered (services × DNT variant).
const CAPACITY: usize = 4096;

/// One servable variant.
#[derive(Clone)]
pub struct ScriptVariant {
    /// Strong ETag of the uncompressed body.
    pub etag: String,
    /// The body.
    pub raw: Bytes,
    /// The body, gzipped; empty when compression would not make it smaller.
    pub gzip: Bytes,
}

/// Memo keyed by the body's ETag.
pub struct ScriptCache {
    cache: quick_cache::sync::Cache<String, ScriptVariant>,
}

impl Default for ScriptCache {
    fn default() -> Self {
        ScriptCache {
            cache: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

impl ScriptCache {
    /// The variant for `body`, compressing it the first time it is seen.
    pub fn get(&self, body: String) -> ScriptVariant {
        let etag = beacon::script::etag(&body);
        if let Some(v) = self.cache.get(&etag) {
            return v;
        }
        let mut enc = GzEncoder::new(Vec::with_capacity(body.len()), Compression::best());
        // An empty `gzip` means "serve it raw": tiny bodies (the DNT stub) grow when gzipped.
        let gzip = match enc.write_all(body.as_bytes()).and_then(|_| enc.finish()) {
            Ok(g) if g.len() < body.len() => Bytes::from(g),
            _ => Bytes::new(),
        };
        let v = ScriptVariant {
            etag: etag.clone(),
            raw: Bytes::from(body),
            gzip,
        };
        self.cache.insert(etag, v.clone());
        v
    }
}
