use crate::model::Operation;
use crate::redact::redact;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{AssignPublicIp, Task, TaskDefinition};

use super::{AwsClients, call_failure};
use crate::facts::{
    ContainerDefinition, ContainerState, EcsReader, EfsVolume, EniAttachment, Fact, LogConfiguration, MountPoint,
    NetworkConfig, NetworkSource, SecretReference, ServiceFacts, TaskDefinitionFacts, TaskFacts,
};
use crate::model::TaskArn;
use crate::model::arn::cluster_name;

impl AwsClients {
    fn ecs(&self, region: &str) -> Client {
        Client::new(&self.in_region(region))
    }
}

impl EcsReader for AwsClients {
    async fn describe_task(&self, arn: &TaskArn) -> Fact<Option<TaskFacts>> {
        let cluster = arn.cluster.clone().unwrap_or_else(|| "default".to_string());
        let answer = self
            .ecs(&arn.region)
            .describe_tasks()
            .cluster(&cluster)
            .tasks(arn.as_str())
            .send()
            .await;
        match answer {
            Ok(output) => Fact::Known(output.tasks().first().map(|task| task_facts(task, arn))),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_cluster_not_found_exception()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(Operation::DescribeTasks.iam(), arn.as_str(), &error)),
        }
    }

    async fn describe_task_definition(&self, region: &str, arn: &str) -> Fact<TaskDefinitionFacts> {
        match self
            .ecs(region)
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
        {
            Ok(output) => match output.task_definition() {
                Some(definition) => Fact::Known(task_definition_facts(definition)),
                None => Fact::Failed(crate::facts::CallFailure {
                    operation: Operation::DescribeTaskDefinition.iam().into(),
                    resource: arn.into(),
                    error_code: "EmptyResponse".into(),
                    message: "the answer held no task definition".into(),
                }),
            },
            Err(error) => Fact::Failed(call_failure(Operation::DescribeTaskDefinition.iam(), arn, &error)),
        }
    }

    async fn describe_service(&self, region: &str, cluster: &str, service: &str) -> Fact<Option<ServiceFacts>> {
        match self
            .ecs(region)
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
        {
            // A deleted service stays INACTIVE for a while: it starts no task.
            Ok(output) => Fact::Known(output.services().iter().find(|s| s.status() != Some("INACTIVE")).map(
                |service| {
                    let vpc = service.network_configuration().and_then(|n| n.awsvpc_configuration());
                    ServiceFacts {
                        arn: service.service_arn().unwrap_or_default().to_string(),
                        task_definition_arn: service.task_definition().unwrap_or_default().to_string(),
                        launch_type: service.launch_type().map(|l| l.as_str().to_string()),
                        platform_version: service.platform_version().map(str::to_string),
                        network: NetworkConfig {
                            subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
                            service_subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
                            security_groups: vpc.map(|v| v.security_groups().to_vec()).unwrap_or_default(),
                            assign_public_ip: vpc
                                .and_then(|v| v.assign_public_ip())
                                .map(|a| *a == AssignPublicIp::Enabled),
                            source: NetworkSource::Service,
                        },
                    }
                },
            )),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_cluster_not_found_exception()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(
                Operation::DescribeServices.iam(),
                &format!("{cluster}/{service}"),
                &error,
            )),
        }
    }

    async fn list_clusters(&self, region: &str) -> Fact<Vec<String>> {
        let mut pages = self.ecs(region).list_clusters().into_paginator().send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => names.extend(page.cluster_arns().iter().map(|arn| cluster_name(arn).to_string())),
                Err(error) => return Fact::Failed(call_failure(Operation::ListClusters.iam(), region, &error)),
            }
        }
        Fact::Known(names)
    }

    async fn list_services(&self, region: &str, cluster: &str) -> Fact<Vec<String>> {
        let mut pages = self
            .ecs(region)
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            match page {
                // arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME (or service/NAME in the old format)
                Ok(page) => names.extend(
                    page.service_arns()
                        .iter()
                        .filter_map(|arn| arn.rsplit('/').next())
                        .map(str::to_string),
                ),
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_cluster_not_found_exception()) =>
                {
                    return Fact::Known(Vec::new());
                }
                Err(error) => return Fact::Failed(call_failure(Operation::ListServices.iam(), cluster, &error)),
            }
        }
        Fact::Known(names)
    }
}

fn task_facts(task: &Task, arn: &TaskArn) -> TaskFacts {
    let eni = task
        .attachments()
        .iter()
        .find(|a| a.r#type() == Some("ElasticNetworkInterface") || a.r#type() == Some("eni"))
        .map(|attachment| {
            let detail = |name: &str| {
                attachment
                    .details()
                    .iter()
                    .find(|d| d.name() == Some(name))
                    .and_then(|d| d.value())
                    .map(str::to_string)
            };
            EniAttachment {
                eni_id: detail("networkInterfaceId"),
                subnet_id: detail("subnetId"),
                private_ip: detail("privateIPv4Address"),
            }
        });
    let cluster_arn = task.cluster_arn().map(str::to_string);
    TaskFacts {
        arn: task.task_arn().unwrap_or(arn.as_str()).to_string(),
        region: arn.region.clone(),
        account: arn.account.clone(),
        cluster: cluster_arn
            .as_deref()
            .map(cluster_name)
            .or(arn.cluster.as_deref())
            .unwrap_or("default")
            .to_string(),
        cluster_arn,
        task_definition_arn: task.task_definition_arn().unwrap_or_default().to_string(),
        launch_type: task.launch_type().map(|l| l.as_str().to_string()),
        platform_version: task.platform_version().map(str::to_string),
        availability_zone: task.availability_zone().map(str::to_string),
        last_status: task.last_status().map(str::to_string),
        desired_status: task.desired_status().map(str::to_string),
        stop_code: task.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: task.stopped_reason().map(redact),
        group: task.group().map(str::to_string),
        started_by: task.started_by().map(str::to_string),
        containers: task
            .containers()
            .iter()
            .map(|c| ContainerState {
                name: c.name().unwrap_or_default().to_string(),
                image: c.image().map(str::to_string),
                image_digest: c.image_digest().map(str::to_string),
                reason: c.reason().map(redact),
                last_status: c.last_status().map(str::to_string),
            })
            .collect(),
        eni,
        cpu_architecture: task
            .attributes()
            .iter()
            .find(|a| a.name() == "ecs.cpu-architecture")
            .and_then(|a| a.value())
            .map(str::to_string),
        version: Some(task.version()),
    }
}

fn task_definition_facts(definition: &TaskDefinition) -> TaskDefinitionFacts {
    TaskDefinitionFacts {
        arn: definition.task_definition_arn().unwrap_or_default().to_string(),
        family: definition.family().unwrap_or_default().to_string(),
        revision: definition.revision(),
        execution_role_arn: definition.execution_role_arn().map(str::to_string),
        task_role_arn: definition.task_role_arn().map(str::to_string),
        network_mode: definition.network_mode().map(|m| m.as_str().to_string()),
        requires_compatibilities: definition
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        cpu_architecture: definition
            .runtime_platform()
            .and_then(|p| p.cpu_architecture())
            .map(|a| a.as_str().to_string()),
        os_family: definition
            .runtime_platform()
            .and_then(|p| p.operating_system_family())
            .map(|o| o.as_str().to_string()),
        ephemeral_storage_gib: definition.ephemeral_storage().map(|e| e.size_in_gib()),
        efs_volumes: definition
            .volumes()
            .iter()
            .filter_map(|volume| {
                let efs = volume.efs_volume_configuration()?;
                let authorization = efs.authorization_config();
                Some(EfsVolume {
                    name: volume.name().unwrap_or_default().to_string(),
                    file_system_id: efs.file_system_id().to_string(),
                    root_directory: efs.root_directory().map(str::to_string),
                    transit_encryption: efs.transit_encryption().is_some_and(|t| t.as_str() == "ENABLED"),
                    access_point_id: authorization.and_then(|a| a.access_point_id()).map(str::to_string),
                    iam: authorization
                        .and_then(|a| a.iam())
                        .is_some_and(|i| i.as_str() == "ENABLED"),
                })
            })
            .collect(),
        containers: definition
            .container_definitions()
            .iter()
            .map(|c| ContainerDefinition {
                name: c.name().unwrap_or_default().to_string(),
                image: c.image().unwrap_or_default().to_string(),
                essential: c.essential().unwrap_or(true),
                secrets: c
                    .secrets()
                    .iter()
                    .map(|s| SecretReference {
                        name: s.name().to_string(),
                        value_from: s.value_from().to_string(),
                    })
                    .collect(),
                repository_credentials: c
                    .repository_credentials()
                    .map(|r| r.credentials_parameter().to_string()),
                environment_files: c
                    .environment_files()
                    .iter()
                    .filter(|f| f.r#type().as_str() == "s3")
                    .map(|f| f.value().to_string())
                    .collect(),
                mount_points: c
                    .mount_points()
                    .iter()
                    .map(|m| MountPoint {
                        source_volume: m.source_volume().unwrap_or_default().to_string(),
                        read_only: m.read_only().unwrap_or(false),
                    })
                    .collect(),
                log: c.log_configuration().map(|l| {
                    let option = |key: &str| l.options().and_then(|o| o.get(key)).cloned();
                    LogConfiguration {
                        driver: l.log_driver().as_str().to_string(),
                        group: option("awslogs-group"),
                        region: option("awslogs-region"),
                        create_group: option("awslogs-create-group").is_some_and(|v| v.eq_ignore_ascii_case("true")),
                    }
                }),
            })
            .collect(),
    }
}
