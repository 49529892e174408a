//! The execution role, the registry, the image, secrets and logs, end to end: each code from a setup
//! broken that way in the emulator. IAM simulation, which the emulator lacks, goes through
//! aws-smithy-mocks; everywhere else the emulator answers and the role's policies are evaluated offline.

use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput;
use aws_sdk_iam::types::{EvaluationResult, PolicyEvaluationDecisionType, Role};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::Code;
use ecs_pull_doctor::engine;
use ecs_pull_doctor::intake::{self, Payload};
use ecs_pull_doctor::settings::Modes;

use crate::common::{self, deadline, errors, root};
use crate::registry::diagnose_by_arn;
use crate::support::account;
use crate::support::scenario::{Builder, DefinitionSpec, NetworkSpec, RoleSpec, StoppedTask, event_for};

async fn stopped(
    account_id: &str,
    network: NetworkSpec,
    definition: DefinitionSpec,
    reason: &str,
) -> (aws_config::SdkConfig, StoppedTask) {
    common::stopped(account_id, "app", network, definition, reason).await
}

pub const ECR_AUTH_DENIED: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 0e5b, api error AccessDeniedException: User: arn:aws:sts::ACCOUNT:assumed-role/app-execution/1f2e is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action";
const ASSUME_ROLE: &str = "ECS was unable to assume the role 'arn:aws:iam::ACCOUNT:role/app-execution' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.";

#[tokio::test]
async fn a_correct_setup_with_a_secret_has_no_error_finding() {
    let config = account("220000000001").await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name("db")
        .secret_string("not read")
        .send()
        .await
        .unwrap();
    let secret_arn = secret.arn().unwrap().to_string();
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"{secret_arn}"}}]}}"#
    );
    let definition = DefinitionSpec {
        role: RoleSpec::StandardPlus(vec![allow]),
        secrets: vec![("DB".into(), secret_arn)],
        ..DefinitionSpec::default()
    };
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let task = builder
        .fargate_task_with(
            "app",
            &NetworkSpec::nat(),
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            ECR_AUTH_DENIED,
        )
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(errors(&report), vec![], "{report:#?}");
    let passed: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in [
        "execution-role-trust",
        "execution-role-ecr",
        "execution-role-secrets",
        "execution-role-logs",
        "secret-exists",
        "log-group",
    ] {
        assert!(passed.contains(&check), "{check} in {passed:?}");
    }
}

#[tokio::test]
async fn execution_role_missing() {
    let definition = DefinitionSpec {
        role: RoleSpec::Absent,
        ..DefinitionSpec::default()
    };
    let (config, task) = stopped(
        "220000000002",
        NetworkSpec::default(),
        definition,
        "CannotPullECRContainerError: engine ecr credentials: not found",
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::ExecutionRoleMissing);
    assert_eq!(finding.resource, task.task_definition_arn);
}

#[tokio::test]
async fn execution_role_not_found() {
    let definition = DefinitionSpec {
        role: RoleSpec::Missing,
        ..DefinitionSpec::default()
    };
    let (config, task) = stopped("220000000003", NetworkSpec::default(), definition, ASSUME_ROLE).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::ExecutionRoleNotFound);
    assert_eq!(
        finding.resource,
        format!("arn:aws:iam::{}:role/app-execution", task.account)
    );
}

#[tokio::test]
async fn execution_role_trust_invalid() {
    let definition = DefinitionSpec {
        role: RoleSpec::TrustsEc2,
        ..DefinitionSpec::default()
    };
    let (config, task) = stopped("220000000004", NetworkSpec::default(), definition, ASSUME_ROLE).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::ExecutionRoleTrustInvalid);
    assert_eq!(
        finding.evidence["trustPolicy"]["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
}

#[tokio::test]
async fn execution_role_missing_ecr_permissions_offline() {
    let logs_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;
    let definition = DefinitionSpec {
        role: RoleSpec::Inline(vec![logs_only.into()]),
        ..DefinitionSpec::default()
    };
    let (config, task) = stopped("220000000005", NetworkSpec::default(), definition, ECR_AUTH_DENIED).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::ExecutionRoleMissingEcrPermissions);
    assert_eq!(finding.evidence["denied"][0]["action"], "ecr:BatchGetImage");
    // The emulator cannot simulate: the evidence says the policies were evaluated offline.
    assert_eq!(
        finding.evidence["method"]["simulationUnavailable"]["call"],
        "iam:SimulatePrincipalPolicy"
    );
    assert_eq!(finding.evidence["method"]["offlineEvaluation"][0]["kind"], "inline");
}

#[tokio::test]
async fn execution_role_missing_ecr_permissions_simulated() {
    let (config, task) = stopped(
        "220000000006",
        NetworkSpec::default(),
        DefinitionSpec::default(),
        ECR_AUTH_DENIED,
    )
    .await;
    let role_arn = format!("arn:aws:iam::{}:role/app-execution", task.account);
    let repository = format!("arn:aws:ecr:us-east-1:{}:repository/shop/web", task.account);
    let group = format!("arn:aws:logs:us-east-1:{}:log-group:/ecs/app:*", task.account);
    let role = Role::builder()
        .path("/")
        .role_name("app-execution")
        .role_id("AROAEXAMPLE")
        .arn(&role_arn)
        .create_date(aws_sdk_iam::primitives::DateTime::from_secs(0))
        .assume_role_policy_document("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D")
        .build()
        .unwrap();
    let get_role =
        mock!(aws_sdk_iam::Client::get_role).then_output(move || GetRoleOutput::builder().role(role.clone()).build());
    let decision = |action: &str, resource: &str, decision: PolicyEvaluationDecisionType| {
        EvaluationResult::builder()
            .eval_action_name(action)
            .eval_resource_name(resource)
            .eval_decision(decision)
            .build()
            .unwrap()
    };
    let results = vec![
        decision("ecr:GetAuthorizationToken", "*", PolicyEvaluationDecisionType::Allowed),
        decision(
            "ecr:BatchGetImage",
            &repository,
            PolicyEvaluationDecisionType::ExplicitDeny,
        ),
        decision(
            "ecr:GetDownloadUrlForLayer",
            &repository,
            PolicyEvaluationDecisionType::Allowed,
        ),
        decision("logs:CreateLogStream", &group, PolicyEvaluationDecisionType::Allowed),
        decision("logs:PutLogEvents", &group, PolicyEvaluationDecisionType::Allowed),
    ];
    let simulate = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .match_requests(move |request| request.policy_source_arn() == Some(role_arn.as_str()))
        .then_output(move || {
            SimulatePrincipalPolicyOutput::builder()
                .set_evaluation_results(Some(results.clone()))
                .build()
        });
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get_role, &simulate]);
    let reader = AwsClients::new(config.clone()).with_iam(iam);
    let request = intake::ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };

    let report = engine::diagnose(
        &reader,
        Payload::Manual(request),
        &Modes::command_line_default(),
        deadline(),
    )
    .await;

    let finding = root(&report, Code::ExecutionRoleMissingEcrPermissions);
    assert_eq!(finding.evidence["method"], "iam:SimulatePrincipalPolicy");
    assert_eq!(finding.evidence["denied"][0]["decision"], "explicit deny");
    assert_eq!(finding.evidence["denied"].as_array().unwrap().len(), 1);
    assert_eq!(
        simulate.num_calls(),
        3,
        "one simulation per resource: the token, the repository, the log group"
    );
}

#[tokio::test]
async fn execution_role_missing_secrets_permissions() {
    let config = account("220000000007").await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name("db")
        .secret_string("not read")
        .send()
        .await
        .unwrap();
    let secret_arn = secret.arn().unwrap().to_string();
    let definition = DefinitionSpec {
        secrets: vec![("DB".into(), secret_arn.clone())],
        ..DefinitionSpec::default()
    };
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {secret_arn} from secrets manager: AccessDeniedException: User: arn:aws:sts::220000000007:assumed-role/app-execution/5a6b is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret_arn} because no identity-based policy allows the secretsmanager:GetSecretValue action"
    );
    let task = builder
        .fargate_task_with(
            "app",
            &NetworkSpec::nat(),
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    let finding = root(&report, Code::ExecutionRoleMissingSecretsPermissions);
    assert_eq!(finding.evidence["denied"][0]["resource"], secret_arn);
    assert!(
        finding.remedy.contains("secretsmanager:GetSecretValue"),
        "{}",
        finding.remedy
    );
}

#[tokio::test]
async fn execution_role_missing_logs_permissions() {
    let ecr_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}"#;
    let definition = DefinitionSpec {
        role: RoleSpec::Inline(vec![ecr_only.into()]),
        ..DefinitionSpec::default()
    };
    let reason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: User: arn:aws:sts::ACCOUNT:assumed-role/app-execution/x is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:ACCOUNT:log-group:/ecs/app:log-stream:web because no identity-based policy allows the logs:CreateLogStream action";
    let (config, task) = stopped("220000000008", NetworkSpec::default(), definition, reason).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::ExecutionRoleMissingLogsPermissions);
    assert_eq!(finding.evidence["denied"][0]["action"], "logs:CreateLogStream");
}

#[tokio::test]
async fn ecr_repository_policy_denies() {
    let config = account("220000000009").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"FrozenRepository","Effect":"Deny","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
    aws_sdk_ecr::Client::new(&config)
        .set_repository_policy()
        .repository_name("shop/web")
        .policy_text(deny)
        .send()
        .await
        .unwrap();
    let reason = format!(
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref {repository}:1.0.0: pulling from host {} failed with status code [manifests 1.0.0]: 403 Forbidden",
        builder.ecr_host()
    );
    let task = builder
        .fargate_task(
            "app",
            &NetworkSpec::default(),
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    let finding = root(&report, Code::EcrRepositoryPolicyDenies);
    assert_eq!(finding.evidence["statement"]["Sid"], "FrozenRepository");
}

#[tokio::test]
async fn ecr_cross_account_access_missing() {
    // The emulator answers ECR calls from the caller's own account only, so the doctor reads the
    // repository (account A) with A's credentials while the task's event says it ran in account B:
    // the same facts a cross-account pull gives, with the repository readable.
    let config = account("220000000010").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("platform/base", &["7"]).await;
    let grant_other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"TeamC","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333300000000:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
    aws_sdk_ecr::Client::new(&config)
        .set_repository_policy()
        .repository_name("platform/base")
        .policy_text(grant_other)
        .send()
        .await
        .unwrap();
    let image = format!("{repository}:7");
    let task = builder
        .fargate_task(
            "app",
            &NetworkSpec::default(),
            &image,
            Some("web"),
            "CannotPullContainerError: x",
        )
        .await;
    let other_account = "220000000099";
    let event = event_for("registry-cross-account-denied", &task)
        .to_string()
        .replace("444455556666", "220000000010");
    let event = event.replace(&format!(":{}:task/", task.account), &format!(":{other_account}:task/"));
    // The envelope's account is the task's, as EventBridge sends it.
    let event = event.replace(
        &format!("\"account\":\"{}\"", task.account),
        &format!("\"account\":\"{other_account}\""),
    );
    let payload = intake::parse_text(&event).unwrap();
    let Payload::TaskEvent(mut facts) = payload else {
        panic!("a task event")
    };
    assert_eq!(facts.account, other_account);
    facts.containers[0].image = Some(image.clone());

    let report = engine::diagnose(
        &AwsClients::new(config.clone()),
        Payload::TaskEvent(facts),
        &Modes::lambda_default(),
        deadline(),
    )
    .await;

    let finding = root(&report, Code::EcrCrossAccountAccessMissing);
    assert_eq!(finding.evidence["repositoryAccount"], "220000000010");
    assert_eq!(finding.evidence["policy"]["Statement"][0]["Sid"], "TeamC");
}

#[tokio::test]
async fn image_platform_mismatch() {
    let config = account("220000000011").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &[]).await;
    builder.manifest_list("shop/web", "2.0.0", &["linux/arm64"]).await;
    let task = builder.fargate_task("app", &NetworkSpec::default(), &format!("{repository}:2.0.0"), Some("web"), "CannotPullContainerError: pull image manifest has been retried 5 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'").await;

    let report = diagnose_by_arn(&config, &task).await;

    let finding = root(&report, Code::ImagePlatformMismatch);
    assert_eq!(finding.evidence["wanted"], "linux/amd64");
    assert_eq!(finding.evidence["available"], serde_json::json!(["linux/arm64"]));
}

#[tokio::test]
async fn registry_rate_limited() {
    let config = account("220000000012").await;
    let reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:1.25: pulling from host registry-1.docker.io failed with status code [manifests 1.25]: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading";
    let task = Builder::new(&config)
        .await
        .fargate_task("app", &NetworkSpec::nat(), "nginx:1.25", Some("web"), reason)
        .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::RegistryRateLimited);
    assert!(finding.remedy.contains("pull-through cache"), "{}", finding.remedy);
}

#[tokio::test]
async fn private_registry_credentials_invalid() {
    let config = account("220000000013").await;
    let missing = "arn:aws:secretsmanager:us-east-1:220000000013:secret:ghcr-Ab12Cd";
    let definition = DefinitionSpec {
        repository_credentials: Some(missing.into()),
        ..DefinitionSpec::default()
    };
    let reason = "CannotPullContainerAuthError: engine docker private registry credentials: not found";
    let task = Builder::new(&config)
        .await
        .fargate_task_with(
            "app",
            &NetworkSpec::nat(),
            &definition,
            "ghcr.io/acme/api:1.0",
            Some("web"),
            reason,
        )
        .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::PrivateRegistryCredentialsInvalid);
    assert_eq!(finding.evidence["valueFrom"], missing);
}

#[tokio::test]
async fn secret_not_found() {
    let missing = "arn:aws:secretsmanager:us-east-1:220000000014:secret:db-AbCdEf";
    let definition = DefinitionSpec {
        secrets: vec![("DB".into(), missing.into())],
        ..DefinitionSpec::default()
    };
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    );
    let (config, task) = stopped("220000000014", NetworkSpec::nat(), definition, &reason).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::SecretNotFound);
    assert_eq!(finding.evidence["name"], "DB");
    assert_eq!(finding.evidence["call"], "secretsmanager:DescribeSecret");
}

#[tokio::test]
async fn a_secret_scheduled_for_deletion_is_secret_not_found() {
    let config = account("220000000020").await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let secret = secrets
        .create_secret()
        .name("db")
        .secret_string("not read")
        .send()
        .await
        .unwrap();
    let arn = secret.arn().unwrap().to_string();
    secrets
        .delete_secret()
        .secret_id(&arn)
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"{arn}"}}]}}"#
    );
    let definition = DefinitionSpec {
        role: RoleSpec::StandardPlus(vec![allow]),
        secrets: vec![("DB".into(), arn.clone())],
        ..DefinitionSpec::default()
    };
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {arn} from secrets manager: InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion."
    );
    let task = builder
        .fargate_task_with(
            "app",
            &NetworkSpec::nat(),
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::SecretNotFound);
    assert_eq!(finding.evidence["answer"], "scheduled for deletion");
    assert!(
        finding.evidence["deletionDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("20")),
        "{finding:#?}"
    );
}

#[tokio::test]
async fn a_missing_ssm_parameter_is_secret_not_found() {
    let definition = DefinitionSpec {
        secrets: vec![("KEY".into(), "/app/gemini-api-key".into())],
        ..DefinitionSpec::default()
    };
    let reason = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: /app/gemini-api-key";
    let (config, task) = stopped("220000000015", NetworkSpec::nat(), definition, reason).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::SecretNotFound);
    assert_eq!(finding.evidence["call"], "ssm:DescribeParameters");
}

#[tokio::test]
async fn log_group_not_found() {
    let definition = DefinitionSpec {
        create_log_group: false,
        ..DefinitionSpec::default()
    };
    let reason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1";
    let (config, task) = stopped("220000000016", NetworkSpec::default(), definition, reason).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::LogGroupNotFound);
    assert_eq!(finding.resource, "/ecs/app");
}

#[tokio::test]
async fn ephemeral_storage_exhausted() {
    let reason = "CannotPullContainerError: ref pull has been retried 1 time(s): failed to extract layer sha256:9f1c2b3a: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/71/fs/usr/lib/libLLVM.so: no space left on device: unknown";
    let (config, task) = stopped(
        "220000000017",
        NetworkSpec::default(),
        DefinitionSpec::default(),
        reason,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EphemeralStorageExhausted);
    assert_eq!(finding.resource, task.task_definition_arn);
}

/// A secret encrypted with a customer key named by alias, a role allowed to read it and, when
/// `decrypt`, to decrypt with the key behind the alias. Returns the key's ARN and the report.
async fn secret_under_alias(account_id: &str, decrypt: bool) -> (String, ecs_pull_doctor::report::Report) {
    let config = account(account_id).await;
    let builder = Builder::new(&config).await;
    let (arn, key_arn) = builder.secret_under_alias("db", "alias/app-secrets").await;
    let mut statements = vec![format!(
        r#"{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"{arn}"}}"#
    )];
    if decrypt {
        statements.push(format!(
            r#"{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{key_arn}"}}"#
        ));
    }
    let allow = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
    let definition = DefinitionSpec {
        role: RoleSpec::StandardPlus(vec![allow]),
        secrets: vec![("DB".into(), arn.clone())],
        ..DefinitionSpec::default()
    };
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {arn} from secrets manager: AccessDeniedException: Access to KMS is not allowed"
    );
    let task = builder
        .fargate_task_with(
            "app",
            &NetworkSpec::nat(),
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await;
    (key_arn, diagnose_by_arn(&config, &task).await)
}

#[tokio::test]
async fn kms_decrypt_is_checked_on_the_key_behind_a_secrets_alias() {
    let (key_arn, report) = secret_under_alias("220000000021", false).await;
    let finding = root(&report, Code::ExecutionRoleMissingSecretsPermissions);
    assert_eq!(finding.evidence["denied"][0]["action"], "kms:Decrypt");
    assert_eq!(
        finding.evidence["denied"][0]["resource"],
        key_arn.as_str(),
        "the key, not the alias"
    );
}

#[tokio::test]
async fn a_role_that_may_decrypt_with_the_key_behind_the_alias_has_no_error() {
    let (_, report) = secret_under_alias("220000000022", true).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert!(
        !report.findings.iter().any(|f| f.summary.contains("alias")),
        "the alias was resolved: {:#?}",
        report.findings
    );
    assert!(
        report.passed.iter().any(|p| p.check == "execution-role-secrets"),
        "{:#?}",
        report.passed
    );
}
