//! Task context: the manual ARN path, the event path through the Lambda handler, and where the
//! security groups come from.

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::{Code, Severity, Verdict};
use ecs_pull_doctor::handler::Handler;
use ecs_pull_doctor::settings::Modes;
use lambda_runtime::{Context, LambdaEvent};

const STORM: std::time::Duration = std::time::Duration::from_secs(900);

use crate::registry::diagnose_by_arn;
use crate::support::account;
use crate::support::scenario::{Builder, NetworkSpec, event_for};

#[tokio::test]
async fn the_lambda_handler_diagnoses_the_event_and_recognises_a_repeat() {
    let config = account("200000000011").await;
    let task = Builder::new(&config).await.service_with_missing_tag("cart").await;
    let handler = Handler::new(AwsClients::new(config.clone()), Modes::lambda_default(), STORM);
    let event = event_for("image-tag-not-found", &task);

    let report = handler
        .handle(LambdaEvent::new(event.clone(), Context::default()))
        .await
        .unwrap();

    assert_eq!(report.verdict, Verdict::Diagnosed, "{report:#?}");
    assert_eq!(report.root_cause, Some(Code::EcrImageNotFound));
    assert!(!report.duplicate);
    // The event's container reason, not the task's "Task failed to start", is the message.
    assert!(
        report.failure.message.contains("failed to resolve ref"),
        "{}",
        report.failure.message
    );
    assert_eq!(report.task.service.as_deref(), Some("web"));
    assert_eq!(
        report.task.security_groups,
        vec![task.network.security_group_id.clone()],
        "from the service"
    );
    assert_eq!(report.task.subnets, vec![task.network.subnet_id.clone()]);
    assert_eq!(report.task.assign_public_ip, Some(false));

    let again = handler
        .handle(LambdaEvent::new(event, Context::default()))
        .await
        .unwrap();
    assert!(again.duplicate, "same task, same detail.version");
    assert_eq!(again.root_cause, report.root_cause);
}

#[tokio::test]
async fn the_lambda_handler_rejects_bad_input_with_a_diagnostic() {
    let config = account("200000000012").await;
    let handler = Handler::new(AwsClients::new(config), Modes::lambda_default(), STORM);
    let error = handler
        .handle(LambdaEvent::new(
            serde_json::json!({"taskArn": "arn:aws:ecs:us-east-1:200000000012:cluster/x"}),
            Context::default(),
        ))
        .await
        .unwrap_err();
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "InvalidInput");
    assert!(
        diagnostic.error_message.contains("is not an ECS task ARN"),
        "{}",
        diagnostic.error_message
    );
}

#[tokio::test]
async fn a_task_ecs_no_longer_knows_is_task_not_found() {
    let config = account("200000000013").await;
    let builder = Builder::new(&config).await;
    aws_sdk_ecs::Client::new(&config)
        .create_cluster()
        .cluster_name("gone")
        .send()
        .await
        .unwrap();
    let arn = format!(
        "arn:aws:ecs:us-east-1:{}:task/gone/0123456789abcdef0123456789abcdef",
        builder.account
    );
    let handler = Handler::new(AwsClients::new(config), Modes::lambda_default(), STORM);

    let report = handler
        .handle(LambdaEvent::new(
            serde_json::json!({ "taskArn": arn }),
            Context::default(),
        ))
        .await
        .unwrap();

    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].code, Code::TaskNotFound);
    assert_eq!(report.findings[0].severity, Severity::Info);
    assert_eq!(report.findings[0].resource, arn);
}

#[tokio::test]
async fn a_standalone_task_takes_its_security_groups_from_its_network_interface() {
    let config = account("200000000014").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("batch/job", &["1"]).await;
    let image = format!("{repository}:2");
    let reason = format!(
        "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: not found"
    );
    let task = builder
        .fargate_task("batch", &NetworkSpec::default(), &image, None, &reason)
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(report.task.service, None);
    assert_eq!(
        report.task.security_groups,
        vec![task.network.security_group_id.clone()],
        "from the ENI"
    );
    assert_eq!(report.root_cause, Some(Code::EcrImageNotFound));
}

#[tokio::test]
async fn an_event_of_a_healthy_stop_is_not_applicable() {
    let config = account("200000000015").await;
    let task = Builder::new(&config).await.service_with_missing_tag("calm").await;
    let handler = Handler::new(AwsClients::new(config), Modes::lambda_default(), STORM);

    let report = handler
        .handle(LambdaEvent::new(
            event_for("healthy-stopped", &task),
            Context::default(),
        ))
        .await
        .unwrap();

    assert_eq!(report.verdict, Verdict::NotApplicable);
    assert!(
        report.findings.is_empty() && report.passed.is_empty(),
        "nothing was gathered"
    );
}

#[tokio::test]
async fn the_lambda_handler_reports_before_the_invocation_times_out_when_aws_stalls() {
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_sts::config::Credentials;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(crate::support::stalled_endpoint().await)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "stalled"))
        .load()
        .await;
    let handler = Handler::new(AwsClients::new(config), Modes::lambda_default(), STORM);
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("events/image-tag-not-found.json").unwrap()).unwrap();
    // Five seconds left in the invocation: the diagnosis gets them less the margin for the report.
    let mut context = Context::default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    context.deadline = u64::try_from((now + std::time::Duration::from_secs(5)).as_millis()).unwrap();

    let started = std::time::Instant::now();
    let report = handler.handle(LambdaEvent::new(event, context)).await.unwrap();

    let took = started.elapsed();
    let budget = std::time::Duration::from_secs(5) - ecs_pull_doctor::handler::REPORT_MARGIN;
    assert!(
        took < budget + std::time::Duration::from_millis(1000),
        "{took:?} for a {budget:?} budget"
    );
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report:#?}");
    let cut: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.evidence["errorCode"] == "Deadline")
        .collect();
    assert!(
        !cut.is_empty()
            && cut
                .iter()
                .all(|f| f.code == Code::CheckFailed && f.severity == Severity::Info),
        "{report:#?}"
    );
}
