//! The AWS runbook AWSSupport-TroubleshootECSTaskFailedToStart, started when the doctor cannot decide
//! (or always, if so configured). It needs the task to still be describable, so it starts at once.

use super::{RunbookOutcome, RunbookStatus};
use crate::checks::Verdict;
pub use crate::facts::ports::RunbookStarter;
use crate::facts::{Fact, TaskFacts};
pub use crate::model::RunbookRequest;
use crate::settings::RunbookMode;
pub use crate::settings::RunbookRoles;

pub const DOCUMENT: &str = "AWSSupport-TroubleshootECSTaskFailedToStart";

/// Whether `mode` asks for the runbook after `verdict`.
pub fn wanted(mode: RunbookMode, verdict: Verdict) -> bool {
    match mode {
        RunbookMode::Never => false,
        RunbookMode::Inconclusive => verdict == Verdict::Inconclusive,
        RunbookMode::Always => matches!(verdict, Verdict::Diagnosed | Verdict::Inconclusive),
    }
}

pub use super::client_token;

/// The group the storm and already-running checks key on: the service, else the task definition family.
pub fn group(task: &TaskFacts) -> String {
    match task.service_name() {
        Some(service) => format!("service:{service}"),
        None => {
            let family = task.task_definition_arn.rsplit('/').next().unwrap_or_default();
            format!("family:{}", family.split(':').next().unwrap_or(family))
        }
    }
}

pub fn request(task: &TaskFacts, roles: &RunbookRoles) -> RunbookRequest {
    let task_id = task.arn.rsplit('/').next().unwrap_or(&task.arn).to_string();
    // Tag keys allow 128 characters of letters, digits, spaces and _.:/=+-@.
    let key: String = format!("ecs-pull-doctor:{}/{}", task.cluster, group(task))
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.:/=+-@ ".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    RunbookRequest {
        cluster: task.cluster.clone(),
        task_id,
        roles: roles.clone(),
        client_token: client_token(&task.arn),
        tag_key: key,
        tag_value: task.arn.chars().take(256).collect(),
    }
}

/// Starts the runbook for `task` unless an execution for its group is already in progress.
pub async fn start<S: RunbookStarter>(starter: &S, task: &TaskFacts, roles: &RunbookRoles) -> RunbookOutcome {
    let request = request(task, roles);
    let (status, execution_id, detail) = match starter.running(&task.region, &request.tag_key).await {
        Fact::Known(Some(id)) => (
            RunbookStatus::AlreadyRunning,
            Some(id),
            format!("An execution for {} is in progress.", request.tag_key),
        ),
        // Not knowing is no reason not to start: the client token still prevents a double start.
        Fact::Known(None) | Fact::Failed(_) => match starter.start(&task.region, &request).await {
            Ok(id) => (
                RunbookStatus::Started,
                Some(id),
                format!(
                    "Started {DOCUMENT} for task {} in cluster {}.",
                    request.task_id, request.cluster
                ),
            ),
            Err(error) => (
                RunbookStatus::Failed,
                None,
                format!(
                    "{} failed with {}: {}",
                    error.operation, error.error_code, error.message
                ),
            ),
        },
    };
    RunbookOutcome {
        status,
        execution_id,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::fixtures;

    #[test]
    fn the_client_token_is_stable_and_uuid_shaped() {
        let token = client_token("arn:aws:ecs:us-east-1:111122223333:task/prod/abc");
        assert_eq!(token, client_token("arn:aws:ecs:us-east-1:111122223333:task/prod/abc"));
        assert_ne!(token, client_token("arn:aws:ecs:us-east-1:111122223333:task/prod/abd"));
        let parts: Vec<usize> = token.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn the_request_names_cluster_task_and_group() {
        let request = request(
            &fixtures::task(),
            &RunbookRoles {
                automation_assume_role: Some("arn:aws:iam::111122223333:role/automation".into()),
                lambda_role: None,
            },
        );
        assert_eq!(request.cluster, "prod");
        assert_eq!(request.task_id, "0123456789abcdef0123456789abcdef");
        assert_eq!(request.tag_key, "ecs-pull-doctor:prod/service:web");
    }

    #[test]
    fn when_the_runbook_is_wanted() {
        assert!(wanted(RunbookMode::Inconclusive, Verdict::Inconclusive));
        assert!(!wanted(RunbookMode::Inconclusive, Verdict::Diagnosed));
        assert!(wanted(RunbookMode::Always, Verdict::Diagnosed));
        assert!(!wanted(RunbookMode::Always, Verdict::NotApplicable));
        assert!(!wanted(RunbookMode::Never, Verdict::Inconclusive));
    }
}
