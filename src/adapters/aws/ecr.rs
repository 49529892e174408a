use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageIdentifier, TagStatus};

use super::{AwsClients, call_failure};
use crate::facts::{CacheRule, CallFailure, EcrReader, Fact, ImageAnswer, PolicyAnswer, PushedImage, RuleValidation};
use crate::model::ImageSelector;
use crate::model::Operation;

/// A manifest list or OCI index first, so that a multi-platform image answers with its platforms.
const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
];

/// `os/architecture[/variant]` of each entry of a manifest list; `None` for a single manifest.
fn platforms(manifest: &str) -> Option<Vec<String>> {
    let value: serde_json::Value = serde_json::from_str(manifest).ok()?;
    let entries = value.get("manifests")?.as_array()?;
    Some(
        entries
            .iter()
            .filter_map(|m| {
                let platform = m.get("platform")?;
                let os = platform.get("os")?.as_str()?;
                let architecture = platform.get("architecture")?.as_str()?;
                // Attestation manifests ("unknown/unknown") are not platforms.
                (os != "unknown").then(|| match platform.get("variant").and_then(|v| v.as_str()) {
                    Some(variant) => format!("{os}/{architecture}/{variant}"),
                    None => format!("{os}/{architecture}"),
                })
            })
            .collect(),
    )
}

impl AwsClients {
    fn ecr(&self, region: &str) -> Client {
        Client::new(&self.in_region(region))
    }
}

/// BatchGetImage failure codes that mean the image is not there.
const IMAGE_MISSING: [&str; 4] = [
    "ImageNotFound",
    "InvalidImageTag",
    "InvalidImageDigest",
    "ImageTagDoesNotMatchDigest",
];

impl EcrReader for AwsClients {
    async fn repository_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<PolicyAnswer> {
        match self
            .ecr(region)
            .get_repository_policy()
            .registry_id(registry_id)
            .repository_name(name)
            .send()
            .await
        {
            Ok(output) => Fact::Known(
                output
                    .policy_text()
                    .map_or(PolicyAnswer::NoPolicy, |text| PolicyAnswer::Policy(text.to_string())),
            ),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_policy_not_found_exception()) =>
            {
                Fact::Known(PolicyAnswer::NoPolicy)
            }
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_not_found_exception()) =>
            {
                Fact::Known(PolicyAnswer::RepositoryMissing)
            }
            Err(error) => Fact::Failed(call_failure(
                Operation::GetRepositoryPolicy.iam(),
                &format!("{registry_id}/{name}"),
                &error,
            )),
        }
    }

    async fn image(&self, region: &str, registry_id: &str, name: &str, selector: &ImageSelector) -> Fact<ImageAnswer> {
        let id = match selector {
            ImageSelector::Tag(tag) => ImageIdentifier::builder().image_tag(tag).build(),
            ImageSelector::Digest(digest) => ImageIdentifier::builder().image_digest(digest).build(),
        };
        let mut request = self
            .ecr(region)
            .batch_get_image()
            .registry_id(registry_id)
            .repository_name(name)
            .image_ids(id);
        for media_type in MANIFEST_TYPES {
            request = request.accepted_media_types(media_type);
        }
        let resource = format!("{registry_id}/{name}{selector}");
        match request.send().await {
            Ok(output) => match (output.images().first(), output.failures().first()) {
                (Some(image), _) => Fact::Known(ImageAnswer::Found {
                    digest: image.image_id().and_then(|id| id.image_digest()).map(str::to_string),
                    platforms: image.image_manifest().and_then(platforms),
                }),
                (None, Some(failure)) => {
                    let code = failure.failure_code().map(|c| c.as_str()).unwrap_or_default();
                    if IMAGE_MISSING.contains(&code) {
                        return Fact::Known(ImageAnswer::ImageMissing);
                    }
                    // Say, a pull-through cache whose upstream refused: ECR could not tell.
                    Fact::Failed(CallFailure {
                        operation: Operation::BatchGetImage.iam().into(),
                        resource,
                        error_code: code.to_string(),
                        message: failure.failure_reason().unwrap_or_default().to_string(),
                    })
                }
                (None, None) => Fact::Known(ImageAnswer::ImageMissing),
            },
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_not_found_exception()) =>
            {
                Fact::Known(ImageAnswer::RepositoryMissing)
            }
            Err(error) => Fact::Failed(call_failure(Operation::BatchGetImage.iam(), &resource, &error)),
        }
    }

    async fn recent_tags(&self, region: &str, registry_id: &str, name: &str, limit: usize) -> Fact<Vec<String>> {
        Box::pin(self.pushed_images(region, registry_id, name))
            .await
            .map(|mut images| {
                images.sort_by_key(|image| std::cmp::Reverse(image.pushed_at));
                images.into_iter().flat_map(|image| image.tags).take(limit).collect()
            })
    }

    async fn tag_mutable(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<bool>> {
        match self
            .ecr(region)
            .describe_repositories()
            .registry_id(registry_id)
            .repository_names(name)
            .send()
            .await
        {
            Ok(output) => Fact::Known(output.repositories().first().map(|r| {
                // MUTABLE, or MUTABLE_WITH_EXCLUSION (some tags fixed): a tag may still move.
                !matches!(
                    r.image_tag_mutability().map(|m| m.as_str()),
                    Some("IMMUTABLE" | "IMMUTABLE_WITH_EXCLUSION")
                )
            })),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_not_found_exception()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(
                Operation::DescribeRepositories.iam(),
                &format!("{registry_id}/{name}"),
                &error,
            )),
        }
    }

    async fn lifecycle_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<String>> {
        match self
            .ecr(region)
            .get_lifecycle_policy()
            .registry_id(registry_id)
            .repository_name(name)
            .send()
            .await
        {
            Ok(output) => Fact::Known(output.lifecycle_policy_text().map(str::to_string)),
            Err(error)
                if error.as_service_error().is_some_and(|e| {
                    e.is_lifecycle_policy_not_found_exception() || e.is_repository_not_found_exception()
                }) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(
                Operation::GetLifecyclePolicy.iam(),
                &format!("{registry_id}/{name}"),
                &error,
            )),
        }
    }

    async fn pushed_images(&self, region: &str, registry_id: &str, name: &str) -> Fact<Vec<PushedImage>> {
        // One page is enough to show what is there; a repository with thousands of images is not read whole.
        let answer = self
            .ecr(region)
            .describe_images()
            .registry_id(registry_id)
            .repository_name(name)
            .filter(DescribeImagesFilter::builder().tag_status(TagStatus::Tagged).build())
            .max_results(1000)
            .send()
            .await;
        match answer {
            Ok(output) => Fact::Known(
                output
                    .image_details()
                    .iter()
                    .map(|d| PushedImage {
                        tags: d.image_tags().to_vec(),
                        pushed_at: d.image_pushed_at().map(|t| t.secs()),
                    })
                    .collect(),
            ),
            Err(error) => Fact::Failed(call_failure(
                Operation::DescribeImages.iam(),
                &format!("{registry_id}/{name}"),
                &error,
            )),
        }
    }

    async fn pull_through_rules(&self, region: &str, registry_id: &str) -> Fact<Vec<CacheRule>> {
        // A registry holds at most 50 rules (ECR's quota): one page holds them all.
        match self
            .ecr(region)
            .describe_pull_through_cache_rules()
            .registry_id(registry_id)
            .max_results(1000)
            .send()
            .await
        {
            Ok(output) => Fact::Known(
                output
                    .pull_through_cache_rules()
                    .iter()
                    .map(|rule| CacheRule {
                        prefix: rule.ecr_repository_prefix().unwrap_or_default().to_string(),
                        upstream_url: rule.upstream_registry_url().unwrap_or_default().to_string(),
                        credential_arn: rule.credential_arn().map(str::to_string),
                        custom_role_arn: rule.custom_role_arn().map(str::to_string),
                    })
                    .collect(),
            ),
            Err(error) => Fact::Failed(call_failure(
                Operation::DescribePullThroughCacheRules.iam(),
                registry_id,
                &error,
            )),
        }
    }

    async fn validate_pull_through_rule(&self, region: &str, registry_id: &str, prefix: &str) -> Fact<RuleValidation> {
        match self
            .ecr(region)
            .validate_pull_through_cache_rule()
            .registry_id(registry_id)
            .ecr_repository_prefix(prefix)
            .send()
            .await
        {
            Ok(output) => Fact::Known(RuleValidation {
                valid: output.is_valid(),
                failure: output.failure().map(str::to_string),
            }),
            Err(error) => Fact::Failed(call_failure(
                Operation::ValidatePullThroughCacheRule.iam(),
                &format!("{registry_id}/{prefix}"),
                &error,
            )),
        }
    }
}
