//! The part of a service's behaviour that needs dashboard code: its hide-referrer pattern,
//! compiled with the referrer module's limits. The rows themselves are `models::services`.

use models::services::ServiceRow;

/// A service's referrer filter.
pub trait HideReferrers {
    /// The compiled hide-referrer regex (validated on save; a bad one hides nothing).
    fn hide_regex(&self) -> Option<regex::Regex>;
}

impl HideReferrers for ServiceRow {
    fn hide_regex(&self) -> Option<regex::Regex> {
        stats::referrer::compile_lenient(&self.hide_referrer_regex)
    }
}
