//! EventBridge delivers at least once. A repeated (task, version) pair is the same state change: the
//! warm function answers it from memory instead of diagnosing and acting again.

use std::collections::VecDeque;

/// The last few deliveries and what was answered, oldest first.
#[derive(Debug)]
pub struct RecentDeliveries<T> {
    capacity: usize,
    entries: VecDeque<((String, i64), T)>,
}

impl<T: Clone> RecentDeliveries<T> {
    pub fn new(capacity: usize) -> Self {
        RecentDeliveries {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
        }
    }

    /// What was answered for this task at this version, if it was seen.
    pub fn seen(&self, task_arn: &str, version: i64) -> Option<T> {
        self.entries
            .iter()
            .find(|((arn, v), _)| arn == task_arn && *v == version)
            .map(|(_, answer)| answer.clone())
    }

    pub fn remember(&mut self, task_arn: &str, version: i64, answer: T) {
        if self.seen(task_arn, version).is_some() {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(((task_arn.to_string(), version), answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_repeat_and_forgets_the_oldest() {
        let mut recent = RecentDeliveries::new(2);
        recent.remember("a", 3, "first");
        assert_eq!(recent.seen("a", 3), Some("first"));
        assert_eq!(recent.seen("a", 4), None, "a new version is a new state change");
        recent.remember("a", 3, "again");
        assert_eq!(recent.seen("a", 3), Some("first"), "the first answer stands");
        recent.remember("b", 1, "b");
        recent.remember("c", 1, "c");
        assert_eq!(recent.seen("a", 3), None, "capacity 2 forgets the oldest");
        assert_eq!(recent.seen("c", 1), Some("c"));
    }
}
