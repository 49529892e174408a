//! The verdict: which error finding explains the failure message best.

use serde::{Deserialize, Serialize};

use super::network::Service;
use super::{Code, Family, Finding, Severity};
use crate::classify::{Category, Destination, Failure, Nature};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// At least one error finding explains the failure.
    Diagnosed,
    /// The failure applies, but no error finding explains it.
    Inconclusive,
    /// The task did not stop for an image-pull or resource-initialization failure.
    NotApplicable,
    /// Pre-flight: nothing found would stop a new task.
    Ready,
    /// Pre-flight: an error finding says a new task would not start.
    WillFail,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerdictOutcome {
    pub verdict: Verdict,
    pub root_cause: Option<Code>,
    /// One sentence on why, for people.
    pub reason: String,
}

/// Whether a finding with `code` can explain a failure of `category`.
fn explains(category: Category, code: Code) -> bool {
    use Code::*;
    match category {
        // A pull-through cache that cannot reach its upstream answers as the upstream does: not
        // found, denied, or a bare 403 from the registry.
        Category::Image => matches!(
            code,
            EcrImageNotFound | EcrRepositoryNotFound | ImagePlatformMismatch | PullThroughCacheUpstreamAuthFailed
        ),
        Category::Registry => {
            code.family() == Family::Registry && code != ImagePlatformMismatch
                || matches!(
                    code,
                    ExecutionRoleMissingEcrPermissions | PullThroughCacheUpstreamAuthFailed
                )
        }
        Category::Network => code.family() == Family::Network,
        Category::Permissions => {
            code.family() == Family::Identity
                || matches!(
                    code,
                    EcrRepositoryPolicyDenies
                        | EcrCrossAccountAccessMissing
                        | PrivateRegistryCredentialsInvalid
                        | PullThroughCacheUpstreamAuthFailed
                )
        }
        Category::Secrets => matches!(
            code,
            SecretNotFound | ExecutionRoleMissingSecretsPermissions | PrivateRegistryCredentialsInvalid
        ),
        Category::Logs => matches!(code, LogGroupNotFound | ExecutionRoleMissingLogsPermissions),
        Category::Storage => code == EphemeralStorageExhausted,
        // A network ACL on the way to a mount target (its detail names EFS: see explanation_score).
        Category::Volumes => matches!(
            code,
            EfsFileSystemNotFound
                | EfsMountTargetMissing
                | EfsSecurityGroupBlocksNfs
                | EfsAccessDenied
                | NetworkAclBlocksTraffic
                | VpcDnsDisabled
        ),
        // The way to S3 too: without one the download never starts.
        Category::EnvFiles => matches!(code, EnvFileNotFound | EnvFileAccessDenied) || code.family() == Family::Network,
        Category::Unknown => false,
    }
}

/// How well `finding` explains `failure`: 0 not at all, 1 it is an error of an unknown failure,
/// 2 its code explains the category, 3 it also names what the message names.
pub fn explanation_score(finding: &Finding, failure: &Failure) -> u8 {
    if finding.severity != Severity::Error {
        return 0;
    }
    if failure.category == Category::Unknown {
        return 1;
    }
    if !explains(failure.category, finding.code) {
        return 0;
    }
    // A permission gap is answered with AccessDenied, never with "not found": a message saying the
    // thing does not exist is not explained by what the role may do, even when existence is unknown.
    if failure.facts.nature == Some(Nature::NotFound) && finding.code.family() == Family::Identity {
        return 0;
    }
    // A network finding explains a mount failure only on the way to the mount target, and a pull's
    // failure only on the way somewhere else.
    if finding.code.family() == Family::Network {
        let services = finding.detail.services();
        let to_efs = services.contains(&Service::Efs);
        let elsewhere = services.is_empty() || services.iter().any(|s| *s != Service::Efs);
        let explains = if failure.category == Category::Volumes {
            to_efs
        } else {
            elsewhere
        };
        if !explains {
            return 0;
        }
    }
    let facts = &failure.facts;
    // An environment file S3 refused is a question of access, one it does not have of existence.
    if facts.destination == Some(Destination::EnvFileBucket) {
        match (facts.nature, finding.code) {
            (Some(Nature::AccessDenied), Code::EnvFileNotFound)
            | (Some(Nature::NotFound), Code::EnvFileAccessDenied) => return 0,
            (Some(Nature::NotFound), code) if code.family() == Family::Network => return 0,
            _ => {}
        }
    }
    // A mount the server refused is a question of access; one that never connected, of the way there.
    if facts.destination == Some(Destination::Efs) {
        let access = finding.code == Code::EfsAccessDenied;
        match facts.nature {
            Some(Nature::AccessDenied) if !access => return 0,
            Some(Nature::Timeout | Nature::DnsFailure) if access => return 0,
            _ => {}
        }
    }
    // Network findings name the services they cut off; the message names where the request went.
    let service = facts.destination.map(|destination| match destination {
        Destination::EcrApi => Service::EcrApi,
        Destination::EcrRegistry => Service::EcrDkr,
        Destination::EcrLayerBucket => Service::S3,
        Destination::PublicRegistry => Service::Internet,
        Destination::SecretsManager => Service::SecretsManager,
        Destination::SsmParameterStore => Service::Ssm,
        Destination::CloudWatchLogs => Service::Logs,
        Destination::Efs => Service::Efs,
        Destination::EnvFileBucket => Service::S3,
    });
    let cuts_off_destination = service.is_some_and(|service| finding.detail.services().contains(&service));
    let names_it = cuts_off_destination
        || !finding.resource.is_empty() && failure.message.contains(&finding.resource)
        || facts.repository.as_deref().is_some_and(|repository| {
            finding.resource.ends_with(&format!("/{repository}"))
                || finding.resource.contains(&format!("/{repository}:"))
                || finding.resource.contains(&format!("/{repository}@"))
        });
    if names_it { 3 } else { 2 }
}

/// The findings that explain this failure, as indices into `findings` ordered by [`decide`]: the root
/// cause, and every error whose code explains the failure's category. Only these are fixed; the
/// other errors are reported with their remedy.
pub fn explaining(failure: &Failure, findings: &[Finding]) -> Vec<usize> {
    findings
        .iter()
        .enumerate()
        .filter(|(index, finding)| match explanation_score(finding, failure) {
            0 => false,
            // An unknown failure: only the root, chosen from equals by the checks' order.
            1 => *index == 0,
            _ => true,
        })
        .map(|(index, _)| index)
        .collect()
}

/// Decides the verdict and puts the root cause first, then errors, warnings and infos.
pub fn decide(failure: &Failure, findings: &mut [Finding]) -> VerdictOutcome {
    if !failure.is_applicable() {
        return VerdictOutcome {
            verdict: Verdict::NotApplicable,
            root_cause: None,
            reason: "The task did not stop for an image-pull or resource-initialization failure.".into(),
        };
    }
    // Stable sort: among equals, the checks' own order (network before identity before registry) stays.
    findings.sort_by_key(|f| (std::cmp::Reverse(explanation_score(f, failure)), f.severity));
    match findings.first().filter(|f| explanation_score(f, failure) > 0) {
        Some(root) => VerdictOutcome {
            verdict: Verdict::Diagnosed,
            root_cause: Some(root.code),
            reason: format!("{} explains the failure: {}", root.code.as_str(), root.summary),
        },
        None => {
            let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
            let gaps = findings.iter().filter(|f| f.code == Code::CheckFailed).count();
            let mut reason = String::from("No error finding explains this failure");
            if errors > 0 {
                reason.push_str(&format!("; {errors} other error(s) would stop the task too"));
            }
            if gaps > 0 {
                reason.push_str(&format!("; {gaps} check(s) could not run"));
            }
            reason.push_str(". A transient failure is possible: retry the task, or run the AWS runbook.");
            VerdictOutcome {
                verdict: Verdict::Inconclusive,
                root_cause: None,
                reason,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cutting_off(services: &[Service]) -> crate::checks::Detail {
        crate::checks::Detail::Network(crate::checks::NetworkDetail {
            services: services.to_vec(),
            repair: None,
        })
    }
    use crate::classify::classify_message;

    const MISSING_TAG: &str = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:v2: not found";
    const ECR_TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.1.5:443: i/o timeout";

    fn error(code: Code, resource: &str) -> Finding {
        Finding::new(code, Severity::Error, resource, "s")
    }

    #[test]
    fn the_finding_that_names_the_image_in_the_message_wins() {
        let failure = classify_message(MISSING_TAG);
        let mut findings = vec![
            Finding::new(Code::CheckFailed, Severity::Info, "x", "s"),
            error(
                Code::EcrImageNotFound,
                "111122223333.dkr.ecr.us-east-1.amazonaws.com/sidecar:v1",
            ),
            error(
                Code::EcrImageNotFound,
                "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:v2",
            ),
        ];
        let outcome = decide(&failure, &mut findings);
        assert_eq!(outcome.verdict, Verdict::Diagnosed);
        assert_eq!(outcome.root_cause, Some(Code::EcrImageNotFound));
        assert_eq!(
            findings[0].resource,
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:v2"
        );
        assert_eq!(findings[2].severity, Severity::Info, "infos last");
    }

    #[test]
    fn a_missing_permission_does_not_explain_a_thing_that_was_not_found() {
        // Found by the fault suite: with the secret's existence unreadable, the role's missing
        // permission must not become the cause of "can't find the specified secret".
        let failure = classify_message(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
        );
        let mut findings = vec![error(
            Code::ExecutionRoleMissingSecretsPermissions,
            "arn:aws:iam::111122223333:role/exec",
        )];
        assert_eq!(decide(&failure, &mut findings).root_cause, None);
        let mut findings = vec![
            error(Code::ExecutionRoleMissingSecretsPermissions, "r"),
            error(
                Code::SecretNotFound,
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            ),
        ];
        assert_eq!(decide(&failure, &mut findings).root_cause, Some(Code::SecretNotFound));
    }

    #[test]
    fn an_error_of_another_category_does_not_explain_the_message() {
        let failure = classify_message(ECR_TIMEOUT);
        let mut findings = vec![error(
            Code::EcrImageNotFound,
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:v2",
        )];
        let outcome = decide(&failure, &mut findings);
        assert_eq!(outcome.verdict, Verdict::Inconclusive);
        assert_eq!(outcome.root_cause, None);
        assert!(outcome.reason.contains("1 other error"), "{}", outcome.reason);
    }

    #[test]
    fn a_network_finding_explains_a_timeout() {
        let failure = classify_message(ECR_TIMEOUT);
        let mut findings = vec![
            error(
                Code::EcrImageNotFound,
                "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:v2",
            ),
            error(Code::NoInternetRoute, "subnet-1"),
        ];
        let outcome = decide(&failure, &mut findings);
        assert_eq!(outcome.root_cause, Some(Code::NoInternetRoute));
        assert_eq!(findings[0].code, Code::NoInternetRoute);
    }

    #[test]
    fn the_network_finding_that_cuts_off_the_messages_destination_wins() {
        let failure = classify_message(ECR_TIMEOUT);
        let mut findings = vec![
            error(Code::VpcEndpointPrivateDnsDisabled, "vpce-logs").detail(cutting_off(&[Service::Logs])),
            error(Code::SecurityGroupBlocksEgress, "sg-1").detail(cutting_off(&[Service::S3])),
            error(Code::VpcEndpointMissing, "vpc-1").detail(cutting_off(&[Service::EcrDkr, Service::EcrApi])),
        ];
        let outcome = decide(&failure, &mut findings);
        assert_eq!(outcome.root_cause, Some(Code::VpcEndpointMissing));
        assert_eq!(findings[0].resource, "vpc-1");
    }

    #[test]
    fn warnings_and_infos_never_become_the_root_cause() {
        let failure = classify_message(MISSING_TAG);
        let mut findings = vec![
            Finding::new(Code::EcrImageNotFound, Severity::Warning, "w", "s"),
            Finding::new(Code::CheckFailed, Severity::Info, "i", "s"),
        ];
        assert_eq!(decide(&failure, &mut findings).verdict, Verdict::Inconclusive);
    }

    #[test]
    fn an_unknown_message_is_explained_by_any_error() {
        let failure = classify_message("CannotPullContainerError: something new");
        let mut findings = vec![error(
            Code::EcrRepositoryNotFound,
            "arn:aws:ecr:us-east-1:111122223333:repository/web",
        )];
        assert_eq!(
            decide(&failure, &mut findings).root_cause,
            Some(Code::EcrRepositoryNotFound)
        );
    }

    #[test]
    fn other_stops_are_not_applicable() {
        let failure = classify_message("Essential container in task exited");
        let mut findings = vec![];
        assert_eq!(decide(&failure, &mut findings).verdict, Verdict::NotApplicable);
    }
}
