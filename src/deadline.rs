//! One deadline for a whole diagnosis. Every read still outstanding when it passes becomes a failed
//! fact naming its call (error code `Deadline`), the checks run on what is known, and no write starts
//! after it.
//!
//! [`Bounded`] puts the deadline around any [`Doctor`](crate::engine::Doctor): the engine wraps
//! whatever reader it is given, so the AWS adapter and the tests' fakes are bounded alike.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::facts::{
    AccessPoint, CacheRule, CallFailure, Ec2Reader, EcrReader, EcsReader, EfsReader, Fact, FileSystem, IamReader,
    ImageAnswer, MountTarget, NetworkConfig, PolicyAnswer, RoleFacts, RolePolicy, RuleValidation, S3Reader, SecretMeta,
    SecretReader, ServiceFacts, SimulatedDecision, Subnet, TaskDefinitionFacts, TaskFacts, VpcFacts,
};
use crate::fixes::runbook::RunbookRequest;
use crate::fixes::{Call, FixWriter, RunbookStarter};
use crate::model::{ImageSelector, TaskArn};

/// The error code of a call cut off by the deadline.
pub const DEADLINE: &str = "Deadline";

/// When a diagnosis must have its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        Deadline(Instant::now() + budget)
    }

    /// The same deadline `by` later: for what may use the margin kept after it.
    pub fn extended(&self, by: Duration) -> Deadline {
        Deadline(self.0 + by)
    }

    /// `future`'s output, or `None` if the deadline comes first.
    pub async fn within<T>(&self, future: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout_at(self.0.into(), future).await.ok()
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }

    /// `future`'s fact, or a failed fact naming `operation` if the deadline comes first.
    pub async fn bound<T>(&self, operation: &str, resource: &str, future: impl Future<Output = Fact<T>>) -> Fact<T> {
        match tokio::time::timeout_at(self.0, future).await {
            Ok(fact) => fact,
            Err(_) => Fact::Failed(cut_off(operation, resource)),
        }
    }
}

/// The failure of a read that had no answer when the deadline passed.
pub fn cut_off(operation: &str, resource: &str) -> CallFailure {
    past_deadline(operation, resource, "no answer before the diagnosis's deadline")
}

fn past_deadline(operation: &str, resource: &str, message: &str) -> CallFailure {
    CallFailure {
        operation: operation.to_string(),
        resource: resource.to_string(),
        error_code: DEADLINE.to_string(),
        message: message.to_string(),
    }
}

/// A reader and writer whose every call ends by the deadline.
pub struct Bounded<'a, D> {
    inner: &'a D,
    deadline: Deadline,
}

impl<'a, D> Bounded<'a, D> {
    pub fn new(inner: &'a D, deadline: Deadline) -> Self {
        Bounded { inner, deadline }
    }
}

impl<D: EcsReader> EcsReader for Bounded<'_, D> {
    async fn describe_task(&self, arn: &TaskArn) -> Fact<Option<TaskFacts>> {
        self.deadline
            .bound("ecs:DescribeTasks", arn.as_str(), self.inner.describe_task(arn))
            .await
    }
    async fn describe_task_definition(&self, region: &str, arn: &str) -> Fact<TaskDefinitionFacts> {
        self.deadline
            .bound(
                "ecs:DescribeTaskDefinition",
                arn,
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
        self.deadline
            .bound(
                "ecs:DescribeServices",
                service,
                self.inner.describe_service_network(region, cluster, service),
            )
            .await
    }
    async fn describe_service(&self, region: &str, cluster: &str, service: &str) -> Fact<Option<ServiceFacts>> {
        self.deadline
            .bound(
                "ecs:DescribeServices",
                service,
                self.inner.describe_service(region, cluster, service),
            )
            .await
    }
    async fn list_clusters(&self, region: &str) -> Fact<Vec<String>> {
        self.deadline
            .bound("ecs:ListClusters", region, self.inner.list_clusters(region))
            .await
    }
    async fn list_services(&self, region: &str, cluster: &str) -> Fact<Vec<String>> {
        self.deadline
            .bound("ecs:ListServices", cluster, self.inner.list_services(region, cluster))
            .await
    }
}

impl<D: Ec2Reader> Ec2Reader for Bounded<'_, D> {
    async fn describe_eni_network(&self, region: &str, eni_id: &str) -> Fact<Option<NetworkConfig>> {
        self.deadline
            .bound(
                "ec2:DescribeNetworkInterfaces",
                eni_id,
                self.inner.describe_eni_network(region, eni_id),
            )
            .await
    }
    async fn describe_subnet(&self, region: &str, subnet_id: &str) -> Fact<Option<Subnet>> {
        self.deadline
            .bound(
                "ec2:DescribeSubnets",
                subnet_id,
                self.inner.describe_subnet(region, subnet_id),
            )
            .await
    }
    async fn s3_prefix_list_id(&self, region: &str) -> Fact<Option<String>> {
        self.deadline
            .bound(
                "ec2:DescribeManagedPrefixLists",
                region,
                self.inner.s3_prefix_list_id(region),
            )
            .await
    }
    async fn describe_vpc(
        &self,
        region: &str,
        vpc_id: &str,
        s3_list_id: Fact<Option<String>>,
        deadline: Deadline,
    ) -> VpcFacts {
        // The reader bounds each of the VPC's calls itself, so that the parts that answered are kept;
        // this bound is for a reader that does not.
        let deadline = Deadline(deadline.0.min(self.deadline.0));
        let grace = deadline.0 + Duration::from_millis(200);
        match tokio::time::timeout_at(grace, self.inner.describe_vpc(region, vpc_id, s3_list_id, deadline)).await {
            Ok(vpc) => vpc,
            Err(_) => VpcFacts::unread(vpc_id, |operation| cut_off(operation, vpc_id)),
        }
    }
}

impl<D: EcrReader> EcrReader for Bounded<'_, D> {
    async fn repository_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<PolicyAnswer> {
        self.deadline
            .bound(
                "ecr:GetRepositoryPolicy",
                name,
                self.inner.repository_policy(region, registry_id, name),
            )
            .await
    }
    async fn image(&self, region: &str, registry_id: &str, name: &str, selector: &ImageSelector) -> Fact<ImageAnswer> {
        self.deadline
            .bound(
                "ecr:BatchGetImage",
                name,
                self.inner.image(region, registry_id, name, selector),
            )
            .await
    }
    async fn recent_tags(&self, region: &str, registry_id: &str, name: &str, limit: usize) -> Fact<Vec<String>> {
        self.deadline
            .bound(
                "ecr:DescribeImages",
                name,
                self.inner.recent_tags(region, registry_id, name, limit),
            )
            .await
    }
    async fn tag_mutable(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<bool>> {
        self.deadline
            .bound(
                "ecr:DescribeRepositories",
                name,
                self.inner.tag_mutable(region, registry_id, name),
            )
            .await
    }
    async fn lifecycle_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<String>> {
        self.deadline
            .bound(
                "ecr:GetLifecyclePolicy",
                name,
                self.inner.lifecycle_policy(region, registry_id, name),
            )
            .await
    }
    async fn pushed_images(&self, region: &str, registry_id: &str, name: &str) -> Fact<Vec<crate::facts::PushedImage>> {
        self.deadline
            .bound(
                "ecr:DescribeImages",
                name,
                self.inner.pushed_images(region, registry_id, name),
            )
            .await
    }
    async fn pull_through_rules(&self, region: &str, registry_id: &str) -> Fact<Vec<CacheRule>> {
        self.deadline
            .bound(
                "ecr:DescribePullThroughCacheRules",
                registry_id,
                self.inner.pull_through_rules(region, registry_id),
            )
            .await
    }
    async fn validate_pull_through_rule(&self, region: &str, registry_id: &str, prefix: &str) -> Fact<RuleValidation> {
        self.deadline
            .bound(
                "ecr:ValidatePullThroughCacheRule",
                prefix,
                self.inner.validate_pull_through_rule(region, registry_id, prefix),
            )
            .await
    }
}

impl<D: IamReader> IamReader for Bounded<'_, D> {
    async fn role(&self, arn: &str) -> Fact<Option<RoleFacts>> {
        self.deadline.bound("iam:GetRole", arn, self.inner.role(arn)).await
    }
    async fn simulate(&self, role_arn: &str, actions: &[&str], resource: &str) -> Fact<Vec<SimulatedDecision>> {
        self.deadline
            .bound(
                "iam:SimulatePrincipalPolicy",
                role_arn,
                self.inner.simulate(role_arn, actions, resource),
            )
            .await
    }
    async fn role_policies(&self, role: &RoleFacts, deadline: Deadline) -> Fact<Vec<RolePolicy>> {
        // Several calls (List*, GetRolePolicy, GetPolicy, GetPolicyVersion); the listing names them.
        let deadline = Deadline(deadline.0.min(self.deadline.0));
        let grace = deadline.0 + Duration::from_millis(200);
        match tokio::time::timeout_at(grace, self.inner.role_policies(role, deadline)).await {
            Ok(policies) => policies,
            Err(_) => Fact::Failed(cut_off("iam:ListRolePolicies", &role.arn)),
        }
    }
}

impl<D: EfsReader> EfsReader for Bounded<'_, D> {
    async fn file_system(&self, region: &str, id: &str) -> Fact<Option<FileSystem>> {
        self.deadline
            .bound(
                "elasticfilesystem:DescribeFileSystems",
                id,
                self.inner.file_system(region, id),
            )
            .await
    }
    async fn access_point(&self, region: &str, id: &str) -> Fact<Option<AccessPoint>> {
        self.deadline
            .bound(
                "elasticfilesystem:DescribeAccessPoints",
                id,
                self.inner.access_point(region, id),
            )
            .await
    }
    async fn mount_targets(&self, region: &str, file_system_id: &str) -> Fact<Vec<MountTarget>> {
        self.deadline
            .bound(
                "elasticfilesystem:DescribeMountTargets",
                file_system_id,
                self.inner.mount_targets(region, file_system_id),
            )
            .await
    }
    async fn file_system_policy(&self, region: &str, file_system_id: &str) -> Fact<Option<String>> {
        self.deadline
            .bound(
                "elasticfilesystem:DescribeFileSystemPolicy",
                file_system_id,
                self.inner.file_system_policy(region, file_system_id),
            )
            .await
    }
}

impl<D: S3Reader> S3Reader for Bounded<'_, D> {
    async fn bucket_region(&self, region: &str, bucket: &str) -> Fact<Option<String>> {
        self.deadline
            .bound("s3:GetBucketLocation", bucket, self.inner.bucket_region(region, bucket))
            .await
    }
    async fn object_exists(&self, region: &str, bucket: &str, key: &str) -> Fact<bool> {
        self.deadline
            .bound(
                "s3:ListBucket",
                &format!("{bucket}/{key}"),
                self.inner.object_exists(region, bucket, key),
            )
            .await
    }
    async fn bucket_policy(&self, region: &str, bucket: &str) -> Fact<Option<String>> {
        self.deadline
            .bound("s3:GetBucketPolicy", bucket, self.inner.bucket_policy(region, bucket))
            .await
    }
}

impl<D: SecretReader> SecretReader for Bounded<'_, D> {
    async fn describe_secret(&self, region: &str, arn: &str) -> Fact<Option<SecretMeta>> {
        self.deadline
            .bound(
                "secretsmanager:DescribeSecret",
                arn,
                self.inner.describe_secret(region, arn),
            )
            .await
    }
    async fn describe_parameter(&self, region: &str, name: &str) -> Fact<Option<SecretMeta>> {
        self.deadline
            .bound(
                "ssm:DescribeParameters",
                name,
                self.inner.describe_parameter(region, name),
            )
            .await
    }
    async fn log_group_exists(&self, region: &str, group: &str) -> Fact<bool> {
        self.deadline
            .bound(
                "logs:DescribeLogGroups",
                group,
                self.inner.log_group_exists(region, group),
            )
            .await
    }
    async fn key_arn(&self, region: &str, alias: &str) -> Fact<Option<String>> {
        self.deadline
            .bound("kms:DescribeKey", alias, self.inner.key_arn(region, alias))
            .await
    }
}

impl<D: RunbookStarter> RunbookStarter for Bounded<'_, D> {
    async fn running(&self, region: &str, tag_key: &str) -> Fact<Option<String>> {
        self.deadline
            .bound(
                "ssm:DescribeAutomationExecutions",
                tag_key,
                self.inner.running(region, tag_key),
            )
            .await
    }
    async fn start(&self, region: &str, request: &RunbookRequest) -> Result<String, CallFailure> {
        let operation = "ssm:StartAutomationExecution";
        self.write(operation, &request.task_id, self.inner.start(region, request))
            .await
    }
}

impl<D: FixWriter> FixWriter for Bounded<'_, D> {
    async fn call(&self, region: &str, call: &Call) -> Result<Option<String>, CallFailure> {
        self.write(call.operation(), region, self.inner.call(region, call))
            .await
    }
}

impl<D> Bounded<'_, D> {
    /// A write starts only before the deadline. One that is still out when it passes may or may not
    /// have taken effect: the failure says so, and every fix is safe to apply again.
    async fn write<T>(
        &self,
        operation: &str,
        resource: &str,
        call: impl Future<Output = Result<T, CallFailure>>,
    ) -> Result<T, CallFailure> {
        let failure = |message: &str| past_deadline(operation, resource, message);
        if self.deadline.passed() {
            return Err(failure("not made: the diagnosis's deadline had passed"));
        }
        match tokio::time::timeout_at(self.deadline.0, call).await {
            Ok(result) => result,
            Err(_) => Err(failure(
                "no answer before the deadline; it may have taken effect, so read again before retrying",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_without_an_answer_by_the_deadline_is_a_failed_fact_naming_its_call() {
        let deadline = Deadline::after(Duration::from_millis(50));
        let stalled = deadline
            .bound("ec2:DescribeSubnets", "subnet-1", std::future::pending::<Fact<u8>>())
            .await;
        let Fact::Failed(failure) = stalled else {
            panic!("a stalled read cannot be known")
        };
        assert_eq!(
            (failure.operation.as_str(), failure.error_code.as_str()),
            ("ec2:DescribeSubnets", DEADLINE)
        );
        assert!(deadline.passed());
        let answered = Deadline::after(Duration::from_secs(5))
            .bound("ec2:DescribeSubnets", "subnet-1", async { Fact::Known(1u8) })
            .await;
        assert_eq!(answered, Fact::Known(1));
    }
}
