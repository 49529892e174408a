//! `check`, the pre-flight, end to end: a service whose next task would start is ready; for broken
//! environments it names the root cause the failed task's diagnosis names; subnets that differ say so.

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::{Code, Severity, Verdict};
use ecs_pull_doctor::preflight::{self, Subject};
use ecs_pull_doctor::report::PreflightReport;

use crate::common::{self, deadline};
use crate::registry::diagnose_by_arn;
use crate::support::scenario::{Builder, DefinitionSpec, EfsSpec, EnvFileSpec, NetworkSpec, RoleSpec, StoppedTask};
use crate::support::{REGION, account};

async fn check(config: &aws_config::SdkConfig, subject: &Subject) -> PreflightReport {
    check_with(&AwsClients::new(config.clone()), subject).await
}

async fn check_with(reader: &AwsClients, subject: &Subject) -> PreflightReport {
    preflight::check(reader, subject, deadline())
        .await
        .expect("a pre-flight report")
}

fn service_of(task: &StoppedTask) -> Subject {
    Subject::Service {
        region: REGION.into(),
        cluster: task.cluster.clone(),
        service: task.service.clone().expect("a service's task"),
    }
}

/// A diagnosed failure of a service's task is one its pre-flight would have foreseen: the pre-flight
/// says will-fail and names the diagnosis's root cause (as its own when that is the only error).
/// Findings only a stop reason can raise (the message's own words, e.g. a rate limit) are left out:
/// no pre-flight has a stop reason.
pub async fn agrees_with_the_diagnosis(
    config: &aws_config::SdkConfig,
    task: &StoppedTask,
    diagnosis: &ecs_pull_doctor::report::Report,
) {
    let Some(service) = &task.service else { return };
    let from_facts =
        |f: &&ecs_pull_doctor::checks::Finding| f.severity == Severity::Error && f.evidence.get("message").is_none();
    let Some(root) = diagnosis
        .findings
        .first()
        .filter(|_| diagnosis.verdict == Verdict::Diagnosed)
        .filter(from_facts)
    else {
        return;
    };
    let subject = Subject::Service {
        region: REGION.into(),
        cluster: task.cluster.clone(),
        service: service.clone(),
    };
    let report = preflight::check(&AwsClients::new(config.clone()), &subject, deadline())
        .await
        .expect("a pre-flight report");
    let foreseen = errors(&report);
    assert_eq!(
        report.verdict,
        Verdict::WillFail,
        "the pre-flight of {}/{service} foresees {:?}: {report:#?}",
        task.cluster,
        root.code
    );
    assert!(
        foreseen.contains(&root.code),
        "the pre-flight of {}/{service} names {:?} among {foreseen:?}",
        task.cluster,
        root.code
    );
    if diagnosis.findings.iter().filter(from_facts).count() == 1 {
        assert_eq!(
            report.root_cause,
            Some(root.code),
            "the only error is the pre-flight's root cause too"
        );
    }
}

fn errors(report: &PreflightReport) -> Vec<Code> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect()
}

#[tokio::test]
async fn a_service_whose_next_task_would_start_is_ready() {
    let (config, task) = common::stopped(
        "310000000001",
        "ok",
        NetworkSpec::nat(),
        DefinitionSpec::default(),
        "Task failed to start",
    )
    .await;

    let report = check(&config, &service_of(&task)).await;

    assert_eq!(report.verdict, Verdict::Ready, "{report:#?}");
    assert_eq!((report.root_cause, errors(&report)), (None, vec![]));
    assert_eq!(report.subject.service.as_deref(), Some("web"));
    assert_eq!(
        report.subject.task_definition_arn.as_deref(),
        Some(task.task_definition_arn.as_str())
    );
    assert_eq!(report.subject.subnets, vec![task.network.subnet_id.clone()]);
    let passed: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in ["ecr-repository", "ecr-image", "execution-role-ecr", "log-group"] {
        assert!(passed.contains(&check), "{check} in {passed:?}");
    }
    let shown = serde_json::to_value(&report).unwrap();
    assert_eq!(
        (shown["verdict"].as_str(), shown["failure"].is_null()),
        (Some("ready"), true)
    );
}

/// For each family, the environment a failed task's diagnosis names a root cause in: the pre-flight
/// of its service names the same one, before any task has to fail.
#[tokio::test]
async fn each_broken_environment_gives_the_root_cause_the_diagnosis_gives() {
    let logs_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;
    let missing_secret = "arn:aws:secretsmanager:us-east-1:310000000015:secret:db-AbCdEf";
    let secret_not_found = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {missing_secret} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    );
    let efs_unresolved = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve \"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com\" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.";
    let no_such_key = "ResourceInitializationError: failed to download env files: file download command: non empty error stream: NoSuchKey: The specified key does not exist. status code: 404";
    let cases: Vec<(&str, NetworkSpec, DefinitionSpec, &str, Code)> = vec![
        (
            "310000000011",
            NetworkSpec {
                interface_endpoints: vec!["ecr.api", "logs"],
                ..NetworkSpec::default()
            },
            DefinitionSpec::default(),
            crate::network::ECR_API_TIMEOUT,
            Code::VpcEndpointMissing,
        ),
        (
            "310000000012",
            NetworkSpec::nat(),
            DefinitionSpec {
                role: RoleSpec::Inline(vec![logs_only.into()]),
                ..DefinitionSpec::default()
            },
            crate::identity::ECR_AUTH_DENIED,
            Code::ExecutionRoleMissingEcrPermissions,
        ),
        (
            "310000000013",
            NetworkSpec::default(),
            DefinitionSpec {
                efs: Some(EfsSpec::ElsewhereOnly),
                ..DefinitionSpec::default()
            },
            efs_unresolved,
            Code::EfsMountTargetMissing,
        ),
        (
            "310000000014",
            NetworkSpec::default(),
            DefinitionSpec {
                env_file: Some(EnvFileSpec::ObjectMissing),
                ..DefinitionSpec::default()
            },
            no_such_key,
            Code::EnvFileNotFound,
        ),
        (
            "310000000015",
            NetworkSpec::nat(),
            DefinitionSpec {
                secrets: vec![("DB".into(), missing_secret.into())],
                ..DefinitionSpec::default()
            },
            &secret_not_found,
            Code::SecretNotFound,
        ),
    ];
    for (account_id, network, definition, reason, expected) in cases {
        let (config, task) = common::stopped(account_id, "app", network, definition, reason).await;
        let (report, diagnosis) = (
            check(&config, &service_of(&task)).await,
            diagnose_by_arn(&config, &task).await,
        );
        assert_eq!(
            (report.verdict, report.root_cause),
            (Verdict::WillFail, Some(expected)),
            "{account_id}: {report:#?}"
        );
        assert_eq!(
            diagnosis.root_cause,
            Some(expected),
            "{account_id}: the failed task's diagnosis"
        );
        let mut diagnosed: Vec<Code> = diagnosis
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.code)
            .collect();
        let mut found = errors(&report);
        diagnosed.sort_by_key(|c| c.as_str());
        found.sort_by_key(|c| c.as_str());
        assert_eq!(
            found, diagnosed,
            "{account_id}: the pre-flight finds every error the diagnosis finds"
        );
    }
    // A tag that was never pushed: the same, from the service the builder makes for it.
    let config = account("310000000016").await;
    let task = Builder::new(&config).await.service_with_missing_tag("shop").await;
    let report = check(&config, &service_of(&task)).await;
    assert_eq!(
        (report.verdict, report.root_cause),
        (Verdict::WillFail, Some(Code::EcrImageNotFound))
    );
    assert_eq!(
        diagnose_by_arn(&config, &task).await.root_cause,
        Some(Code::EcrImageNotFound)
    );
}

/// A task definition checked for two subnets, one of which has no way out: the finding says which.
#[tokio::test]
async fn a_subnet_without_a_route_is_named_when_the_others_have_one() {
    let (config, task) = common::stopped(
        "310000000021",
        "two",
        NetworkSpec::nat(),
        DefinitionSpec::default(),
        "Task failed to start",
    )
    .await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let isolated = ec2
        .create_subnet()
        .vpc_id(&task.network.vpc_id)
        .cidr_block("10.0.5.0/24")
        .availability_zone(format!("{REGION}b"))
        .send()
        .await
        .unwrap();
    let isolated = isolated.subnet().and_then(|s| s.subnet_id()).unwrap().to_string();
    let table = ec2
        .create_route_table()
        .vpc_id(&task.network.vpc_id)
        .send()
        .await
        .unwrap();
    let table = table
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap()
        .to_string();
    ec2.associate_route_table()
        .route_table_id(&table)
        .subnet_id(&isolated)
        .send()
        .await
        .unwrap();
    let subject = Subject::TaskDefinition {
        region: REGION.into(),
        cluster: task.cluster.clone(),
        task_definition: task.task_definition_arn.clone(),
        subnets: vec![task.network.subnet_id.clone(), isolated.clone()],
        security_groups: vec![task.network.security_group_id.clone()],
        assign_public_ip: false,
    };

    let report = check(&config, &subject).await;

    assert_eq!(
        (report.verdict, report.root_cause),
        (Verdict::WillFail, Some(Code::NoInternetRoute)),
        "{report:#?}"
    );
    let root = &report.findings[0];
    assert_eq!(root.evidence["subnets"], serde_json::json!([isolated]));
    assert!(
        root.summary.ends_with(&format!("(in subnet {isolated} only)")),
        "{}",
        root.summary
    );
    assert_eq!(
        errors(&report),
        vec![Code::NoInternetRoute],
        "the subnet behind the NAT gateway is fine"
    );
    // The same task definition in the good subnet alone is ready.
    let Subject::TaskDefinition {
        region,
        cluster,
        task_definition,
        security_groups,
        ..
    } = subject
    else {
        unreachable!()
    };
    let good = Subject::TaskDefinition {
        region,
        cluster,
        task_definition,
        subnets: vec![task.network.subnet_id.clone()],
        security_groups,
        assign_public_ip: false,
    };
    assert_eq!(check(&config, &good).await.verdict, Verdict::Ready);
}

#[tokio::test]
async fn a_service_that_does_not_exist_is_an_error_not_a_report() {
    let config = account("310000000031").await;
    let error = preflight::check(
        &AwsClients::new(config),
        &Subject::Service {
            region: REGION.into(),
            cluster: "nowhere".into(),
            service: "web".into(),
        },
        deadline(),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("service web does not exist in cluster nowhere"),
        "{error}"
    );
}

/// The Lambda function takes {"check": ...}: the same pre-flight, and it never acts, whatever the
/// function's fix mode.
#[tokio::test]
async fn the_function_answers_a_check_request() {
    use ecs_pull_doctor::handler::{Answer, Handler};
    use lambda_runtime::{Context, LambdaEvent};
    let config = account("310000000041").await;
    let task = Builder::new(&config).await.service_with_missing_tag("fn").await;
    let mut modes = ecs_pull_doctor::settings::Modes::lambda_default();
    modes.fix = ecs_pull_doctor::settings::FixMode::Apply;
    let handler = Handler::new(
        AwsClients::new(config.clone()),
        modes,
        std::time::Duration::from_secs(60),
    );
    let request =
        serde_json::json!({"check": {"service": format!("{}/{}", task.cluster, task.service.clone().unwrap())}});

    let answer = handler
        .answer(LambdaEvent::new(request, Context::default()), REGION)
        .await
        .unwrap();

    let Answer::Preflight(report) = answer else {
        panic!("a pre-flight report: {answer:?}")
    };
    assert_eq!(
        (report.verdict, report.root_cause),
        (Verdict::WillFail, Some(Code::EcrImageNotFound))
    );
    let shown = serde_json::to_value(&report).unwrap();
    assert_eq!(shown["actions"], serde_json::json!([]), "never acts");
    assert_eq!(shown["schema"], "ecs-pull-doctor/report/v1");
}

/// A sweep of 50 services in one cluster that share a VPC, a role and a repository; ten deploy a
/// tag that is not there. The report lists those ten first; every read shared between services is
/// made once, so the calls per service fall far below a check's own.
#[tokio::test]
async fn a_sweep_of_fifty_services_lists_the_failing_ones_first_and_shares_what_they_share() {
    use ecs_pull_doctor::preflight::Clusters;
    let config = account("310000000051").await;
    let builder = Builder::new(&config).await;
    let network = builder.network("fleet", &NetworkSpec::nat()).await;
    let role = builder.role("fleet-execution", &RoleSpec::Standard).await;
    builder.log_group("/ecs/fleet").await;
    let repository = builder.repository("fleet/app", &["1.0.0"]).await;
    let good = builder
        .task_definition(
            "fleet",
            &format!("{repository}:1.0.0"),
            role.as_deref(),
            "/ecs/fleet",
            &DefinitionSpec::default(),
        )
        .await;
    let bad = builder
        .task_definition(
            "fleet-next",
            &format!("{repository}:2.0.0"),
            role.as_deref(),
            "/ecs/fleet",
            &DefinitionSpec::default(),
        )
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster().cluster_name("fleet").send().await.unwrap();
    let vpc = aws_sdk_ecs::types::AwsVpcConfiguration::builder()
        .subnets(&network.subnet_id)
        .security_groups(&network.security_group_id)
        .build()
        .unwrap();
    let placement = aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build();
    for i in 0..50 {
        let definition = if i % 5 == 0 { &bad } else { &good };
        ecs.create_service()
            .cluster("fleet")
            .service_name(format!("svc-{i:02}"))
            .task_definition(definition)
            .desired_count(1)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .network_configuration(placement.clone())
            .send()
            .await
            .unwrap();
    }

    let (counted, recorded) = crate::support::faults::faulty(&config, None);
    let report = preflight::sweep(
        &AwsClients::new(counted.clone()),
        REGION,
        &Clusters::Named(vec!["fleet".into()]),
        deadline(),
    )
    .await;
    let swept_calls = recorded.operations().iter().filter(|o| !o.starts_with("sts:")).count();

    assert_eq!(
        (report.sweep.services, report.sweep.will_fail, report.sweep.not_checked),
        (50, 10, 0),
        "{report:#?}"
    );
    assert_eq!(report.verdict, Verdict::WillFail);
    assert!(
        report.services[..10]
            .iter()
            .all(|s| s.verdict == Some(Verdict::WillFail) && s.root_cause == Some(Code::EcrImageNotFound)),
        "{:#?}",
        &report.services[..12]
    );
    assert!(report.services[10..].iter().all(|s| s.verdict == Some(Verdict::Ready)));

    // The same fifty, each checked on its own: what sharing saves.
    let (alone, recorded_alone) = crate::support::faults::faulty(&config, None);
    let reader = AwsClients::new(alone);
    for service in report.services.iter().map(|s| s.service.clone()) {
        check_with(
            &reader,
            &Subject::Service {
                region: REGION.into(),
                cluster: "fleet".into(),
                service,
            },
        )
        .await;
    }
    let alone_calls = recorded_alone
        .operations()
        .iter()
        .filter(|o| !o.starts_with("sts:"))
        .count();
    let (shared, separate) = (swept_calls as f64 / 50.0, alone_calls as f64 / 50.0);
    println!(
        "sweep of 50 services sharing a VPC, a role and a repository: {swept_calls} calls ({shared:.1} per service); checked one by one: {alone_calls} ({separate:.1} per service)"
    );
    assert!(
        shared * 4.0 < separate,
        "shared {shared:.1} per service, separate {separate:.1}"
    );
}

/// {"sweep": ...} through the function: every cluster of the region ("*"), the failing service first.
#[tokio::test]
async fn the_function_answers_a_sweep_request() {
    use ecs_pull_doctor::handler::{Answer, Handler};
    use lambda_runtime::{Context, LambdaEvent};
    let config = account("310000000061").await;
    let broken = Builder::new(&config).await.service_with_missing_tag("sweep-a").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("sweep/ok", &["1.0.0"]).await;
    let healthy = builder
        .fargate_task(
            "sweep-b",
            &NetworkSpec::nat(),
            &format!("{repository}:1.0.0"),
            Some("ok"),
            "Task failed to start",
        )
        .await;
    let handler = Handler::new(
        AwsClients::new(config.clone()),
        ecs_pull_doctor::settings::Modes::lambda_default(),
        std::time::Duration::from_secs(60),
    );

    let answer = handler
        .answer(
            LambdaEvent::new(serde_json::json!({"sweep": {"clusters": "*"}}), Context::default()),
            REGION,
        )
        .await
        .unwrap();

    let Answer::Sweep(report) = answer else {
        panic!("a sweep report: {answer:?}")
    };
    let shown = serde_json::to_value(&report).unwrap();
    assert_eq!(
        (shown["verdict"].as_str(), shown["sweep"]["willFail"].as_u64()),
        (Some("will-fail"), Some(1)),
        "{shown:#}"
    );
    assert_eq!(
        (
            shown["services"][0]["cluster"].as_str(),
            shown["services"][0]["rootCause"].as_str()
        ),
        (Some(broken.cluster.as_str()), Some("ECR_IMAGE_NOT_FOUND"))
    );
    assert_eq!(
        (
            shown["services"][1]["cluster"].as_str(),
            shown["services"][1]["verdict"].as_str()
        ),
        (Some(healthy.cluster.as_str()), Some("ready"))
    );
}

/// A service that would start today, whose tag can move and which a lifecycle rule will expire:
/// ready, with both risks as warnings.
#[tokio::test]
async fn a_tag_that_can_move_and_will_expire_is_warned_about() {
    let (config, task) = common::stopped(
        "310000000071",
        "risky",
        NetworkSpec::nat(),
        DefinitionSpec::default(),
        "Task failed to start",
    )
    .await;
    let policy = r#"{"rules":[{"rulePriority":1,"description":"a week of images","selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
    aws_sdk_ecr::Client::new(&config)
        .put_lifecycle_policy()
        .repository_name("shop/web")
        .lifecycle_policy_text(policy)
        .send()
        .await
        .unwrap();

    let report = check(&config, &service_of(&task)).await;

    assert_eq!(
        (report.verdict, errors(&report)),
        (Verdict::Ready, vec![]),
        "{report:#?}"
    );
    let warnings: Vec<Code> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| f.code)
        .collect();
    assert_eq!(warnings, [Code::ImageTagMutable, Code::EcrLifecycleExpiresImage]);
    let expiry = report
        .findings
        .iter()
        .find(|f| f.code == Code::EcrLifecycleExpiresImage)
        .unwrap();
    assert!(expiry.summary.contains("expires it in 7 day(s)"), "{}", expiry.summary);
    assert_eq!(expiry.evidence["ruleDescription"], "a week of images");
}
