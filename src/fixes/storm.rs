//! Storms: a service that fails every minute must not start a runbook or apply a fix each time. What
//! was acted on is remembered for a window; repeats within it are reported but not acted on again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const DEFAULT_WINDOW: Duration = Duration::from_secs(900);

#[derive(Debug)]
pub struct RecentActions {
    window: Duration,
    acted: HashMap<String, Instant>,
}

impl RecentActions {
    pub fn new(window: Duration) -> Self {
        RecentActions {
            window,
            acted: HashMap::new(),
        }
    }

    /// How long ago `key` was acted on, when that was within the window.
    pub fn acted_within_window(&mut self, key: &str, now: Instant) -> Option<Duration> {
        let window = self.window;
        self.acted.retain(|_, at| now.saturating_duration_since(*at) < window);
        self.acted.get(key).map(|at| now.saturating_duration_since(*at))
    }

    pub fn remember(&mut self, key: String, now: Instant) {
        self.acted.insert(key, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_within_the_window_is_held_and_one_after_it_is_not() {
        let start = Instant::now();
        let mut recent = RecentActions::new(Duration::from_secs(600));
        assert_eq!(
            recent.acted_within_window("prod/service:web/LOG_GROUP_NOT_FOUND", start),
            None
        );
        recent.remember("prod/service:web/LOG_GROUP_NOT_FOUND".into(), start);
        let later = start + Duration::from_secs(60);
        assert_eq!(
            recent.acted_within_window("prod/service:web/LOG_GROUP_NOT_FOUND", later),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            recent.acted_within_window("prod/service:api/LOG_GROUP_NOT_FOUND", later),
            None,
            "another service"
        );
        assert_eq!(
            recent.acted_within_window("prod/service:web/LOG_GROUP_NOT_FOUND", start + Duration::from_secs(601)),
            None
        );
    }
}
