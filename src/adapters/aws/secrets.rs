use aws_sdk_ssm::types::ParameterStringFilter;

use super::{AwsClients, call_failure};
use crate::facts::{Fact, SecretMeta, SecretReader};
use crate::model::Operation;

/// Keys AWS manages for the service: no kms:Decrypt grant is needed for them.
fn customer_key(key: Option<&str>) -> Option<String> {
    key.filter(|k| !k.starts_with("alias/aws/")).map(str::to_string)
}

impl SecretReader for AwsClients {
    async fn describe_secret(&self, region: &str, arn: &str) -> Fact<Option<SecretMeta>> {
        let client = aws_sdk_secretsmanager::Client::new(&self.in_region(region));
        match client.describe_secret().secret_id(arn).send().await {
            Ok(output) => Fact::Known(Some(SecretMeta {
                arn: output.arn().unwrap_or(arn).to_string(),
                kms_key_id: customer_key(output.kms_key_id()),
                deletion_date: output.deleted_date().map(|date| {
                    date.fmt(aws_sdk_secretsmanager::primitives::DateTimeFormat::DateTime)
                        .unwrap_or_else(|_| date.secs().to_string())
                }),
            })),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(Operation::DescribeSecret.iam(), arn, &error)),
        }
    }

    async fn describe_parameter(&self, region: &str, name: &str) -> Fact<Option<SecretMeta>> {
        let client = aws_sdk_ssm::Client::new(&self.in_region(region));
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .values(name)
            .build();
        let filter = match filter {
            Ok(filter) => filter,
            Err(error) => {
                return Fact::Failed(crate::facts::CallFailure {
                    operation: Operation::DescribeParameters.iam().into(),
                    resource: name.into(),
                    error_code: "InvalidRequest".into(),
                    message: error.to_string(),
                });
            }
        };
        match client.describe_parameters().parameter_filters(filter).send().await {
            Ok(output) => {
                Fact::Known(
                    output
                        .parameters()
                        .iter()
                        .find(|p| p.name() == Some(name))
                        .map(|p| SecretMeta {
                            arn: p.arn().map(str::to_string).unwrap_or_else(|| name.to_string()),
                            kms_key_id: customer_key(p.key_id()),
                            deletion_date: None,
                        }),
                )
            }
            Err(error) => Fact::Failed(call_failure(Operation::DescribeParameters.iam(), name, &error)),
        }
    }

    async fn key_arn(&self, region: &str, alias: &str) -> Fact<Option<String>> {
        let client = aws_sdk_kms::Client::new(&self.in_region(region));
        match client.describe_key().key_id(alias).send().await {
            Ok(output) => Fact::Known(output.key_metadata().and_then(|k| k.arn()).map(str::to_string)),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeKey.iam(), alias, &error)),
        }
    }

    async fn log_group_exists(&self, region: &str, group: &str) -> Fact<bool> {
        let client = aws_sdk_cloudwatchlogs::Client::new(&self.in_region(region));
        match client.describe_log_groups().log_group_name_prefix(group).send().await {
            Ok(output) => Fact::Known(output.log_groups().iter().any(|g| g.log_group_name() == Some(group))),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeLogGroups.iam(), group, &error)),
        }
    }
}
