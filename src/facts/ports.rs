//! The ports: every AWS call the doctor makes, read or write, declared once.
//!
//! [`with_ports!`] holds the one declaration of each call: its trait, method, arguments, answer,
//! the IAM operation it is and what it is about. Everything that wraps or stands in for the calls
//! is generated from it by a macro handed to `with_ports!`: the traits here, the deadline decorator
//! (`engine::Bounded`), the shared reads (`facts::memo::Memo`) and the in-memory adapter
//! (`adapters::memory::Memory`). Adding a call touches its declaration and its SDK call.
//!
//! Each method is one of three kinds:
//! - `read [operation, resource]`: one call; cut off by the deadline, it is a failed fact naming
//!   `operation` on `resource`.
//! - `parts [cut_off]`: several calls the adapter bounds one by one with the `deadline`
//!   it is given (so the parts that answered are kept); `cut_off` is the answer of one that does not.
//! - `write [operation, resource]`: a change, started only before the deadline.
//!
//! A trait marked `reads` holds only reads, which may be shared between diagnoses (`Memo`); one
//! marked `acts` holds writes.

use std::future::Future;

use prelude::*;

/// Every name the declaration uses, for each place that expands it.
pub mod prelude {
    pub use super::{ImageAnswer, PolicyAnswer};
    pub use crate::facts::{
        AccessPoint, CacheRule, CallFailure, Deadline, Fact, FileSystem, MountTarget, NetworkConfig, PushedImage,
        RoleFacts, RolePolicy, RuleValidation, SecretMeta, ServiceFacts, SimulatedDecision, Subnet,
        TaskDefinitionFacts, TaskFacts, VpcFacts, cut_off,
    };
    pub use crate::model::{Call, ImageSelector, Operation, RunbookRequest, TaskArn};
}

/// Hands the declaration of every port to `$generate`, a macro that takes it whole.
#[macro_export]
#[doc(hidden)]
macro_rules! with_ports {
    ($generate:ident) => {
        $generate! {
            /// ECS: the task, its definition and its service.
            EcsReader: reads {
                /// `Known(None)`: ECS no longer knows the task (stopped tasks are kept for about an hour).
                read [Operation::DescribeTasks, arn.as_str()]
                fn describe_task(&self, arn: &TaskArn) -> Fact<Option<TaskFacts>>;
                read [Operation::DescribeTaskDefinition, arn]
                fn describe_task_definition(&self, region: &str, arn: &str) -> Fact<TaskDefinitionFacts>;
                /// Its task definition and network configuration. `Known(None)`: no such service (or cluster).
                read [Operation::DescribeServices, service]
                fn describe_service(&self, region: &str, cluster: &str, service: &str) -> Fact<Option<ServiceFacts>>;
                /// The region's cluster names, every page.
                read [Operation::ListClusters, region]
                fn list_clusters(&self, region: &str) -> Fact<Vec<String>>;
                /// A cluster's service names, every page.
                read [Operation::ListServices, cluster]
                fn list_services(&self, region: &str, cluster: &str) -> Fact<Vec<String>>;
            }
            /// EC2: the task's network interface, subnet and VPC.
            Ec2Reader: reads {
                /// `Known(None)`: the ENI is gone (Fargate deletes it when the task stops).
                read [Operation::DescribeNetworkInterfaces, eni_id]
                fn describe_eni_network(&self, region: &str, eni_id: &str) -> Fact<Option<NetworkConfig>>;
                /// `Known(None)`: no such subnet.
                read [Operation::DescribeSubnets, subnet_id]
                fn describe_subnet(&self, region: &str, subnet_id: &str) -> Fact<Option<Subnet>>;
                /// The ID of the region's S3 prefix list (`com.amazonaws.REGION.s3`); `Known(None)` where
                /// there is none. It depends on no VPC, so it is asked beside the task's subnet.
                read [Operation::DescribeManagedPrefixLists, region]
                fn s3_prefix_list_id(&self, region: &str) -> Fact<Option<String>>;
                /// Everything about a VPC, each part from its own call, read concurrently (with the
                /// entries of the S3 prefix list `s3_list_id` names); a part still unanswered at
                /// `deadline` is a failed fact of its own.
                parts [VpcFacts::unread(vpc_id, |operation| cut_off(operation, vpc_id))]
                fn describe_vpc(&self, region: &str, vpc_id: &str, s3_list_id: Fact<Option<String>>; deadline: Deadline) -> VpcFacts;
            }
            /// ECR: the repository's policy and the image's manifest (whose answers also say whether
            /// the repository and the image exist), and what a pre-flight or a missing tag needs.
            EcrReader: reads {
                read [Operation::GetRepositoryPolicy, name]
                fn repository_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<PolicyAnswer>;
                read [Operation::BatchGetImage, name]
                fn image(&self, region: &str, registry_id: &str, name: &str, selector: &ImageSelector) -> Fact<ImageAnswer>;
                /// The newest tags in a repository, newest first, at most `limit`.
                read [Operation::DescribeImages, name]
                fn recent_tags(&self, region: &str, registry_id: &str, name: &str, limit: usize) -> Fact<Vec<String>>;
                /// Whether the repository lets a tag move to another image. `Known(None)`: no such repository.
                read [Operation::DescribeRepositories, name]
                fn tag_mutable(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<bool>>;
                /// `Known(None)`: none (or no such repository).
                read [Operation::GetLifecyclePolicy, name]
                fn lifecycle_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<String>>;
                /// The repository's tagged images (one page, up to 1,000), with when each was pushed.
                read [Operation::DescribeImages, name]
                fn pushed_images(&self, region: &str, registry_id: &str, name: &str) -> Fact<Vec<PushedImage>>;
                /// The registry's pull-through cache rules.
                read [Operation::DescribePullThroughCacheRules, registry_id]
                fn pull_through_rules(&self, region: &str, registry_id: &str) -> Fact<Vec<CacheRule>>;
                /// Whether ECR can sign in to the rule's upstream registry with its credential (ECR
                /// reads the secret; the doctor never does).
                read [Operation::ValidatePullThroughCacheRule, prefix]
                fn validate_pull_through_rule(&self, region: &str, registry_id: &str, prefix: &str) -> Fact<RuleValidation>;
            }
            /// IAM: roles, what they may do, and their policies.
            IamReader: reads {
                /// `Known(None)`: no such role.
                read [Operation::GetRole, arn]
                fn role(&self, arn: &str) -> Fact<Option<RoleFacts>>;
                /// IAM's decision for `actions` on one `resource`.
                read [Operation::SimulatePrincipalPolicy, role_arn]
                fn simulate(&self, role_arn: &str, actions: &[&str], resource: &str) -> Fact<Vec<SimulatedDecision>>;
                /// The role's inline and attached policies and its permissions boundary (List*,
                /// GetRolePolicy, GetPolicy, GetPolicyVersion), each bounded under its own name.
                parts [Fact::Failed(cut_off(Operation::ListRolePolicies.iam(), &role.arn))]
                fn role_policies(&self, role: &RoleFacts; deadline: Deadline) -> Fact<Vec<RolePolicy>>;
            }
            /// EFS: the file systems, access points and mount targets a task's volumes name.
            EfsReader: reads {
                /// `Known(None)`: no such file system.
                read [Operation::DescribeFileSystems, id]
                fn file_system(&self, region: &str, id: &str) -> Fact<Option<FileSystem>>;
                /// `Known(None)`: no such access point.
                read [Operation::DescribeAccessPoints, id]
                fn access_point(&self, region: &str, id: &str) -> Fact<Option<AccessPoint>>;
                /// The mount targets, then each one's security groups together
                /// (DescribeMountTargetSecurityGroups). Empty for a file system that does not exist.
                read [Operation::DescribeMountTargets, file_system_id]
                fn mount_targets(&self, region: &str, file_system_id: &str) -> Fact<Vec<MountTarget>>;
                /// `Known(None)`: the file system has no policy.
                read [Operation::DescribeFileSystemPolicy, file_system_id]
                fn file_system_policy(&self, region: &str, file_system_id: &str) -> Fact<Option<String>>;
            }
            /// S3, for environment files: metadata only, never an object's content.
            S3Reader: reads {
                /// `Known(None)`: no such bucket.
                read [Operation::GetBucketLocation, bucket]
                fn bucket_region(&self, region: &str, bucket: &str) -> Fact<Option<String>>;
                /// Whether the object exists (a listing under its name).
                read [Operation::ListBucket, &format!("{bucket}/{key}")]
                fn object_exists(&self, region: &str, bucket: &str, key: &str) -> Fact<bool>;
                /// `Known(None)`: no policy, or no bucket.
                read [Operation::GetBucketPolicy, bucket]
                fn bucket_policy(&self, region: &str, bucket: &str) -> Fact<Option<String>>;
            }
            /// Secrets, parameters, keys and log groups: whether they exist, never their values.
            SecretReader: reads {
                /// `Known(None)`: no such secret.
                read [Operation::DescribeSecret, arn]
                fn describe_secret(&self, region: &str, arn: &str) -> Fact<Option<SecretMeta>>;
                /// `Known(None)`: no such parameter.
                read [Operation::DescribeParameters, name]
                fn describe_parameter(&self, region: &str, name: &str) -> Fact<Option<SecretMeta>>;
                read [Operation::DescribeLogGroups, group]
                fn log_group_exists(&self, region: &str, group: &str) -> Fact<bool>;
                /// The ARN of the key an alias names. `Known(None)`: no such alias.
                read [Operation::DescribeKey, alias]
                fn key_arn(&self, region: &str, alias: &str) -> Fact<Option<String>>;
            }
            /// The runbook AWSSupport-TroubleshootECSTaskFailedToStart.
            RunbookStarter: acts {
                /// The id of an execution of the runbook in progress that carries `tag_key`, if any.
                read [Operation::DescribeAutomationExecutions, tag_key]
                fn running(&self, region: &str, tag_key: &str) -> Fact<Option<String>>;
                write [Operation::StartAutomationExecution, &request.task_id]
                fn start(&self, region: &str, request: &RunbookRequest) -> Result<String, CallFailure>;
            }
            /// The fixes: one planned call, made as planned in `region`; answers the id of what it
            /// created, if anything.
            FixWriter: acts {
                write [call.operation(), region]
                fn call(&self, region: &str, call: &Call) -> Result<Option<String>, CallFailure>;
            }
        }
    };
}

/// The traits themselves, from the declaration.
macro_rules! declare_ports {
    ($(
        $(#[$trait_doc:meta])*
        $port:ident: $sharing:ident {
            $(
                $(#[$doc:meta])*
                $kind:ident [$($spec:tt)*]
                fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(; $deadline:ident: Deadline)?) -> $answer:ty;
            )*
        }
    )*) => {
        $(
            $(#[$trait_doc])*
            pub trait $port: Sync {
                $(
                    $(#[$doc])*
                    fn $name(&self $(, $arg: $ty)* $(, $deadline: Deadline)?) -> impl Future<Output = $answer> + Send;
                )*
            }
        )*
    };
}

with_ports!(declare_ports);

/// What ecr:GetRepositoryPolicy answers of a repository.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum PolicyAnswer {
    RepositoryMissing,
    #[default]
    NoPolicy,
    Policy(String),
}

/// What ecr:BatchGetImage answers of an image: whether it is there and, for a multi-platform image,
/// its `os/architecture` platforms (`None` for a single manifest, whose platform is in its config blob,
/// which the doctor does not download).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ImageAnswer {
    RepositoryMissing,
    #[default]
    ImageMissing,
    Found {
        digest: Option<String>,
        platforms: Option<Vec<String>>,
    },
}

/// Everything the engine reads from AWS.
pub trait Readers: EcsReader + Ec2Reader + EcrReader + IamReader + SecretReader + EfsReader + S3Reader {}
impl<T: EcsReader + Ec2Reader + EcrReader + IamReader + SecretReader + EfsReader + S3Reader> Readers for T {}

/// Everything the engine reads from and does to AWS.
pub trait Doctor: Readers + FixWriter + RunbookStarter {}
impl<T: Readers + FixWriter + RunbookStarter> Doctor for T {}
