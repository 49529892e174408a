//! The plain data a diagnosis reasons over. No AWS types leak past this module.

use crate::model::ImageRef;

use super::{CallFailure, ExecutionRoleFacts, Fact, LogGroupFacts, Permissions, SecretFacts, VpcFacts};

/// The stopped task, from the EventBridge event or from ecs:DescribeTasks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFacts {
    pub arn: String,
    pub region: String,
    pub account: String,
    pub cluster: String,
    pub cluster_arn: Option<String>,
    pub task_definition_arn: String,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub availability_zone: Option<String>,
    pub last_status: Option<String>,
    pub desired_status: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// "service:NAME" for a service's task, "family:NAME" for a standalone one.
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub containers: Vec<ContainerState>,
    pub eni: Option<EniAttachment>,
    pub cpu_architecture: Option<String>,
    /// Grows with every state change; repeats on duplicate delivery.
    pub version: Option<i64>,
}

impl TaskFacts {
    pub fn service_name(&self) -> Option<&str> {
        self.group
            .as_deref()?
            .strip_prefix("service:")
            .filter(|name| !name.is_empty())
    }

    pub fn is_stopped(&self) -> bool {
        self.last_status.as_deref() == Some("STOPPED")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerState {
    pub name: String,
    pub image: Option<String>,
    pub image_digest: Option<String>,
    pub reason: Option<String>,
    pub last_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EniAttachment {
    pub eni_id: Option<String>,
    pub subnet_id: Option<String>,
    pub private_ip: Option<String>,
}

/// The parts of a task definition that decide whether a task can start. Environment values are not
/// read at all: the doctor must never hold or log them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskDefinitionFacts {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub network_mode: Option<String>,
    pub requires_compatibilities: Vec<String>,
    pub cpu_architecture: Option<String>,
    pub os_family: Option<String>,
    pub ephemeral_storage_gib: Option<i32>,
    pub containers: Vec<ContainerDefinition>,
    /// The volumes backed by EFS (other volume kinds need nothing from AWS to start).
    pub efs_volumes: Vec<super::EfsVolume>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    pub essential: bool,
    pub secrets: Vec<SecretReference>,
    /// The Secrets Manager ARN of a private registry's credentials.
    pub repository_credentials: Option<String>,
    pub log: Option<LogConfiguration>,
    pub mount_points: Vec<MountPoint>,
    /// The S3 object ARNs of its environmentFiles.
    pub environment_files: Vec<String>,
}

/// A container's mount of one of the task's volumes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MountPoint {
    pub source_volume: String,
    pub read_only: bool,
}

/// A secret's name and where ECS reads it (a Secrets Manager ARN or an SSM parameter), never its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretReference {
    pub name: String,
    pub value_from: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogConfiguration {
    pub driver: String,
    pub group: Option<String>,
    pub region: Option<String>,
    pub create_group: bool,
}

/// The task's security groups and public IP setting: from its service, or from its ENI while it lasts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkConfig {
    /// The task's own subnet when known, else the service's.
    pub subnets: Vec<String>,
    /// The service's subnets, as its network configuration lists them (empty for an ENI).
    pub service_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<bool>,
    pub source: NetworkSource,
}

/// A service as ECS holds it: what its next task would run, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFacts {
    pub arn: String,
    pub task_definition_arn: String,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub network: NetworkConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetworkSource {
    /// ecs:DescribeServices, the service's awsvpcConfiguration.
    Service,
    /// ec2:DescribeNetworkInterfaces, the task's own ENI.
    #[default]
    Eni,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryFacts {
    pub arn: String,
    pub name: String,
    pub registry_id: String,
    pub uri: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageDetail {
    pub digest: Option<String>,
}

/// What ECR says about one container's image.
#[derive(Debug, Clone, PartialEq)]
pub struct EcrImageFacts {
    pub container: String,
    pub image: ImageRef,
    /// `None`: the repository does not exist. Read from the answers about the policy and the image.
    pub repository: Fact<Option<RepositoryFacts>>,
    /// `None`: the tag or digest is not in the repository.
    pub image_detail: Fact<Option<ImageDetail>>,
    /// The repository's newest tags, read only when the image is missing.
    pub recent_tags: Option<Fact<Vec<String>>>,
    /// The repository policy; `Known(None)` when it has none; `None` when the repository is missing.
    pub policy: Option<Fact<Option<String>>>,
    /// The platforms of a multi-platform image (`os/architecture`); `None` for a single-platform
    /// manifest, whose platform is in its config blob, which the doctor does not download.
    pub platforms: Option<Fact<Option<Vec<String>>>>,
    /// The pull-through cache rule the repository falls under, asked only when the repository is
    /// missing or ECR could not fetch the image from an upstream registry.
    pub pull_through: Option<PullThroughFacts>,
}

/// An ECR pull-through cache rule: repositories under its prefix are created, and filled from the
/// upstream registry, by their first pull.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheRule {
    /// `docker-hub`, or `ROOT` for every repository of the registry.
    pub prefix: String,
    pub upstream_url: String,
    /// The Secrets Manager secret (`ecr-pullthroughcache/...`) holding the upstream credential.
    pub credential_arn: Option<String>,
    /// The role ECR assumes for an ECR upstream.
    pub custom_role_arn: Option<String>,
}

impl CacheRule {
    /// Whether a repository of this name is this rule's.
    pub fn covers(&self, repository: &str) -> bool {
        let prefix = self.prefix.trim_end_matches('/');
        prefix == "ROOT"
            || repository
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// What ecr:ValidatePullThroughCacheRule says of a rule's upstream credential.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleValidation {
    pub valid: bool,
    /// ECR's reason when it is not.
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PullThroughFacts {
    /// The rule with the longest prefix covering the repository; `Known(None)`: none does.
    pub rule: Fact<Option<CacheRule>>,
    /// Asked only of a rule with an upstream credential.
    pub validation: Option<Fact<RuleValidation>>,
}

/// Everything one diagnosis knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub task: TaskFacts,
    pub task_definition: Fact<TaskDefinitionFacts>,
    /// `None` when the task has no ENI to speak of (bridge or host networking on EC2).
    pub network: Option<Fact<NetworkConfig>>,
    /// The task's VPC; `None` when the task has no subnet of its own (bridge or host networking).
    pub vpc: Option<Fact<VpcFacts>>,
    pub ecr_images: Vec<EcrImageFacts>,
    /// `None` when the task definition names no execution role (or could not be read).
    pub execution_role: Option<ExecutionRoleFacts>,
    pub secrets: Vec<SecretFacts>,
    pub log_groups: Vec<LogGroupFacts>,
    /// The task definition's EFS volumes, each with what EFS says of it.
    pub efs: Vec<super::EfsFacts>,
    /// The task role, read only when an EFS volume is mounted with IAM authorization.
    pub task_role: Option<ExecutionRoleFacts>,
    /// The containers' environment files: whether each exists (never its content).
    pub env_files: Vec<super::EnvFileFacts>,
}

impl Snapshot {
    /// Every call whose fact could not be read, in the snapshot's order.
    pub fn failures(&self) -> Vec<&CallFailure> {
        let mut out: Vec<&CallFailure> = Vec::new();
        out.extend(self.task_definition.failure());
        out.extend(self.network.as_ref().and_then(Fact::failure));
        match &self.vpc {
            Some(Fact::Failed(failure)) => out.push(failure),
            Some(Fact::Known(vpc)) => out.extend(vpc.failures()),
            None => {}
        }
        for image in &self.ecr_images {
            out.extend(image.repository.failure());
            out.extend(image.image_detail.failure());
            out.extend(image.recent_tags.as_ref().and_then(Fact::failure));
            out.extend(image.policy.as_ref().and_then(Fact::failure));
            out.extend(image.platforms.as_ref().and_then(Fact::failure));
            if let Some(cache) = &image.pull_through {
                out.extend(cache.rule.failure());
                out.extend(cache.validation.as_ref().and_then(Fact::failure));
            }
        }
        for role in self.execution_role.iter().chain(&self.task_role) {
            out.extend(role.role.failure());
            if let Some(Permissions::Offline { simulation, policies }) = &role.permissions {
                out.push(simulation);
                out.extend(policies.failure());
            }
        }
        out.extend(self.secrets.iter().filter_map(|s| s.lookup.failure()));
        out.extend(
            self.secrets
                .iter()
                .filter_map(|s| s.alias_key.as_ref().and_then(Fact::failure)),
        );
        out.extend(self.log_groups.iter().filter_map(|l| l.exists.failure()));
        out.extend(self.efs.iter().flat_map(super::EfsFacts::failures));
        for file in &self.env_files {
            out.extend(
                [
                    file.bucket_region.failure(),
                    file.object.failure(),
                    file.bucket_policy.failure(),
                ]
                .into_iter()
                .flatten(),
            );
        }
        out
    }
}

/// An image of a repository as DescribeImages lists it: its tags and when it was pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct PushedImage {
    pub tags: Vec<String>,
    /// Seconds since the epoch.
    pub pushed_at: Option<i64>,
}

/// What a pre-flight reads beyond a diagnosis for an ECR image deployed by tag: whether the
/// repository lets tags move, its lifecycle policy, and its tagged images with when each was pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRiskFacts {
    pub container: String,
    pub image: ImageRef,
    /// `Known(None)`: no such repository (the diagnosis's checks say so).
    pub tag_mutable: Fact<Option<bool>>,
    /// `Known(None)`: the repository has no lifecycle policy.
    pub lifecycle_policy: Fact<Option<String>>,
    /// Read only when there is a lifecycle policy.
    pub images: Option<Fact<Vec<PushedImage>>>,
}
