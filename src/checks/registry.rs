//! The image the task asks for: its repository and tag exist (ECR_REPOSITORY_NOT_FOUND,
//! ECR_IMAGE_NOT_FOUND), the repository policy lets the execution role pull
//! (ECR_REPOSITORY_POLICY_DENIES, ECR_CROSS_ACCOUNT_ACCESS_MISSING), and the image is built for the
//! task's platform (IMAGE_PLATFORM_MISMATCH).

use serde_json::{Value, json};

use super::policy::{Context, Decision, Policy, Principal, Request};
use super::{Code, Finding, Outcome, Severity, could_not_check};
use crate::facts::{EcrImageFacts, Fact, RepositoryFacts, Snapshot};
use crate::model::{ImageSelector, Registry};

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut outcome = Outcome::default();
    let definition = snapshot
        .task_definition
        .known()
        .map(|d| format!("{}:{}", d.family, d.revision));
    let definition = definition.as_deref().unwrap_or("the task definition");
    for facts in &snapshot.ecr_images {
        check_image(facts, definition, &mut outcome);
        check_repository_policy(snapshot, facts, &mut outcome);
        check_platform(snapshot, facts, &mut outcome);
    }
    outcome
}

/// The platform the task runs on: runtimePlatform, else the event's CPU architecture, else linux/amd64.
fn wanted_platform(snapshot: &Snapshot) -> String {
    let definition = snapshot.task_definition.known();
    let os = match definition.and_then(|d| d.os_family.as_deref()) {
        Some(family) if family.starts_with("WINDOWS") => "windows",
        _ => "linux",
    };
    let architecture = definition
        .and_then(|d| d.cpu_architecture.as_deref())
        .or(snapshot.task.cpu_architecture.as_deref())
        .map_or("amd64", |a| {
            if matches!(a.to_ascii_lowercase().as_str(), "arm64" | "aarch64") {
                "arm64"
            } else {
                "amd64"
            }
        });
    format!("{os}/{architecture}")
}

fn check_platform(snapshot: &Snapshot, facts: &EcrImageFacts, outcome: &mut Outcome) {
    let platforms = match &facts.platforms {
        Some(Fact::Known(Some(platforms))) => platforms,
        Some(Fact::Failed(failure)) => {
            outcome.finding(could_not_check(
                failure,
                format!("the platforms of {}", facts.image.raw),
            ));
            return;
        }
        _ => return,
    };
    let wanted = wanted_platform(snapshot);
    if platforms
        .iter()
        .any(|p| *p == wanted || p.starts_with(&format!("{wanted}/")))
    {
        outcome.pass(
            "image-platform",
            &facts.image.raw,
            format!("{} has a {wanted} manifest", facts.image.raw),
        );
        return;
    }
    outcome.finding(
        Finding::new(
            Code::ImagePlatformMismatch,
            Severity::Error,
            &facts.image.raw,
            format!("{} is built for {}, not for {wanted}, the task's platform.", facts.image.raw, platforms.join(", ")),
        )
        .evidence(json!({"image": facts.image.raw, "wanted": wanted, "available": platforms, "call": "ecr:BatchGetImage"}))
        .remedy(format!(
            "Push a {wanted} image (docker buildx build --platform {wanted}), or set the task definition's runtimePlatform to one of: {}.",
            platforms.join(", ")
        )),
    );
}

fn check_repository_policy(snapshot: &Snapshot, facts: &EcrImageFacts, outcome: &mut Outcome) {
    let (Some(policy), Fact::Known(Some(repository))) = (&facts.policy, &facts.repository) else {
        return;
    };
    // Without an execution role there is no principal to judge (EXECUTION_ROLE_MISSING says so).
    let Some(role) = snapshot
        .task_definition
        .known()
        .and_then(|d| d.execution_role_arn.as_deref())
    else {
        return;
    };
    let cross_account = repository.registry_id != snapshot.task.account;
    let text = match policy {
        Fact::Failed(failure) => {
            outcome.finding(could_not_check(
                failure,
                format!("the policy of repository {}", repository.name),
            ));
            return;
        }
        Fact::Known(None) if cross_account => {
            outcome.finding(cross_account_missing(repository, role, None, Value::Null));
            return;
        }
        Fact::Known(None) => return,
        Fact::Known(Some(text)) => text,
    };
    let parsed = match Policy::parse(text) {
        Ok(parsed) => parsed,
        Err(error) => {
            outcome.finding(super::unreadable_policy(
                &repository.arn,
                &format!("the policy of repository {}", repository.name),
                &error,
                text,
            ));
            return;
        }
    };
    let document: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let principal = Principal::aws(role);
    let context = Context::partial()
        .with("aws:PrincipalArn", role)
        .with("aws:PrincipalAccount", &snapshot.task.account);
    for action in ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] {
        let decision = parsed.evaluate(&Request {
            principal: Some(&principal),
            action,
            resource: &repository.arn,
            context: &context,
        });
        match decision {
            Decision::ExplicitlyDenied { statement } => {
                outcome.finding(
                    Finding::new(
                        Code::EcrRepositoryPolicyDenies,
                        Severity::Error,
                        &repository.arn,
                        format!("The policy of repository {} denies {action} to the execution role {role}.", repository.name),
                    )
                    .evidence(json!({"repositoryArn": repository.arn, "action": action, "principal": role, "statement": statement, "policy": document}))
                    .remedy(format!("Remove or narrow the Deny statement in repository {}'s policy so that it does not match {role}.", repository.name)),
                );
                return;
            }
            Decision::Allowed { .. } => {}
            Decision::ImplicitlyDenied if cross_account => {
                outcome.finding(cross_account_missing(repository, role, Some(action), document));
                return;
            }
            Decision::ImplicitlyDenied => {} // the role's own policies may allow it in its own account
            Decision::Undecided { keys, .. } => {
                outcome.finding(
                    Finding::new(
                        if cross_account { Code::EcrCrossAccountAccessMissing } else { Code::EcrRepositoryPolicyDenies },
                        Severity::Warning,
                        &repository.arn,
                        format!("Whether repository {}'s policy lets {role} {action} depends on conditions the doctor cannot see.", repository.name),
                    )
                    .evidence(json!({"repositoryArn": repository.arn, "action": action, "conditionKeys": keys, "policy": document})),
                );
                return;
            }
        }
    }
    outcome.pass(
        "repository-policy",
        &repository.arn,
        format!("repository {}'s policy lets the execution role pull", repository.name),
    );
}

fn cross_account_missing(repository: &RepositoryFacts, role: &str, action: Option<&str>, policy: Value) -> Finding {
    let account = role.split(':').nth(4).unwrap_or_default();
    Finding::new(
        Code::EcrCrossAccountAccessMissing,
        Severity::Error,
        &repository.arn,
        format!(
            "Repository {} is in account {}, and its policy does not grant {} to account {account} or role {role}.",
            repository.name,
            repository.registry_id,
            action.unwrap_or("pulls")
        ),
    )
    .evidence(json!({"repositoryArn": repository.arn, "repositoryAccount": repository.registry_id, "principal": role, "action": action, "policy": policy}))
    .remedy(format!(
        "In account {}, add to repository {}'s policy: {{\"Sid\": \"AllowPull\", \"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"{role}\"}}, \"Action\": [\"ecr:BatchGetImage\", \"ecr:GetDownloadUrlForLayer\", \"ecr:BatchCheckLayerAvailability\"]}}.",
        repository.registry_id, repository.name
    ))
}

/// ECR_REPOSITORY_NOT_FOUND; `rules` says what is known of the pull-through cache rules, whose
/// repositories the first pull creates (a warning while they are unknown).
fn repository_not_found(facts: &EcrImageFacts, definition: &str, severity: Severity, rules: &str) -> Finding {
    let image = &facts.image;
    let (account, region) = match &image.registry {
        Registry::Ecr { account, region } => (account.as_str(), region.as_str()),
        _ => ("", ""),
    };
    let unknown_rules = if severity == Severity::Error {
        ""
    } else {
        " Whether a pull-through cache rule would create it on the first pull is unknown."
    };
    Finding::new(
        Code::EcrRepositoryNotFound,
        severity,
        image.ecr_repository_arn().unwrap_or_default(),
        format!(
            "Container {} uses {}, but repository {} does not exist in account {account}, {region}.{unknown_rules}",
            facts.container, image.raw, image.repository
        ),
    )
    .evidence(json!({
        "container": facts.container,
        "image": image.raw,
        "registryId": account,
        "region": region,
        "repositoryName": image.repository,
        // The image's lookup answered it unless that lookup failed and the policy's answered.
        "call": if facts.image_detail.known().is_some() { "ecr:BatchGetImage" } else { "ecr:GetRepositoryPolicy" },
        "answer": "RepositoryNotFoundException",
        "pullThroughCacheRule": rules,
    }))
    .remedy(format!(
        "Fix the image URI in {definition} (look for a typo in the account, region or repository name), \
         or create repository {} in {account}/{region} and push the image to it.",
        image.repository
    ))
}

fn check_image(facts: &EcrImageFacts, definition: &str, outcome: &mut Outcome) {
    let image = &facts.image;
    if !matches!(image.registry, Registry::Ecr { .. }) {
        return;
    }
    let repository = match &facts.repository {
        Fact::Failed(failure) => {
            outcome.finding(could_not_check(
                failure,
                format!("whether ECR repository {} exists", image.repository),
            ));
            return;
        }
        Fact::Known(None) => {
            // A repository under a pull-through cache rule is created by its first pull: whether
            // that could happen is the pull-through check's question, not a missing repository.
            match facts.pull_through.as_ref().map(|cache| &cache.rule) {
                Some(Fact::Known(Some(_))) => {}
                // The rules could not be read (a CHECK_FAILED says so): one may cover it.
                Some(Fact::Failed(_)) => {
                    outcome.finding(repository_not_found(facts, definition, Severity::Warning, "unknown"))
                }
                Some(Fact::Known(None)) => outcome.finding(repository_not_found(
                    facts,
                    definition,
                    Severity::Error,
                    "none covers it",
                )),
                None => outcome.finding(repository_not_found(facts, definition, Severity::Error, "not asked")),
            }
            return;
        }
        Fact::Known(Some(repository)) => repository,
    };
    outcome.pass(
        "ecr-repository",
        &repository.arn,
        format!("repository {} exists", repository.name),
    );

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
                    "call": "ecr:BatchGetImage",
                    "answer": "ImageNotFound",
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
                outcome.finding(could_not_check(
                    failure,
                    format!("which tags repository {} holds", repository.name),
                ));
            }
        }
        Fact::Known(Some(detail)) => {
            outcome.pass(
                "ecr-image",
                &image.raw,
                format!(
                    "image {} exists{}",
                    image.raw,
                    detail.digest.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{CallFailure, ImageDetail, RepositoryFacts, TaskDefinitionFacts, TaskFacts};
    use crate::model::ImageRef;

    fn snapshot(images: Vec<EcrImageFacts>) -> Snapshot {
        Snapshot {
            task: TaskFacts::default(),
            task_definition: Fact::Known(TaskDefinitionFacts {
                family: "shop-web".into(),
                revision: 7,
                ..Default::default()
            }),
            network: None,
            vpc: None,
            ecr_images: images,
            execution_role: None,
            secrets: vec![],
            log_groups: vec![],
            efs: vec![],
            task_role: None,
            env_files: vec![],
        }
    }

    fn lookup(
        raw: &str,
        repository: Fact<Option<RepositoryFacts>>,
        image_detail: Fact<Option<ImageDetail>>,
    ) -> EcrImageFacts {
        EcrImageFacts {
            container: "web".into(),
            image: ImageRef::parse(raw).unwrap(),
            repository,
            image_detail,
            recent_tags: None,
            policy: None,
            platforms: None,
            pull_through: None,
        }
    }

    fn repository() -> Fact<Option<RepositoryFacts>> {
        Fact::Known(Some(RepositoryFacts {
            arn: "arn:aws:ecr:eu-west-1:111122223333:repository/shop/web".into(),
            name: "shop/web".into(),
            registry_id: "111122223333".into(),
            uri: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/web".into(),
        }))
    }

    fn denied(operation: &str) -> CallFailure {
        CallFailure {
            operation: operation.into(),
            resource: "r".into(),
            error_code: "AccessDeniedException".into(),
            message: "no".into(),
        }
    }

    const IMAGE: &str = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2";

    #[test]
    fn a_missing_repository_is_an_error_and_the_image_is_not_looked_at() {
        let outcome = check(&snapshot(vec![lookup(IMAGE, Fact::Known(None), Fact::Known(None))]));
        assert_eq!(outcome.findings.len(), 1);
        let finding = &outcome.findings[0];
        assert_eq!(
            (finding.code, finding.severity),
            (Code::EcrRepositoryNotFound, Severity::Error)
        );
        assert_eq!(
            finding.resource,
            "arn:aws:ecr:eu-west-1:111122223333:repository/shop/web"
        );
        assert_eq!(finding.evidence["region"], "eu-west-1");
        assert!(finding.remedy.contains("shop-web:7"), "{}", finding.remedy);
        assert!(outcome.passes.is_empty());
    }

    #[test]
    fn a_missing_tag_names_what_the_repository_holds() {
        let mut facts = lookup(IMAGE, repository(), Fact::Known(None));
        facts.recent_tags = Some(Fact::Known(vec!["1.4.1".into(), "1.4.0".into()]));
        let outcome = check(&snapshot(vec![facts]));
        let finding = &outcome.findings[0];
        assert_eq!(finding.code, Code::EcrImageNotFound);
        assert_eq!(finding.resource, IMAGE);
        assert_eq!(finding.evidence["tag"], "1.4.2");
        assert_eq!(finding.evidence["recentTags"], serde_json::json!(["1.4.1", "1.4.0"]));
        assert!(
            finding.remedy.contains("(newest tags: 1.4.1, 1.4.0)"),
            "{}",
            finding.remedy
        );
        assert_eq!(outcome.passes.len(), 1, "the repository itself passed");
    }

    #[test]
    fn a_missing_digest_is_named_as_a_digest() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let raw = format!("111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/web@{digest}");
        let outcome = check(&snapshot(vec![lookup(&raw, repository(), Fact::Known(None))]));
        assert_eq!(outcome.findings[0].evidence["digest"], digest);
        assert!(outcome.findings[0].summary.contains("digest"));
    }

    #[test]
    fn an_image_that_exists_passes_twice_and_finds_nothing() {
        let detail = ImageDetail {
            digest: Some("sha256:1".into()),
        };
        let outcome = check(&snapshot(vec![lookup(IMAGE, repository(), Fact::Known(Some(detail)))]));
        assert!(outcome.findings.is_empty());
        let checks: Vec<&str> = outcome.passes.iter().map(|p| p.check.as_str()).collect();
        assert_eq!(checks, ["ecr-repository", "ecr-image"]);
    }

    #[test]
    fn failed_lookups_say_what_was_not_checked() {
        let outcome = check(&snapshot(vec![lookup(
            IMAGE,
            Fact::Failed(denied("ecr:DescribeRepositories")),
            Fact::Known(None),
        )]));
        assert_eq!(outcome.findings.len(), 1);
        assert_eq!(
            (outcome.findings[0].code, outcome.findings[0].severity),
            (Code::CheckFailed, Severity::Info)
        );
        assert!(
            outcome.findings[0]
                .summary
                .contains("whether ECR repository shop/web exists")
        );

        let mut facts = lookup(IMAGE, repository(), Fact::Known(None));
        facts.recent_tags = Some(Fact::Failed(denied("ecr:DescribeImages")));
        let codes: Vec<Code> = check(&snapshot(vec![facts])).findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::EcrImageNotFound, Code::CheckFailed]);
    }
}
