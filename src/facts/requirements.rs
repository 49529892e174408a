//! What a task definition requires of its execution role: each action on each resource, and why.
//! Derived from facts alone, so the same list feeds the IAM simulation, the offline evaluation and
//! the endpoint-policy checks.

use crate::model::arn::partition_of;
use serde::Serialize;

use super::{EcrImageFacts, Fact, SecretFacts, TaskDefinitionFacts, TaskFacts};
use crate::model::{ImageRef, Registry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Ecr,
    Secrets,
    Logs,
    /// What the task role needs to mount an EFS volume with IAM authorization.
    Volumes,
    /// What the execution role needs to download environment files.
    EnvFiles,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Ecr => "ecr",
            Purpose::Secrets => "secrets",
            Purpose::Logs => "logs",
            Purpose::Volumes => "volumes",
            Purpose::EnvFiles => "env-files",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Permission {
    pub purpose: Purpose,
    pub action: &'static str,
    pub resource: String,
    pub why: String,
}

/// Actions an execution role never needs and an administrator-level role holds. They are asked of
/// IAM's simulator along with the task's needs (same call): the trust fix is not made for a role
/// allowed any of them, since trusting ecs-tasks.amazonaws.com would hand that power to every task.
pub const ADMINISTRATOR_PROBE: [&str; 6] = [
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:PassRole",
    "ec2:TerminateInstances",
    "s3:DeleteBucket",
];

/// The ARN of the secret itself: `valueFrom` may add `:json-key:version-stage:version-id`.
pub fn secret_arn(value_from: &str) -> String {
    value_from.split(':').take(7).collect::<Vec<_>>().join(":")
}

/// The parameter's ARN, from an ARN or a name (`/app/key` or `key`).
pub fn parameter_arn(value_from: &str, region: &str, account: &str) -> String {
    if value_from.starts_with("arn:") {
        value_from.to_string()
    } else {
        format!(
            "arn:{}:ssm:{region}:{account}:parameter/{}",
            partition_of(region),
            value_from.trim_start_matches('/')
        )
    }
}

/// The parameter's name, from an ARN or a name: hierarchical names keep their leading `/`.
pub fn parameter_name(value_from: &str) -> String {
    match value_from.split_once(":parameter/") {
        Some((_, path)) if path.contains('/') => format!("/{path}"),
        Some((_, path)) => path.to_string(),
        None => value_from.to_string(),
    }
}

pub fn is_secrets_manager(value_from: &str) -> bool {
    value_from.contains(":secretsmanager:")
}

/// A log group's ARN as IAM matches it.
pub fn log_group_arn(region: &str, account: &str, group: &str) -> String {
    format!(
        "arn:{}:logs:{region}:{account}:log-group:{group}:*",
        partition_of(region)
    )
}

/// An EFS file system's ARN.
pub fn file_system_arn(region: &str, account: &str, id: &str) -> String {
    format!(
        "arn:{}:elasticfilesystem:{region}:{account}:file-system/{id}",
        partition_of(region)
    )
}

/// Whether some container mounts the volume writable (or none mounts it: ECS then mounts nothing,
/// and the question does not arise, so it is taken as writable).
pub fn writable(definition: &TaskDefinitionFacts, volume: &str) -> bool {
    let mut mounts = definition
        .containers
        .iter()
        .flat_map(|c| &c.mount_points)
        .filter(|m| m.source_volume == volume)
        .peekable();
    mounts.peek().is_none() || mounts.any(|m| !m.read_only)
}

/// What the TASK role (not the execution role) needs for the EFS volumes mounted with IAM
/// authorization: elasticfilesystem:ClientMount, and ClientWrite unless every mount of the volume is
/// read-only.
pub fn efs_permissions(task: &TaskFacts, definition: &TaskDefinitionFacts) -> Vec<Permission> {
    let mut out = Vec::new();
    for volume in definition.efs_volumes.iter().filter(|v| v.iam) {
        let resource = file_system_arn(&task.region, &task.account, &volume.file_system_id);
        let why = format!(
            "volume {} mounts {} with IAM authorization",
            volume.name, volume.file_system_id
        );
        out.push(Permission {
            purpose: Purpose::Volumes,
            action: "elasticfilesystem:ClientMount",
            resource: resource.clone(),
            why: why.clone(),
        });
        if writable(definition, &volume.name) {
            out.push(Permission {
                purpose: Purpose::Volumes,
                action: "elasticfilesystem:ClientWrite",
                resource,
                why: format!("{why}, writable"),
            });
        }
    }
    out
}

pub fn required_permissions(task: &TaskFacts, definition: &TaskDefinitionFacts) -> Vec<Permission> {
    let (region, account) = (task.region.as_str(), task.account.as_str());
    let mut out = Vec::new();
    let mut push = |purpose, action, resource: String, why: String| {
        out.push(Permission {
            purpose,
            action,
            resource,
            why,
        })
    };
    for container in &definition.containers {
        if let Some(image) = ImageRef::parse(&container.image).filter(|i| matches!(i.registry, Registry::Ecr { .. })) {
            let repository = image.ecr_repository_arn().unwrap_or_default();
            push(
                Purpose::Ecr,
                "ecr:GetAuthorizationToken",
                "*".into(),
                "registry authentication".into(),
            );
            push(
                Purpose::Ecr,
                "ecr:BatchGetImage",
                repository.clone(),
                format!("the manifest of {}", image.raw),
            );
            push(
                Purpose::Ecr,
                "ecr:GetDownloadUrlForLayer",
                repository,
                format!("the layers of {}", image.raw),
            );
        }
        if let Some(log) = container.log.as_ref().filter(|l| l.driver == "awslogs") {
            let group = log.group.as_deref().unwrap_or_default();
            let arn = log_group_arn(log.region.as_deref().unwrap_or(region), account, group);
            push(
                Purpose::Logs,
                "logs:CreateLogStream",
                arn.clone(),
                format!("awslogs group {group}"),
            );
            push(
                Purpose::Logs,
                "logs:PutLogEvents",
                arn.clone(),
                format!("awslogs group {group}"),
            );
            if log.create_group {
                push(
                    Purpose::Logs,
                    "logs:CreateLogGroup",
                    arn,
                    format!("awslogs-create-group for {group}"),
                );
            }
        }
        let references = container
            .secrets
            .iter()
            .map(|s| {
                (
                    s.value_from.as_str(),
                    format!("secret {} of container {}", s.name, container.name),
                )
            })
            .chain(container.repository_credentials.iter().map(|c| {
                (
                    c.as_str(),
                    format!("the registry credentials of container {}", container.name),
                )
            }));
        for (value_from, why) in references {
            if is_secrets_manager(value_from) {
                push(
                    Purpose::Secrets,
                    "secretsmanager:GetSecretValue",
                    secret_arn(value_from),
                    why,
                );
            } else {
                push(
                    Purpose::Secrets,
                    "ssm:GetParameters",
                    parameter_arn(value_from, region, account),
                    why,
                );
            }
        }
    }
    for container in &definition.containers {
        for arn in &container.environment_files {
            let Some((bucket, _)) = super::s3_object(arn) else {
                continue;
            };
            let partition = arn.split(':').nth(1).unwrap_or("aws");
            out.push(Permission {
                purpose: Purpose::EnvFiles,
                action: "s3:GetObject",
                resource: arn.clone(),
                why: format!("environment file of container {}", container.name),
            });
            out.push(Permission {
                purpose: Purpose::EnvFiles,
                action: "s3:GetBucketLocation",
                resource: format!("arn:{partition}:s3:::{bucket}"),
                why: format!("the bucket of an environment file of container {}", container.name),
            });
        }
    }
    // One entry per action and resource, in a stable order, keeping the first reason.
    out.sort();
    out.dedup_by(|a, b| a.action == b.action && a.resource == b.resource);

    out
}

/// What the first pull through a pull-through cache rule asks of the execution role: to create the
/// repository (`creates`) and to import the image from upstream. Once the repository and the image
/// exist, a pull needs neither.
pub fn pull_through_permissions(image: &ImageRef, creates: bool) -> Vec<Permission> {
    let Some(repository) = image.ecr_repository_arn() else {
        return Vec::new();
    };
    let why = format!("the first pull of {} through a pull-through cache rule", image.raw);
    let mut out = Vec::new();
    if creates {
        out.push(Permission {
            purpose: Purpose::Ecr,
            action: "ecr:CreateRepository",
            resource: repository.clone(),
            why: format!("{why} creates repository {}", image.repository),
        });
    }
    out.push(Permission {
        purpose: Purpose::Ecr,
        action: "ecr:BatchImportUpstreamImage",
        resource: repository,
        why: format!("{why} imports it from upstream"),
    });
    out
}

/// Asked of IAM's simulator with the task's needs, in the same call (same repository): whether the
/// role could create and fill a pull-through cache repository. Needed only when the facts show the
/// image comes through a rule ([`pull_through_needs`]); otherwise the answers are not read.
pub fn pull_through_candidates(definition: &TaskDefinitionFacts) -> Vec<Permission> {
    let images = definition
        .containers
        .iter()
        .filter_map(|c| ImageRef::parse(&c.image))
        .filter(|i| matches!(i.registry, Registry::Ecr { .. }));
    images
        .flat_map(|image| pull_through_permissions(&image, true))
        .collect()
}

/// The pull-through permissions the facts show are needed: for each image under a rule whose
/// repository or image ECR does not hold yet.
pub fn pull_through_needs(images: &[EcrImageFacts]) -> Vec<Permission> {
    images
        .iter()
        .filter(|facts| {
            matches!(
                facts.pull_through.as_ref().map(|cache| &cache.rule),
                Some(Fact::Known(Some(_)))
            )
        })
        .flat_map(|facts| pull_through_permissions(&facts.image, matches!(facts.repository, Fact::Known(None))))
        .collect()
}

/// kms:Decrypt for each secret encrypted with a customer-managed key named by ARN, key ID, or an
/// alias whose key was read.
pub fn kms_permissions(secrets: &[SecretFacts], task: &TaskFacts) -> Vec<Permission> {
    secrets
        .iter()
        .filter_map(|secret| {
            let named = secret.lookup.known()?.as_ref()?.kms_key_id.as_deref()?;
            let key = match &secret.alias_key {
                Some(behind) => behind.known()?.as_deref()?,
                None => named,
            };
            let arn = if key.starts_with("arn:") && key.contains(":key/") {
                key.to_string()
            } else if key.len() == 36 && key.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                format!(
                    "arn:{}:kms:{}:{}:key/{key}",
                    partition_of(&task.region),
                    task.region,
                    task.account
                )
            } else {
                return None; // an alias whose key is unknown: reported by the secrets check
            };
            Some(Permission {
                purpose: Purpose::Secrets,
                action: "kms:Decrypt",
                resource: arn,
                why: format!("the key of {}", secret.value_from),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::fixtures;
    use crate::facts::{ContainerDefinition, SecretReference};

    #[test]
    fn a_task_definition_requires_ecr_logs_and_its_secrets() {
        let mut definition = fixtures::task_definition();
        definition.containers[0].secrets = vec![
            SecretReference {
                name: "DB".into(),
                value_from: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf:password::".into(),
            },
            SecretReference {
                name: "KEY".into(),
                value_from: "/app/key".into(),
            },
        ];
        definition.containers.push(ContainerDefinition {
            name: "sidecar".into(),
            image: fixtures::IMAGE.into(),
            ..Default::default()
        });
        let required: Vec<(&str, String)> = required_permissions(&fixtures::task(), &definition)
            .into_iter()
            .map(|p| (p.action, p.resource))
            .collect();
        assert_eq!(
            required,
            [
                (
                    "ecr:BatchGetImage",
                    "arn:aws:ecr:us-east-1:111122223333:repository/shop/web".to_string()
                ),
                ("ecr:GetAuthorizationToken", "*".into()),
                (
                    "ecr:GetDownloadUrlForLayer",
                    "arn:aws:ecr:us-east-1:111122223333:repository/shop/web".into()
                ),
                (
                    "secretsmanager:GetSecretValue",
                    "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf".into()
                ),
                (
                    "ssm:GetParameters",
                    "arn:aws:ssm:us-east-1:111122223333:parameter/app/key".into()
                ),
                (
                    "logs:CreateLogStream",
                    "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/shop-web:*".into()
                ),
                (
                    "logs:PutLogEvents",
                    "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/shop-web:*".into()
                ),
            ]
        );
    }

    #[test]
    fn parameter_names_and_arns() {
        assert_eq!(
            parameter_name("arn:aws:ssm:us-east-1:111122223333:parameter/app/key"),
            "/app/key"
        );
        assert_eq!(
            parameter_name("arn:aws:ssm:us-east-1:111122223333:parameter/flat"),
            "flat"
        );
        assert_eq!(parameter_name("/app/key"), "/app/key");
        assert_eq!(
            parameter_arn("flat", "eu-west-1", "111122223333"),
            "arn:aws:ssm:eu-west-1:111122223333:parameter/flat"
        );
        assert_eq!(
            secret_arn("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
        );
    }
}
