//! One deadline for a whole diagnosis. Every read still outstanding when it passes becomes a failed
//! fact naming its call (error code `Deadline`), the checks run on what is known, and no write starts
//! after it. The engine's `Bounded` decorator puts it around every port.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::{CallFailure, Fact};

/// The error code of a call cut off by the deadline.
pub const DEADLINE: &str = "Deadline";

/// When a diagnosis must have its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        Deadline(Instant::now() + budget)
    }

    /// The same deadline `by` later: for what may use the margin kept after it.
    pub fn extended(&self, by: Duration) -> Deadline {
        Deadline(self.0 + by)
    }

    /// `future`'s output, or `None` if the deadline comes first.
    pub async fn within<T>(&self, future: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout_at(self.0, future).await.ok()
    }

    /// The earlier of the two deadlines.
    pub fn earliest(self, other: Deadline) -> Deadline {
        Deadline(self.0.min(other.0))
    }

    /// The instant, for a timer that may run past it (a grace period).
    pub fn instant(&self) -> Instant {
        self.0
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }

    /// `future`'s fact, or a failed fact naming `operation` if the deadline comes first.
    pub async fn bound<T>(&self, operation: &str, resource: &str, future: impl Future<Output = Fact<T>>) -> Fact<T> {
        match tokio::time::timeout_at(self.0, future).await {
            Ok(fact) => fact,
            Err(_) => Fact::Failed(cut_off(operation, resource)),
        }
    }
}

/// The failure of a read that had no answer when the deadline passed.
pub fn cut_off(operation: &str, resource: &str) -> CallFailure {
    past_deadline(operation, resource, "no answer before the diagnosis's deadline")
}

pub(crate) fn past_deadline(operation: &str, resource: &str, message: &str) -> CallFailure {
    CallFailure {
        operation: operation.to_string(),
        resource: resource.to_string(),
        error_code: DEADLINE.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_without_an_answer_by_the_deadline_is_a_failed_fact_naming_its_call() {
        let deadline = Deadline::after(Duration::from_millis(50));
        let stalled = deadline
            .bound("ec2:DescribeSubnets", "subnet-1", std::future::pending::<Fact<u8>>())
            .await;
        let Fact::Failed(failure) = stalled else {
            panic!("a stalled read cannot be known")
        };
        assert_eq!(
            (failure.operation.as_str(), failure.error_code.as_str()),
            ("ec2:DescribeSubnets", DEADLINE)
        );
        assert!(deadline.passed());
        let answered = Deadline::after(Duration::from_secs(5))
            .bound("ec2:DescribeSubnets", "subnet-1", async { Fact::Known(1u8) })
            .await;
        assert_eq!(answered, Fact::Known(1));
    }
}
