//! ECR pull-through cache, end to end: the emulator holds the task, its role and its registry (where
//! the cache repository does not exist yet); the registry's rules and their validation come from
//! support::pull_through, as the emulator has none.

use ecs_pull_doctor::checks::{Code, Verdict};

use crate::common::{errors, root};
use crate::registry::diagnose_by_arn;
use crate::support::pull_through::{RuleSpec, UPSTREAM_AUTH, first_pull, may_create_and_import};
use crate::support::scenario::{RoleSpec, StoppedTask};

const CREATE_DENIED: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27: unexpected status from HEAD request to https://ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/v2/docker-hub/library/nginx/manifests/1.27: 403 Forbidden: denied: User: arn:aws:sts::ACCOUNT:assumed-role/cache-execution/0a1b is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:ACCOUNT:repository/docker-hub/library/nginx because no identity-based policy allows the ecr:CreateRepository action";

/// The first pull through a rule whose credential ECR cannot use, by a role that may create and import.
pub async fn first_pull_with_bad_credential(account: &str) -> (aws_config::SdkConfig, StoppedTask) {
    let rule = RuleSpec::docker_hub(
        account,
        Some("Unable to authenticate with the upstream registry: 401 Unauthorized"),
    );
    first_pull(account, vec![rule], may_create_and_import(account), UPSTREAM_AUTH).await
}

#[tokio::test]
async fn an_upstream_credential_ecr_cannot_use_is_the_root_cause() {
    let account = "240000000001";
    let (config, task) = first_pull_with_bad_credential(account).await;

    let report = diagnose_by_arn(&config, &task).await;

    let finding = root(&report, Code::PullThroughCacheUpstreamAuthFailed);
    assert_eq!(
        finding.resource,
        format!("arn:aws:ecr:us-east-1:{account}:repository/docker-hub/library/nginx")
    );
    assert_eq!(finding.evidence["rule"]["ecrRepositoryPrefix"], "docker-hub");
    assert_eq!(
        finding.evidence["rule"]["credentialArn"],
        format!("arn:aws:secretsmanager:us-east-1:{account}:secret:ecr-pullthroughcache/docker-hub-AbCdEf")
    );
    assert_eq!(
        finding.evidence["failure"],
        "Unable to authenticate with the upstream registry: 401 Unauthorized"
    );
    assert_eq!(finding.evidence["call"], "ecr:ValidatePullThroughCacheRule");
    assert_eq!(
        errors(&report),
        vec![Code::PullThroughCacheUpstreamAuthFailed],
        "the missing repository is the cache's to create: {report:#?}"
    );
}

#[tokio::test]
async fn a_working_rule_and_a_role_that_may_create_have_no_error() {
    let account = "240000000002";
    let (config, task) = first_pull(
        account,
        vec![RuleSpec::docker_hub(account, None)],
        may_create_and_import(account),
        UPSTREAM_AUTH,
    )
    .await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert_eq!(report.verdict, Verdict::Inconclusive);
    let passed: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in ["pull-through-cache", "pull-through-upstream", "execution-role-ecr"] {
        assert!(passed.contains(&check), "{check} in {passed:?}");
    }
}

#[tokio::test]
async fn a_role_that_may_not_create_the_cache_repository_is_the_root_cause() {
    let account = "240000000003";
    let (config, task) = first_pull(
        account,
        vec![RuleSpec::docker_hub(account, None)],
        RoleSpec::Standard,
        CREATE_DENIED,
    )
    .await;

    let report = diagnose_by_arn(&config, &task).await;

    let finding = root(&report, Code::ExecutionRoleMissingEcrPermissions);
    let denied: Vec<&str> = finding.evidence["denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["action"].as_str().unwrap())
        .collect();
    assert_eq!(denied, ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]);
    assert!(
        finding
            .remedy
            .contains("ecr:CreateRepository and ecr:BatchImportUpstreamImage"),
        "{}",
        finding.remedy
    );
    assert_eq!(
        errors(&report),
        vec![Code::ExecutionRoleMissingEcrPermissions],
        "not ECR_REPOSITORY_NOT_FOUND: {report:#?}"
    );
}

#[tokio::test]
async fn without_a_rule_the_same_missing_repository_is_not_found() {
    let account = "240000000004";
    let (config, task) = first_pull(account, Vec::new(), RoleSpec::Standard, CREATE_DENIED).await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(errors(&report), vec![Code::EcrRepositoryNotFound], "{report:#?}");
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == Code::EcrRepositoryNotFound)
        .unwrap();
    assert_eq!(finding.evidence["pullThroughCacheRule"], "none covers it");
}
