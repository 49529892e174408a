//! Safe to leave on with apply: a payload is a claim that ECS must confirm before anything is
//! written; only what explains the failure is fixed, and never past a boundary, a service control
//! policy or a condition; fixes keep what is there and finish what an earlier apply began; no
//! credential from a stop reason is ever written out.

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::{Code, Risk, Severity};
use ecs_pull_doctor::engine;
use ecs_pull_doctor::handler::Handler;
use ecs_pull_doctor::intake::{self, ManualRequest, Payload};
use ecs_pull_doctor::report::{ActionStatus, Report, Style, render_text};
use ecs_pull_doctor::settings::{FixMode, Modes, RunbookMode};
use lambda_runtime::{Context, LambdaEvent};

use crate::common::{self, deadline};
use crate::support::account;
use crate::support::faults::{self, Fault};
use crate::support::scenario::{Builder, DefinitionSpec, NetworkSpec, RoleSpec, event_for};

fn apply(risks: &[Risk]) -> Modes {
    Modes {
        fix: FixMode::Apply,
        allow_fix: risks.to_vec(),
        runbook: RunbookMode::Never,
        ..Modes::command_line_default()
    }
}

async fn from_event(config: &aws_config::SdkConfig, event: serde_json::Value, modes: &Modes) -> Report {
    let payload = intake::parse_value(event).expect("an event");
    engine::diagnose(&AwsClients::new(config.clone()), payload, modes, deadline()).await
}

async fn log_group_exists(config: &aws_config::SdkConfig, name: &str) -> bool {
    let groups = aws_sdk_cloudwatchlogs::Client::new(config)
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    groups.log_groups().iter().any(|g| g.log_group_name() == Some(name))
}

#[tokio::test]
async fn a_forged_event_is_diagnosed_but_nothing_is_written() {
    let config = account("260000000001").await;
    let builder = Builder::new(&config).await;
    let task = builder.service_with_missing_log_group("forge").await;
    let genuine = event_for("logs-group-not-found", &task);
    let mut other_service = genuine.clone();
    other_service["detail"]["group"] = "service:internal-api".into();
    let mut other_subnet = genuine.clone();
    for pair in other_subnet["detail"]["attachments"][0]["details"]
        .as_array_mut()
        .unwrap()
    {
        if pair["name"] == "subnetId" {
            pair["value"] = "subnet-0123456789abcdef0".into();
        }
    }
    let mut no_such_task = genuine.clone();
    no_such_task["detail"]["taskArn"] = task
        .task_arn
        .rsplit_once('/')
        .map(|(head, _)| format!("{head}/ffffffffffffffffffffffffffffffff"))
        .unwrap()
        .into();

    for (what, event, why) in [
        ("another service", other_service, "group does not match"),
        ("another subnet", other_subnet, "subnet does not match"),
        ("a task that does not exist", no_such_task, "does not know the task"),
    ] {
        let report = from_event(&config, event, &apply(&[Risk::Safe])).await;
        assert_eq!(
            report.root_cause,
            Some(Code::LogGroupNotFound),
            "{what}: still diagnosed from the event: {report:#?}"
        );
        assert!(!report.actions.is_empty(), "{what}");
        for action in &report.actions {
            assert_eq!(action.status, ActionStatus::Skipped, "{what}: {action:#?}");
            assert!(action.detail.contains(why), "{what}: {}", action.detail);
        }
        assert!(
            !log_group_exists(&config, "/ecs/forge").await,
            "{what}: nothing written"
        );
    }
    // The genuine event, confirmed by ECS, is acted on.
    let report = from_event(&config, genuine, &apply(&[Risk::Safe])).await;
    assert_eq!(report.actions[0].status, ActionStatus::Applied, "{:#?}", report.actions);
    assert!(log_group_exists(&config, "/ecs/forge").await);
}

#[tokio::test]
async fn an_event_ecs_cannot_be_asked_about_is_not_acted_on() {
    let config = account("260000000008").await;
    let task = Builder::new(&config)
        .await
        .service_with_missing_log_group("unasked")
        .await;
    // The event path calls ecs:DescribeTasks only to confirm the task before acting: break it.
    let (broken, _) = faults::faulty(&config, Some(("ecs:DescribeTasks".into(), Fault::AccessDenied)));
    let payload = intake::parse_value(event_for("logs-group-not-found", &task)).expect("an event");
    let report = engine::diagnose(&AwsClients::new(broken), payload, &apply(&[Risk::Safe]), deadline()).await;
    assert_eq!(report.root_cause, Some(Code::LogGroupNotFound), "{report:#?}");
    assert_eq!(report.actions[0].status, ActionStatus::Skipped, "{:#?}", report.actions);
    assert!(
        report.actions[0]
            .detail
            .contains("ecs:DescribeTasks failed with AccessDeniedException"),
        "{}",
        report.actions[0].detail
    );
    assert!(!log_group_exists(&config, "/ecs/unasked").await, "nothing written");
}

#[tokio::test]
async fn only_the_cause_is_fixed_other_errors_keep_their_remedy() {
    // The tag is missing (the cause) and so is the log group (another error): only the cause's
    // finding could be fixed, and a missing tag has no fix, so nothing is planned.
    let config = account("260000000002").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let definition = DefinitionSpec {
        create_log_group: false,
        ..DefinitionSpec::default()
    };
    let image = format!("{repository}:9.9.9");
    let reason = format!(
        "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: not found"
    );
    let task = builder
        .fargate_task_with(
            "cause",
            &NetworkSpec::default(),
            &definition,
            &image,
            Some("web"),
            &reason,
        )
        .await;
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let report = engine::diagnose(
        &AwsClients::new(config.clone()),
        Payload::Manual(request),
        &apply(&[Risk::Safe]),
        deadline(),
    )
    .await;
    assert_eq!(report.root_cause, Some(Code::EcrImageNotFound), "{report:#?}");
    let log_group = report
        .findings
        .iter()
        .find(|f| f.code == Code::LogGroupNotFound)
        .expect("the other error is reported");
    assert!(
        log_group.fix.is_none() && log_group.remedy.contains("Create log group"),
        "{log_group:#?}"
    );
    assert_eq!(report.actions, vec![]);
    assert!(!log_group_exists(&config, "/ecs/cause").await);
}

async fn permissions_case(account_id: &str, role: RoleSpec) -> Report {
    let definition = DefinitionSpec {
        role,
        ..DefinitionSpec::default()
    };
    let reason = crate::identity::ECR_AUTH_DENIED.replace("ACCOUNT", account_id);
    let (config, task) = common::stopped(account_id, "app", NetworkSpec::default(), definition, &reason).await;
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let modes = Modes {
        fix: FixMode::DryRun,
        ..apply(&[Risk::Safe])
    };
    engine::diagnose(&AwsClients::new(config), Payload::Manual(request), &modes, deadline()).await
}

#[tokio::test]
async fn a_boundary_or_a_condition_gets_a_remedy_not_the_managed_policy() {
    let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#;
    let report = permissions_case("260000000003", RoleSpec::Bounded(boundary.into())).await;
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == Code::ExecutionRoleMissingEcrPermissions)
        .unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(
        finding.evidence["denied"][0]["decision"],
        "the permissions boundary does not allow it"
    );
    assert!(finding.remedy.contains("widen the boundary"), "{}", finding.remedy);
    assert!(finding.fix.is_none() && report.actions.is_empty(), "{report:#?}");

    let conditioned = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:*","logs:*"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0a1b2c3d"}}}]}"#;
    let report = permissions_case("260000000004", RoleSpec::Inline(vec![conditioned.into()])).await;
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == Code::ExecutionRoleMissingEcrPermissions)
        .unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!(
        finding.severity,
        Severity::Warning,
        "the condition decides, and the doctor cannot see it"
    );
    assert!(finding.remedy.contains("aws:SourceVpce"), "{}", finding.remedy);
    assert!(finding.fix.is_none() && report.actions.is_empty(), "{report:#?}");
}

#[tokio::test]
async fn the_trust_fix_keeps_every_statement_and_condition() {
    let account_id = "260000000005";
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"OtherAccountTasks","Effect":"Allow","Principal":{{"Service":"ecs-tasks.amazonaws.com"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:SourceAccount":"999999999999"}},"ArnLike":{{"aws:SourceArn":"arn:aws:ecs:us-east-1:999999999999:*"}}}}}},
            {{"Sid":"Ci","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account_id}:root"}},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    );
    let reason = format!(
        "ECS was unable to assume the role 'arn:aws:iam::{account_id}:role/app-execution' that was provided for this task."
    );
    let definition = DefinitionSpec {
        role: RoleSpec::Trust(trust.clone()),
        ..DefinitionSpec::default()
    };
    let (config, task) = common::stopped(account_id, "app", NetworkSpec::default(), definition, &reason).await;
    let request = || ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let report = engine::diagnose(
        &AwsClients::new(config.clone()),
        Payload::Manual(request()),
        &apply(&[Risk::Safe]),
        deadline(),
    )
    .await;
    assert_eq!(report.root_cause, Some(Code::ExecutionRoleTrustInvalid), "{report:#?}");
    assert_eq!(report.actions[0].status, ActionStatus::Applied, "{:#?}", report.actions);

    let role = aws_sdk_iam::Client::new(&config)
        .get_role()
        .role_name("app-execution")
        .send()
        .await
        .unwrap();
    let document = percent_encoding::percent_decode_str(role.role().unwrap().assume_role_policy_document().unwrap())
        .decode_utf8_lossy()
        .into_owned();
    let now: serde_json::Value = serde_json::from_str(&document).unwrap();
    let before: serde_json::Value = serde_json::from_str(&trust).unwrap();
    let statements = now["Statement"].as_array().unwrap();
    assert_eq!(
        &statements[..2],
        before["Statement"].as_array().unwrap().as_slice(),
        "every statement and condition kept"
    );
    assert_eq!(
        statements[2]["Condition"]["StringEquals"]["aws:SourceAccount"], account_id,
        "the added one is for this account only"
    );
    let after = engine::diagnose(
        &AwsClients::new(config),
        Payload::Manual(request()),
        &apply(&[Risk::Safe]),
        deadline(),
    )
    .await;
    assert!(
        after.findings.iter().all(|f| f.severity != Severity::Error),
        "{after:#?}"
    );
}

#[tokio::test]
async fn a_partial_cost_fix_is_finished_by_the_next_apply() {
    let spec = NetworkSpec {
        interface_endpoints: vec!["ecr.api", "logs"],
        ..NetworkSpec::default()
    };
    let (config, task) = common::stopped(
        "260000000006",
        "net",
        spec,
        DefinitionSpec::default(),
        crate::network::ECR_API_TIMEOUT,
    )
    .await;
    let request = || {
        Payload::Manual(ManualRequest {
            task: task.task_arn.parse().unwrap(),
            fix: None,
            runbook: None,
        })
    };
    // The first apply creates the endpoints' security group, then CreateVpcEndpoint is denied.
    let (broken, _) = faults::faulty(&config, Some(("ec2:CreateVpcEndpoint".into(), Fault::AccessDenied)));
    let first = engine::diagnose(&AwsClients::new(broken), request(), &apply(&[Risk::Cost]), deadline()).await;
    assert_eq!(first.root_cause, Some(Code::VpcEndpointMissing), "{first:#?}");
    assert_eq!(first.actions[0].status, ActionStatus::Failed, "{:#?}", first.actions);
    assert!(
        first.actions[0].detail.contains("ec2:CreateVpcEndpoint"),
        "{}",
        first.actions[0].detail
    );

    let second = engine::diagnose(
        &AwsClients::new(config.clone()),
        request(),
        &apply(&[Risk::Cost]),
        deadline(),
    )
    .await;
    assert_eq!(
        second.actions[0].status,
        ActionStatus::Applied,
        "the group the first made is carried on with: {:#?}",
        second.actions
    );
    let groups = aws_sdk_ec2::Client::new(&config)
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(format!("ecs-pull-doctor-endpoints-{}", task.network.vpc_id))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(groups.security_groups().len(), 1, "one group, not two");
    let third = engine::diagnose(&AwsClients::new(config), request(), &apply(&[Risk::Cost]), deadline()).await;
    assert!(
        third.findings.iter().all(|f| f.code != Code::VpcEndpointMissing),
        "{third:#?}"
    );
}

const SIGNED_LAYER: &str = "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQEXAMPLEEXAMPLE7%2F20261202%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261202T101010Z&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLETOKEN&X-Amz-SignedHeaders=host&X-Amz-Signature=5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7\": dial tcp 52.216.0.1:443: i/o timeout";

#[tokio::test]
async fn a_presigned_url_in_a_stop_reason_is_written_nowhere() {
    let config = account("260000000007").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let task = builder
        .fargate_task(
            "signed",
            &NetworkSpec {
                s3_on_task_route_table: false,
                ..NetworkSpec::default()
            },
            &format!("{repository}:1.0.0"),
            Some("web"),
            SIGNED_LAYER,
        )
        .await;
    let mut event = event_for("network-s3-layers-timeout", &task);
    event["detail"]["containers"][0]["reason"] = SIGNED_LAYER.into();
    let secrets = [
        "ASIAQEXAMPLEEXAMPLE7",
        "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
        "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7",
        "X-Amz-Signature=",
    ];

    let handler = Handler::new(
        AwsClients::new(config.clone()),
        Modes::lambda_default(),
        std::time::Duration::from_secs(900),
    );
    let from_event = handler
        .handle(LambdaEvent::new(event, Context::default()))
        .await
        .unwrap();
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let from_ecs = engine::diagnose(
        &AwsClients::new(config),
        Payload::Manual(request),
        &Modes::command_line_default(),
        deadline(),
    )
    .await;
    for report in [&from_event, &from_ecs] {
        assert!(
            report
                .failure
                .message
                .contains("starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4?REDACTED"),
            "{}",
            report.failure.message
        );
        let json = serde_json::to_string(report).unwrap();
        let text = render_text(report, Style::Plain);
        for secret in secrets {
            assert!(!json.contains(secret), "{secret} in the JSON report");
            assert!(!text.contains(secret), "{secret} in the text report");
        }
    }
}
