//! ECR pull-through cache: a repository under a rule's prefix is created, and filled from the
//! upstream registry, by its first pull. So a missing one is not ECR_REPOSITORY_NOT_FOUND; what can
//! stop it is the upstream credential (PULL_THROUGH_CACHE_UPSTREAM_AUTH_FAILED, here) or the
//! execution role's right to create and import (the identity check, as ECR permissions).

use serde_json::json;

use super::{Code, Finding, Outcome, Severity, could_not_check};
use crate::facts::{CacheRule, EcrImageFacts, Fact, PullThroughFacts, Snapshot};

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut outcome = Outcome::default();
    for facts in &snapshot.ecr_images {
        let Some(cache) = &facts.pull_through else { continue };
        match &cache.rule {
            Fact::Failed(failure) => outcome.finding(could_not_check(
                failure,
                format!(
                    "whether a pull-through cache rule covers repository {}, which its first pull would then create",
                    facts.image.repository
                ),
            )),
            Fact::Known(None) => {}
            Fact::Known(Some(rule)) => check_rule(facts, cache, rule, &mut outcome),
        }
    }
    outcome
}

fn check_rule(facts: &EcrImageFacts, cache: &PullThroughFacts, rule: &CacheRule, outcome: &mut Outcome) {
    let repository_arn = facts.image.ecr_repository_arn().unwrap_or_default();
    if matches!(facts.repository, Fact::Known(None)) {
        outcome.pass(
            "pull-through-cache",
            &repository_arn,
            format!(
                "repository {} does not exist yet: pull-through cache rule {} creates it from {} on the first pull",
                facts.image.repository, rule.prefix, rule.upstream_url
            ),
        );
    }
    let Some(validation) = &cache.validation else { return };
    let validation = match validation {
        Fact::Failed(failure) => {
            outcome.finding(could_not_check(
                failure,
                format!(
                    "whether ECR can sign in to {} with the credential of pull-through cache rule {}",
                    rule.upstream_url, rule.prefix
                ),
            ));
            return;
        }
        Fact::Known(validation) => validation,
    };
    let credential = rule.credential_arn.as_deref().unwrap_or_default();
    if validation.valid {
        outcome.pass(
            "pull-through-upstream",
            &repository_arn,
            format!(
                "ECR signs in to {} with the credential of rule {}",
                rule.upstream_url, rule.prefix
            ),
        );
        return;
    }
    outcome.finding(
        Finding::new(
            Code::PullThroughCacheUpstreamAuthFailed,
            Severity::Error,
            &repository_arn,
            format!(
                "Container {} pulls {} through pull-through cache rule {}, and ECR cannot sign in to {} with the rule's credential {credential}.",
                facts.container, facts.image.raw, rule.prefix, rule.upstream_url
            ),
        )
        .evidence(json!({
            "container": facts.container,
            "image": facts.image.raw,
            "rule": {"ecrRepositoryPrefix": rule.prefix, "upstreamRegistryUrl": rule.upstream_url, "credentialArn": rule.credential_arn},
            "call": "ecr:ValidatePullThroughCacheRule",
            "isValid": false,
            "failure": validation.failure,
        }))
        .remedy(format!(
            "Put a valid user name and access token for {} in secret {credential} (its name must start with ecr-pullthroughcache/, \
             in the registry's region), then check it with: aws ecr validate-pull-through-cache-rule --ecr-repository-prefix {}.",
            rule.upstream_url, rule.prefix
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{CallFailure, RuleValidation, fixtures};
    use crate::model::ImageRef;

    const IMAGE: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27";

    fn rule() -> CacheRule {
        CacheRule {
            prefix: "docker-hub".into(),
            upstream_url: "registry-1.docker.io".into(),
            credential_arn: Some(
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbCdEf".into(),
            ),
            custom_role_arn: None,
        }
    }

    fn snapshot(rule: Fact<Option<CacheRule>>, validation: Option<Fact<RuleValidation>>) -> Snapshot {
        let mut s = fixtures::snapshot(fixtures::private_vpc());
        s.ecr_images = vec![EcrImageFacts {
            container: "web".into(),
            image: ImageRef::parse(IMAGE).unwrap(),
            repository: Fact::Known(None),
            image_detail: Fact::Known(None),
            recent_tags: None,
            policy: None,
            platforms: None,
            pull_through: Some(PullThroughFacts { rule, validation }),
        }];
        s
    }

    fn codes(outcome: &Outcome) -> Vec<(Code, Severity)> {
        outcome.findings.iter().map(|f| (f.code, f.severity)).collect()
    }

    #[test]
    fn a_credential_ecr_cannot_use_is_the_error() {
        let invalid = RuleValidation {
            valid: false,
            failure: Some("Unable to authenticate with the upstream registry".into()),
        };
        let outcome = check(&snapshot(Fact::Known(Some(rule())), Some(Fact::Known(invalid))));
        assert_eq!(
            codes(&outcome),
            [(Code::PullThroughCacheUpstreamAuthFailed, Severity::Error)]
        );
        let finding = &outcome.findings[0];
        assert_eq!(
            finding.resource,
            "arn:aws:ecr:us-east-1:111122223333:repository/docker-hub/library/nginx"
        );
        assert_eq!(finding.evidence["rule"]["upstreamRegistryUrl"], "registry-1.docker.io");
        assert_eq!(
            finding.evidence["failure"],
            "Unable to authenticate with the upstream registry"
        );
        assert!(
            finding
                .remedy
                .contains("validate-pull-through-cache-rule --ecr-repository-prefix docker-hub"),
            "{}",
            finding.remedy
        );
        assert_eq!(
            outcome.passes[0].check, "pull-through-cache",
            "the missing repository is the rule's to create"
        );
    }

    #[test]
    fn a_working_credential_passes_and_an_unknown_one_is_check_failed() {
        let valid = check(&snapshot(
            Fact::Known(Some(rule())),
            Some(Fact::Known(RuleValidation {
                valid: true,
                failure: None,
            })),
        ));
        assert_eq!(codes(&valid), []);
        let passed: Vec<&str> = valid.passes.iter().map(|p| p.check.as_str()).collect();
        assert_eq!(passed, ["pull-through-cache", "pull-through-upstream"]);

        let failure = CallFailure {
            operation: "ecr:ValidatePullThroughCacheRule".into(),
            resource: "111122223333/docker-hub".into(),
            error_code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        let unknown = check(&snapshot(Fact::Known(Some(rule())), Some(Fact::Failed(failure))));
        assert_eq!(codes(&unknown), [(Code::CheckFailed, Severity::Info)]);
    }

    #[test]
    fn a_missing_repository_is_not_found_only_when_no_rule_covers_it() {
        let registry = |s: &Snapshot| super::super::registry::check(s);
        let covered = snapshot(Fact::Known(Some(rule())), None);
        assert_eq!(codes(&registry(&covered)), []);
        let uncovered = snapshot(Fact::Known(None), None);
        assert_eq!(
            codes(&registry(&uncovered)),
            [(Code::EcrRepositoryNotFound, Severity::Error)]
        );
        // The rules unread: not found, but not surely the cause.
        let failure = CallFailure {
            operation: "ecr:DescribePullThroughCacheRules".into(),
            resource: "111122223333".into(),
            error_code: "ThrottlingException".into(),
            message: String::new(),
        };
        let unknown = snapshot(Fact::Failed(failure), None);
        assert_eq!(
            codes(&registry(&unknown)),
            [(Code::EcrRepositoryNotFound, Severity::Warning)]
        );
        assert_eq!(codes(&check(&unknown)), [(Code::CheckFailed, Severity::Info)]);
    }

    #[test]
    fn the_first_pull_asks_the_role_to_create_and_import_which_the_managed_policy_does_not_grant() {
        let identity = |s: &Snapshot| {
            super::super::identity::check(s)
                .findings
                .into_iter()
                .filter(|f| f.code != Code::CheckFailed)
                .collect::<Vec<_>>()
        };
        let mut s = snapshot(Fact::Known(Some(rule())), None);
        let repository = "arn:aws:ecr:us-east-1:111122223333:repository/docker-hub/library/nginx";
        if let Fact::Known(definition) = &mut s.task_definition {
            definition.containers[0].image = IMAGE.into();
        }
        let findings = identity(&s);
        assert_eq!(
            findings.iter().map(|f| f.code).collect::<Vec<_>>(),
            [Code::ExecutionRoleMissingEcrPermissions]
        );
        let denied: Vec<&str> = findings[0].evidence["denied"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["action"].as_str().unwrap())
            .collect();
        assert_eq!(denied, ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]);
        assert!(
            findings[0]
                .remedy
                .contains("ecr:CreateRepository and ecr:BatchImportUpstreamImage"),
            "{}",
            findings[0].remedy
        );

        let allow = crate::facts::RolePolicy {
            name: "pull-through".into(),
            kind: crate::facts::PolicyKind::Inline,
            document: json!({"Statement": [{"Effect": "Allow", "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"], "Resource": repository}]}).to_string(),
        };
        s.execution_role = Some(fixtures::execution_role(vec![fixtures::execution_role_policy(), allow]));
        assert_eq!(identity(&s), vec![]);
        // Without a rule, the same role is asked nothing more.
        let mut plain = snapshot(Fact::Known(None), None);
        plain.task_definition = s.task_definition.clone();
        assert_eq!(identity(&plain), vec![]);
    }

    #[test]
    fn a_rule_covers_its_prefix_and_root_covers_all() {
        let mut rule = rule();
        assert!(rule.covers("docker-hub/library/nginx"));
        assert!(!rule.covers("docker-hubx/nginx") && !rule.covers("docker-hub"));
        rule.prefix = "team/mirror/".into();
        assert!(rule.covers("team/mirror/nginx"));
        rule.prefix = "ROOT".into();
        assert!(rule.covers("anything"));
    }
}
