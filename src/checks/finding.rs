//! What checks produce: findings (something is wrong or unknown) and passes (something was verified).

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::settings::Risk;

/// The finding codes of CONTRACT.md. Users build alerts on these names: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    // Network path
    NoInternetRoute,
    PublicIpNotAssigned,
    NatGatewayUnavailable,
    VpcEndpointMissing,
    VpcEndpointPrivateDnsDisabled,
    VpcDnsDisabled,
    S3GatewayRouteMissing,
    S3EndpointPolicyBlocksLayers,
    VpcEndpointPolicyDenies,
    SecurityGroupBlocksEgress,
    EndpointSecurityGroupBlocksIngress,
    NetworkAclBlocksTraffic,
    // Identity
    ExecutionRoleMissing,
    ExecutionRoleNotFound,
    ExecutionRoleTrustInvalid,
    ExecutionRoleMissingEcrPermissions,
    ExecutionRoleMissingSecretsPermissions,
    ExecutionRoleMissingLogsPermissions,
    // Registry and image
    EcrRepositoryNotFound,
    EcrImageNotFound,
    EcrRepositoryPolicyDenies,
    EcrCrossAccountAccessMissing,
    ImagePlatformMismatch,
    RegistryRateLimited,
    PrivateRegistryCredentialsInvalid,
    /// Pre-flight warning: the service deploys a tag its repository lets move to another image.
    ImageTagMutable,
    /// Pre-flight warning: a lifecycle rule of the repository selects the deployed image.
    EcrLifecycleExpiresImage,
    // Secrets, logs, storage
    SecretNotFound,
    LogGroupNotFound,
    EphemeralStorageExhausted,
    // Volumes, environment files, pull-through cache
    EfsFileSystemNotFound,
    EfsMountTargetMissing,
    EfsSecurityGroupBlocksNfs,
    EfsAccessDenied,
    EnvFileNotFound,
    EnvFileAccessDenied,
    PullThroughCacheUpstreamAuthFailed,
    // General
    TaskNotFound,
    CheckFailed,
}

/// The families of CONTRACT.md's list of codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Network,
    Identity,
    Registry,
    SecretsLogsStorage,
    VolumesFilesCache,
    General,
}

impl Code {
    pub fn family(self) -> Family {
        use Code::*;
        match self {
            NoInternetRoute
            | PublicIpNotAssigned
            | NatGatewayUnavailable
            | VpcEndpointMissing
            | VpcEndpointPrivateDnsDisabled
            | VpcDnsDisabled
            | S3GatewayRouteMissing
            | S3EndpointPolicyBlocksLayers
            | VpcEndpointPolicyDenies
            | SecurityGroupBlocksEgress
            | EndpointSecurityGroupBlocksIngress
            | NetworkAclBlocksTraffic => Family::Network,
            ExecutionRoleMissing
            | ExecutionRoleNotFound
            | ExecutionRoleTrustInvalid
            | ExecutionRoleMissingEcrPermissions
            | ExecutionRoleMissingSecretsPermissions
            | ExecutionRoleMissingLogsPermissions => Family::Identity,
            EcrRepositoryNotFound
            | EcrImageNotFound
            | EcrRepositoryPolicyDenies
            | EcrCrossAccountAccessMissing
            | ImagePlatformMismatch
            | RegistryRateLimited
            | PrivateRegistryCredentialsInvalid
            | ImageTagMutable
            | EcrLifecycleExpiresImage => Family::Registry,
            SecretNotFound | LogGroupNotFound | EphemeralStorageExhausted => Family::SecretsLogsStorage,
            EfsFileSystemNotFound
            | EfsMountTargetMissing
            | EfsSecurityGroupBlocksNfs
            | EfsAccessDenied
            | EnvFileNotFound
            | EnvFileAccessDenied
            | PullThroughCacheUpstreamAuthFailed => Family::VolumesFilesCache,
            TaskNotFound | CheckFailed => Family::General,
        }
    }

    /// Every code, in CONTRACT.md's order.
    pub const ALL: [Code; 39] = {
        use Code::*;
        [
            NoInternetRoute,
            PublicIpNotAssigned,
            NatGatewayUnavailable,
            VpcEndpointMissing,
            VpcEndpointPrivateDnsDisabled,
            VpcDnsDisabled,
            S3GatewayRouteMissing,
            S3EndpointPolicyBlocksLayers,
            VpcEndpointPolicyDenies,
            SecurityGroupBlocksEgress,
            EndpointSecurityGroupBlocksIngress,
            NetworkAclBlocksTraffic,
            ExecutionRoleMissing,
            ExecutionRoleNotFound,
            ExecutionRoleTrustInvalid,
            ExecutionRoleMissingEcrPermissions,
            ExecutionRoleMissingSecretsPermissions,
            ExecutionRoleMissingLogsPermissions,
            EcrRepositoryNotFound,
            EcrImageNotFound,
            EcrRepositoryPolicyDenies,
            EcrCrossAccountAccessMissing,
            ImagePlatformMismatch,
            RegistryRateLimited,
            PrivateRegistryCredentialsInvalid,
            ImageTagMutable,
            EcrLifecycleExpiresImage,
            SecretNotFound,
            LogGroupNotFound,
            EphemeralStorageExhausted,
            EfsFileSystemNotFound,
            EfsMountTargetMissing,
            EfsSecurityGroupBlocksNfs,
            EfsAccessDenied,
            EnvFileNotFound,
            EnvFileAccessDenied,
            PullThroughCacheUpstreamAuthFailed,
            TaskNotFound,
            CheckFailed,
        ]
    };

    /// The code as the report writes it.
    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            NoInternetRoute => "NO_INTERNET_ROUTE",
            PublicIpNotAssigned => "PUBLIC_IP_NOT_ASSIGNED",
            NatGatewayUnavailable => "NAT_GATEWAY_UNAVAILABLE",
            VpcEndpointMissing => "VPC_ENDPOINT_MISSING",
            VpcEndpointPrivateDnsDisabled => "VPC_ENDPOINT_PRIVATE_DNS_DISABLED",
            VpcDnsDisabled => "VPC_DNS_DISABLED",
            S3GatewayRouteMissing => "S3_GATEWAY_ROUTE_MISSING",
            S3EndpointPolicyBlocksLayers => "S3_ENDPOINT_POLICY_BLOCKS_LAYERS",
            VpcEndpointPolicyDenies => "VPC_ENDPOINT_POLICY_DENIES",
            SecurityGroupBlocksEgress => "SECURITY_GROUP_BLOCKS_EGRESS",
            EndpointSecurityGroupBlocksIngress => "ENDPOINT_SECURITY_GROUP_BLOCKS_INGRESS",
            NetworkAclBlocksTraffic => "NETWORK_ACL_BLOCKS_TRAFFIC",
            ExecutionRoleMissing => "EXECUTION_ROLE_MISSING",
            ExecutionRoleNotFound => "EXECUTION_ROLE_NOT_FOUND",
            ExecutionRoleTrustInvalid => "EXECUTION_ROLE_TRUST_INVALID",
            ExecutionRoleMissingEcrPermissions => "EXECUTION_ROLE_MISSING_ECR_PERMISSIONS",
            ExecutionRoleMissingSecretsPermissions => "EXECUTION_ROLE_MISSING_SECRETS_PERMISSIONS",
            ExecutionRoleMissingLogsPermissions => "EXECUTION_ROLE_MISSING_LOGS_PERMISSIONS",
            EcrRepositoryNotFound => "ECR_REPOSITORY_NOT_FOUND",
            EcrImageNotFound => "ECR_IMAGE_NOT_FOUND",
            EcrRepositoryPolicyDenies => "ECR_REPOSITORY_POLICY_DENIES",
            EcrCrossAccountAccessMissing => "ECR_CROSS_ACCOUNT_ACCESS_MISSING",
            ImagePlatformMismatch => "IMAGE_PLATFORM_MISMATCH",
            RegistryRateLimited => "REGISTRY_RATE_LIMITED",
            PrivateRegistryCredentialsInvalid => "PRIVATE_REGISTRY_CREDENTIALS_INVALID",
            ImageTagMutable => "IMAGE_TAG_MUTABLE",
            EcrLifecycleExpiresImage => "ECR_LIFECYCLE_EXPIRES_IMAGE",
            SecretNotFound => "SECRET_NOT_FOUND",
            LogGroupNotFound => "LOG_GROUP_NOT_FOUND",
            EphemeralStorageExhausted => "EPHEMERAL_STORAGE_EXHAUSTED",
            EfsFileSystemNotFound => "EFS_FILE_SYSTEM_NOT_FOUND",
            EfsMountTargetMissing => "EFS_MOUNT_TARGET_MISSING",
            EfsSecurityGroupBlocksNfs => "EFS_SECURITY_GROUP_BLOCKS_NFS",
            EfsAccessDenied => "EFS_ACCESS_DENIED",
            EnvFileNotFound => "ENV_FILE_NOT_FOUND",
            EnvFileAccessDenied => "ENV_FILE_ACCESS_DENIED",
            PullThroughCacheUpstreamAuthFailed => "PULL_THROUGH_CACHE_UPSTREAM_AUTH_FAILED",
            TaskNotFound => "TASK_NOT_FOUND",
            CheckFailed => "CHECK_FAILED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A cause that by itself stops the pull or the task's start.
    Error,
    /// A risk that did not cause this failure.
    Warning,
    /// What could not be checked.
    Info,
}

/// A fix the doctor can make itself, when its configuration allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub id: String,
    pub risk: Risk,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The id or ARN the finding is about.
    pub resource: String,
    pub summary: String,
    pub evidence: Value,
    pub fix: Option<Fix>,
    /// What a person does about it, whether or not the doctor can fix it itself.
    pub remedy: String,
    /// What the later stages read; not part of the report.
    #[serde(skip)]
    pub detail: super::Detail,
}

impl Finding {
    pub fn new(code: Code, severity: Severity, resource: impl Into<String>, summary: impl Into<String>) -> Self {
        Finding {
            code,
            severity,
            resource: resource.into(),
            summary: summary.into(),
            evidence: Value::Object(Default::default()),
            fix: None,
            remedy: String::new(),
            detail: super::Detail::of(code),
        }
    }

    pub fn detail(mut self, detail: super::Detail) -> Self {
        self.detail = detail;
        self
    }

    pub fn evidence(mut self, evidence: Value) -> Self {
        self.evidence = evidence;
        self
    }

    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = remedy.into();
        self
    }
}

/// A check that ran and found its part of the environment healthy: the green lines of the checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pass {
    pub check: String,
    pub resource: String,
    pub summary: String,
}

/// What a set of checks produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub passes: Vec<Pass>,
}

impl Outcome {
    /// Adds `finding`, unless it is a CHECK_FAILED saying word for word what one already here says
    /// (one task role shared by several volumes, say, is not simulated once per volume).
    pub fn finding(&mut self, finding: Finding) {
        let repeated = finding.code == Code::CheckFailed
            && self
                .findings
                .iter()
                .any(|f| f.code == Code::CheckFailed && f.resource == finding.resource && f.summary == finding.summary);
        if !repeated {
            self.findings.push(finding);
        }
    }

    pub fn pass(&mut self, check: &str, resource: impl Into<String>, summary: impl Into<String>) {
        self.passes.push(Pass {
            check: check.to_string(),
            resource: resource.into(),
            summary: summary.into(),
        });
    }

    pub fn extend(&mut self, other: Outcome) {
        for finding in other.findings {
            self.finding(finding);
        }
        self.passes.extend(other.passes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_written_as_the_report_serializes_it() {
        for code in Code::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str(), "{code:?}");
        }
    }
}
