//! The fix writer for the AWS SDK: each planned call, made as planned.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification, VpcEndpointType};

use super::AwsClients;
use crate::facts::CallFailure;
use crate::facts::Fact;
use crate::fixes::runbook::{DOCUMENT, RunbookRequest, RunbookStarter};
use crate::fixes::{Call, FixWriter};
use crate::model::Operation;

fn failure(operation: &str, resource: &str, error: impl std::fmt::Display, code: Option<&str>) -> CallFailure {
    CallFailure {
        operation: operation.to_string(),
        resource: resource.to_string(),
        error_code: code.unwrap_or("Error").to_string(),
        message: error.to_string(),
    }
}

macro_rules! made {
    ($operation:expr, $resource:expr, $request:expr) => {{
        use aws_sdk_ec2::error::ProvideErrorMetadata as _;
        $request.await.map(|_| None).map_err(|e| {
            let code = e.code().map(str::to_string);
            failure(
                $operation,
                $resource,
                aws_sdk_ec2::error::DisplayErrorContext(&e),
                code.as_deref(),
            )
        })
    }};
}

/// A rule that exists already is what the call wanted.
fn already_there(result: Result<Option<String>, CallFailure>) -> Result<Option<String>, CallFailure> {
    match result {
        Err(failure) if failure.error_code == "InvalidPermission.Duplicate" => Ok(None),
        other => other,
    }
}

/// The group an earlier apply created: same name, same VPC, and the doctor's tag (its value names the
/// services of that apply, which may since have changed). A group of that name without the tag is
/// someone else's, and is not taken over.
async fn earlier_group(
    ec2: &aws_sdk_ec2::Client,
    group_name: &str,
    vpc_id: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<Option<String>, CallFailure> {
    let filter = |name: &str, value: &str| aws_sdk_ec2::types::Filter::builder().name(name).values(value).build();
    let found = ec2
        .describe_security_groups()
        .filters(filter("group-name", group_name))
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .map_err(|e| super::call_failure(Operation::DescribeSecurityGroups.iam(), group_name, &e))?;
    let ours = found.security_groups().iter().find(|group| {
        tags.keys()
            .all(|key| group.tags().iter().any(|t| t.key() == Some(key.as_str())))
    });
    match ours {
        Some(group) => Ok(group.group_id().map(str::to_string)),
        None => Err(failure(
            Operation::CreateSecurityGroup.iam(),
            group_name,
            format!("a group named {group_name} exists in {vpc_id} without this fix's tag"),
            Some("InvalidGroup.Duplicate"),
        )),
    }
}

fn tag_list(tags: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// A CreateVpcEndpoint call with what every endpoint the doctor creates has: its VPC, service, kind and tags.
fn create_endpoint(
    config: &aws_config::SdkConfig,
    vpc_id: &str,
    service_name: &str,
    kind: VpcEndpointType,
    tags: &std::collections::BTreeMap<String, String>,
) -> aws_sdk_ec2::operation::create_vpc_endpoint::builders::CreateVpcEndpointFluentBuilder {
    let tagging = TagSpecification::builder()
        .resource_type(ResourceType::VpcEndpoint)
        .set_tags(Some(tag_list(tags)))
        .build();
    aws_sdk_ec2::Client::new(config)
        .create_vpc_endpoint()
        .vpc_id(vpc_id)
        .service_name(service_name)
        .vpc_endpoint_type(kind)
        .tag_specifications(tagging)
}

fn https() -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
}

/// Creates the doctor's security group; one an earlier apply of the same fix made is carried on with.
async fn create_security_group(
    config: &aws_config::SdkConfig,
    group_name: &str,
    description: &str,
    vpc_id: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<Option<String>, CallFailure> {
    use aws_sdk_ec2::error::ProvideErrorMetadata as _;
    let ec2 = aws_sdk_ec2::Client::new(config);
    let tagging = TagSpecification::builder()
        .resource_type(ResourceType::SecurityGroup)
        .set_tags(Some(tag_list(tags)))
        .build();
    match ec2
        .create_security_group()
        .group_name(group_name)
        .description(description)
        .vpc_id(vpc_id)
        .tag_specifications(tagging)
        .send()
        .await
    {
        Ok(created) => Ok(created.group_id().map(str::to_string)),
        // An earlier apply of this fix made it and stopped later: carry on with it.
        Err(error) if error.code() == Some("InvalidGroup.Duplicate") => {
            earlier_group(&ec2, group_name, vpc_id, tags).await
        }
        Err(error) => {
            let code = error.code().map(str::to_string);
            Err(failure(
                Operation::CreateSecurityGroup.iam(),
                group_name,
                aws_sdk_ec2::error::DisplayErrorContext(&error),
                code.as_deref(),
            ))
        }
    }
}

/// TCP 443 to each destination; IPv6 CIDRs go into Ipv6Ranges.
fn https_to(cidrs: &[String], security_groups: &[String], prefix_lists: &[String]) -> aws_sdk_ec2::types::IpPermission {
    https()
        .set_ip_ranges(Some(
            cidrs
                .iter()
                .filter(|c| !c.contains(':'))
                .map(|c| aws_sdk_ec2::types::IpRange::builder().cidr_ip(c).build())
                .collect(),
        ))
        .set_ipv6_ranges(Some(
            cidrs
                .iter()
                .filter(|c| c.contains(':'))
                .map(|c| aws_sdk_ec2::types::Ipv6Range::builder().cidr_ipv6(c).build())
                .collect(),
        ))
        .set_user_id_group_pairs(Some(
            security_groups
                .iter()
                .map(|g| aws_sdk_ec2::types::UserIdGroupPair::builder().group_id(g).build())
                .collect(),
        ))
        .set_prefix_list_ids(Some(
            prefix_lists
                .iter()
                .map(|p| aws_sdk_ec2::types::PrefixListId::builder().prefix_list_id(p).build())
                .collect(),
        ))
        .build()
}

/// The service's network configuration as it is, with a public IP.
async fn enable_public_ip(
    config: &aws_config::SdkConfig,
    cluster: &str,
    service: &str,
    subnets: &[String],
    security_groups: &[String],
) -> Result<Option<String>, CallFailure> {
    use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, NetworkConfiguration};
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(subnets.to_vec()))
        .set_security_groups(Some(security_groups.to_vec()))
        .assign_public_ip(AssignPublicIp::Enabled)
        .build()
        .map_err(|e| failure(Operation::UpdateService.iam(), service, e, None))?;
    aws_sdk_ecs::Client::new(config)
        .update_service()
        .cluster(cluster)
        .service(service)
        .network_configuration(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
        .send()
        .await
        .map(|_| None)
        .map_err(|e| super::call_failure(Operation::UpdateService.iam(), service, &e))
}

impl FixWriter for AwsClients {
    async fn call(&self, region: &str, call: &Call) -> Result<Option<String>, CallFailure> {
        let config = self
            .sdk_config()
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        match call {
            Call::AttachRolePolicy { role_name, policy_arn } => {
                made!(
                    Operation::AttachRolePolicy.iam(),
                    role_name,
                    self.iam_client()
                        .attach_role_policy()
                        .role_name(role_name)
                        .policy_arn(policy_arn)
                        .send()
                )
            }
            Call::UpdateAssumeRolePolicy {
                role_name,
                policy_document,
            } => made!(
                Operation::UpdateAssumeRolePolicy.iam(),
                role_name,
                self.iam_client()
                    .update_assume_role_policy()
                    .role_name(role_name)
                    .policy_document(policy_document)
                    .send()
            ),
            Call::TagRole { role_name, tags } => {
                let mut request = self.iam_client().tag_role().role_name(role_name);
                for (key, value) in tags {
                    request = request.tags(
                        aws_sdk_iam::types::Tag::builder()
                            .key(key)
                            .value(value)
                            .build()
                            .map_err(|e| failure(Operation::TagRole.iam(), role_name, e, None))?,
                    );
                }
                made!(Operation::TagRole.iam(), role_name, request.send())
            }
            Call::ModifyVpcEndpoint {
                vpc_endpoint_id,
                add_route_table_ids,
                policy_document,
            } => made!(
                Operation::ModifyVpcEndpoint.iam(),
                vpc_endpoint_id,
                aws_sdk_ec2::Client::new(&config)
                    .modify_vpc_endpoint()
                    .vpc_endpoint_id(vpc_endpoint_id)
                    .set_add_route_table_ids(Some(add_route_table_ids.clone()).filter(|ids| !ids.is_empty()))
                    .set_policy_document(policy_document.clone())
                    .send()
            ),
            Call::CreateVpcEndpoint {
                vpc_id,
                service_name,
                vpc_endpoint_type,
                route_table_ids,
                tags,
                client_token,
            } => made!(
                Operation::CreateVpcEndpoint.iam(),
                vpc_id,
                create_endpoint(
                    &config,
                    vpc_id,
                    service_name,
                    VpcEndpointType::from(vpc_endpoint_type.as_str()),
                    tags
                )
                .client_token(client_token)
                .set_route_table_ids(Some(route_table_ids.clone()))
                .send()
            ),
            Call::CreateTags { resources, tags } => made!(
                Operation::CreateTags.iam(),
                &resources.join(","),
                aws_sdk_ec2::Client::new(&config)
                    .create_tags()
                    .set_resources(Some(resources.clone()))
                    .set_tags(Some(tag_list(tags)))
                    .send()
            ),
            Call::CreateSecurityGroup {
                group_name,
                description,
                vpc_id,
                tags,
                ..
            } => create_security_group(&config, group_name, description, vpc_id, tags).await,
            Call::AuthorizeHttpsIngress {
                group_id,
                from_security_groups,
            } => {
                let pairs = from_security_groups
                    .iter()
                    .map(|g| aws_sdk_ec2::types::UserIdGroupPair::builder().group_id(g).build())
                    .collect();
                already_there(made!(
                    Operation::AuthorizeSecurityGroupIngress.iam(),
                    group_id,
                    aws_sdk_ec2::Client::new(&config)
                        .authorize_security_group_ingress()
                        .group_id(group_id)
                        .ip_permissions(https().set_user_id_group_pairs(Some(pairs)).build())
                        .send()
                ))
            }
            Call::AuthorizeHttpsEgress {
                group_id,
                cidrs,
                security_groups,
                prefix_lists,
            } => {
                let permission = https_to(cidrs, security_groups, prefix_lists);
                already_there(made!(
                    Operation::AuthorizeSecurityGroupEgress.iam(),
                    group_id,
                    aws_sdk_ec2::Client::new(&config)
                        .authorize_security_group_egress()
                        .group_id(group_id)
                        .ip_permissions(permission)
                        .send()
                ))
            }
            Call::CreateInterfaceEndpoint {
                vpc_id,
                service_name,
                subnet_ids,
                security_group_ids,
                private_dns_enabled,
                tags,
                client_token,
            } => made!(
                Operation::CreateVpcEndpoint.iam(),
                vpc_id,
                create_endpoint(&config, vpc_id, service_name, VpcEndpointType::Interface, tags)
                    .client_token(client_token)
                    .set_subnet_ids(Some(subnet_ids.clone()))
                    .set_security_group_ids(Some(security_group_ids.clone()))
                    .private_dns_enabled(*private_dns_enabled)
                    .send()
            ),
            Call::EnablePublicIp {
                cluster,
                service,
                subnets,
                security_groups,
            } => enable_public_ip(&config, cluster, service, subnets, security_groups).await,
            Call::TagEcsResource { resource_arn, tags } => {
                let mut request = aws_sdk_ecs::Client::new(&config)
                    .tag_resource()
                    .resource_arn(resource_arn);
                for (key, value) in tags {
                    request = request.tags(aws_sdk_ecs::types::Tag::builder().key(key).value(value).build());
                }
                request
                    .send()
                    .await
                    .map(|_| None)
                    .map_err(|e| super::call_failure(Operation::TagResource.iam(), resource_arn, &e))
            }
            Call::ForceNewDeployment { cluster, service } => aws_sdk_ecs::Client::new(&config)
                .update_service()
                .cluster(cluster)
                .service(service)
                .force_new_deployment(true)
                .send()
                .await
                .map(|_| None)
                .map_err(|e| super::call_failure(Operation::UpdateService.iam(), service, &e)),
            Call::CreateLogGroup {
                log_group_name, tags, ..
            } => made!(
                Operation::CreateLogGroup.iam(),
                log_group_name,
                aws_sdk_cloudwatchlogs::Client::new(&config)
                    .create_log_group()
                    .log_group_name(log_group_name)
                    .set_tags(Some(tags.clone().into_iter().collect()))
                    .send()
            ),
        }
    }
}

impl RunbookStarter for AwsClients {
    async fn running(&self, region: &str, tag_key: &str) -> Fact<Option<String>> {
        use aws_sdk_ssm::types::{AutomationExecutionFilter, AutomationExecutionFilterKey as Key};
        let filter = |key: Key, values: &[&str]| {
            AutomationExecutionFilter::builder()
                .key(key)
                .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
                .build()
        };
        let filters = [
            filter(Key::DocumentNamePrefix, &[DOCUMENT]),
            filter(Key::ExecutionStatus, &["Pending", "InProgress", "Waiting"]),
            filter(Key::TagKey, &[tag_key]),
        ];
        let mut request = self.ssm_client(region).describe_automation_executions();
        for filter in filters {
            match filter {
                Ok(filter) => request = request.filters(filter),
                Err(error) => {
                    return Fact::Failed(failure(
                        Operation::DescribeAutomationExecutions.iam(),
                        tag_key,
                        error,
                        None,
                    ));
                }
            }
        }
        match request.send().await {
            Ok(output) => Fact::Known(
                output
                    .automation_execution_metadata_list()
                    .first()
                    .and_then(|m| m.automation_execution_id())
                    .map(str::to_string),
            ),
            Err(error) => Fact::Failed(super::call_failure(
                Operation::DescribeAutomationExecutions.iam(),
                tag_key,
                &error,
            )),
        }
    }

    async fn start(&self, region: &str, request: &RunbookRequest) -> Result<String, CallFailure> {
        let tag = aws_sdk_ssm::types::Tag::builder()
            .key(&request.tag_key)
            .value(&request.tag_value)
            .build()
            .map_err(|e| failure(Operation::StartAutomationExecution.iam(), &request.task_id, e, None))?;
        let mut call = self
            .ssm_client(region)
            .start_automation_execution()
            .document_name(DOCUMENT)
            .parameters("ClusterName", vec![request.cluster.clone()])
            .parameters("TaskId", vec![request.task_id.clone()])
            .client_token(&request.client_token)
            .tags(tag);
        if let Some(role) = &request.roles.automation_assume_role {
            call = call.parameters("AutomationAssumeRole", vec![role.clone()]);
        }
        if let Some(role) = &request.roles.lambda_role {
            call = call.parameters("LambdaRoleArn", vec![role.clone()]);
        }
        match call.send().await {
            Ok(output) => Ok(output.automation_execution_id().unwrap_or_default().to_string()),
            Err(error) => Err(super::call_failure(
                Operation::StartAutomationExecution.iam(),
                &request.task_id,
                &error,
            )),
        }
    }
}
