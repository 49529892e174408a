//! Gathering: which calls to make, in as few sequential rounds as the data dependencies allow.
//! The calls themselves sit behind the ports (`facts::ports`), so this orchestration is tested without AWS.

use futures::future::join_all;

use super::ports::{ImageAnswer, PolicyAnswer, Readers};
use super::requirements::{
    ADMINISTRATOR_PROBE, efs_permissions, is_secrets_manager, kms_permissions, parameter_name, pull_through_candidates,
    required_permissions, secret_arn,
};
use super::{
    CallFailure, EcrImageFacts, EfsFacts, EfsVolume, EnvFileFacts, ExecutionRoleFacts, Fact, ImageDetail,
    ImageRiskFacts, LogGroupFacts, NetworkConfig, Permissions, PullThroughFacts, RepositoryFacts, SecretFacts,
    SecretMeta, SimulatedDecision, Snapshot, TaskDefinitionFacts, TaskFacts, VpcFacts, s3_object,
};
use crate::facts::Deadline;
use crate::model::arn::is_region;
use crate::model::{ImageRef, ImageSelector, Registry};

/// How many of a repository's newest tags a missing-tag finding shows.
const RECENT_TAGS: usize = 5;

/// Gathers the snapshot for a task, in chains that each wait only for what they need. The task
/// definition names the images, the role, the secrets and the log groups: every ECR, IAM, Secrets
/// Manager and logs call follows it, together. The task's subnet names the VPC: every VPC call
/// follows it (with the S3 prefix list's ID, asked beside the subnet). The service (or the ENI) gives
/// the security groups. So the common case takes two rounds; a missing tag adds one call, for the
/// tags the repository does hold; a secret under a customer key, a rule naming a customer prefix
/// list, or a simulation IAM refuses adds a round for what those answers name.
pub async fn gather<R: Readers>(reader: &R, task: TaskFacts, deadline: Deadline) -> Snapshot {
    gather_with_network(reader, task, None, deadline).await
}

/// [`gather`], with the task's network configuration already known (a pre-flight has it from the
/// service or the request): it is not asked again.
pub async fn gather_with_network<R: Readers>(
    reader: &R,
    task: TaskFacts,
    known_network: Option<Fact<NetworkConfig>>,
    deadline: Deadline,
) -> Snapshot {
    let from_definition = async {
        let task_definition = reader
            .describe_task_definition(&task.region, &task.task_definition_arn)
            .await;
        let definition = task_definition.known();
        let (ecr_images, (execution_role, secrets), log_groups, efs, task_role, env_files) = tokio::join!(
            join_all(
                ecr_lookups(&task, definition)
                    .map(|(container, image, region, account)| ecr_image(reader, container, image, region, account))
            ),
            Box::pin(identity(reader, &task, definition, deadline)),
            log_groups(reader, &task, definition),
            join_all(
                definition
                    .into_iter()
                    .flat_map(|d| &d.efs_volumes)
                    .map(|volume| efs_volume(reader, &task.region, volume))
            ),
            Box::pin(task_role(reader, &task, definition, deadline)),
            join_all(
                definition
                    .into_iter()
                    .flat_map(|d| &d.containers)
                    .flat_map(|c| c.environment_files.iter().map(move |arn| (c, arn)))
                    .filter_map(|(container, arn)| {
                        let (bucket, key) = s3_object(arn)?;
                        Some(env_file(reader, &task.region, &container.name, arn, bucket, key))
                    })
            ),
        );
        (
            task_definition,
            ecr_images,
            execution_role,
            secrets,
            log_groups,
            efs,
            task_role,
            env_files,
        )
    };
    // Each chain on the heap: inline, their states would make one future too large for a thread's
    // stack in an unoptimised build.
    let (network, vpc, (task_definition, ecr_images, execution_role, secrets, log_groups, efs, task_role, env_files)) = tokio::join!(
        Box::pin(async {
            match known_network {
                Some(known) => Some(known),
                None => network_config(reader, &task).await,
            }
        }),
        Box::pin(vpc(reader, &task, deadline)),
        Box::pin(from_definition)
    );
    Snapshot {
        task,
        task_definition,
        network,
        vpc,
        ecr_images,
        execution_role,
        secrets,
        log_groups,
        efs,
        task_role,
        env_files,
    }
}

/// The ECR images to look up: (container, image, region, registry), once per image (the first
/// container names it). The task definition names them; when it cannot be read, the task's own
/// record still does.
fn ecr_lookups(
    task: &TaskFacts,
    definition: Option<&TaskDefinitionFacts>,
) -> impl Iterator<Item = (String, ImageRef, String, String)> {
    let mut images: Vec<(String, String)> = match definition {
        Some(definition) => definition
            .containers
            .iter()
            .map(|c| (c.name.clone(), c.image.clone()))
            .collect(),
        None => task
            .containers
            .iter()
            .filter_map(|c| Some((c.name.clone(), c.image.clone()?)))
            .collect(),
    };
    let mut seen = std::collections::HashSet::new();
    images.retain(|(_, image)| seen.insert(image.clone()));
    images.into_iter().filter_map(|(container, raw)| {
        let image = ImageRef::parse(&raw)?;
        let Registry::Ecr { account, region } = image.registry.clone() else {
            return None;
        };
        Some((container, image, region, account))
    })
}

/// One image's repository policy and manifest, asked together; the repository's existence is read
/// from their answers. A missing tag adds one call, for the tags the repository does hold; a missing
/// repository, or an upstream ECR could not fetch from, the pull-through cache rules (and the rule's
/// credential check).
async fn ecr_image<R: Readers>(
    reader: &R,
    container: String,
    image: ImageRef,
    region: String,
    account: String,
) -> EcrImageFacts {
    let (policy, found) = tokio::join!(
        reader.repository_policy(&region, &account, &image.repository),
        reader.image(&region, &account, &image.repository, &image.selector),
    );
    let repository = repository_of(&image, &account, &policy, &found);
    let upstream_failed = matches!(&found, Fact::Failed(failure) if failure.error_code.starts_with("Upstream"));
    let (recent_tags, pull_through) = tokio::join!(
        async {
            match (&repository, &found) {
                // What is there is the likeliest fix.
                (Fact::Known(Some(_)), Fact::Known(ImageAnswer::ImageMissing)) => Some(
                    reader
                        .recent_tags(&region, &account, &image.repository, RECENT_TAGS)
                        .await,
                ),
                _ => None,
            }
        },
        async {
            match matches!(repository, Fact::Known(None)) || upstream_failed {
                true => Some(pull_through(reader, &region, &account, &image.repository).await),
                false => None,
            }
        },
    );
    let (image_detail, platforms) = match found {
        Fact::Known(ImageAnswer::Found { digest, platforms }) => {
            (Fact::Known(Some(ImageDetail { digest })), Some(Fact::Known(platforms)))
        }
        Fact::Known(_) => (Fact::Known(None), None),
        Fact::Failed(failure) => (Fact::Failed(failure), None),
    };
    let policy = match policy {
        Fact::Known(PolicyAnswer::Policy(text)) => Some(Fact::Known(Some(text))),
        Fact::Known(PolicyAnswer::NoPolicy) => Some(Fact::Known(None)),
        Fact::Known(PolicyAnswer::RepositoryMissing) => None,
        Fact::Failed(failure) => Some(Fact::Failed(failure)),
    };
    EcrImageFacts {
        container,
        image,
        repository,
        image_detail,
        recent_tags,
        policy,
        platforms,
        pull_through,
    }
}

/// The pull-through cache rule a repository falls under (the longest prefix that covers it), then,
/// for a rule with an upstream credential, whether that credential works.
async fn pull_through<R: Readers>(reader: &R, region: &str, account: &str, repository: &str) -> PullThroughFacts {
    let rule = match reader.pull_through_rules(region, account).await {
        Fact::Known(rules) => Fact::Known(
            rules
                .into_iter()
                .filter(|r| r.covers(repository))
                .max_by_key(|r| (r.prefix != "ROOT", r.prefix.len())),
        ),
        Fact::Failed(failure) => Fact::Failed(failure),
    };
    let validation = match rule
        .known()
        .and_then(Option::as_ref)
        .filter(|r| r.credential_arn.is_some())
    {
        Some(found) => Some(reader.validate_pull_through_rule(region, account, &found.prefix).await),
        None => None,
    };
    PullThroughFacts { rule, validation }
}

/// For a pre-flight: each ECR image the task definition deploys by tag, whether its tag may move
/// and whether a lifecycle rule will expire it (the policy and, if there is one, the images), asked
/// together for every image.
pub async fn image_risks<R: Readers>(
    reader: &R,
    task: &TaskFacts,
    definition: Option<&TaskDefinitionFacts>,
) -> Vec<ImageRiskFacts> {
    let by_tag = ecr_lookups(task, definition).filter(|(_, image, ..)| matches!(image.selector, ImageSelector::Tag(_)));
    join_all(by_tag.map(|(container, image, region, account)| async move {
        let (tag_mutable, lifecycle_policy) = tokio::join!(
            reader.tag_mutable(&region, &account, &image.repository),
            reader.lifecycle_policy(&region, &account, &image.repository)
        );
        let images = match &lifecycle_policy {
            Fact::Known(Some(_)) => Some(reader.pushed_images(&region, &account, &image.repository).await),
            _ => None,
        };
        ImageRiskFacts {
            container,
            image,
            tag_mutable,
            lifecycle_policy,
            images,
        }
    }))
    .await
}

/// The repository exists when either answer found it, and is missing when one said so and the other
/// did not find it; when neither answered, the policy's failure says why it is unknown.
fn repository_of(
    image: &ImageRef,
    account: &str,
    policy: &Fact<PolicyAnswer>,
    found: &Fact<ImageAnswer>,
) -> Fact<Option<RepositoryFacts>> {
    let seen = matches!(policy, Fact::Known(PolicyAnswer::NoPolicy | PolicyAnswer::Policy(_)))
        || matches!(
            found,
            Fact::Known(ImageAnswer::ImageMissing | ImageAnswer::Found { .. })
        );
    let missing = matches!(policy, Fact::Known(PolicyAnswer::RepositoryMissing))
        || matches!(found, Fact::Known(ImageAnswer::RepositoryMissing));
    match (policy, found) {
        _ if seen => Fact::Known(Some(RepositoryFacts {
            arn: image.ecr_repository_arn().unwrap_or_default(),
            name: image.repository.clone(),
            registry_id: account.to_string(),
            uri: image.repository_uri().to_string(),
        })),
        _ if missing => Fact::Known(None),
        (Fact::Failed(failure), _) | (_, Fact::Failed(failure)) => Fact::Failed(failure.clone()),
        _ => Fact::Known(None),
    }
}

/// One EFS volume: its file system, access point and mount targets, asked together.
async fn efs_volume<R: Readers>(reader: &R, region: &str, volume: &EfsVolume) -> EfsFacts {
    let (file_system, access_point, mount_targets, policy) = tokio::join!(
        reader.file_system(region, &volume.file_system_id),
        async {
            match &volume.access_point_id {
                Some(id) => Some(reader.access_point(region, id).await),
                None => None,
            }
        },
        reader.mount_targets(region, &volume.file_system_id),
        reader.file_system_policy(region, &volume.file_system_id),
    );
    EfsFacts {
        volume: volume.clone(),
        file_system,
        access_point,
        mount_targets,
        policy,
    }
}

/// One environment file: its bucket's region, the object's metadata and the bucket policy, together.
async fn env_file<R: Readers>(
    reader: &R,
    region: &str,
    container: &str,
    arn: &str,
    bucket: &str,
    key: &str,
) -> EnvFileFacts {
    let (bucket_region, object, bucket_policy) = tokio::join!(
        reader.bucket_region(region, bucket),
        reader.object_exists(region, bucket, key),
        reader.bucket_policy(region, bucket)
    );
    EnvFileFacts {
        container: container.into(),
        arn: arn.into(),
        bucket: bucket.into(),
        key: key.into(),
        bucket_region,
        object,
        bucket_policy,
    }
}

/// The task role, when an EFS volume is mounted with IAM authorization: the role and its
/// simulation together, its policies read for offline evaluation where IAM cannot simulate.
async fn task_role<R: Readers>(
    reader: &R,
    task: &TaskFacts,
    definition: Option<&TaskDefinitionFacts>,
    deadline: Deadline,
) -> Option<ExecutionRoleFacts> {
    let definition = definition?;
    let required = efs_permissions(task, definition);
    let arn = definition.task_role_arn.as_deref().filter(|_| !required.is_empty())?;
    let (role, simulated) = tokio::join!(
        reader.role(arn),
        simulate(reader, arn, required.iter().map(|p| (p.action, p.resource.as_str())))
    );
    let permissions = match &role {
        Fact::Known(Some(found)) => Some(match simulated {
            Ok(decisions) => Permissions::Simulated(decisions),
            Err(simulation) => Permissions::Offline {
                simulation,
                policies: reader.role_policies(found, deadline).await,
            },
        }),
        _ => None,
    };
    Some(ExecutionRoleFacts {
        arn: arn.to_string(),
        role,
        permissions,
    })
}

/// The task's subnet (for its VPC) and the S3 prefix list's ID together; then the whole VPC.
async fn vpc<R: Readers>(reader: &R, task: &TaskFacts, deadline: Deadline) -> Option<Fact<VpcFacts>> {
    let subnet_id = task.eni.as_ref()?.subnet_id.clone()?;
    let (subnet, s3_list_id) = tokio::join!(
        reader.describe_subnet(&task.region, &subnet_id),
        reader.s3_prefix_list_id(&task.region)
    );
    Some(match subnet {
        Fact::Known(Some(subnet)) => Fact::Known(
            reader
                .describe_vpc(&task.region, &subnet.vpc_id, s3_list_id, deadline)
                .await,
        ),
        Fact::Known(None) => Fact::Failed(CallFailure {
            operation: "ec2:DescribeSubnets".into(),
            resource: subnet_id,
            error_code: "InvalidSubnetID.NotFound".into(),
            message: "the task's subnet no longer exists".into(),
        }),
        Fact::Failed(failure) => Fact::Failed(failure),
    })
}

/// The security groups and public IP setting, which the event does not carry: from the service when
/// the task belongs to one, else from the task's ENI while it still exists.
async fn network_config<R: Readers>(reader: &R, task: &TaskFacts) -> Option<Fact<NetworkConfig>> {
    let eni = task.eni.as_ref()?;
    let subnets: Vec<String> = eni.subnet_id.iter().cloned().collect();
    let with_task_subnets = |mut config: NetworkConfig| {
        // The subnet the task actually ran in beats the service's list of candidates.
        if !subnets.is_empty() {
            config.subnets = subnets.clone();
        }
        config
    };
    if let Some(service) = task.service_name() {
        match reader
            .describe_service(&task.region, &task.cluster, service)
            .await
            .map(|found| found.map(|service| service.network))
        {
            Fact::Known(Some(config)) => return Some(Fact::Known(with_task_subnets(config))),
            Fact::Known(None) => {}
            Fact::Failed(failure) => return Some(Fact::Failed(failure)),
        }
    }
    let Some(eni_id) = eni.eni_id.as_deref() else {
        return Some(Fact::Known(NetworkConfig {
            subnets,
            ..Default::default()
        }));
    };
    Some(match reader.describe_eni_network(&task.region, eni_id).await {
        Fact::Known(Some(config)) => Fact::Known(with_task_subnets(config)),
        Fact::Known(None) => Fact::Failed(CallFailure {
            operation: "ec2:DescribeNetworkInterfaces".into(),
            resource: eni_id.into(),
            error_code: "InvalidNetworkInterfaceID.NotFound".into(),
            message: format!(
                "the task's network interface {eni_id} no longer exists and the task belongs to no service, \
                 so its security groups and public IP setting are unknown"
            ),
        }),
        Fact::Failed(failure) => Fact::Failed(failure),
    })
}

/// The execution role and the secrets it must read. The role, its simulation and the secrets are
/// asked together: the simulation needs only the role's ARN (its answer is dropped when the role
/// turns out not to exist). A secret's customer-managed KMS key, known once the secret is described,
/// is simulated after; where IAM cannot simulate, the role's policies are read for offline evaluation.
async fn identity<R: Readers>(
    reader: &R,
    task: &TaskFacts,
    definition: Option<&TaskDefinitionFacts>,
    deadline: Deadline,
) -> (Option<ExecutionRoleFacts>, Vec<SecretFacts>) {
    let Some(definition) = definition else {
        return (None, Vec::new());
    };
    let role_arn = definition.execution_role_arn.as_deref();
    let required = required_permissions(task, definition);
    // Same resources as the pulls': no call of their own.
    let candidates = pull_through_candidates(definition);
    let (role, simulated, secrets) = tokio::join!(
        async {
            match role_arn {
                Some(arn) => Some(reader.role(arn).await),
                None => None,
            }
        },
        async {
            match role_arn {
                Some(arn) => Some(
                    simulate(
                        reader,
                        arn,
                        required
                            .iter()
                            .chain(&candidates)
                            .map(|p| (p.action, p.resource.as_str()))
                            .chain(ADMINISTRATOR_PROBE.iter().map(|a| (*a, "*"))),
                    )
                    .await,
                ),
                None => None,
            }
        },
        join_all(definition.containers.iter().flat_map(|container| {
            let secrets = container
                .secrets
                .iter()
                .map(|s| (Some(s.name.clone()), s.value_from.clone()));
            let credentials = container.repository_credentials.iter().map(|c| (None, c.clone()));
            secrets.chain(credentials).map(move |(name, value_from)| async move {
                let region = value_from
                    .split(':')
                    .nth(3)
                    .filter(|r| value_from.starts_with("arn:") && is_region(r))
                    .unwrap_or(&task.region)
                    .to_string();
                let lookup = if is_secrets_manager(&value_from) {
                    reader.describe_secret(&region, &secret_arn(&value_from)).await
                } else {
                    reader.describe_parameter(&region, &parameter_name(&value_from)).await
                };
                // An alias names no resource IAM can judge kms:Decrypt on: the key behind it does.
                let alias_key = match lookup.known().and_then(Option::as_ref).and_then(SecretMeta::key_alias) {
                    Some(alias) => Some(reader.key_arn(&region, alias).await),
                    None => None,
                };
                SecretFacts {
                    container: container.name.clone(),
                    name,
                    value_from,
                    lookup,
                    alias_key,
                }
            })
        })),
    );
    let (Some(role_arn), Some(role), Some(simulated)) = (role_arn, role, simulated) else {
        return (None, secrets);
    };
    let permissions = match &role {
        Fact::Known(Some(found)) => {
            let keys = kms_permissions(&secrets, task);
            let simulated = match simulated {
                Ok(mut decisions) if !keys.is_empty() => {
                    match simulate(reader, role_arn, keys.iter().map(|p| (p.action, p.resource.as_str()))).await {
                        Ok(more) => {
                            decisions.extend(more);
                            Ok(decisions)
                        }
                        Err(failure) => Err(failure),
                    }
                }
                other => other,
            };
            Some(match simulated {
                Ok(decisions) => Permissions::Simulated(decisions),
                Err(simulation) => Permissions::Offline {
                    simulation,
                    policies: reader.role_policies(found, deadline).await,
                },
            })
        }
        _ => None,
    };
    (
        Some(ExecutionRoleFacts {
            arn: role_arn.to_string(),
            role,
            permissions,
        }),
        secrets,
    )
}

/// IAM's answer for each (action, resource), one simulation per resource: a call with every action
/// and every resource would pair each action with resources it never touches. The first failure ends it.
async fn simulate<'p, R: Readers>(
    reader: &R,
    role_arn: &str,
    requests: impl Iterator<Item = (&'p str, &'p str)>,
) -> Result<Vec<SimulatedDecision>, CallFailure> {
    let mut by_resource: Vec<(&str, Vec<&str>)> = Vec::new();
    for (action, resource) in requests {
        match by_resource.iter_mut().find(|(r, _)| *r == resource) {
            Some((_, actions)) => actions.push(action),
            None => by_resource.push((resource, vec![action])),
        }
    }
    let answers = join_all(
        by_resource
            .iter()
            .map(|(resource, actions)| reader.simulate(role_arn, actions, resource)),
    )
    .await;
    let mut decisions = Vec::new();
    for answer in answers {
        match answer {
            Fact::Known(found) => decisions.extend(found),
            Fact::Failed(failure) => return Err(failure),
        }
    }
    Ok(decisions)
}

async fn log_groups<R: Readers>(
    reader: &R,
    task: &TaskFacts,
    definition: Option<&TaskDefinitionFacts>,
) -> Vec<LogGroupFacts> {
    let Some(definition) = definition else {
        return Vec::new();
    };
    let wanted = definition.containers.iter().filter_map(|c| {
        let log = c.log.as_ref().filter(|l| l.driver == "awslogs")?;
        Some((
            c.name.clone(),
            log.group.clone()?,
            log.region.clone().unwrap_or_else(|| task.region.clone()),
            log.create_group,
        ))
    });
    join_all(wanted.map(|(container, group, region, create_group)| async move {
        let exists = reader.log_group_exists(&region, &group).await;
        LogGroupFacts {
            container,
            group,
            region,
            create_group,
            exists,
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(operation: &str) -> CallFailure {
        CallFailure {
            operation: operation.into(),
            resource: "shop/web".into(),
            error_code: "AccessDeniedException".into(),
            message: String::new(),
        }
    }

    #[test]
    fn the_repository_is_read_from_the_policy_and_image_answers() {
        let image = ImageRef::parse("111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1").unwrap();
        let found = || {
            Fact::Known(ImageAnswer::Found {
                digest: None,
                platforms: None,
            })
        };
        let policy_failed = || Fact::Failed(failed("ecr:GetRepositoryPolicy"));
        let image_failed = || Fact::Failed(failed("ecr:BatchGetImage"));
        let exists = |fact: Fact<Option<RepositoryFacts>>| matches!(fact, Fact::Known(Some(r)) if r.arn == "arn:aws:ecr:us-east-1:111122223333:repository/shop/web" && r.uri == "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web");
        // Either answer that found it is enough.
        assert!(exists(repository_of(
            &image,
            "111122223333",
            &policy_failed(),
            &found()
        )));
        assert!(exists(repository_of(
            &image,
            "111122223333",
            &Fact::Known(PolicyAnswer::NoPolicy),
            &image_failed()
        )));
        assert!(exists(repository_of(
            &image,
            "111122223333",
            &policy_failed(),
            &Fact::Known(ImageAnswer::ImageMissing)
        )));
        // Missing by one answer, the other unknown.
        assert_eq!(
            repository_of(
                &image,
                "111122223333",
                &policy_failed(),
                &Fact::Known(ImageAnswer::RepositoryMissing)
            ),
            Fact::Known(None)
        );
        assert_eq!(
            repository_of(
                &image,
                "111122223333",
                &Fact::Known(PolicyAnswer::RepositoryMissing),
                &image_failed()
            ),
            Fact::Known(None)
        );
        // Neither answered: unknown, never missing.
        assert_eq!(
            repository_of(&image, "111122223333", &policy_failed(), &image_failed()),
            Fact::Failed(failed("ecr:GetRepositoryPolicy"))
        );
    }
}
