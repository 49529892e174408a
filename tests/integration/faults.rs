//! The fault suite: for broken environments of each family, every AWS operation a diagnosis makes is
//! made to fail in every way AWS fails (throttling, AccessDenied, a server error, a body that does not
//! parse, no answer at all), one operation at a time, while the rest answer from the emulator.
//!
//! Each run must give a report that names the failed call in a CHECK_FAILED finding, raise no error
//! finding the clean run did not have, and keep the clean run's root cause or name none. A stalled
//! call must not hold the report past the deadline. `make test` prints the counts.

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use ecs_pull_doctor::adapters::aws::{AwsClients, CallLimits};
use ecs_pull_doctor::checks::{Code, Severity};
use ecs_pull_doctor::engine;
use ecs_pull_doctor::facts::Deadline;
use ecs_pull_doctor::intake::{ManualRequest, Payload};
use ecs_pull_doctor::report::Report;
use ecs_pull_doctor::settings::Modes;

use crate::common;
use crate::support::account;
use crate::support::faults::{self, Fault, Recorded};
use crate::support::scenario::{
    Builder, DefinitionSpec, EfsSpec, EnvFileSpec, Internet, NetworkSpec, RoleSpec, StoppedTask,
};

/// Short enough that a stalled call ends in about two seconds, long enough for a busy emulator (a
/// call it times out by mistake only adds a CHECK_FAILED, which the assertions allow).
fn limits() -> CallLimits {
    CallLimits {
        connect: Duration::from_secs(1),
        attempt: Duration::from_secs(1),
        operation: Duration::from_secs(2),
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

const DEADLINE: Duration = Duration::from_secs(4);
/// What a report may take beyond its deadline: the checks and the report itself.
const SLACK: Duration = Duration::from_millis(1500);

async fn diagnose(
    config: &SdkConfig,
    task: &StoppedTask,
    fault: Option<(String, Fault)>,
    limits: CallLimits,
    budget: Duration,
) -> (Report, Recorded, Duration) {
    let (config, recorded) = faults::faulty(config, fault);
    let reader = AwsClients::with_limits(config, limits);
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let started = Instant::now();
    let report = engine::diagnose(
        &reader,
        Payload::Manual(request),
        &Modes::command_line_default(),
        Deadline::after(budget),
    )
    .await;
    (report, recorded, started.elapsed())
}

fn errors(report: &Report) -> Vec<(Code, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.code, f.resource.clone()))
        .collect()
}

/// What one scenario's runs came to.
#[derive(Default)]
struct Tally {
    runs: usize,
    reports: usize,
    named: usize,
    /// Runs in which a call before the broken one failed by itself (a busy emulator), so the broken
    /// one was never sent; that earlier failure must be named instead.
    not_reached: usize,
    false_errors: usize,
    wrong_roots: usize,
    late: usize,
    problems: Vec<String>,
}

/// That a clean diagnosis makes `calls`, so that break_each_call breaks them.
async fn assert_makes(config: &SdkConfig, task: &StoppedTask, calls: &[&str]) {
    let (_, recorded, _) = diagnose(config, task, None, CallLimits::default(), Duration::from_secs(60)).await;
    for call in calls {
        assert!(
            recorded.distinct().iter().any(|c| c == call),
            "{call} is among the calls broken: {:?}",
            recorded.distinct()
        );
    }
}

async fn break_each_call(name: &str, config: SdkConfig, task: StoppedTask, expected_root: Code) {
    let (clean, recorded, _) = diagnose(&config, &task, None, CallLimits::default(), Duration::from_secs(60)).await;
    assert_eq!(
        clean.root_cause,
        Some(expected_root),
        "the clean run of {name}: {clean:#?}"
    );
    let clean_errors = errors(&clean);
    let operations = recorded.distinct();
    assert!(
        operations.len() >= 10,
        "{name} makes the diagnosis's calls: {operations:?}"
    );

    let mut tally = Tally::default();
    for operation in &operations {
        for fault in Fault::ALL {
            tally.runs += 1;
            let (report, sent, took) =
                diagnose(&config, &task, Some((operation.clone(), fault)), limits(), DEADLINE).await;
            // A report a person or a pipeline can use: the contract's schema, and a verdict with its reason.
            let shown = serde_json::to_value(&report).expect("reports serialise");
            if shown["schema"] == "ecs-pull-doctor/report/v1"
                && shown["verdict"].is_string()
                && !report.verdict_reason.is_empty()
            {
                tally.reports += 1;
            } else {
                tally
                    .problems
                    .push(format!("{operation} {fault:?}: not a whole report: {shown:#}"));
            }
            let what = format!("{operation} {fault:?}");
            let gaps: Vec<&serde_json::Value> = report
                .findings
                .iter()
                .filter(|f| f.code == Code::CheckFailed)
                .map(|f| &f.evidence["call"])
                .collect();
            if gaps.iter().any(|call| *call == operation.as_str()) {
                tally.named += 1;
            } else if !sent.operations().contains(operation) && !gaps.is_empty() {
                tally.not_reached += 1;
            } else {
                tally.problems.push(format!(
                    "{what}: no CHECK_FAILED names the call; findings: {:?}",
                    report
                        .findings
                        .iter()
                        .map(|f| (f.code, &f.evidence["call"]))
                        .collect::<Vec<_>>()
                ));
            }
            let invented: Vec<(Code, String)> = errors(&report)
                .into_iter()
                .filter(|e| !clean_errors.contains(e))
                .collect();
            if !invented.is_empty() {
                tally.false_errors += invented.len();
                tally
                    .problems
                    .push(format!("{what}: errors the clean run did not have: {invented:?}"));
            }
            if report.root_cause.is_some() && report.root_cause != clean.root_cause {
                tally.wrong_roots += 1;
                tally.problems.push(format!(
                    "{what}: root cause {:?}, clean {:?}",
                    report.root_cause, clean.root_cause
                ));
            }
            if took > DEADLINE + SLACK {
                tally.late += 1;
                tally.problems.push(format!(
                    "{what}: the report took {took:?}, past the {DEADLINE:?} deadline"
                ));
            }
        }
    }
    println!(
        "fault suite, {name}: {} operations x {} kinds = {} runs, {} reports, {} with the failed call named in CHECK_FAILED \
         ({} not reached: an earlier call failed by itself and is named), {} false errors, {} other root causes, {} past the deadline",
        operations.len(),
        Fault::ALL.len(),
        tally.runs,
        tally.reports,
        tally.named,
        tally.not_reached,
        tally.false_errors,
        tally.wrong_roots,
        tally.late
    );
    assert!(tally.problems.is_empty(), "{name}:\n{}", tally.problems.join("\n"));
}

#[tokio::test]
async fn faults_network_missing_endpoint() {
    let spec = NetworkSpec {
        interface_endpoints: vec!["ecr.api", "logs"],
        ..NetworkSpec::default()
    };
    let (config, task) = common::stopped(
        "250000000001",
        "net",
        spec,
        DefinitionSpec::default(),
        crate::network::ECR_API_TIMEOUT,
    )
    .await;
    break_each_call("network (VPC_ENDPOINT_MISSING)", config, task, Code::VpcEndpointMissing).await;
}

#[tokio::test]
async fn faults_network_deleted_nat() {
    let spec = NetworkSpec {
        internet: Internet::DeletedNat,
        ..NetworkSpec::isolated()
    };
    let (config, task) = common::stopped(
        "250000000002",
        "nat",
        spec,
        DefinitionSpec::default(),
        crate::network::ECR_API_TIMEOUT,
    )
    .await;
    break_each_call(
        "network (NAT_GATEWAY_UNAVAILABLE)",
        config,
        task,
        Code::NatGatewayUnavailable,
    )
    .await;
}

#[tokio::test]
async fn faults_identity_missing_ecr_permissions() {
    let logs_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;
    let definition = DefinitionSpec {
        role: RoleSpec::Inline(vec![logs_only.into()]),
        ..DefinitionSpec::default()
    };
    let (config, task) = common::stopped(
        "250000000003",
        "app",
        NetworkSpec::default(),
        definition,
        crate::identity::ECR_AUTH_DENIED,
    )
    .await;
    break_each_call(
        "identity (EXECUTION_ROLE_MISSING_ECR_PERMISSIONS)",
        config,
        task,
        Code::ExecutionRoleMissingEcrPermissions,
    )
    .await;
}

#[tokio::test]
async fn faults_registry_missing_tag() {
    let config = account("250000000004").await;
    let task = Builder::new(&config).await.service_with_missing_tag("shop").await;
    break_each_call("registry (ECR_IMAGE_NOT_FOUND)", config, task, Code::EcrImageNotFound).await;
}

#[tokio::test]
async fn faults_secrets_missing_secret() {
    let missing = "arn:aws:secretsmanager:us-east-1:250000000005:secret:db-AbCdEf";
    let definition = DefinitionSpec {
        secrets: vec![("DB".into(), missing.into())],
        ..DefinitionSpec::default()
    };
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    );
    let (config, task) = common::stopped("250000000005", "app", NetworkSpec::nat(), definition, &reason).await;
    break_each_call("secrets (SECRET_NOT_FOUND)", config, task, Code::SecretNotFound).await;
}

/// The calls added for prefix lists and KMS aliases: a task group whose only 443 egress names a
/// customer-managed prefix list, and a secret whose key is named by alias and the role may not use.
#[tokio::test]
async fn faults_prefix_list_and_kms_alias() {
    let config = account("250000000007").await;
    let builder = Builder::new(&config).await;
    let (arn, _) = builder.secret_under_alias("db", "alias/app-secrets").await;
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"{arn}"}}]}}"#
    );
    let definition = DefinitionSpec {
        role: RoleSpec::StandardPlus(vec![allow]),
        secrets: vec![("DB".into(), arn.clone())],
        ..DefinitionSpec::default()
    };
    let network = NetworkSpec {
        egress_to_customer_list: Some(vec!["10.0.0.0/16"]),
        ..NetworkSpec::default()
    };
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {arn} from secrets manager: AccessDeniedException: Access to KMS is not allowed"
    );
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let task = builder
        .fargate_task_with(
            "app",
            &network,
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await;
    break_each_call(
        "secrets (kms:Decrypt behind an alias, egress by prefix list)",
        config,
        task,
        Code::ExecutionRoleMissingSecretsPermissions,
    )
    .await;
}

/// The EFS calls: a volume whose mount target's security group does not admit NFS from the task,
/// mounted through an access point with IAM authorization (so the task role's calls are broken too).
#[tokio::test]
async fn faults_efs_volume() {
    let mount = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*"}]}"#;
    let definition = DefinitionSpec {
        efs: Some(EfsSpec::Served {
            admit: false,
            policy: None,
        }),
        task_role: Some(RoleSpec::Inline(vec![mount.into()])),
        efs_access_point: true,
        ..DefinitionSpec::default()
    };
    let reason = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: Connection reset by peer' : unsuccessful EFS utils command execution; code: 32";
    let (config, task) = common::stopped("250000000008", "vol", NetworkSpec::default(), definition, reason).await;
    assert_makes(
        &config,
        &task,
        &["elasticfilesystem:DescribeAccessPoints", "iam:GetRolePolicy"],
    )
    .await;
    break_each_call(
        "volumes (EFS_SECURITY_GROUP_BLOCKS_NFS)",
        config,
        task,
        Code::EfsSecurityGroupBlocksNfs,
    )
    .await;
}

/// The S3 calls: an environment file the execution role may not read.
#[tokio::test]
async fn faults_env_file() {
    let definition = DefinitionSpec {
        env_file: Some(EnvFileSpec::Present { bucket_policy: None }),
        ..DefinitionSpec::default()
    };
    let reason = "ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): AccessDenied: Access Denied status code: 403";
    let (config, task) = common::stopped("250000000009", "env", NetworkSpec::default(), definition, reason).await;
    break_each_call(
        "env files (ENV_FILE_ACCESS_DENIED)",
        config,
        task,
        Code::EnvFileAccessDenied,
    )
    .await;
}

/// The pull-through cache calls: a first pull through a rule whose upstream credential ECR cannot use.
#[tokio::test]
async fn faults_pull_through_cache() {
    let (config, task) = crate::pull_through::first_pull_with_bad_credential("250000000010").await;
    assert_makes(
        &config,
        &task,
        &["ecr:DescribePullThroughCacheRules", "ecr:ValidatePullThroughCacheRule"],
    )
    .await;
    break_each_call(
        "pull-through cache (PULL_THROUGH_CACHE_UPSTREAM_AUTH_FAILED)",
        config,
        task,
        Code::PullThroughCacheUpstreamAuthFailed,
    )
    .await;
}

/// With SDK timeouts longer than the whole budget, the deadline alone ends a stalled call.
#[tokio::test]
async fn faults_a_stall_longer_than_the_sdk_timeouts_ends_at_the_deadline() {
    let config = account("250000000006").await;
    let task = Builder::new(&config).await.service_with_missing_tag("shop").await;
    let patient = CallLimits {
        attempt: Duration::from_secs(60),
        operation: Duration::from_secs(120),
        ..CallLimits::default()
    };
    let budget = Duration::from_secs(2);
    for operation in [
        "ecs:DescribeTaskDefinition",
        "ec2:DescribeNetworkAcls",
        "ecr:BatchGetImage",
        "iam:GetRole",
    ] {
        let (report, _, took) = diagnose(
            &config,
            &task,
            Some((operation.to_string(), Fault::Stall)),
            patient,
            budget,
        )
        .await;
        assert!(took < budget + SLACK, "{operation}: {took:?}");
        let cut = report
            .findings
            .iter()
            .find(|f| f.evidence["call"] == operation)
            .unwrap_or_else(|| panic!("{operation} named: {report:#?}"));
        assert_eq!(cut.evidence["errorCode"], "Deadline", "{operation}");
    }
}

/// The pre-flight under faults: a service whose next task would fail for a missing tag, every call of
/// its check broken in turn. A report names the broken call (or, for the service itself, the check
/// is refused naming it), raises no error the clean run lacks, and keeps its root cause or names none.
#[tokio::test]
async fn faults_preflight_check() {
    use ecs_pull_doctor::preflight::{self, PreflightError, Subject};
    let config = account("250000000011").await;
    let task = Builder::new(&config).await.service_with_missing_tag("pre").await;
    // A lifecycle policy, so that the images it counts are read (and broken) too.
    let policy = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":50},"action":{"type":"expire"}}]}"#;
    aws_sdk_ecr::Client::new(&config)
        .put_lifecycle_policy()
        .repository_name("shop/web")
        .lifecycle_policy_text(policy)
        .send()
        .await
        .unwrap();
    let subject = Subject::Service {
        region: crate::support::REGION.into(),
        cluster: task.cluster.clone(),
        service: task.service.clone().unwrap(),
    };
    let run = |fault: Option<(String, Fault)>, limits: CallLimits| {
        let (faulty, recorded) = faults::faulty(&config, fault);
        let subject = subject.clone();
        async move {
            let started = Instant::now();
            let checked = preflight::check(
                &AwsClients::with_limits(faulty, limits),
                &subject,
                Deadline::after(DEADLINE),
            )
            .await;
            (checked, recorded, started.elapsed())
        }
    };
    let (clean, recorded, _) = run(None, CallLimits::default()).await;
    let clean = clean.expect("the clean check reports");
    assert_eq!(clean.root_cause, Some(Code::EcrImageNotFound));
    let clean_errors: Vec<(Code, String)> = clean
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.code, f.resource.clone()))
        .collect();
    let operations = recorded.distinct();
    for call in [
        "ecr:DescribeRepositories",
        "ecr:GetLifecyclePolicy",
        "ecr:DescribeImages",
    ] {
        assert!(
            operations.iter().any(|o| o == call),
            "{call} is among the calls broken: {operations:?}"
        );
    }
    let (mut runs, mut not_reached, mut problems) = (0, 0, Vec::new());
    for operation in &operations {
        for fault in Fault::ALL {
            runs += 1;
            let (checked, sent, took) = run(Some((operation.clone(), fault)), limits()).await;
            let what = format!("{operation} {fault:?}");
            if took > DEADLINE + SLACK {
                problems.push(format!("{what}: took {took:?}"));
            }
            let report = match checked {
                Ok(report) => report,
                Err(PreflightError::Unreadable { operation: named, .. }) if named == *operation => continue,
                // As in the diagnoses' environments: an earlier call failed by itself (a slow emulator
                // under the suite's 1 s attempts) and is named, so the broken one was never reached.
                Err(PreflightError::Unreadable { .. }) if !sent.operations().contains(operation) => {
                    not_reached += 1;
                    continue;
                }
                Err(error) => {
                    problems.push(format!("{what}: no report: {error}"));
                    continue;
                }
            };
            let named = report
                .findings
                .iter()
                .any(|f| f.code == Code::CheckFailed && f.evidence["call"] == operation.as_str());
            let earlier =
                !sent.operations().contains(operation) && report.findings.iter().any(|f| f.code == Code::CheckFailed);
            if !named && !earlier {
                problems.push(format!("{what}: no CHECK_FAILED names the call"));
            }
            let invented: Vec<(Code, String)> = report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| (f.code, f.resource.clone()))
                .filter(|e| !clean_errors.contains(e))
                .collect();
            if !invented.is_empty() {
                problems.push(format!("{what}: errors the clean check did not have: {invented:?}"));
            }
            if report.root_cause.is_some() && report.root_cause != clean.root_cause {
                problems.push(format!("{what}: root cause {:?}", report.root_cause));
            }
        }
    }
    println!(
        "fault suite, pre-flight check (ECR_IMAGE_NOT_FOUND): {} operations x {} kinds = {runs} runs, \
         {not_reached} not reached (an earlier call failed by itself and is named), {} problems",
        operations.len(),
        Fault::ALL.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A sweep whose listings fail: each failed listing is named, and no service is claimed ready.
#[tokio::test]
async fn faults_sweep_listings() {
    use ecs_pull_doctor::checks::Verdict;
    use ecs_pull_doctor::preflight::{self, Clusters};
    let config = account("250000000012").await;
    Builder::new(&config).await.service_with_missing_tag("swept").await;
    for operation in ["ecs:ListClusters", "ecs:ListServices"] {
        for fault in Fault::ALL {
            let (faulty, _) = faults::faulty(&config, Some((operation.to_string(), fault)));
            let started = Instant::now();
            let report = preflight::sweep(
                &AwsClients::with_limits(faulty, limits()),
                crate::support::REGION,
                &Clusters::All,
                Deadline::after(DEADLINE),
            )
            .await;
            assert!(started.elapsed() < DEADLINE + SLACK, "{operation} {fault:?}: late");
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.code == Code::CheckFailed && f.evidence["call"] == operation),
                "{operation} {fault:?}: {report:#?}"
            );
            assert!(
                report.services.iter().all(|s| s.verdict != Some(Verdict::Ready)),
                "{operation} {fault:?}: nothing listed is ready: {report:#?}"
            );
            assert_eq!(
                report.verdict,
                Verdict::Inconclusive,
                "{operation} {fault:?}: an unread listing is neither ready nor failing"
            );
        }
    }
}

/// Organization mode: the member role cannot be assumed, in every way STS fails. The report names
/// sts:AssumeRole for that account, claims no cause, and ends within the invocation's deadline.
#[tokio::test]
async fn faults_organization_assume_role() {
    use ecs_pull_doctor::adapters::aws::Organization;
    use ecs_pull_doctor::checks::Verdict;
    use ecs_pull_doctor::facts::members::MemberRole;
    use ecs_pull_doctor::handler::Handler;
    use lambda_runtime::LambdaEvent;

    let (central, member) = ("250000000013", "250000000014");
    let member_config = account(member).await;
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{central}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    aws_sdk_iam::Client::new(&member_config)
        .create_role()
        .role_name("doctor-member")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let task = Builder::new(&member_config).await.service_with_missing_tag("org").await;
    let central_config = account(central).await;
    let event = crate::support::scenario::event_for("image-tag-not-found", &task);
    let run = |fault: Option<Fault>| {
        let (faulty, _) = faults::faulty(&central_config, fault.map(|f| ("sts:AssumeRole".to_string(), f)));
        let reader = AwsClients::with_limits(faulty, limits());
        let role = MemberRole {
            name: "doctor-member".into(),
            external_id: None,
        };
        let handler = Handler::new(reader.clone(), Modes::lambda_default(), Duration::from_secs(60))
            .with_members(Organization::new(reader.sdk_config().clone(), role));
        let event = event.clone();
        async move {
            let started = Instant::now();
            let report = handler
                .handle(LambdaEvent::new(event, invocation()))
                .await
                .expect("a report");
            (report, started.elapsed())
        }
    };
    let (clean, _) = run(None).await;
    assert_eq!(
        clean.root_cause,
        Some(Code::EcrImageNotFound),
        "the clean run reads the member: {clean:#?}"
    );
    let mut problems = Vec::new();
    for fault in Fault::ALL {
        let (report, took) = run(Some(fault)).await;
        let named = report
            .findings
            .iter()
            .any(|f| f.code == Code::CheckFailed && f.evidence["call"] == "sts:AssumeRole");
        if !named
            || report.verdict != Verdict::Inconclusive
            || !errors(&report).is_empty()
            || report.root_cause.is_some()
        {
            problems.push(format!("{fault:?}: {report:#?}"));
        }
        if took > DEADLINE + SLACK {
            problems.push(format!("{fault:?}: {took:?}, past the deadline"));
        }
    }
    println!(
        "fault suite, organization (sts:AssumeRole): {} kinds, {} problems",
        Fault::ALL.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A Lambda invocation whose diagnosis has [`DEADLINE`] (the runtime's deadline less the report's margin).
fn invocation() -> lambda_runtime::Context {
    let mut context = lambda_runtime::Context::default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    context.deadline = now + (DEADLINE + ecs_pull_doctor::handler::REPORT_MARGIN).as_millis() as u64;
    context
}

/// The notice's sns:Publish broken in every way: the report is the clean run's and returned within
/// the invocation; only the notice is lost.
#[tokio::test]
async fn faults_notice_publish() {
    use ecs_pull_doctor::adapters::aws::SnsPublisher;
    use ecs_pull_doctor::handler::{Handler, REPORT_MARGIN};
    use ecs_pull_doctor::notices::Destination;
    use ecs_pull_doctor::report::notify::NoticeFormat;
    use lambda_runtime::LambdaEvent;

    let config = account("250000000015").await;
    let task = Builder::new(&config).await.service_with_missing_tag("notice").await;
    let topic = aws_sdk_sns::Client::new(&config)
        .create_topic()
        .name("doctor-chat")
        .send()
        .await
        .unwrap();
    let destination = Destination {
        topic_arn: topic.topic_arn().unwrap().to_string(),
        format: NoticeFormat::Chat,
    };
    let event = crate::support::scenario::event_for("image-tag-not-found", &task);
    let run = |fault: Option<Fault>| {
        let (faulty, recorded) = faults::faulty(&config, fault.map(|f| ("sns:Publish".to_string(), f)));
        let reader = AwsClients::with_limits(faulty, limits());
        let publisher = SnsPublisher::new(reader.sdk_config(), &destination);
        let handler = Handler::new(reader, Modes::lambda_default(), Duration::from_secs(60))
            .with_notices(destination.clone(), publisher);
        let event = event.clone();
        async move {
            let started = Instant::now();
            let report = handler
                .handle(LambdaEvent::new(event, invocation()))
                .await
                .expect("a report");
            (report, started.elapsed(), recorded)
        }
    };
    let (clean, _, recorded) = run(None).await;
    assert_eq!(clean.root_cause, Some(Code::EcrImageNotFound), "{clean:#?}");
    assert!(
        recorded.operations().contains(&"sns:Publish".to_string()),
        "the clean run publishes"
    );
    let mut problems = Vec::new();
    for fault in Fault::ALL {
        let (report, took, recorded) = run(Some(fault)).await;
        if !recorded.operations().contains(&"sns:Publish".to_string()) {
            problems.push(format!("{fault:?}: sns:Publish was not reached"));
        }
        if report.root_cause != clean.root_cause || errors(&report) != errors(&clean) {
            problems.push(format!("{fault:?}: the report changed: {report:#?}"));
        }
        if took > DEADLINE + REPORT_MARGIN {
            problems.push(format!("{fault:?}: {took:?}, past the invocation"));
        }
    }
    println!(
        "fault suite, notices (sns:Publish): {} kinds, {} problems",
        Fault::ALL.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
