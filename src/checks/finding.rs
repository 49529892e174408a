//! What checks produce: findings (something is wrong or unknown) and passes (something was verified).

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    // Secrets, logs, storage
    SecretNotFound,
    LogGroupNotFound,
    EphemeralStorageExhausted,
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
    General,
}

impl Code {
    pub fn family(self) -> Family {
        use Code::*;
        match self {
            NoInternetRoute | PublicIpNotAssigned | NatGatewayUnavailable | VpcEndpointMissing | VpcEndpointPrivateDnsDisabled
            | VpcDnsDisabled | S3GatewayRouteMissing | S3EndpointPolicyBlocksLayers | VpcEndpointPolicyDenies
            | SecurityGroupBlocksEgress | EndpointSecurityGroupBlocksIngress | NetworkAclBlocksTraffic => Family::Network,
            ExecutionRoleMissing | ExecutionRoleNotFound | ExecutionRoleTrustInvalid | ExecutionRoleMissingEcrPermissions
            | ExecutionRoleMissingSecretsPermissions | ExecutionRoleMissingLogsPermissions => Family::Identity,
            EcrRepositoryNotFound | EcrImageNotFound | EcrRepositoryPolicyDenies | EcrCrossAccountAccessMissing
            | ImagePlatformMismatch | RegistryRateLimited | PrivateRegistryCredentialsInvalid => Family::Registry,
            SecretNotFound | LogGroupNotFound | EphemeralStorageExhausted => Family::SecretsLogsStorage,
            TaskNotFound | CheckFailed => Family::General,
        }
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Safe,
    Cost,
    Exposure,
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
        }
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
    pub fn finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub fn pass(&mut self, check: &str, resource: impl Into<String>, summary: impl Into<String>) {
        self.passes.push(Pass { check: check.to_string(), resource: resource.into(), summary: summary.into() });
    }

    pub fn extend(&mut self, other: Outcome) {
        self.findings.extend(other.findings);
        self.passes.extend(other.passes);
    }
}
