//! Checks: pure rules over the snapshot. They never call AWS.

mod detail;
mod env_files;
mod finding;
mod gaps;
mod identity;
mod message;
pub mod network;
pub mod policy;
mod pull_through;
mod registry;
pub mod risks;
mod secrets;
mod verdict;
mod volumes;

pub use detail::*;
pub use finding::*;
pub use identity::administrator_level;
pub use verdict::{Verdict, VerdictOutcome, decide, explaining};

use serde_json::json;

use crate::classify::Failure;
use crate::facts::{CallFailure, Snapshot};

/// Runs every check over the snapshot and the classified failure.
pub fn run(snapshot: &Snapshot, failure: &Failure) -> Outcome {
    let mut outcome = Outcome::default();
    // Among findings that explain a failure equally well the earlier one is the root: the path
    // first, then whether things exist (registry, secrets, logs), then who may use them.
    for check in [
        gaps::check,
        network::check,
        registry::check,
        pull_through::check,
        secrets::check,
        volumes::check,
        env_files::check,
        identity::check,
    ] {
        outcome.extend(check(snapshot));
    }
    outcome.extend(message::check(snapshot, failure));
    // Every call that failed is named, even where no check leaned on what it would have said.
    for failure in snapshot.failures() {
        let named = outcome.findings.iter().any(|f| {
            f.code == Code::CheckFailed
                && f.resource == failure.resource
                && f.detail.failed_call() == Some(failure.operation.as_str())
        });
        if !named {
            outcome.finding(could_not_check(
                failure,
                format!(
                    "what {} would have said; no check that ran depended on it",
                    failure.operation
                ),
            ));
        }
    }
    outcome
}

/// CHECK_FAILED: a policy document the doctor could not parse, so nothing that hangs on it is
/// decided. `whose` names it for people ("the policy of endpoint vpce-1").
pub fn unreadable_policy(resource: &str, whose: &str, error: &dyn std::fmt::Display, document: &str) -> Finding {
    Finding::new(Code::CheckFailed, Severity::Info, resource, format!("Could not read {whose}: {error}."))
        .evidence(json!({"policy": document, "error": error.to_string(), "notChecked": format!("what {whose} allows or denies")}))
        .remedy(format!("Check {whose}: IAM accepts documents the doctor's parser may not; the checks that depend on it were not decided."))
}

/// CHECK_FAILED: `what` could not be checked because `failure`'s call failed.
pub fn could_not_check(failure: &CallFailure, what: String) -> Finding {
    let remedy = if failure.is_access_denied() {
        format!(
            "Allow {} to the doctor's role, then run the diagnosis again.",
            failure.operation
        )
    } else {
        format!(
            "Run the diagnosis again; if {} keeps failing, check the error above.",
            failure.operation
        )
    };
    Finding::new(
        Code::CheckFailed,
        Severity::Info,
        &failure.resource,
        format!(
            "Could not check {what}: {} failed with {}.",
            failure.operation, failure.error_code
        ),
    )
    .evidence(json!({
        "call": failure.operation,
        "errorCode": failure.error_code,
        "error": failure.message,
        "notChecked": what,
    }))
    .remedy(remedy)
    .detail(Detail::General(GeneralDetail {
        failed_call: Some(failure.operation.clone()),
    }))
}
