//! ECR_REPOSITORY_NOT_FOUND and ECR_IMAGE_NOT_FOUND: does the image the task asks for exist?

use serde_json::json;

use super::{Code, Finding, Outcome, Severity, could_not_check};
use crate::facts::{EcrImageFacts, Fact, Snapshot};
use crate::model::{ImageSelector, Registry};

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut outcome = Outcome::default();
    let definition = snapshot.task_definition.known().map(|d| format!("{}:{}", d.family, d.revision));
    let definition = definition.as_deref().unwrap_or("the task definition");
    for facts in &snapshot.ecr_images {
        check_image(facts, definition, &mut outcome);
    }
    outcome
}

fn check_image(facts: &EcrImageFacts, definition: &str, outcome: &mut Outcome) {
    let image = &facts.image;
    let Registry::Ecr { account, region } = &image.registry else { return };
    let repository_arn = image.ecr_repository_arn().unwrap_or_default();
    let repository = match &facts.repository {
        Fact::Failed(failure) => {
            outcome.finding(could_not_check(failure, format!("whether ECR repository {} exists", image.repository)));
            return;
        }
        Fact::Known(None) => {
            outcome.finding(
                Finding::new(
                    Code::EcrRepositoryNotFound,
                    Severity::Error,
                    &repository_arn,
                    format!(
                        "Container {} uses {}, but repository {} does not exist in account {account}, {region}.",
                        facts.container, image.raw, image.repository
                    ),
                )
                .evidence(json!({
                    "container": facts.container,
                    "image": image.raw,
                    "registryId": account,
                    "region": region,
                    "repositoryName": image.repository,
                    "call": "ecr:DescribeRepositories",
                    "answer": "RepositoryNotFoundException",
                }))
                .remedy(format!(
                    "Fix the image URI in {definition} (look for a typo in the account, region or repository name), \
                     or create repository {} in {account}/{region} and push the image to it.",
                    image.repository
                )),
            );
            return;
        }
        Fact::Known(Some(repository)) => repository,
    };
    outcome.pass("ecr-repository", &repository.arn, format!("repository {} exists", repository.name));

    match &facts.image_detail {
        Fact::Failed(failure) => {
            outcome.finding(could_not_check(failure, format!("whether image {} exists", image.raw)));
        }
        Fact::Known(None) => {
            let (what, wanted) = match &image.selector {
                ImageSelector::Tag(tag) => ("tag", tag.as_str()),
                ImageSelector::Digest(digest) => ("digest", digest.as_str()),
            };
            outcome.finding(
                Finding::new(
                    Code::EcrImageNotFound,
                    Severity::Error,
                    &image.raw,
                    format!(
                        "Container {} uses {what} {wanted}, which is not in repository {}.",
                        facts.container, repository.name
                    ),
                )
                .evidence(json!({
                    "container": facts.container,
                    "image": image.raw,
                    "repositoryArn": repository.arn,
                    what: wanted,
                    "call": "ecr:DescribeImages",
                    "answer": "ImageNotFoundException",
                    "recentTags": facts.recent_tags.as_ref().and_then(Fact::known),
                }))
                .remedy(format!(
                    "Push {what} {wanted} to {}, or point {definition} at a {what} that exists{}. If it existed \
                     before, check the repository's lifecycle policy: it may have expired the image.",
                    repository.uri,
                    match facts.recent_tags.as_ref().and_then(Fact::known) {
                        Some(tags) if !tags.is_empty() => format!(" (newest tags: {})", tags.join(", ")),
                        Some(_) => " (the repository holds no tagged image)".to_string(),
                        None => String::new(),
                    }
                )),
            );
            if let Some(Fact::Failed(failure)) = &facts.recent_tags {
                outcome.finding(could_not_check(failure, format!("which tags repository {} holds", repository.name)));
            }
        }
        Fact::Known(Some(detail)) => {
            outcome.pass(
                "ecr-image",
                &image.raw,
                format!("image {} exists{}", image.raw, detail.digest.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()),
            );
        }
    }
}
