//! Gathering: which calls to make, in as few sequential rounds as the data dependencies allow.
//! The calls themselves sit behind small traits, so this orchestration is tested without AWS.

use std::future::Future;

use futures::future::join_all;

use super::{
    CallFailure, EcrImageFacts, Fact, ImageDetail, NetworkConfig, RepositoryFacts, Snapshot, Subnet,
    TaskDefinitionFacts, TaskFacts, VpcFacts,
};
use crate::model::{ImageRef, ImageSelector, Registry, TaskArn};

pub trait EcsReader: Sync {
    /// `Known(None)`: ECS no longer knows the task (stopped tasks are kept for about an hour).
    fn describe_task(&self, arn: &TaskArn) -> impl Future<Output = Fact<Option<TaskFacts>>> + Send;
    fn describe_task_definition(&self, region: &str, arn: &str) -> impl Future<Output = Fact<TaskDefinitionFacts>> + Send;
    /// `Known(None)`: no such service (deleted, or the group was not a service).
    fn describe_service_network(
        &self,
        region: &str,
        cluster: &str,
        service: &str,
    ) -> impl Future<Output = Fact<Option<NetworkConfig>>> + Send;
}

pub trait Ec2Reader: Sync {
    /// `Known(None)`: the ENI is gone (Fargate deletes it when the task stops).
    fn describe_eni_network(&self, region: &str, eni_id: &str) -> impl Future<Output = Fact<Option<NetworkConfig>>> + Send;
    /// `Known(None)`: no such subnet.
    fn describe_subnet(&self, region: &str, subnet_id: &str) -> impl Future<Output = Fact<Option<Subnet>>> + Send;
    /// Everything about a VPC, each part from its own call, read concurrently.
    fn describe_vpc(&self, region: &str, vpc_id: &str) -> impl Future<Output = VpcFacts> + Send;
}

pub trait EcrReader: Sync {
    /// `Known(None)`: RepositoryNotFoundException.
    fn describe_repository(
        &self,
        region: &str,
        registry_id: &str,
        name: &str,
    ) -> impl Future<Output = Fact<Option<RepositoryFacts>>> + Send;
    /// `Known(None)`: ImageNotFoundException (or the repository is missing).
    fn describe_image(
        &self,
        region: &str,
        registry_id: &str,
        name: &str,
        selector: &ImageSelector,
    ) -> impl Future<Output = Fact<Option<ImageDetail>>> + Send;
    /// The newest tags in a repository, newest first, at most `limit`.
    fn recent_tags(
        &self,
        region: &str,
        registry_id: &str,
        name: &str,
        limit: usize,
    ) -> impl Future<Output = Fact<Vec<String>>> + Send;
}

/// How many of a repository's newest tags a missing-tag finding shows.
const RECENT_TAGS: usize = 5;

/// Everything the engine reads from AWS.
pub trait Readers: EcsReader + Ec2Reader + EcrReader {}
impl<T: EcsReader + Ec2Reader + EcrReader> Readers for T {}

/// Gathers the snapshot for a task in two rounds. First the task definition, the network settings
/// and the task's subnet (for its VPC) together; then the whole VPC and every ECR lookup together,
/// since the images come from the task definition and the VPC from the subnet. A missing tag adds
/// one call, for the tags the repository does hold.
pub async fn gather<R: Readers>(reader: &R, task: TaskFacts) -> Snapshot {
    let subnet_id = task.eni.as_ref().and_then(|e| e.subnet_id.clone());
    let (task_definition, network, subnet) = tokio::join!(
        reader.describe_task_definition(&task.region, &task.task_definition_arn),
        network_config(reader, &task),
        async {
            match &subnet_id {
                Some(id) => Some(reader.describe_subnet(&task.region, id).await),
                None => None,
            }
        },
    );

    // The task definition names the images; when it cannot be read, the task's own record still does.
    let images: Vec<(String, String)> = match task_definition.known() {
        Some(definition) => definition.containers.iter().map(|c| (c.name.clone(), c.image.clone())).collect(),
        None => task.containers.iter().filter_map(|c| Some((c.name.clone(), c.image.clone()?))).collect(),
    };
    let lookups = images.into_iter().filter_map(|(container, raw)| {
        let image = ImageRef::parse(&raw)?;
        let Registry::Ecr { account, region } = image.registry.clone() else { return None };
        Some(async move {
            let (repository, image_detail) = tokio::join!(
                reader.describe_repository(&region, &account, &image.repository),
                reader.describe_image(&region, &account, &image.repository, &image.selector),
            );
            // Only when the tag is missing: what is there is the likeliest fix.
            let recent_tags = match (&repository, &image_detail) {
                (Fact::Known(Some(_)), Fact::Known(None)) => {
                    Some(reader.recent_tags(&region, &account, &image.repository, RECENT_TAGS).await)
                }
                _ => None,
            };
            EcrImageFacts { container, image, repository, image_detail, recent_tags }
        })
    });
    let vpc = async {
        match subnet? {
            Fact::Known(Some(subnet)) => Some(Fact::Known(reader.describe_vpc(&task.region, &subnet.vpc_id).await)),
            Fact::Known(None) => Some(Fact::Failed(CallFailure {
                operation: "ec2:DescribeSubnets".into(),
                resource: subnet_id.clone().unwrap_or_default(),
                error_code: "InvalidSubnetID.NotFound".into(),
                message: "the task's subnet no longer exists".into(),
            })),
            Fact::Failed(failure) => Some(Fact::Failed(failure)),
        }
    };
    let (ecr_images, vpc) = tokio::join!(join_all(lookups), vpc);

    Snapshot { task, task_definition, network, vpc, ecr_images }
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
        match reader.describe_service_network(&task.region, &task.cluster, service).await {
            Fact::Known(Some(config)) => return Some(Fact::Known(with_task_subnets(config))),
            Fact::Known(None) => {}
            Fact::Failed(failure) => return Some(Fact::Failed(failure)),
        }
    }
    let Some(eni_id) = eni.eni_id.as_deref() else {
        return Some(Fact::Known(NetworkConfig { subnets, ..Default::default() }));
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
