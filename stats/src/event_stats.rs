//! The event figures and goal conversions of one service and window together: what the API and
//! `shynet stats --json` add under `stats` as `events` and `goals`.

use crate::events::{events_with, EventRow};
use crate::figures::StatsError;
use crate::goals::{goals_with, GoalRow};
use crate::plan::Source;
use crate::window::Window;
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Event names and goals of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EventStats {
    /// Event names, most events first.
    pub events: Vec<EventRow>,
    /// Goals, by name.
    pub goals: Vec<GoalRow>,
}

/// The event figures and goal conversions of `service` over `window`.
pub async fn event_stats<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
) -> Result<EventStats, StatsError> {
    event_stats_with(client, service, window, Source::Auto).await
}

/// [`event_stats`] from the given source.
pub async fn event_stats_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    source: Source,
) -> Result<EventStats, StatsError> {
    Ok(EventStats {
        events: events_with(client, service, window, source).await?,
        goals: goals_with(client, service, window, source).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `shynet stats --json` and the API add these keys under `stats`.
    #[test]
    fn json_keys_are_events_and_goals() {
        let s = EventStats {
            events: vec![EventRow {
                key: "signup".into(),
                count: 3,
                sessions: 2,
            }],
            goals: vec![GoalRow {
                name: "Signed up".into(),
                conversions: 2,
                conversion_rate_pct: Some(50.0),
            }],
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({
                "events": [{"key": "signup", "count": 3, "sessions": 2}],
                "goals": [{"name": "Signed up", "conversions": 2, "conversion_rate_pct": 50.0}],
            })
        );
    }
}
