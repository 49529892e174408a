//! EFS volumes, end to end: each code as the root cause of an EFS mount failure, and the healthy
//! twin (a reachable mount target in the task's zone) with no error finding under the same message.

use ecs_pull_doctor::checks::{Code, Verdict};

use crate::common::{self, errors, root};
use crate::registry::diagnose_by_arn;
use crate::support::scenario::{DefinitionSpec, EfsSpec, NetworkSpec, RoleSpec, StoppedTask};

const UNRESOLVED: &str = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve \"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com\" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.";
const REFUSED: &str = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: access denied by server while mounting fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/' : unsuccessful EFS utils command execution; code: 32";
/// The console's default file system policy: any client that comes through a mount target.
const CONSOLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}}}]}"#;
/// Mounts only for one role, so only with IAM authorization.
const ONE_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::280000000007:role/reader"},"Action":["elasticfilesystem:ClientMount"]}]}"#;
const RESET: &str = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: Connection reset by peer' : unsuccessful EFS utils command execution; code: 32";

async fn stopped(account_id: &str, efs: EfsSpec, reason: &str) -> (aws_config::SdkConfig, StoppedTask) {
    let definition = DefinitionSpec {
        efs: Some(efs),
        ..DefinitionSpec::default()
    };
    common::stopped(account_id, "vol", NetworkSpec::default(), definition, reason).await
}

#[tokio::test]
async fn a_reachable_mount_target_in_the_task_zone_has_no_error_finding() {
    for (account, reason) in [("280000000001", UNRESOLVED), ("280000000002", RESET)] {
        let (config, task) = stopped(
            account,
            EfsSpec::Served {
                admit: true,
                policy: None,
            },
            reason,
        )
        .await;
        let report = diagnose_by_arn(&config, &task).await;
        assert_eq!(errors(&report), vec![], "{report:#?}");
        assert_eq!(report.verdict, Verdict::Inconclusive);
        let passed: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
        for check in ["efs-file-system", "efs-mount-target", "efs-nfs"] {
            assert!(passed.contains(&check), "{check} in {passed:?}");
        }
    }
}

#[tokio::test]
async fn a_file_system_that_does_not_exist() {
    let (config, task) = stopped("280000000003", EfsSpec::Missing, UNRESOLVED).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EfsFileSystemNotFound);
    assert_eq!(finding.resource, "fs-0000000000000000d");
    assert_eq!(finding.evidence["call"], "elasticfilesystem:DescribeFileSystems");
    assert_eq!(finding.evidence["volume"], "data");
    assert_eq!(errors(&report), vec![Code::EfsFileSystemNotFound]);
}

#[tokio::test]
async fn no_mount_target_in_the_task_zone() {
    let (config, task) = stopped("280000000004", EfsSpec::ElsewhereOnly, UNRESOLVED).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EfsMountTargetMissing);
    assert_eq!(finding.evidence["availabilityZone"], "us-east-1a");
    assert_eq!(finding.evidence["mountTargets"][0]["availabilityZone"], "us-east-1b");
    assert!(finding.remedy.contains(&task.network.subnet_id), "{}", finding.remedy);
    assert_eq!(errors(&report), vec![Code::EfsMountTargetMissing]);
}

#[tokio::test]
async fn a_mount_target_group_that_does_not_admit_nfs() {
    let (config, task) = stopped(
        "280000000005",
        EfsSpec::Served {
            admit: false,
            policy: None,
        },
        RESET,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EfsSecurityGroupBlocksNfs);
    assert_eq!(finding.evidence["direction"], "ingress");
    assert_eq!(
        finding.evidence["taskSecurityGroups"][0],
        task.network.security_group_id.as_str()
    );
    assert!(
        finding.remedy.contains("TCP 2049 in to security group sg-"),
        "{}",
        finding.remedy
    );
    assert_eq!(errors(&report), vec![Code::EfsSecurityGroupBlocksNfs]);
}

#[tokio::test]
async fn a_file_system_policy_that_lets_the_mount_in_has_no_error_finding() {
    let (config, task) = stopped(
        "280000000006",
        EfsSpec::Served {
            admit: true,
            policy: Some(CONSOLE_POLICY),
        },
        REFUSED,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert!(
        report.passed.iter().any(|p| p.check == "efs-policy"),
        "{:#?}",
        report.passed
    );
}

#[tokio::test]
async fn a_file_system_policy_that_refuses_an_anonymous_mount() {
    let (config, task) = stopped(
        "280000000007",
        EfsSpec::Served {
            admit: true,
            policy: Some(ONE_ROLE_POLICY),
        },
        REFUSED,
    )
    .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EfsAccessDenied);
    assert_eq!(finding.evidence["iamAuthorization"], false);
    assert_eq!(finding.evidence["action"], "elasticfilesystem:ClientMount");
    assert!(finding.remedy.contains("IAM authorization"), "{}", finding.remedy);
    assert_eq!(errors(&report), vec![Code::EfsAccessDenied]);
}

/// With IAM authorization the task role mounts: here it may only read objects from S3.
#[tokio::test]
async fn a_task_role_not_allowed_to_mount() {
    let s3_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let mount = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*"}]}"#;
    for (account, policy, denied) in [("280000000008", s3_only, true), ("280000000009", mount, false)] {
        let definition = DefinitionSpec {
            efs: Some(EfsSpec::Served {
                admit: true,
                policy: None,
            }),
            task_role: Some(RoleSpec::Inline(vec![policy.into()])),
            efs_access_point: true,
            ..DefinitionSpec::default()
        };
        let (config, task) = common::stopped(account, "vol", NetworkSpec::default(), definition, REFUSED).await;
        let report = diagnose_by_arn(&config, &task).await;
        if denied {
            let finding = root(&report, Code::EfsAccessDenied);
            assert!(
                finding
                    .summary
                    .starts_with("Task role vol-task is not allowed elasticfilesystem:ClientMount"),
                "{}",
                finding.summary
            );
            assert_eq!(errors(&report), vec![Code::EfsAccessDenied]);
        } else {
            assert_eq!(errors(&report), vec![], "{report:#?}");
            for check in ["efs-task-role", "efs-access-point"] {
                assert!(
                    report.passed.iter().any(|p| p.check == check),
                    "{check}: {:#?}",
                    report.passed
                );
            }
        }
    }
}
