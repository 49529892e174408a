//! The execution role, the secrets and parameters the task reads, its log groups, as AWS describes them.

use serde::Serialize;

use super::{CallFailure, Fact};

#[derive(Debug, Clone, PartialEq)]
pub struct RoleFacts {
    pub arn: String,
    pub name: String,
    /// The trust policy, as JSON.
    pub trust_policy: String,
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    Inline,
    Managed,
    Boundary,
}

/// One of the role's policies, as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct RolePolicy {
    pub name: String,
    pub kind: PolicyKind,
    pub document: String,
}

/// iam:SimulatePrincipalPolicy's answer for one action on one resource, with what decided it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulatedDecision {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: String,
    /// The policies whose statements matched.
    pub matched: Vec<String>,
    /// Condition keys the simulation had no value for: the real request may decide otherwise.
    pub missing_context: Vec<String>,
    /// Whether the permissions boundary allows it; `None` when the role has none.
    pub allowed_by_boundary: Option<bool>,
    /// Whether the organization's service control policies allow it; `None` when not reported.
    pub allowed_by_organizations: Option<bool>,
}

/// How the role's permissions were read.
#[derive(Debug, Clone, PartialEq)]
pub enum Permissions {
    /// IAM simulated every request the task makes.
    Simulated(Vec<SimulatedDecision>),
    /// The simulation was not allowed or not available; the role's policies were read instead.
    Offline {
        simulation: CallFailure,
        policies: Fact<Vec<RolePolicy>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRoleFacts {
    pub arn: String,
    /// `None`: no such role.
    pub role: Fact<Option<RoleFacts>>,
    /// Not read when the role does not exist.
    pub permissions: Option<Permissions>,
}

/// A secret or parameter the task reads, looked up without reading its value.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretFacts {
    pub container: String,
    /// The environment variable it becomes, or `None` for registry credentials.
    pub name: Option<String>,
    pub value_from: String,
    /// `None`: it does not exist.
    pub lookup: Fact<Option<SecretMeta>>,
    /// The key behind a KMS alias that encrypts it, read with kms:DescribeKey (`Known(None)`: no
    /// such alias). `None` when its key is not named by an alias.
    pub alias_key: Option<Fact<Option<String>>>,
}

impl SecretMeta {
    /// The alias naming its customer-managed key, when an alias does (`alias/x` or an alias ARN).
    pub fn key_alias(&self) -> Option<&str> {
        self.kms_key_id
            .as_deref()
            .filter(|k| k.starts_with("alias/") || k.contains(":alias/"))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretMeta {
    pub arn: String,
    /// The customer-managed KMS key that encrypts it, when there is one.
    pub kms_key_id: Option<String>,
    /// When a Secrets Manager secret is scheduled for deletion: it cannot be read meanwhile.
    pub deletion_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupFacts {
    pub container: String,
    pub group: String,
    pub region: String,
    pub create_group: bool,
    pub exists: Fact<bool>,
}
