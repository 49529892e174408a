//! Classification: from the stop reasons ECS reports to a typed failure. Pure: no AWS, no I/O.
//!
//! Agents prepend plain-language hints to their messages and change wording between versions, so every
//! rule matches on the technical tail of the message, never on its head.

mod extract;

use serde::Serialize;

pub use extract::{extract_facts, find_kind};

/// The error name the agent put in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailureKind {
    CannotPullContainerError,
    CannotPullImageManifestError,
    CannotPullECRContainerError,
    CannotPullContainerAuthError,
    ResourceInitializationError,
    /// On EC2 an awslogs failure stops the container's start, not its pull; ours only when logs are the cause.
    CannotStartContainerError,
    /// "ECS was unable to assume the role ..." carries no error name of its own.
    UnableToAssumeRole,
    /// The EC2 agent gave up waiting for a pull: "Could not transition to pulled; timed out after waiting ...".
    DockerTimeoutError,
    /// stopCode TaskFailedToStart with no message we recognise.
    TaskFailedToStart,
    /// Any other stop: not an image-pull or resource-initialization failure.
    Other,
    /// The stop reason could not be read (the task is gone, or ecs:DescribeTasks failed).
    Unknown,
}

impl FailureKind {
    /// The kinds this tool diagnoses.
    pub fn is_applicable(self) -> bool {
        !matches!(self, FailureKind::Other)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Network,
    Permissions,
    Image,
    Registry,
    Secrets,
    Logs,
    Storage,
    /// A volume the task mounts (EFS) could not be set up.
    Volumes,
    /// An environment file (environmentFiles, on S3) could not be downloaded.
    EnvFiles,
    Unknown,
}

/// What went wrong, as far as the message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nature {
    /// A connection that never completed: i/o timeout, canceled request, deadline, killed pull.
    Timeout,
    /// A host name that did not resolve.
    DnsFailure,
    AccessDenied,
    NotFound,
    RateLimited,
    NoSpace,
    PlatformMismatch,
    /// No registry credentials at all (no execution role, no repositoryCredentials).
    CredentialsMissing,
    AssumeRoleFailed,
}

/// Where the failing request was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Destination {
    /// api.ecr.REGION: GetAuthorizationToken.
    EcrApi,
    /// ACCOUNT.dkr.ecr.REGION: manifests.
    EcrRegistry,
    /// prod-REGION-starport-layer-bucket on S3: image layers.
    EcrLayerBucket,
    /// A registry outside AWS (Docker Hub, ghcr.io, ...) or ECR Public.
    PublicRegistry,
    SecretsManager,
    SsmParameterStore,
    CloudWatchLogs,
    /// An EFS file system's mount target (NFS, TCP 2049), through the agent's EFS utils.
    Efs,
    /// An environment file's S3 bucket.
    EnvFileBucket,
}

/// Who refused, when the message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenialBasis {
    /// "because no identity-based policy allows": the role lacks the permission.
    NoIdentityPolicy,
    /// "because no resource-based policy allows": e.g. the cross-account repository policy.
    NoResourcePolicy,
    /// "because no VPC endpoint policy allows".
    NoEndpointPolicy,
    /// "with an explicit deny in ...".
    ExplicitDeny,
}

/// The facts a message carries. Every field is optional: messages differ in what they name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<Nature>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<Destination>,
    /// The host the failing request went to, when a URL is in the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_host: Option<String>,
    /// The address the failing connection went to (`dial tcp 10.0.2.9:443`): a private one is an
    /// interface endpoint's, a public one the service's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// A tag or `sha256:` digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The AWS API that failed, as `service:Action`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_api: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denial_basis: Option<DenialBasis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_arns: Vec<String>,
    /// SSM parameter names or ARNs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// The platform the task wanted, e.g. `linux/arm64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// A classified stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub category: Category,
    /// The stop reason, whole.
    pub message: String,
    pub facts: MessageFacts,
}

impl Failure {
    pub fn is_applicable(&self) -> bool {
        self.kind.is_applicable()
    }

    /// A failure whose stop reason could not be read.
    pub fn unknown() -> Self {
        Failure {
            kind: FailureKind::Unknown,
            category: Category::Unknown,
            message: String::new(),
            facts: MessageFacts::default(),
        }
    }
}

/// The reasons ECS gives for a stop: the task's own and each container's.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopReasons<'a> {
    pub stop_code: Option<&'a str>,
    pub stopped_reason: Option<&'a str>,
    pub container_reasons: &'a [&'a str],
}

/// Classifies a stop from all its reasons. On Fargate the pull error is often only in a container's
/// reason while the task's says "Task failed to start", so container reasons are read first.
pub fn classify(reasons: StopReasons<'_>) -> Failure {
    let candidates = reasons.container_reasons.iter().copied().chain(reasons.stopped_reason);
    let classified: Vec<Failure> = candidates
        .filter(|message| !message.trim().is_empty())
        .map(classify_message)
        .collect();
    // min_by_key keeps the first of equals, so container reasons win ties.
    let best = classified
        .iter()
        .filter(|f| f.is_applicable())
        .min_by_key(|f| (f.category == Category::Unknown, f.facts.nature.is_none()));
    if let Some(best) = best {
        return best.clone();
    }
    let message = reasons
        .stopped_reason
        .or(reasons.container_reasons.first().copied())
        .unwrap_or_default();
    let failed_to_start = reasons.stop_code == Some("TaskFailedToStart");
    // A named error that is not ours (CannotStartContainerError, OutOfMemoryError) is someone else's problem.
    let foreign_error = classified
        .iter()
        .any(|f| f.kind == FailureKind::Other && extract::names_an_error(&f.message));
    let kind = if failed_to_start && !foreign_error {
        FailureKind::TaskFailedToStart
    } else {
        FailureKind::Other
    };
    Failure {
        kind,
        category: Category::Unknown,
        message: message.to_string(),
        facts: MessageFacts::default(),
    }
}

/// Classifies one message.
pub fn classify_message(message: &str) -> Failure {
    let facts = extract_facts(message);
    let kind = match find_kind(message) {
        FailureKind::CannotStartContainerError if facts.destination != Some(Destination::CloudWatchLogs) => {
            FailureKind::Other
        }
        kind => kind,
    };
    let category = if kind.is_applicable() {
        categorize(&facts)
    } else {
        Category::Unknown
    };
    Failure {
        kind,
        category,
        message: message.to_string(),
        facts,
    }
}

fn categorize(facts: &MessageFacts) -> Category {
    use Destination as D;
    // Whatever went wrong with a mount, it is the volume's: its network, its policy, its existence.
    if facts.destination == Some(D::Efs) {
        return Category::Volumes;
    }
    // Likewise a download of environment files: the object, its bucket, who may read it, the way to S3.
    if facts.destination == Some(D::EnvFileBucket) {
        return Category::EnvFiles;
    }
    let Some(nature) = facts.nature else {
        return Category::Unknown;
    };
    match nature {
        Nature::Timeout | Nature::DnsFailure => Category::Network,
        Nature::NoSpace => Category::Storage,
        Nature::PlatformMismatch => Category::Image,
        Nature::RateLimited => Category::Registry,
        Nature::AssumeRoleFailed | Nature::CredentialsMissing => Category::Permissions,
        Nature::NotFound => match facts.destination {
            Some(D::SecretsManager | D::SsmParameterStore) => Category::Secrets,
            Some(D::CloudWatchLogs) => Category::Logs,
            // A registry that does not know the repository at all, versus a tag or digest it lacks.
            _ if facts.reference.is_none() && facts.repository.is_some() => Category::Registry,
            _ => Category::Image,
        },
        Nature::AccessDenied => match (facts.denial_basis, facts.destination) {
            (Some(DenialBasis::NoEndpointPolicy), _) | (_, Some(D::EcrLayerBucket)) => Category::Network,
            (Some(DenialBasis::NoResourcePolicy), _) => Category::Registry,
            (Some(_), _) => Category::Permissions,
            // A bare 403 from the registry: a repository policy or a cross-account grant, most often.
            (None, Some(D::EcrRegistry | D::PublicRegistry)) => Category::Registry,
            (None, _) => Category::Permissions,
        },
    }
}

#[cfg(test)]
pub(crate) mod tests;
