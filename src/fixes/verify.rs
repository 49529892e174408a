//! Before acting: the task a payload describes must be the task ECS describes. An invocation shaped
//! like an EventBridge event is only a claim; anyone allowed to invoke the function can write one.
//! A diagnosis may use the claim; a write or the runbook needs ECS's own word that the task exists,
//! stopped for the failure diagnosed, and ran where the payload says.

use crate::classify::{Failure, StopReasons, classify};
use crate::facts::{Fact, TaskFacts};

/// Why acting on the claimed task was refused, in one sentence; `Ok` when ECS confirms it.
pub fn confirm(claimed: &TaskFacts, failure: &Failure, described: &Fact<Option<TaskFacts>>) -> Result<(), String> {
    let actual = match described {
        Fact::Failed(call) => {
            return Err(format!(
                "ECS could not confirm the task ({} failed with {})",
                call.operation, call.error_code
            ));
        }
        Fact::Known(None) => return Err("ECS does not know the task the payload names".to_string()),
        Fact::Known(Some(actual)) => actual,
    };
    if !actual.is_stopped() {
        return Err(format!(
            "ECS says the task is {}, not STOPPED",
            actual.last_status.as_deref().unwrap_or("of unknown status")
        ));
    }
    let reasons: Vec<&str> = actual.containers.iter().filter_map(|c| c.reason.as_deref()).collect();
    let stopped_for = classify(StopReasons {
        stop_code: actual.stop_code.as_deref(),
        stopped_reason: actual.stopped_reason.as_deref(),
        container_reasons: &reasons,
    });
    if stopped_for.kind != failure.kind || stopped_for.category != failure.category {
        return Err("ECS's stop reason for the task is not the failure the payload describes".to_string());
    }
    let subnet = |task: &TaskFacts| task.eni.as_ref().and_then(|e| e.subnet_id.clone());
    let mismatches: Vec<&str> = [
        ("cluster", claimed.cluster != actual.cluster),
        (
            "task definition",
            claimed.task_definition_arn != actual.task_definition_arn,
        ),
        ("group", claimed.group != actual.group),
        ("subnet", subnet(claimed) != subnet(actual)),
    ]
    .into_iter()
    .filter_map(|(what, differs)| differs.then_some(what))
    .collect();
    if !mismatches.is_empty() {
        let verb = if mismatches.len() == 1 { "does" } else { "do" };
        return Err(format!(
            "the payload's {} {verb} not match what ECS says of the task",
            mismatches.join(" and ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify_message;
    use crate::facts::fixtures;
    use crate::facts::{CallFailure, ContainerState};

    const MISSING_TAG: &str = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2: not found";

    fn stopped() -> TaskFacts {
        let mut task = fixtures::task();
        task.last_status = Some("STOPPED".into());
        task.stopped_reason = Some("Task failed to start".into());
        task.containers = vec![ContainerState {
            name: "web".into(),
            reason: Some(MISSING_TAG.into()),
            ..Default::default()
        }];
        task
    }

    #[test]
    fn the_task_ecs_describes_confirms_the_claim() {
        let failure = classify_message(MISSING_TAG);
        assert_eq!(confirm(&stopped(), &failure, &Fact::Known(Some(stopped()))), Ok(()));
    }

    #[test]
    fn a_forged_or_stale_claim_is_refused_with_the_reason() {
        let failure = classify_message(MISSING_TAG);
        let claim = stopped();
        let mut other_service = stopped();
        other_service.group = Some("service:internal-api".into());
        assert_eq!(
            confirm(&other_service, &failure, &Fact::Known(Some(claim.clone()))),
            Err("the payload's group does not match what ECS says of the task".into())
        );
        let mut other_subnet = stopped();
        other_subnet.eni.as_mut().unwrap().subnet_id = Some("subnet-public".into());
        assert!(
            confirm(&other_subnet, &failure, &Fact::Known(Some(claim.clone())))
                .unwrap_err()
                .contains("subnet")
        );
        assert!(
            confirm(&claim, &failure, &Fact::Known(None))
                .unwrap_err()
                .contains("does not know")
        );
        let mut running = stopped();
        running.last_status = Some("RUNNING".into());
        assert!(
            confirm(&claim, &failure, &Fact::Known(Some(running)))
                .unwrap_err()
                .contains("RUNNING")
        );
        let mut healthy = stopped();
        healthy.containers[0].reason = Some("Essential container in task exited".into());
        healthy.stop_code = Some("EssentialContainerExited".into());
        assert!(
            confirm(&claim, &failure, &Fact::Known(Some(healthy)))
                .unwrap_err()
                .contains("stop reason")
        );
        let denied = CallFailure {
            operation: "ecs:DescribeTasks".into(),
            resource: claim.arn.clone(),
            error_code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        assert!(
            confirm(&claim, &failure, &Fact::Failed(denied))
                .unwrap_err()
                .contains("AccessDeniedException")
        );
    }
}
