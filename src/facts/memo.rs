//! Reads shared between diagnoses: each distinct read is made once and its answer given to every
//! caller, so a sweep of services that share a VPC, a role or a repository asks about each once.
//! A wrapper around any reader; the readers' semantics are unchanged.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::{
    AccessPoint, CacheRule, Ec2Reader, EcrReader, EcsReader, EfsReader, Fact, FileSystem, IamReader, ImageAnswer,
    MountTarget, NetworkConfig, PolicyAnswer, RoleFacts, RolePolicy, RuleValidation, S3Reader, SecretMeta,
    SecretReader, ServiceFacts, SimulatedDecision, Subnet, TaskDefinitionFacts, TaskFacts, VpcFacts,
};
use crate::deadline::Deadline;
use crate::model::{ImageSelector, TaskArn};

/// `inner`, with every read made at most once per distinct question.
pub struct Memo<R> {
    inner: R,
    answers: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
    asked: std::sync::atomic::AtomicUsize,
}

impl<R> Memo<R> {
    pub fn new(inner: R) -> Self {
        Memo {
            inner,
            answers: Mutex::new(HashMap::new()),
            asked: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many distinct reads were made (each AWS call behind one counts once).
    pub fn distinct_reads(&self) -> usize {
        self.asked.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// The answer to `key`: the first caller's read, which the others wait for.
    async fn once<T: Clone + Send + Sync + 'static>(&self, key: String, read: impl Future<Output = T>) -> T {
        // On the heap: a VPC's read is a large future, and a sweep holds several at once.
        let read = Box::pin(read);
        let cell = {
            let mut answers = self.answers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let entry = answers
                .entry(key)
                .or_insert_with(|| Arc::new(OnceCell::<T>::new()) as Arc<dyn Any + Send + Sync>);
            Arc::clone(entry)
                .downcast::<OnceCell<T>>()
                .expect("one answer type per kind of read")
        };
        cell.get_or_init(|| async {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            read.await
        })
        .await
        .clone()
    }
}

impl<R: EcsReader> EcsReader for Memo<R> {
    async fn describe_task(&self, arn: &TaskArn) -> Fact<Option<TaskFacts>> {
        self.once(format!("DescribeTasks {}", arn.as_str()), self.inner.describe_task(arn))
            .await
    }
    async fn describe_task_definition(&self, region: &str, arn: &str) -> Fact<TaskDefinitionFacts> {
        self.once(
            format!("DescribeTaskDefinition {region} {arn}"),
            self.inner.describe_task_definition(region, arn),
        )
        .await
    }
    async fn describe_service_network(
        &self,
        region: &str,
        cluster: &str,
        service: &str,
    ) -> Fact<Option<NetworkConfig>> {
        self.describe_service(region, cluster, service)
            .await
            .map(|found| found.map(|s| s.network))
    }
    async fn describe_service(&self, region: &str, cluster: &str, service: &str) -> Fact<Option<ServiceFacts>> {
        self.once(
            format!("DescribeServices {region} {cluster} {service}"),
            self.inner.describe_service(region, cluster, service),
        )
        .await
    }
    async fn list_clusters(&self, region: &str) -> Fact<Vec<String>> {
        self.once(format!("ListClusters {region}"), self.inner.list_clusters(region))
            .await
    }
    async fn list_services(&self, region: &str, cluster: &str) -> Fact<Vec<String>> {
        self.once(
            format!("ListServices {region} {cluster}"),
            self.inner.list_services(region, cluster),
        )
        .await
    }
}

impl<R: Ec2Reader> Ec2Reader for Memo<R> {
    async fn describe_eni_network(&self, region: &str, eni_id: &str) -> Fact<Option<NetworkConfig>> {
        self.once(
            format!("DescribeNetworkInterfaces {region} {eni_id}"),
            self.inner.describe_eni_network(region, eni_id),
        )
        .await
    }
    async fn describe_subnet(&self, region: &str, subnet_id: &str) -> Fact<Option<Subnet>> {
        self.once(
            format!("DescribeSubnets {region} {subnet_id}"),
            self.inner.describe_subnet(region, subnet_id),
        )
        .await
    }
    async fn s3_prefix_list_id(&self, region: &str) -> Fact<Option<String>> {
        self.once(format!("S3PrefixList {region}"), self.inner.s3_prefix_list_id(region))
            .await
    }
    async fn describe_vpc(
        &self,
        region: &str,
        vpc_id: &str,
        s3_list_id: Fact<Option<String>>,
        deadline: Deadline,
    ) -> VpcFacts {
        self.once(
            format!("DescribeVpc {region} {vpc_id}"),
            self.inner.describe_vpc(region, vpc_id, s3_list_id, deadline),
        )
        .await
    }
}

impl<R: EcrReader> EcrReader for Memo<R> {
    async fn repository_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<PolicyAnswer> {
        self.once(
            format!("GetRepositoryPolicy {region} {registry_id} {name}"),
            self.inner.repository_policy(region, registry_id, name),
        )
        .await
    }
    async fn image(&self, region: &str, registry_id: &str, name: &str, selector: &ImageSelector) -> Fact<ImageAnswer> {
        self.once(
            format!("BatchGetImage {region} {registry_id} {name}{selector}"),
            self.inner.image(region, registry_id, name, selector),
        )
        .await
    }
    async fn recent_tags(&self, region: &str, registry_id: &str, name: &str, limit: usize) -> Fact<Vec<String>> {
        self.once(
            format!("DescribeImages {region} {registry_id} {name} {limit}"),
            self.inner.recent_tags(region, registry_id, name, limit),
        )
        .await
    }
    async fn tag_mutable(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<bool>> {
        self.once(
            format!("DescribeRepositories {region} {registry_id} {name}"),
            self.inner.tag_mutable(region, registry_id, name),
        )
        .await
    }
    async fn lifecycle_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<String>> {
        self.once(
            format!("GetLifecyclePolicy {region} {registry_id} {name}"),
            self.inner.lifecycle_policy(region, registry_id, name),
        )
        .await
    }
    async fn pushed_images(&self, region: &str, registry_id: &str, name: &str) -> Fact<Vec<super::PushedImage>> {
        self.once(
            format!("DescribeImages(all) {region} {registry_id} {name}"),
            self.inner.pushed_images(region, registry_id, name),
        )
        .await
    }
    async fn pull_through_rules(&self, region: &str, registry_id: &str) -> Fact<Vec<CacheRule>> {
        self.once(
            format!("DescribePullThroughCacheRules {region} {registry_id}"),
            self.inner.pull_through_rules(region, registry_id),
        )
        .await
    }
    async fn validate_pull_through_rule(&self, region: &str, registry_id: &str, prefix: &str) -> Fact<RuleValidation> {
        self.once(
            format!("ValidatePullThroughCacheRule {region} {registry_id} {prefix}"),
            self.inner.validate_pull_through_rule(region, registry_id, prefix),
        )
        .await
    }
}

impl<R: IamReader> IamReader for Memo<R> {
    async fn role(&self, arn: &str) -> Fact<Option<RoleFacts>> {
        self.once(format!("GetRole {arn}"), self.inner.role(arn)).await
    }
    async fn simulate(&self, role_arn: &str, actions: &[&str], resource: &str) -> Fact<Vec<SimulatedDecision>> {
        self.once(
            format!("SimulatePrincipalPolicy {role_arn} {} {resource}", actions.join(",")),
            self.inner.simulate(role_arn, actions, resource),
        )
        .await
    }
    async fn role_policies(&self, role: &RoleFacts, deadline: Deadline) -> Fact<Vec<RolePolicy>> {
        self.once(
            format!("RolePolicies {}", role.arn),
            self.inner.role_policies(role, deadline),
        )
        .await
    }
}

impl<R: EfsReader> EfsReader for Memo<R> {
    async fn file_system(&self, region: &str, id: &str) -> Fact<Option<FileSystem>> {
        self.once(
            format!("DescribeFileSystems {region} {id}"),
            self.inner.file_system(region, id),
        )
        .await
    }
    async fn access_point(&self, region: &str, id: &str) -> Fact<Option<AccessPoint>> {
        self.once(
            format!("DescribeAccessPoints {region} {id}"),
            self.inner.access_point(region, id),
        )
        .await
    }
    async fn mount_targets(&self, region: &str, file_system_id: &str) -> Fact<Vec<MountTarget>> {
        self.once(
            format!("DescribeMountTargets {region} {file_system_id}"),
            self.inner.mount_targets(region, file_system_id),
        )
        .await
    }
    async fn file_system_policy(&self, region: &str, file_system_id: &str) -> Fact<Option<String>> {
        self.once(
            format!("DescribeFileSystemPolicy {region} {file_system_id}"),
            self.inner.file_system_policy(region, file_system_id),
        )
        .await
    }
}

impl<R: S3Reader> S3Reader for Memo<R> {
    async fn bucket_region(&self, region: &str, bucket: &str) -> Fact<Option<String>> {
        self.once(
            format!("GetBucketLocation {region} {bucket}"),
            self.inner.bucket_region(region, bucket),
        )
        .await
    }
    async fn object_exists(&self, region: &str, bucket: &str, key: &str) -> Fact<bool> {
        self.once(
            format!("ListBucket {region} {bucket} {key}"),
            self.inner.object_exists(region, bucket, key),
        )
        .await
    }
    async fn bucket_policy(&self, region: &str, bucket: &str) -> Fact<Option<String>> {
        self.once(
            format!("GetBucketPolicy {region} {bucket}"),
            self.inner.bucket_policy(region, bucket),
        )
        .await
    }
}

impl<R: SecretReader> SecretReader for Memo<R> {
    async fn describe_secret(&self, region: &str, arn: &str) -> Fact<Option<SecretMeta>> {
        self.once(
            format!("DescribeSecret {region} {arn}"),
            self.inner.describe_secret(region, arn),
        )
        .await
    }
    async fn describe_parameter(&self, region: &str, name: &str) -> Fact<Option<SecretMeta>> {
        self.once(
            format!("DescribeParameters {region} {name}"),
            self.inner.describe_parameter(region, name),
        )
        .await
    }
    async fn log_group_exists(&self, region: &str, group: &str) -> Fact<bool> {
        self.once(
            format!("DescribeLogGroups {region} {group}"),
            self.inner.log_group_exists(region, group),
        )
        .await
    }
    async fn key_arn(&self, region: &str, alias: &str) -> Fact<Option<String>> {
        self.once(
            format!("DescribeKey {region} {alias}"),
            self.inner.key_arn(region, alias),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting(std::sync::atomic::AtomicUsize);

    impl SecretReader for Counting {
        async fn describe_secret(&self, _: &str, _: &str) -> Fact<Option<SecretMeta>> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::task::yield_now().await;
            Fact::Known(None)
        }
        async fn describe_parameter(&self, _: &str, _: &str) -> Fact<Option<SecretMeta>> {
            Fact::Known(None)
        }
        async fn log_group_exists(&self, _: &str, _: &str) -> Fact<bool> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Fact::Known(true)
        }
        async fn key_arn(&self, _: &str, _: &str) -> Fact<Option<String>> {
            Fact::Known(None)
        }
    }

    #[tokio::test]
    async fn each_question_is_asked_once_however_many_ask_it_at_once() {
        let memo = Memo::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
        let asks = (0..20).map(|i| memo.describe_secret("us-east-1", if i % 2 == 0 { "a" } else { "b" }));
        let answers = futures::future::join_all(asks).await;
        assert!(answers.iter().all(|a| *a == Fact::Known(None)));
        assert_eq!(
            memo.inner().0.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "two distinct secrets, two reads"
        );
        // Different kinds of read with the same arguments are different questions.
        assert_eq!(memo.log_group_exists("us-east-1", "a").await, Fact::Known(true));
        assert_eq!(
            (
                memo.inner().0.load(std::sync::atomic::Ordering::SeqCst),
                memo.distinct_reads()
            ),
            (3, 3)
        );
    }
}
