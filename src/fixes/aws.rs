//! The fix writer for the AWS SDK: each planned call, made as planned.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification, VpcEndpointType};

use super::{Call, FixWriter};
use crate::facts::CallFailure;
use crate::facts::aws::AwsReader;

fn failure(operation: &str, resource: &str, error: impl std::fmt::Display, code: Option<&str>) -> CallFailure {
    CallFailure {
        operation: operation.to_string(),
        resource: resource.to_string(),
        error_code: code.unwrap_or("Error").to_string(),
        message: error.to_string(),
    }
}

macro_rules! made {
    ($operation:literal, $resource:expr, $request:expr) => {{
        use aws_sdk_ec2::error::ProvideErrorMetadata as _;
        $request.await.map(|_| ()).map_err(|e| {
            let code = e.code().map(str::to_string);
            failure($operation, $resource, aws_sdk_ec2::error::DisplayErrorContext(&e), code.as_deref())
        })
    }};
}

impl FixWriter for AwsReader {
    async fn call(&self, region: &str, call: &Call) -> Result<(), CallFailure> {
        let config = self.sdk_config().to_builder().region(aws_config::Region::new(region.to_string())).build();
        match call {
            Call::AttachRolePolicy { role_name, policy_arn } => {
                made!("iam:AttachRolePolicy", role_name, self.iam_client().attach_role_policy().role_name(role_name).policy_arn(policy_arn).send())
            }
            Call::UpdateAssumeRolePolicy { role_name, policy_document } => made!(
                "iam:UpdateAssumeRolePolicy",
                role_name,
                self.iam_client().update_assume_role_policy().role_name(role_name).policy_document(policy_document).send()
            ),
            Call::TagRole { role_name, tags } => {
                let mut request = self.iam_client().tag_role().role_name(role_name);
                for (key, value) in tags {
                    request = request.tags(aws_sdk_iam::types::Tag::builder().key(key).value(value).build().map_err(|e| failure("iam:TagRole", role_name, e, None))?);
                }
                made!("iam:TagRole", role_name, request.send())
            }
            Call::ModifyVpcEndpoint { vpc_endpoint_id, add_route_table_ids, policy_document } => made!(
                "ec2:ModifyVpcEndpoint",
                vpc_endpoint_id,
                aws_sdk_ec2::Client::new(&config)
                    .modify_vpc_endpoint()
                    .vpc_endpoint_id(vpc_endpoint_id)
                    .set_add_route_table_ids(Some(add_route_table_ids.clone()).filter(|ids| !ids.is_empty()))
                    .set_policy_document(policy_document.clone())
                    .send()
            ),
            Call::CreateVpcEndpoint { vpc_id, service_name, vpc_endpoint_type, route_table_ids, tags } => {
                let tagging = TagSpecification::builder()
                    .resource_type(ResourceType::VpcEndpoint)
                    .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()))
                    .build();
                made!(
                    "ec2:CreateVpcEndpoint",
                    vpc_id,
                    aws_sdk_ec2::Client::new(&config)
                        .create_vpc_endpoint()
                        .vpc_id(vpc_id)
                        .service_name(service_name)
                        .vpc_endpoint_type(VpcEndpointType::from(vpc_endpoint_type.as_str()))
                        .set_route_table_ids(Some(route_table_ids.clone()))
                        .tag_specifications(tagging)
                        .send()
                )
            }
            Call::CreateTags { resources, tags } => made!(
                "ec2:CreateTags",
                &resources.join(","),
                aws_sdk_ec2::Client::new(&config)
                    .create_tags()
                    .set_resources(Some(resources.clone()))
                    .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()))
                    .send()
            ),
            Call::CreateLogGroup { log_group_name, tags, .. } => made!(
                "logs:CreateLogGroup",
                log_group_name,
                aws_sdk_cloudwatchlogs::Client::new(&config).create_log_group().log_group_name(log_group_name).set_tags(Some(tags.clone().into_iter().collect())).send()
            ),
        }
    }
}
