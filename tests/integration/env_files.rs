//! Environment files, end to end: each code as the root cause of a failed download, and the healthy
//! twin (the object there, the role allowed) with no error finding under the same message.

use ecs_pull_doctor::checks::{Code, Verdict};

use crate::common::{self, errors, root};
use crate::registry::diagnose_by_arn;
use crate::support::scenario::{DefinitionSpec, EnvFileSpec, NetworkSpec, RoleSpec, StoppedTask};

const DENIED: &str = "ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): AccessDenied: Access Denied status code: 403";
const NO_SUCH_KEY: &str = "ResourceInitializationError: failed to download env files: file download command: non empty error stream: NoSuchKey: The specified key does not exist. status code: 404";
/// What the execution role needs for an environment file, beside the managed policy.
const READ_ENV_FILES: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetBucketLocation"],"Resource":"*"}]}"#;

async fn stopped(
    account_id: &str,
    file: EnvFileSpec,
    role: RoleSpec,
    reason: &str,
) -> (aws_config::SdkConfig, StoppedTask) {
    let definition = DefinitionSpec {
        env_file: Some(file),
        role,
        ..DefinitionSpec::default()
    };
    common::stopped(account_id, "env", NetworkSpec::default(), definition, reason).await
}

#[tokio::test]
async fn a_file_that_is_there_and_readable_has_no_error_finding() {
    let (config, task) = stopped(
        "290000000001",
        EnvFileSpec::Present { bucket_policy: None },
        RoleSpec::StandardPlus(vec![READ_ENV_FILES.into()]),
        DENIED,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert_eq!(report.verdict, Verdict::Inconclusive);
    let passed: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in ["env-file", "execution-role-env-files"] {
        assert!(passed.contains(&check), "{check} in {passed:?}");
    }
}

#[tokio::test]
async fn an_object_or_bucket_that_does_not_exist() {
    for (account, file, call) in [
        ("290000000002", EnvFileSpec::ObjectMissing, "s3:ListBucket"),
        ("290000000003", EnvFileSpec::BucketMissing, "s3:GetBucketLocation"),
    ] {
        let (config, task) = stopped(
            account,
            file,
            RoleSpec::StandardPlus(vec![READ_ENV_FILES.into()]),
            NO_SUCH_KEY,
        )
        .await;
        let report = diagnose_by_arn(&config, &task).await;
        let finding = root(&report, Code::EnvFileNotFound);
        assert_eq!(finding.evidence["call"], call);
        assert_eq!(finding.evidence["key"], "app.env");
        assert_eq!(errors(&report), vec![Code::EnvFileNotFound]);
    }
}

#[tokio::test]
async fn an_execution_role_without_s3_get_object() {
    let (config, task) = stopped(
        "290000000004",
        EnvFileSpec::Present { bucket_policy: None },
        RoleSpec::Standard,
        DENIED,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EnvFileAccessDenied);
    assert_eq!(finding.evidence["denied"][0]["action"], "s3:GetBucketLocation");
    assert!(
        finding.remedy.contains("s3:GetObject on each environment file"),
        "{}",
        finding.remedy
    );
    assert_eq!(errors(&report), vec![Code::EnvFileAccessDenied]);
}

#[tokio::test]
async fn a_bucket_policy_that_denies_the_role() {
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}"#;
    let (config, task) = stopped(
        "290000000005",
        EnvFileSpec::Present {
            bucket_policy: Some(deny),
        },
        RoleSpec::StandardPlus(vec![READ_ENV_FILES.into()]),
        DENIED,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EnvFileAccessDenied);
    assert_eq!(finding.evidence["deniedBy"], "the bucket policy");
    assert_eq!(errors(&report), vec![Code::EnvFileAccessDenied]);
}
