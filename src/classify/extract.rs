//! The regular expressions that pull facts out of agent messages. Each is compiled once.

use std::sync::LazyLock;

use regex::Regex;

use super::{DenialBasis, Destination, FailureKind, MessageFacts, Nature};
use crate::model::{ImageRef, ImageSelector, Registry};

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the classifier's patterns are valid")
}

static ERROR_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z][A-Za-z]+Error\b"));
static URL_HOST: LazyLock<Regex> = LazyLock::new(|| re(r#"https?://([A-Za-z0-9.-]+)(?::\d+)?"#));
/// Where agents name the image they tried: "failed to resolve ref X: ...", "pull access denied for X,",
/// "repository X not found", "manifest for X not found", "REDACTED ECR URL related to X", and since
/// 2024 "The task cannot pull ‘X’ from the Amazon ECR repository ‘Y’".
static IMAGE_MENTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:failed to resolve ref(?:erence)? "?|pull access denied for |ECR URL related to |manifest for |cannot pull [‘'])([A-Za-z0-9][A-Za-z0-9._/:@-]*[A-Za-z0-9_])|repository ([A-Za-z0-9][A-Za-z0-9._/:@-]*) not found"#,
    )
});
static ECR_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?"));
static ECR_API_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bapi\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com"));
/// `fs-0123.efs.REGION.amazonaws.com`: a file system's mount name.
static EFS_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bfs-[0-9a-f]+\.efs\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com"));
static LAYER_BUCKET: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bprod-([a-z]{2}(?:-[a-z]+)+-\d)-starport-layer-bucket\b"));
static OPERATION_ERROR: LazyLock<Regex> = LazyLock::new(|| re(r"operation error ([A-Za-z ]+?): ([A-Za-z]+)"));
static NOT_AUTHORIZED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z*]+)(?: on resource:? (\S+?))?(?:[,.]?\s|[,.]?$)")
});
static STS_ROLE: LazyLock<Regex> =
    LazyLock::new(|| re(r"arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([A-Za-z0-9+=,.@_-]+)/"));
static IAM_ROLE: LazyLock<Regex> =
    LazyLock::new(|| re(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]*[A-Za-z0-9+=@_-]"));
static SECRET_ARN: LazyLock<Regex> =
    LazyLock::new(|| re(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]*[A-Za-z0-9_+=@-]"));
static PARAMETER_ARN: LazyLock<Regex> =
    LazyLock::new(|| re(r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9/_.-]*[A-Za-z0-9_-]"));
/// `dial tcp 10.0.2.9:443` or `read tcp 10.0.1.5:41234->10.0.2.15:443`: where the connection went.
static DIALED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:dial tcp |->)(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d+"));
static INVALID_PARAMETERS: LazyLock<Regex> = LazyLock::new(|| re(r"invalid (?:ssm )?parameters: (.+)$"));
static PLATFORM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:matching platform '([a-z0-9]+/[a-z0-9]+(?:/[a-z0-9]+)?)'|no matching manifest for ([a-z0-9]+/[a-z0-9]+(?:/[a-z0-9]+)?))",
    )
});
static REGION_IN_ARN: LazyLock<Regex> = LazyLock::new(|| re(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):"));

/// Whether the message names some error, ours or not.
pub(super) fn names_an_error(message: &str) -> bool {
    ERROR_NAME.is_match(message)
}

/// How the EC2 agent's task resources (secrets, registry credentials) begin their terminal reasons:
/// agent/taskresource/{asmsecret,ssmsecret,asmauth}, agent/asm/asm.go.
const EC2_RESOURCE_REASONS: [&str; 10] = [
    "fetching secret data from ssm parameter store",
    "fetching secret data from aws secrets manager",
    "asm secret resource:",
    "ssm secret resource:",
    "asm resource:",
    "secret arn:aws",
    "trying to retrieve secret with value",
    "could not find a secretsmanager secretid",
    "unable to create asm client",
    "asm fetching secret from the service",
];

/// The agent's error name. Hints may be prepended, so the name is searched anywhere in the message.
pub fn find_kind(message: &str) -> FailureKind {
    const NAMED: [(&str, FailureKind); 6] = [
        (
            "CannotPullImageManifestError",
            FailureKind::CannotPullImageManifestError,
        ),
        ("CannotPullECRContainerError", FailureKind::CannotPullECRContainerError),
        (
            "CannotPullContainerAuthError",
            FailureKind::CannotPullContainerAuthError,
        ),
        ("CannotPullContainerError", FailureKind::CannotPullContainerError),
        ("ResourceInitializationError", FailureKind::ResourceInitializationError),
        ("CannotStartContainerError", FailureKind::CannotStartContainerError),
    ];
    if let Some((_, kind)) = NAMED
        .iter()
        .filter_map(|(name, kind)| message.find(name).map(|at| (at, *kind)))
        .min_by_key(|(at, _)| *at)
    {
        return kind;
    }
    if message.contains("was unable to assume the role") {
        return FailureKind::UnableToAssumeRole;
    }
    if message.contains("DockerTimeoutError") && message.contains("transition to pulled") {
        return FailureKind::DockerTimeoutError;
    }
    // On EC2 a task resource's terminal reason becomes the stop reason as it is, with no error name.
    let lower = message.to_ascii_lowercase();
    if EC2_RESOURCE_REASONS.iter().any(|start| lower.starts_with(start)) {
        return FailureKind::ResourceInitializationError;
    }
    FailureKind::Other
}

pub fn extract_facts(message: &str) -> MessageFacts {
    let mut facts = MessageFacts::default();
    read_destination(message, &mut facts);
    read_image(message, &mut facts);
    read_denial(message, &mut facts);
    read_secrets(message, &mut facts);
    facts.platform = PLATFORM
        .captures(message)
        .and_then(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string());
    facts.address = DIALED
        .captures(message)
        .map(|c| c[1].trim_matches(['[', ']']).to_string());
    facts.nature = nature(message, &facts);
    if facts.region.is_none() {
        facts.region = REGION_IN_ARN.captures(message).map(|c| c[1].to_string());
    }
    facts
}

fn read_destination(message: &str, facts: &mut MessageFacts) {
    let lower = message.to_ascii_lowercase();
    let host = URL_HOST.captures(message).map(|c| c[1].to_ascii_lowercase());
    facts.endpoint_host = host.clone();
    let destination = if lower.contains("efs utils")
        || lower.contains("efs volume")
        || lower.contains("mount.nfs4")
        || EFS_HOST.is_match(message)
    {
        facts.region = EFS_HOST.captures(message).map(|c| c[1].to_string());
        Some(Destination::Efs)
    } else if lower.contains("env files") || lower.contains("environment file") {
        Some(Destination::EnvFileBucket)
    } else if let Some(c) = LAYER_BUCKET.captures(message) {
        facts.region = Some(c[1].to_string());
        Some(Destination::EcrLayerBucket)
    } else if let Some(c) = ECR_API_HOST.captures(message) {
        facts.region = Some(c[1].to_string());
        Some(Destination::EcrApi)
    } else if lower.contains("unable to retrieve ecr registry auth") || lower.contains("getauthorizationtoken") {
        Some(Destination::EcrApi)
    } else if lower.contains("secret from asm") || lower.contains("secrets manager") || lower.contains("secretsmanager")
    {
        Some(Destination::SecretsManager)
    } else if lower.contains("from ssm") || lower.contains("ssm parameters") || lower.contains("ssm:getparameters") {
        Some(Destination::SsmParameterStore)
    } else if lower.contains("logger args") || lower.contains("log stream") || lower.contains("log group") {
        Some(Destination::CloudWatchLogs)
    } else if ECR_HOST.is_match(message) || lower.contains("ecr credentials") || lower.contains("redacted ecr url") {
        Some(Destination::EcrRegistry)
    } else if host.is_some()
        || lower.contains("docker.io")
        || lower.contains("toomanyrequests")
        || lower.contains("private registry")
        || lower.contains("failed to resolve ref")
        || lower.contains("pull access denied")
    {
        Some(Destination::PublicRegistry)
    } else {
        None
    };
    facts.destination = destination;
}

fn read_image(message: &str, facts: &mut MessageFacts) {
    let mentioned = IMAGE_MENTION
        .captures_iter(message)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .filter_map(|m| ImageRef::parse(m.as_str()))
        .find(|image| !is_api_path(&image.repository));
    if let Some(image) = mentioned {
        if let Registry::Ecr { account, region } = &image.registry {
            facts.account = Some(account.clone());
            facts.region = Some(region.clone());
        }
        facts.registry_host = image
            .raw
            .split_once('/')
            .map(|(host, _)| host.to_string())
            .filter(|h| h.contains('.'));
        facts.repository = Some(image.repository.clone());
        // Only a tag or digest that the message states, not Docker's implied `latest`.
        facts.reference = match &image.selector {
            ImageSelector::Digest(d) => Some(d.clone()),
            ImageSelector::Tag(t) if image.raw.ends_with(&format!(":{t}")) => Some(t.clone()),
            ImageSelector::Tag(_) => None,
        };
        if image.registry.is_public_internet() && facts.destination.is_none_or(|d| d == Destination::EcrRegistry) {
            facts.destination = Some(Destination::PublicRegistry);
        }
    } else if let Some(c) = ECR_HOST.captures(message) {
        // "Get https://ACCOUNT.dkr.ecr.REGION.amazonaws.com/v2/": the registry, with no repository.
        facts.account = Some(c[1].to_string());
        facts.region = Some(c[2].to_string());
        facts.registry_host = Some(c[0].to_string());
    }
}

/// "https://HOST/v2/..." names the registry's API, not a repository.
fn is_api_path(repository: &str) -> bool {
    repository == "v2" || repository.starts_with("v2/")
}

fn read_denial(message: &str, facts: &mut MessageFacts) {
    if let Some(c) = NOT_AUTHORIZED.captures(message) {
        facts.denied_action = Some(c[1].to_string());
        facts.denied_resource = c.get(2).map(|m| m.as_str().to_string());
    }
    facts.denial_basis = if message.contains("no identity-based policy allows") {
        Some(DenialBasis::NoIdentityPolicy)
    } else if message.contains("no resource-based policy allows") {
        Some(DenialBasis::NoResourcePolicy)
    } else if message.contains("no VPC endpoint policy allows") {
        Some(DenialBasis::NoEndpointPolicy)
    } else if message.contains("with an explicit deny") {
        Some(DenialBasis::ExplicitDeny)
    } else {
        None
    };
    if let Some(c) = STS_ROLE.captures(message) {
        facts.role_arn = Some(format!("arn:{}:iam::{}:role/{}", &c[1], &c[2], &c[3]));
    } else if let Some(m) = IAM_ROLE.find(message) {
        facts.role_arn = Some(m.as_str().to_string());
    }
    facts.failed_api = if let Some(c) = OPERATION_ERROR.captures(message) {
        Some(format!("{}:{}", service_prefix(&c[1]), &c[2]))
    } else if let Some(action) = &facts.denied_action {
        Some(action.clone())
    } else {
        let lower = message.to_ascii_lowercase();
        [
            ("unable to retrieve ecr registry auth", "ecr:GetAuthorizationToken"),
            ("secret from asm", "secretsmanager:GetSecretValue"),
            ("secrets from ssm", "ssm:GetParameters"),
            ("log stream", "logs:CreateLogStream"),
        ]
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, api)| api.to_string())
    };
}

fn service_prefix(service: &str) -> String {
    match service.trim() {
        "Secrets Manager" => "secretsmanager".into(),
        "CloudWatch Logs" => "logs".into(),
        other => other.to_ascii_lowercase().replace(' ', ""),
    }
}

fn read_secrets(message: &str, facts: &mut MessageFacts) {
    facts.secret_arns = SECRET_ARN.find_iter(message).map(|m| m.as_str().to_string()).collect();
    facts.parameters = PARAMETER_ARN
        .find_iter(message)
        .map(|m| m.as_str().to_string())
        .collect();
    if let Some(c) = INVALID_PARAMETERS.captures(message) {
        facts.parameters.extend(
            c[1].split([' ', ','])
                .map(|p| p.trim_end_matches('.'))
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    facts.secret_arns.dedup();
    facts.parameters.dedup();
}

fn nature(message: &str, facts: &MessageFacts) -> Option<Nature> {
    // The agent's hints write "can’t" with a curly apostrophe.
    let lower = message.to_ascii_lowercase().replace(['’', '‘'], "'");
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    // Order matters: "pull access denied ..., repository does not exist" is a denial, not a not-found.
    if has(&["no space left on device"]) {
        Some(Nature::NoSpace)
    } else if has(&["toomanyrequests", "pull rate limit", "rate exceeded for pulls"]) {
        Some(Nature::RateLimited)
    } else if facts.platform.is_some()
        || has(&[
            "does not contain descriptor matching platform",
            "no matching manifest for",
        ])
    {
        Some(Nature::PlatformMismatch)
    } else if has(&["was unable to assume the role"]) {
        Some(Nature::AssumeRoleFailed)
    } else if has(&[
        "ecr credentials: not found",
        "registry credentials: not found",
        "no basic auth credentials",
        "unable to find execution role credentials",
    ]) {
        Some(Nature::CredentialsMissing)
    } else if has(&["no such host", "server misbehaving", "failed to resolve \"fs-"]) {
        Some(Nature::DnsFailure)
    } else if has(&[
        "i/o timeout",
        "request canceled",
        "requestcanceled",
        "context deadline exceeded",
        "signal: killed",
        "client.timeout",
        "tls handshake timeout",
        "connection timed out",
        "connect: connection refused",
        "connection reset by peer",
        "could not transition to pulled",
        "request send failed",
        "context canceled",
        // EFS utils giving up on the mount target.
        "failed due to timeout",
        // ECS's own words since 2024; the guide ties the containerd crash to the S3 route or groups.
        "there is a connection issue between the task and",
        "pull command failed: panic: runtime error",
    ]) {
        Some(Nature::Timeout)
    } else if has(&[
        "accessdenied",
        "not authorized to perform",
        "403 forbidden",
        "pull access denied",
        "unexpected status code",
        "denied:",
        "access denied",
        "unauthorized",
    ]) {
        Some(Nature::AccessDenied)
    } else if has(&[
        ": not found",
        "manifest unknown",
        "resourcenotfoundexception",
        "invalid ssm parameters",
        "invalid parameters:",
        // A valueFrom that names no secret, or a JSON key the secret lacks.
        "invalid arn format for the aws secrets manager secret",
        "could not find a secretsmanager secretid",
        "did not contain json key",
        "does not exist",
        // S3's answers for an environment file.
        "nosuchkey",
        "nosuchbucket",
        "can't find the specified secret",
        "can't retrieve the secret",
        "check whether the secret exists",
        // An EFS root directory the file system lacks.
        "no such file or directory",
        " not found",
    ]) {
        Some(Nature::NotFound)
    // The technical tail said nothing (or was cut short): the agent's plain-language hint decides.
    } else if has(&[
        "check your network configuration",
        "check your task network configuration",
    ]) {
        Some(Nature::Timeout)
    } else if has(&["check that the role has the permissions"]) {
        Some(Nature::AccessDenied)
    } else if has(&["check whether the image exists"]) {
        Some(Nature::NotFound)
    } else {
        None
    }
}
