use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageIdentifier, TagStatus};

use super::{AwsReader, call_failure};
use crate::facts::{EcrReader, Fact, ImageDetail, RepositoryFacts};
use crate::model::ImageSelector;

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

impl AwsReader {
    fn ecr(&self, region: &str) -> Client {
        Client::new(&self.in_region(region))
    }
}

impl EcrReader for AwsReader {
    async fn describe_repository(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<RepositoryFacts>> {
        let answer = self.ecr(region).describe_repositories().registry_id(registry_id).repository_names(name).send().await;
        match answer {
            Ok(output) => Fact::Known(output.repositories().first().map(|r| RepositoryFacts {
                arn: r.repository_arn().unwrap_or_default().to_string(),
                name: r.repository_name().unwrap_or(name).to_string(),
                registry_id: r.registry_id().unwrap_or(registry_id).to_string(),
                uri: r.repository_uri().unwrap_or_default().to_string(),
            })),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_repository_not_found_exception()) => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure("ecr:DescribeRepositories", &format!("{registry_id}/{name}"), &error)),
        }
    }

    async fn describe_image(&self, region: &str, registry_id: &str, name: &str, selector: &ImageSelector) -> Fact<Option<ImageDetail>> {
        let id = match selector {
            ImageSelector::Tag(tag) => ImageIdentifier::builder().image_tag(tag).build(),
            ImageSelector::Digest(digest) => ImageIdentifier::builder().image_digest(digest).build(),
        };
        let answer =
            self.ecr(region).describe_images().registry_id(registry_id).repository_name(name).image_ids(id).send().await;
        match answer {
            Ok(output) => Fact::Known(output.image_details().first().map(|d| ImageDetail {
                digest: d.image_digest().map(str::to_string),
                tags: d.image_tags().to_vec(),
            })),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_image_not_found_exception() || e.is_repository_not_found_exception()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure("ecr:DescribeImages", &format!("{registry_id}/{name}{selector}"), &error)),
        }
    }

    async fn repository_policy(&self, region: &str, registry_id: &str, name: &str) -> Fact<Option<String>> {
        match self.ecr(region).get_repository_policy().registry_id(registry_id).repository_name(name).send().await {
            Ok(output) => Fact::Known(output.policy_text().map(str::to_string)),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_repository_policy_not_found_exception()) => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure("ecr:GetRepositoryPolicy", &format!("{registry_id}/{name}"), &error)),
        }
    }

    async fn image_platforms(&self, region: &str, registry_id: &str, name: &str, selector: &ImageSelector) -> Fact<Option<Vec<String>>> {
        let id = match selector {
            ImageSelector::Tag(tag) => ImageIdentifier::builder().image_tag(tag).build(),
            ImageSelector::Digest(digest) => ImageIdentifier::builder().image_digest(digest).build(),
        };
        let mut request = self.ecr(region).batch_get_image().registry_id(registry_id).repository_name(name).image_ids(id);
        for media_type in MANIFEST_TYPES {
            request = request.accepted_media_types(media_type);
        }
        match request.send().await {
            Ok(output) => {
                let Some(manifest) = output.images().first().and_then(|i| i.image_manifest()) else { return Fact::Known(None) };
                Fact::Known(platforms(manifest))
            }
            Err(error) => Fact::Failed(call_failure("ecr:BatchGetImage", &format!("{registry_id}/{name}{selector}"), &error)),
        }
    }

    async fn recent_tags(&self, region: &str, registry_id: &str, name: &str, limit: usize) -> Fact<Vec<String>> {
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
            Ok(output) => {
                let mut images: Vec<_> = output.image_details().iter().collect();
                images.sort_by_key(|d| std::cmp::Reverse(d.image_pushed_at().map(|t| (t.secs(), t.subsec_nanos()))));
                Fact::Known(images.iter().flat_map(|d| d.image_tags()).take(limit).cloned().collect())
            }
            Err(error) => Fact::Failed(call_failure("ecr:DescribeImages", &format!("{registry_id}/{name}"), &error)),
        }
    }
}
