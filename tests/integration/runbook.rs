//! The AWS runbook: started when the doctor cannot decide, skipped when one is already running for the
//! service, reported when it fails, and not started again in a storm. SSM Automation goes through
//! aws-smithy-mocks (the emulator lacks it); everything else is the emulator.

use aws_sdk_ssm::operation::describe_automation_executions::DescribeAutomationExecutionsOutput;
use aws_sdk_ssm::operation::start_automation_execution::{
    StartAutomationExecutionError, StartAutomationExecutionOutput,
};
use aws_sdk_ssm::types::AutomationExecutionMetadata;
use aws_sdk_ssm::types::error::InvalidAutomationExecutionParametersException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::Verdict;
use ecs_pull_doctor::fixes::RunbookRoles;
use ecs_pull_doctor::fixes::runbook::{DOCUMENT, client_token};
use ecs_pull_doctor::handler::Handler;
use ecs_pull_doctor::report::{Report, RunbookStatus};
use ecs_pull_doctor::settings::{Modes, RunbookMode};
use lambda_runtime::{Context, LambdaEvent};

use crate::support::account;
use crate::support::scenario::{Builder, NetworkSpec, StoppedTask, event_for};

const AUTOMATION_ROLE: &str = "arn:aws:iam::330000000000:role/automation";

/// A healthy service whose task timed out once: the doctor finds nothing to blame.
async fn transient(account_id: &str) -> (aws_config::SdkConfig, StoppedTask) {
    let config = account(account_id).await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    // Stopped with the message of the event the tests send: the doctor confirms the two agree.
    let task = builder
        .fargate_task(
            "rb",
            &NetworkSpec::default(),
            &format!("{repository}:1.0.0"),
            Some("web"),
            crate::network::ECR_API_TIMEOUT,
        )
        .await;
    (config, task)
}

fn handler(config: &aws_config::SdkConfig, rules: &[&Rule]) -> Handler<AwsClients> {
    let ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, rules.iter().copied());
    let modes = Modes {
        runbook: RunbookMode::Inconclusive,
        runbook_roles: RunbookRoles {
            automation_assume_role: Some(AUTOMATION_ROLE.into()),
            lambda_role: None,
        },
        ..Modes::lambda_default()
    };
    Handler::new(
        AwsClients::new(config.clone()).with_ssm(ssm),
        modes,
        std::time::Duration::from_secs(900),
    )
}

async fn invoke(handler: &Handler<AwsClients>, task: &StoppedTask, version: i64) -> Report {
    let mut event = event_for("network-ecr-api-timeout", task);
    event["detail"]["version"] = version.into();
    handler
        .handle(LambdaEvent::new(event, Context::default()))
        .await
        .unwrap()
}

fn nothing_running() -> Rule {
    mock!(aws_sdk_ssm::Client::describe_automation_executions)
        .then_output(|| DescribeAutomationExecutionsOutput::builder().build())
}

#[tokio::test]
async fn an_inconclusive_diagnosis_starts_the_runbook_once_per_storm() {
    let (config, task) = transient("330000000001").await;
    let (cluster, task_id, token) = (
        task.cluster.clone(),
        task.task_arn.rsplit('/').next().unwrap().to_string(),
        client_token(&task.task_arn),
    );
    let running = nothing_running();
    let start = mock!(aws_sdk_ssm::Client::start_automation_execution)
        .match_requests(move |r| {
            let parameters = r.parameters().unwrap();
            r.document_name() == Some(DOCUMENT)
                && parameters["ClusterName"] == [cluster.clone()]
                && parameters["TaskId"] == [task_id.clone()]
                && parameters["AutomationAssumeRole"] == [AUTOMATION_ROLE.to_string()]
                && !parameters.contains_key("LambdaRoleArn")
                && r.client_token() == Some(token.as_str())
                && r.tags().iter().any(|t| t.key() == "ecs-pull-doctor:rb/service:web")
        })
        .then_output(|| {
            StartAutomationExecutionOutput::builder()
                .automation_execution_id("exec-1")
                .build()
        });
    let handler = handler(&config, &[&running, &start]);

    let first = invoke(&handler, &task, 5).await;
    assert_eq!(first.verdict, Verdict::Inconclusive, "{first:#?}");
    let runbook = first.runbook.expect("started");
    assert_eq!(
        (runbook.status, runbook.execution_id.as_deref()),
        (RunbookStatus::Started, Some("exec-1"))
    );
    assert_eq!(start.num_calls(), 1);

    // The service fails again a minute later: a new state change, not a repeated delivery.
    let second = invoke(&handler, &task, 6).await;
    assert!(!second.duplicate);
    let runbook = second.runbook.expect("reported");
    assert_eq!(runbook.status, RunbookStatus::Skipped);
    assert!(runbook.detail.contains("storm window"), "{}", runbook.detail);
    assert_eq!(start.num_calls(), 1, "not started again");
}

#[tokio::test]
async fn an_execution_in_progress_for_the_service_is_not_started_twice() {
    let (config, task) = transient("330000000002").await;
    let running = mock!(aws_sdk_ssm::Client::describe_automation_executions)
        .match_requests(|r| {
            r.filters()
                .iter()
                .any(|f| f.values() == ["ecs-pull-doctor:rb/service:web"])
        })
        .then_output(|| {
            DescribeAutomationExecutionsOutput::builder()
                .automation_execution_metadata_list(
                    AutomationExecutionMetadata::builder()
                        .automation_execution_id("exec-0")
                        .build(),
                )
                .build()
        });
    let start = mock!(aws_sdk_ssm::Client::start_automation_execution).then_output(|| {
        StartAutomationExecutionOutput::builder()
            .automation_execution_id("never")
            .build()
    });
    let handler = handler(&config, &[&running, &start]);

    let report = invoke(&handler, &task, 5).await;

    let runbook = report.runbook.expect("reported");
    assert_eq!(
        (runbook.status, runbook.execution_id.as_deref()),
        (RunbookStatus::AlreadyRunning, Some("exec-0"))
    );
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test]
async fn a_failed_start_is_reported() {
    let (config, task) = transient("330000000003").await;
    let running = nothing_running();
    let start = mock!(aws_sdk_ssm::Client::start_automation_execution).then_error(|| {
        StartAutomationExecutionError::InvalidAutomationExecutionParametersException(
            InvalidAutomationExecutionParametersException::builder()
                .message("TaskId is not the most recently failed task")
                .build(),
        )
    });
    let handler = handler(&config, &[&running, &start]);

    let report = invoke(&handler, &task, 5).await;

    let runbook = report.runbook.expect("reported");
    assert_eq!(runbook.status, RunbookStatus::Failed);
    assert!(
        runbook.detail.contains("InvalidAutomationExecutionParametersException"),
        "{}",
        runbook.detail
    );
    assert!(
        runbook.detail.contains("most recently failed task"),
        "{}",
        runbook.detail
    );
}

#[tokio::test]
async fn a_diagnosed_failure_does_not_start_the_runbook_when_it_runs_only_if_inconclusive() {
    let config = account("330000000004").await;
    let task = Builder::new(&config).await.service_with_missing_tag("rb").await;
    let running = nothing_running();
    let start = mock!(aws_sdk_ssm::Client::start_automation_execution).then_output(|| {
        StartAutomationExecutionOutput::builder()
            .automation_execution_id("never")
            .build()
    });
    let handler = handler(&config, &[&running, &start]);
    let report = handler
        .handle(LambdaEvent::new(
            event_for("image-tag-not-found", &task),
            Context::default(),
        ))
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Diagnosed);
    assert_eq!(report.runbook, None);
    assert_eq!(start.num_calls(), 0);
}
