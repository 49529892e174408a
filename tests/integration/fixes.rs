//! Safe fixes in the emulator: dry-run plans a fix, apply makes exactly those calls, the next
//! diagnosis finds the cause gone, and applying again changes nothing.

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::{Code, Risk, Severity};
use ecs_pull_doctor::engine;
use ecs_pull_doctor::intake::{ManualRequest, Payload};
use ecs_pull_doctor::report::{ActionStatus, Report};
use ecs_pull_doctor::settings::{FixMode, Modes, RunbookMode};

use crate::common::deadline;
use crate::support::scenario::{DefinitionSpec, NetworkSpec, RoleSpec, StoppedTask};

async fn diagnose(config: &aws_config::SdkConfig, task: &StoppedTask, fix: FixMode) -> Report {
    diagnose_allowing(config, task, fix, &[Risk::Safe]).await
}

async fn diagnose_allowing(config: &aws_config::SdkConfig, task: &StoppedTask, fix: FixMode, risks: &[Risk]) -> Report {
    let modes = Modes {
        fix,
        allow_fix: risks.to_vec(),
        runbook: RunbookMode::Never,
        ..Modes::command_line_default()
    };
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    engine::diagnose(
        &AwsClients::new(config.clone()),
        Payload::Manual(request),
        &modes,
        deadline(),
    )
    .await
}

/// The whole cycle for a task whose root cause is `code`, cured by one safe fix.
async fn cure(config: &aws_config::SdkConfig, task: &StoppedTask, code: Code) {
    cure_with(config, task, code, Risk::Safe).await
}

/// The cycle for a fix of class `risk`, which is the only class allowed.
async fn cure_with(config: &aws_config::SdkConfig, task: &StoppedTask, code: Code, risk: Risk) {
    let diagnose = |fix| diagnose_allowing(config, task, fix, std::slice::from_ref(&risk));
    let before = diagnose(FixMode::DryRun).await;
    assert_eq!(before.root_cause, Some(code), "{before:#?}");
    let fix = before.findings[0].fix.clone().expect("the root cause has a fix");
    assert_eq!(fix.risk, risk);
    assert_eq!(before.actions.len(), 1, "{:#?}", before.actions);
    assert_eq!(before.actions[0].status, ActionStatus::Planned);
    assert_eq!(before.actions[0].fix, fix.id);

    let applied = diagnose(FixMode::Apply).await;
    assert_eq!(applied.actions.len(), 1, "{:#?}", applied.actions);
    assert_eq!(
        applied.actions[0].status,
        ActionStatus::Applied,
        "{:#?}",
        applied.actions[0]
    );
    assert_eq!(
        applied.actions[0].calls, before.actions[0].calls,
        "dry-run reports exactly the calls apply makes"
    );

    let after = diagnose(FixMode::Apply).await;
    let errors: Vec<Code> = after
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect();
    assert_eq!(errors, vec![], "cured: {after:#?}");
    assert_eq!(after.actions, vec![], "a second apply changes nothing");
}

const ECR_TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or registry auth: operation error ECR: GetAuthorizationToken, request send failed, Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.2.9:443: i/o timeout";
const LAYERS_TIMEOUT: &str = "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2\": dial tcp 52.216.0.1:443: i/o timeout";

async fn broken(
    account_id: &str,
    network: NetworkSpec,
    definition: DefinitionSpec,
    reason: &str,
) -> (aws_config::SdkConfig, StoppedTask) {
    crate::common::stopped(account_id, "fix", network, definition, reason).await
}

#[tokio::test]
async fn creates_the_missing_log_group() {
    let definition = DefinitionSpec {
        create_log_group: false,
        ..DefinitionSpec::default()
    };
    let reason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1";
    let (config, task) = broken("230000000001", NetworkSpec::default(), definition, reason).await;
    cure(&config, &task, Code::LogGroupNotFound).await;
    let arn = format!("arn:aws:logs:us-east-1:{}:log-group:/ecs/fix", task.account);
    let tags = aws_sdk_cloudwatchlogs::Client::new(&config)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags()
            .and_then(|t| t.get("ecs-pull-doctor:fix"))
            .map(String::as_str),
        Some("create-log-group:/ecs/fix"),
        "tagged"
    );
}

#[tokio::test]
async fn adds_the_route_table_to_the_s3_gateway_endpoint() {
    let network = NetworkSpec {
        s3_on_task_route_table: false,
        ..NetworkSpec::default()
    };
    let (config, task) = broken("230000000002", network, DefinitionSpec::default(), LAYERS_TIMEOUT).await;
    cure(&config, &task, Code::S3GatewayRouteMissing).await;
}

#[tokio::test]
async fn adds_the_layer_bucket_to_the_s3_endpoint_policy() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Artifacts","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::company-artifacts/*"}]}"#;
    let network = NetworkSpec {
        s3_policy: Some(policy.into()),
        ..NetworkSpec::default()
    };
    let (config, task) = broken("230000000003", network, DefinitionSpec::default(), LAYERS_TIMEOUT).await;
    cure(&config, &task, Code::S3EndpointPolicyBlocksLayers).await;
    let endpoints = aws_sdk_ec2::Client::new(&config)
        .describe_vpc_endpoints()
        .send()
        .await
        .unwrap();
    let s3 = endpoints
        .vpc_endpoints()
        .iter()
        .find(|e| e.service_name().is_some_and(|s| s.ends_with(".s3")))
        .unwrap();
    let document: serde_json::Value = serde_json::from_str(s3.policy_document().unwrap()).unwrap();
    assert_eq!(document["Statement"][0]["Sid"], "Artifacts", "nothing removed");
}

#[tokio::test]
async fn creates_a_free_s3_gateway_endpoint() {
    let network = NetworkSpec {
        s3_gateway: false,
        ..NetworkSpec::default()
    };
    let (config, task) = broken("230000000004", network, DefinitionSpec::default(), LAYERS_TIMEOUT).await;
    cure(&config, &task, Code::VpcEndpointMissing).await;
}

#[tokio::test]
async fn adds_ecs_tasks_to_the_trust_policy() {
    let definition = DefinitionSpec {
        role: RoleSpec::TrustsEc2,
        ..DefinitionSpec::default()
    };
    let reason = "ECS was unable to assume the role 'arn:aws:iam::230000000005:role/fix-execution' that was provided for this task.";
    let (config, task) = broken("230000000005", NetworkSpec::default(), definition, reason).await;
    cure(&config, &task, Code::ExecutionRoleTrustInvalid).await;
}

#[tokio::test]
async fn attaches_the_execution_role_policy() {
    let definition = DefinitionSpec { role: RoleSpec::Inline(vec![r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*"}]}"#.into()]), ..DefinitionSpec::default() };
    // Only a fix for what explains the failure is made: here the message is the role's denied token.
    let (config, task) = broken(
        "230000000006",
        NetworkSpec::default(),
        definition,
        &crate::identity::ECR_AUTH_DENIED.replace("ACCOUNT", "230000000006"),
    )
    .await;
    let report = diagnose(&config, &task, FixMode::Off).await;
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == Code::ExecutionRoleMissingEcrPermissions),
        "{report:#?}"
    );
    assert_eq!(report.actions, vec![], "fix mode off plans nothing");
    let applied = diagnose(&config, &task, FixMode::Apply).await;
    assert_eq!(applied.actions.len(), 1);
    assert_eq!(applied.actions[0].status, ActionStatus::Applied);
    let after = diagnose(&config, &task, FixMode::Apply).await;
    assert!(
        after.findings.iter().all(|f| f.severity != Severity::Error),
        "{after:#?}"
    );
    assert_eq!(after.actions, vec![]);
}

#[tokio::test]
async fn only_allowed_risk_classes_are_acted_on() {
    let definition = DefinitionSpec {
        create_log_group: false,
        ..DefinitionSpec::default()
    };
    let (config, task) = broken("230000000007", NetworkSpec::default(), definition, "ResourceInitializationError: failed to validate logger args: ResourceNotFoundException: The specified log group does not exist.").await;
    let modes = Modes {
        fix: FixMode::Apply,
        allow_fix: vec![Risk::Cost],
        runbook: RunbookMode::Never,
        ..Modes::command_line_default()
    };
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let report = engine::diagnose(
        &AwsClients::new(config.clone()),
        Payload::Manual(request),
        &modes,
        deadline(),
    )
    .await;
    assert!(report.findings[0].fix.is_some(), "the fix is still shown");
    assert_eq!(report.actions, vec![], "safe is not allowed here");
}

#[tokio::test]
async fn creates_missing_interface_endpoints_when_cost_is_allowed() {
    let network = NetworkSpec {
        interface_endpoints: vec!["ecr.dkr", "logs"],
        ..NetworkSpec::default()
    };
    let (config, task) = broken("230000000008", network, DefinitionSpec::default(), ECR_TIMEOUT).await;
    let safe_only = diagnose(&config, &task, FixMode::Apply).await;
    assert_eq!(safe_only.findings[0].fix.as_ref().map(|f| f.risk), Some(Risk::Cost));
    assert_eq!(safe_only.actions, vec![], "cost is not allowed by default");
    cure_with(&config, &task, Code::VpcEndpointMissing, Risk::Cost).await;
    let endpoints = aws_sdk_ec2::Client::new(&config)
        .describe_vpc_endpoints()
        .send()
        .await
        .unwrap();
    let created = endpoints
        .vpc_endpoints()
        .iter()
        .find(|e| e.service_name() == Some("com.amazonaws.us-east-1.ecr.api"))
        .expect("created");
    assert_eq!(created.private_dns_enabled(), Some(true));
    assert!(
        created.tags().iter().any(|t| t.key() == Some("ecs-pull-doctor:fix")),
        "tagged"
    );
}

#[tokio::test]
async fn allows_https_egress_when_exposure_is_allowed() {
    let network = NetworkSpec {
        task_egress_443: false,
        ..NetworkSpec::default()
    };
    let (config, task) = broken("230000000009", network, DefinitionSpec::default(), ECR_TIMEOUT).await;
    cure_with(&config, &task, Code::SecurityGroupBlocksEgress, Risk::Exposure).await;
    let groups = aws_sdk_ec2::Client::new(&config)
        .describe_security_groups()
        .group_ids(&task.network.security_group_id)
        .send()
        .await
        .unwrap();
    let egress = groups.security_groups()[0].ip_permissions_egress();
    assert!(
        egress
            .iter()
            .all(|p| p.ip_ranges().iter().all(|r| r.cidr_ip() != Some("0.0.0.0/0")) || p.from_port() == Some(80)),
        "only the endpoints and S3, never everyone: {egress:#?}"
    );
}

#[tokio::test]
async fn assigns_a_public_ip_when_exposure_is_allowed() {
    let network = NetworkSpec {
        internet: crate::support::scenario::Internet::Gateway,
        ..NetworkSpec::isolated()
    };
    let (config, task) = broken("230000000010", network, DefinitionSpec::default(), ECR_TIMEOUT).await;
    cure_with(&config, &task, Code::PublicIpNotAssigned, Risk::Exposure).await;
    let services = aws_sdk_ecs::Client::new(&config)
        .describe_services()
        .cluster(&task.cluster)
        .services("web")
        .send()
        .await
        .unwrap();
    let vpc = services.services()[0]
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(
        vpc.assign_public_ip(),
        Some(&aws_sdk_ecs::types::AssignPublicIp::Enabled)
    );
    assert_eq!(
        vpc.subnets(),
        std::slice::from_ref(&task.network.subnet_id),
        "subnets kept"
    );
    let arn = services.services()[0].service_arn().unwrap();
    let tags = aws_sdk_ecs::Client::new(&config)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags().iter().any(|t| t.key() == Some("ecs-pull-doctor:fix")),
        "tagged: {tags:?}"
    );
}

#[tokio::test]
async fn redeploys_the_service_after_an_applied_fix_when_asked() {
    let definition = DefinitionSpec {
        create_log_group: false,
        ..DefinitionSpec::default()
    };
    let (config, task) = broken("230000000011", NetworkSpec::default(), definition, "ResourceInitializationError: failed to validate logger args: ResourceNotFoundException: The specified log group does not exist.").await;
    let modes = |fix| Modes {
        fix,
        redeploy: true,
        ..Modes::command_line_default()
    };
    let request = || {
        Payload::Manual(ManualRequest {
            task: task.task_arn.parse().unwrap(),
            fix: None,
            runbook: None,
        })
    };
    let reader = AwsClients::new(config.clone());
    let planned = engine::diagnose(&reader, request(), &modes(FixMode::DryRun), deadline()).await;
    let applied = engine::diagnose(&reader, request(), &modes(FixMode::Apply), deadline()).await;
    let ids = |report: &Report| {
        report
            .actions
            .iter()
            .map(|a| (a.fix.clone(), a.calls.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&planned), ids(&applied), "the plan shows the redeploy too");
    assert_eq!(applied.actions[1].fix, "redeploy:fix/web");
    assert_eq!(
        applied.actions[1].status,
        ActionStatus::Applied,
        "{:#?}",
        applied.actions[1]
    );
}
