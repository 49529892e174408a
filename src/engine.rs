//! The engine: intake -> classification -> facts -> checks -> verdict -> report. One diagnosis, whoever
//! asked for it (the Lambda function or the command line).

use serde_json::json;

use crate::checks::{self, Code, Finding, Outcome, Severity, Verdict, VerdictOutcome, could_not_check};
use crate::classify::{Failure, StopReasons, classify};
use crate::facts::{Fact, Readers, TaskFacts, gather};
use crate::intake::Payload;
use crate::model::TaskArn;
use crate::report::{FailureSummary, Report, SCHEMA, TaskSummary};
use crate::settings::Modes;

/// Diagnoses what was asked. `configured` is the most this run may do; a manual request may narrow it.
pub async fn diagnose<R: Readers>(reader: &R, payload: Payload, configured: &Modes) -> Report {
    match payload {
        Payload::OtherEvent { source, detail_type } => {
            let reason = format!("The event is \"{detail_type}\" from {source}, not an ECS Task State Change.");
            not_applicable(TaskSummary::default(), Failure::unknown(), reason, configured.clone())
        }
        Payload::TaskEvent(task) => diagnose_task(reader, *task, configured.clone()).await,
        Payload::Manual(request) => {
            let modes = configured.narrowed(request.fix, request.runbook);
            match reader.describe_task(&request.task).await {
                Fact::Known(Some(task)) => diagnose_task(reader, task, modes).await,
                Fact::Known(None) => task_not_found(&request.task, modes),
                Fact::Failed(failure) => {
                    let finding = could_not_check(&failure, "the task: without it there is no stop reason to diagnose".into());
                    let reason = "The task could not be described, so its stop reason is unknown.".to_string();
                    unexplained(summary_of_arn(&request.task), finding, reason, modes)
                }
            }
        }
    }
}

/// Diagnoses a task whose record is in hand. Decides applicability before any AWS call.
pub async fn diagnose_task<R: Readers>(reader: &R, task: TaskFacts, modes: Modes) -> Report {
    let container_reasons: Vec<&str> = task.containers.iter().filter_map(|c| c.reason.as_deref()).collect();
    let failure = classify(StopReasons {
        stop_code: task.stop_code.as_deref(),
        stopped_reason: task.stopped_reason.as_deref(),
        container_reasons: &container_reasons,
    });
    if !task.is_stopped() {
        let status = task.last_status.clone().unwrap_or_else(|| "of unknown status".into());
        let reason = format!("The task is {status}, not STOPPED.");
        return not_applicable(TaskSummary::from_task(&task, None), failure, reason, modes);
    }
    if !failure.is_applicable() {
        let reason = "The task did not stop for an image-pull or resource-initialization failure.".to_string();
        return not_applicable(TaskSummary::from_task(&task, None), failure, reason, modes);
    }

    let snapshot = gather(reader, task).await;
    let Outcome { mut findings, passes } = checks::run(&snapshot);
    let VerdictOutcome { verdict, root_cause, reason } = checks::decide(&failure, &mut findings);
    let network = snapshot.network.as_ref().and_then(Fact::known);
    Report {
        schema: SCHEMA,
        verdict,
        verdict_reason: reason,
        task: TaskSummary::from_task(&snapshot.task, network),
        failure: FailureSummary::from(&failure),
        root_cause,
        findings,
        passed: passes,
        actions: Vec::new(),
        runbook: None,
        mode: modes,
        duplicate: false,
    }
}

fn task_not_found(arn: &TaskArn, modes: Modes) -> Report {
    let finding = Finding::new(
        Code::TaskNotFound,
        Severity::Info,
        arn.as_str(),
        format!(
            "ECS no longer knows task {} in cluster {}: stopped tasks are kept for about an hour.",
            arn.task_id,
            arn.cluster.as_deref().unwrap_or("default")
        ),
    )
    .evidence(json!({ "call": "ecs:DescribeTasks", "region": arn.region, "cluster": arn.cluster, "answer": "no such task" }))
    .remedy(
        "Diagnose from the task's ECS Task State Change event (--event), which carries the stop reason, or run the \
         doctor from the EventBridge rule so it sees every stop while the task can still be described. Check the \
         ARN's region and cluster (--region, --cluster) too.",
    );
    let reason = "The task can no longer be described, so its stop reason is unknown.".to_string();
    unexplained(summary_of_arn(arn), finding, reason, modes)
}

fn summary_of_arn(arn: &TaskArn) -> TaskSummary {
    TaskSummary { arn: Some(arn.to_string()), cluster: arn.cluster.clone(), ..Default::default() }
}

fn unexplained(task: TaskSummary, finding: Finding, reason: String, modes: Modes) -> Report {
    Report {
        schema: SCHEMA,
        verdict: Verdict::Inconclusive,
        verdict_reason: reason,
        task,
        failure: FailureSummary::from(&Failure::unknown()),
        root_cause: None,
        findings: vec![finding],
        passed: Vec::new(),
        actions: Vec::new(),
        runbook: None,
        mode: modes,
        duplicate: false,
    }
}

fn not_applicable(task: TaskSummary, failure: Failure, reason: String, modes: Modes) -> Report {
    Report {
        schema: SCHEMA,
        verdict: Verdict::NotApplicable,
        verdict_reason: reason,
        task,
        failure: FailureSummary::from(&failure),
        root_cause: None,
        findings: Vec::new(),
        passed: Vec::new(),
        actions: Vec::new(),
        runbook: None,
        mode: modes,
        duplicate: false,
    }
}
