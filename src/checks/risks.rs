//! Pre-flight warnings: risks that do not stop the next task today but can stop a later one. A tag
//! the repository lets move (IMAGE_TAG_MUTABLE), and a lifecycle rule that selects the deployed image
//! (ECR_LIFECYCLE_EXPIRES_IMAGE): once it expires, every new task of the service fails to pull.

use serde::Deserialize;
use serde_json::json;

use super::{Code, Finding, Outcome, Severity, could_not_check};
use crate::facts::{Fact, ImageRiskFacts, PushedImage};
use crate::model::ImageSelector;

const DAY: i64 = 86_400;

/// `now`: seconds since the epoch, for rules that count days since a push.
pub fn check(risks: &[ImageRiskFacts], now: i64) -> Outcome {
    let mut out = Outcome::default();
    for facts in risks {
        let ImageSelector::Tag(tag) = &facts.image.selector else {
            continue;
        };
        match &facts.tag_mutable {
            Fact::Failed(failure) => out.finding(could_not_check(
                failure,
                format!("whether repository {} lets tag {tag} move", facts.image.repository),
            )),
            Fact::Known(Some(true)) => out.finding(mutable(facts, tag)),
            Fact::Known(Some(false)) => out.pass(
                "image-tag-immutable",
                &facts.image.raw,
                format!("repository {}'s tags cannot move", facts.image.repository),
            ),
            Fact::Known(None) => {}
        }
        check_lifecycle(facts, tag, now, &mut out);
    }
    out
}

fn mutable(facts: &ImageRiskFacts, tag: &str) -> Finding {
    Finding::new(
        Code::ImageTagMutable,
        Severity::Warning,
        &facts.image.raw,
        format!(
            "Container {} deploys {} by tag, and repository {} lets tags move: a push of {tag} changes what the next deployment runs, and a push elsewhere can leave it behind.",
            facts.container, facts.image.raw, facts.image.repository
        ),
    )
    .evidence(json!({"container": facts.container, "image": facts.image.raw, "tag": tag, "imageTagMutability": "MUTABLE", "call": "ecr:DescribeRepositories"}))
    .remedy(format!(
        "Deploy by digest ({}@sha256:...), or make the repository's tags immutable: aws ecr put-image-tag-mutability --repository-name {} --image-tag-mutability IMMUTABLE.",
        facts.image.repository_uri(),
        facts.image.repository
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LifecyclePolicy {
    #[serde(default)]
    rules: Vec<LifecycleRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LifecycleRule {
    rule_priority: i64,
    #[serde(default)]
    description: Option<String>,
    selection: Selection,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Selection {
    tag_status: String,
    #[serde(default)]
    tag_prefix_list: Vec<String>,
    #[serde(default)]
    tag_pattern_list: Vec<String>,
    count_type: String,
    count_number: i64,
}

impl Selection {
    /// Whether the rule selects an image with these tags (an untagged rule never does).
    fn selects(&self, tags: &[String]) -> bool {
        match self.tag_status.as_str() {
            "any" => true,
            "tagged" if !self.tag_prefix_list.is_empty() => tags
                .iter()
                .any(|t| self.tag_prefix_list.iter().any(|p| t.starts_with(p.as_str()))),
            "tagged" if !self.tag_pattern_list.is_empty() => tags
                .iter()
                .any(|t| self.tag_pattern_list.iter().any(|p| wildcard(p, t))),
            "tagged" => true,
            _ => false,
        }
    }
}

/// ECR's tag patterns: `*` matches any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| wildcard(rest, &tail[i..]))
        }
    }
}

fn check_lifecycle(facts: &ImageRiskFacts, tag: &str, now: i64, out: &mut Outcome) {
    let text = match &facts.lifecycle_policy {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!(
                    "whether a lifecycle rule of {} will expire tag {tag}",
                    facts.image.repository
                ),
            ));
            return;
        }
        Fact::Known(None) => return,
        Fact::Known(Some(text)) => text,
    };
    let images = match &facts.images {
        Some(Fact::Known(images)) => images,
        Some(Fact::Failed(failure)) => {
            out.finding(could_not_check(
                failure,
                format!("which images of {} its lifecycle rules select", facts.image.repository),
            ));
            return;
        }
        None => return,
    };
    let Ok(mut policy) = serde_json::from_str::<LifecyclePolicy>(text) else {
        out.finding(super::unreadable_policy(
            &facts.image.raw,
            &format!("the lifecycle policy of {}", facts.image.repository),
            &"not a lifecycle policy ECR would accept",
            text,
        ));
        return;
    };
    // The tag is not there: the diagnosis's own checks say so (ECR_IMAGE_NOT_FOUND).
    let Some(deployed) = images.iter().find(|i| i.tags.iter().any(|t| t == tag)) else {
        return;
    };
    policy.rules.sort_by_key(|r| r.rule_priority);
    // The rule of lowest priority that selects an image is the one that may expire it.
    let Some(rule) = policy.rules.iter().find(|r| r.selection.selects(&deployed.tags)) else {
        out.pass(
            "lifecycle",
            &facts.image.raw,
            format!("no lifecycle rule of {} selects tag {tag}", facts.image.repository),
        );
        return;
    };
    let when = match rule.selection.count_type.as_str() {
        "sinceImagePushed" => {
            let Some(pushed) = deployed.pushed_at else { return };
            let expires = pushed + rule.selection.count_number * DAY;
            if expires <= now {
                "is already past its age limit: the next run of the rule expires it".to_string()
            } else {
                format!("expires it in {} day(s)", (expires - now + DAY - 1) / DAY)
            }
        }
        "imageCountMoreThan" => {
            let mut selected: Vec<&PushedImage> = images.iter().filter(|i| rule.selection.selects(&i.tags)).collect();
            selected.sort_by_key(|i| std::cmp::Reverse(i.pushed_at));
            let newer = selected.iter().take_while(|i| !std::ptr::eq(**i, deployed)).count() as i64;
            let keep = rule.selection.count_number;
            if newer >= keep {
                format!(
                    "keeps only the newest {keep}, and {newer} newer image(s) are there: the next run of the rule expires it"
                )
            } else {
                format!(
                    "keeps the newest {keep}: it expires after {} more push(es) the rule selects",
                    keep - newer
                )
            }
        }
        _ => return,
    };
    out.finding(
        Finding::new(
            Code::EcrLifecycleExpiresImage,
            Severity::Warning,
            &facts.image.raw,
            format!("Lifecycle rule {} of repository {} selects {}, which the service deploys: it {when}. Then every new task fails to pull.", rule.rule_priority, facts.image.repository, facts.image.raw),
        )
        .evidence(json!({
            "image": facts.image.raw,
            "tag": tag,
            "rulePriority": rule.rule_priority,
            "ruleDescription": rule.description,
            "countType": rule.selection.count_type,
            "countNumber": rule.selection.count_number,
            "pushedAt": deployed.pushed_at,
            "call": "ecr:GetLifecyclePolicy",
        }))
        .remedy(format!(
            "Deploy a newer image before then, or keep deployed tags out of rule {} (its tagPrefixList or tagPatternList), e.g. with a rule of lower priority that keeps them.",
            rule.rule_priority
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ImageRef;

    const NOW: i64 = 1_800_000_000;

    fn facts(mutable: Option<bool>, policy: Option<serde_json::Value>, images: Vec<(&[&str], i64)>) -> ImageRiskFacts {
        ImageRiskFacts {
            container: "web".into(),
            image: ImageRef::parse("111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2").unwrap(),
            tag_mutable: Fact::Known(mutable),
            lifecycle_policy: Fact::Known(policy.map(|p| p.to_string())),
            images: Some(Fact::Known(
                images
                    .into_iter()
                    .map(|(tags, days_ago)| PushedImage {
                        tags: tags.iter().map(|t| t.to_string()).collect(),
                        pushed_at: Some(NOW - days_ago * DAY),
                    })
                    .collect(),
            )),
        }
    }

    fn codes(outcome: &Outcome) -> Vec<(Code, Severity)> {
        outcome.findings.iter().map(|f| (f.code, f.severity)).collect()
    }

    fn rule(selection: serde_json::Value) -> serde_json::Value {
        json!({"rules": [{"rulePriority": 1, "description": "old ones", "selection": selection, "action": {"type": "expire"}}]})
    }

    #[test]
    fn a_tag_that_may_move_is_a_warning_and_an_immutable_one_passes() {
        let outcome = check(&[facts(Some(true), None, vec![])], NOW);
        assert_eq!(codes(&outcome), [(Code::ImageTagMutable, Severity::Warning)]);
        assert!(
            outcome.findings[0].remedy.contains("--image-tag-mutability IMMUTABLE"),
            "{}",
            outcome.findings[0].remedy
        );
        assert_eq!(codes(&check(&[facts(Some(false), None, vec![])], NOW)), []);
    }

    #[test]
    fn a_rule_by_age_says_when_it_expires_the_deployed_tag() {
        let by_age =
            rule(json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}));
        let young = check(&[facts(Some(false), Some(by_age.clone()), vec![(&["1.4.2"], 20)])], NOW);
        assert_eq!(codes(&young), [(Code::EcrLifecycleExpiresImage, Severity::Warning)]);
        assert!(
            young.findings[0].summary.contains("expires it in 10 day(s)"),
            "{}",
            young.findings[0].summary
        );
        let old = check(&[facts(Some(false), Some(by_age), vec![(&["1.4.2"], 45)])], NOW);
        assert!(
            old.findings[0].summary.contains("already past its age limit"),
            "{}",
            old.findings[0].summary
        );
    }

    #[test]
    fn a_rule_by_count_counts_the_newer_images_it_selects() {
        let keep_two = rule(
            json!({"tagStatus": "tagged", "tagPrefixList": ["1."], "countType": "imageCountMoreThan", "countNumber": 2}),
        );
        let images = || vec![(&["1.4.2"][..], 10), (&["1.4.3"][..], 5), (&["2.0.0"][..], 1)];
        let outcome = check(&[facts(Some(false), Some(keep_two.clone()), images())], NOW);
        assert!(
            outcome.findings[0].summary.contains("expires after 1 more push(es)"),
            "{}",
            outcome.findings[0].summary
        );
        let mut crowded = images();
        crowded.push((&["1.5.0"][..], 2));
        let outcome = check(&[facts(Some(false), Some(keep_two), crowded)], NOW);
        assert!(
            outcome.findings[0]
                .summary
                .contains("the next run of the rule expires it"),
            "{}",
            outcome.findings[0].summary
        );
        // A rule for other tags, and one for untagged images, leave it alone.
        for selection in [
            json!({"tagStatus": "tagged", "tagPatternList": ["dev-*"], "countType": "imageCountMoreThan", "countNumber": 1}),
            json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}),
        ] {
            let outcome = check(&[facts(Some(false), Some(rule(selection)), images())], NOW);
            assert_eq!(codes(&outcome), []);
            assert!(outcome.passes.iter().any(|p| p.check == "lifecycle"));
        }
    }

    #[test]
    fn what_could_not_be_read_is_check_failed_never_a_warning() {
        let failure = crate::facts::CallFailure {
            operation: "ecr:GetLifecyclePolicy".into(),
            resource: "r".into(),
            error_code: "AccessDeniedException".into(),
            message: String::new(),
        };
        let mut unread = facts(Some(false), None, vec![]);
        unread.lifecycle_policy = Fact::Failed(failure.clone());
        assert_eq!(codes(&check(&[unread], NOW)), [(Code::CheckFailed, Severity::Info)]);
        let mut unread = facts(None, None, vec![]);
        unread.tag_mutable = Fact::Failed(crate::facts::CallFailure {
            operation: "ecr:DescribeRepositories".into(),
            ..failure
        });
        assert_eq!(codes(&check(&[unread], NOW)), [(Code::CheckFailed, Severity::Info)]);
        assert!(wildcard("dev-*-x", "dev-1-x") && !wildcard("dev-*", "prod-1"));
    }
}
