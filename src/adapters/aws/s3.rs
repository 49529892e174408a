use aws_sdk_s3::Client;

use super::{AwsClients, call_failure};
use crate::facts::{Fact, S3Reader};
use crate::model::Operation;

impl AwsClients {
    fn s3(&self, region: &str) -> Client {
        let config = self.in_region(region);
        // A custom endpoint (a local emulator) has no per-bucket host names: address buckets by path.
        let path_style = config.endpoint_url().is_some();
        Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(path_style)
                .build(),
        )
    }
}

impl S3Reader for AwsClients {
    async fn bucket_region(&self, region: &str, bucket: &str) -> Fact<Option<String>> {
        use aws_sdk_s3::error::ProvideErrorMetadata as _;
        match self.s3(region).get_bucket_location().bucket(bucket).send().await {
            // An empty constraint is us-east-1, the oldest region.
            Ok(output) => Fact::Known(Some(
                output
                    .location_constraint()
                    .map(|c| c.as_str().to_string())
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "us-east-1".into()),
            )),
            Err(error) if error.code() == Some("NoSuchBucket") => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::GetBucketLocation.iam(), bucket, &error)),
        }
    }

    async fn object_exists(&self, region: &str, bucket: &str, key: &str) -> Fact<bool> {
        // The listing under the key's own name: HeadObject would need s3:GetObject, which would let
        // the doctor read every file's content; s3:ListBucket shows names only.
        match self
            .s3(region)
            .list_objects_v2()
            .bucket(bucket)
            .prefix(key)
            .max_keys(1)
            .send()
            .await
        {
            Ok(output) => Fact::Known(output.contents().first().and_then(|o| o.key()) == Some(key)),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_bucket()) => Fact::Known(false),
            Err(error) => Fact::Failed(call_failure(
                Operation::ListBucket.iam(),
                &format!("{bucket}/{key}"),
                &error,
            )),
        }
    }

    async fn bucket_policy(&self, region: &str, bucket: &str) -> Fact<Option<String>> {
        use aws_sdk_s3::error::ProvideErrorMetadata as _;
        match self.s3(region).get_bucket_policy().bucket(bucket).send().await {
            // The body is the policy itself: one that is not JSON is a cut or garbled answer, since S3
            // accepts only JSON policies.
            Ok(output) => match output.policy() {
                Some(text) if serde_json::from_str::<serde_json::Value>(text).is_err() => {
                    Fact::Failed(crate::facts::CallFailure {
                        operation: Operation::GetBucketPolicy.iam().into(),
                        resource: bucket.into(),
                        error_code: "MalformedResponse".into(),
                        message: "the answer is not a JSON policy document".into(),
                    })
                }
                policy => Fact::Known(policy.map(str::to_string)),
            },
            Err(error) if matches!(error.code(), Some("NoSuchBucketPolicy" | "NoSuchBucket")) => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::GetBucketPolicy.iam(), bucket, &error)),
        }
    }
}
