//! SECRET_NOT_FOUND, PRIVATE_REGISTRY_CREDENTIALS_INVALID (a missing credentials secret) and
//! LOG_GROUP_NOT_FOUND: what the task reads or writes at start must exist.

use serde_json::json;

use super::{Code, Detail, Finding, Outcome, Severity, StoredDetail, could_not_check};
use crate::facts::{Fact, SecretMeta, Snapshot};

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut out = Outcome::default();
    for secret in &snapshot.secrets {
        let call = if secret.value_from.contains(":secretsmanager:") {
            "secretsmanager:DescribeSecret"
        } else {
            "ssm:DescribeParameters"
        };
        match &secret.lookup {
            Fact::Failed(failure) => out.finding(could_not_check(
                failure,
                format!("whether {} exists", secret.value_from),
            )),
            Fact::Known(Some(
                meta @ SecretMeta {
                    deletion_date: Some(when),
                    ..
                },
            )) => {
                out.finding(
                    Finding::new(
                        Code::SecretNotFound,
                        Severity::Error,
                        &secret.value_from,
                        format!("{} (container {}) is scheduled for deletion on {when}; until then it cannot be read.", secret.value_from, secret.container),
                    )
                    .evidence(json!({"container": secret.container, "name": secret.name, "valueFrom": secret.value_from, "call": call, "answer": "scheduled for deletion", "deletionDate": when}))
                    .remedy(format!("Restore the secret (secretsmanager:RestoreSecret --secret-id {}) if the task still needs it, or point valueFrom at the secret that replaced it.", meta.arn)),
                );
            }
            Fact::Known(Some(meta)) => {
                out.pass("secret-exists", &meta.arn, format!("{} exists", secret.value_from));
                // With the key behind an alias known, the identity check judges kms:Decrypt on it.
                match (meta.key_alias(), &secret.alias_key) {
                    (Some(alias), Some(Fact::Failed(failure))) => {
                        out.finding(could_not_check(failure, format!("the key behind alias {alias}, so kms:Decrypt for {}", secret.value_from)));
                    }
                    (Some(alias), unresolved @ (Some(Fact::Known(None)) | None)) => out.finding(
                        Finding::new(
                            Code::CheckFailed,
                            Severity::Info,
                            &meta.arn,
                            format!(
                                "Could not check kms:Decrypt for {}: its key is named by alias {alias}, {}.",
                                secret.value_from,
                                if unresolved.is_some() { "which kms:DescribeKey does not find" } else { "and the key behind it was not read" }
                            ),
                        )
                        .evidence(json!({"secret": meta.arn, "kmsKeyId": alias, "call": "kms:DescribeKey", "answer": if unresolved.is_some() { "not found" } else { "not read" }, "notChecked": "kms:Decrypt on the key behind the alias"}))
                            .remedy(format!("Make sure the execution role may kms:Decrypt with the key that encrypts {}.", secret.value_from)),
                    ),
                    _ => {}
                }
            }
            Fact::Known(None) => {
                let (code, summary, remedy) = match &secret.name {
                    Some(name) => (
                        Code::SecretNotFound,
                        format!("Secret {name} of container {} comes from {}, which does not exist.", secret.container, secret.value_from),
                        "Create it in the task's region (or the region its ARN names), or fix valueFrom in the task definition; a Secrets Manager ARN must include the secret's six-character suffix or be given as a name.".to_string(),
                    ),
                    None => (
                        Code::PrivateRegistryCredentialsInvalid,
                        format!("The registry credentials of container {} are in {}, which does not exist.", secret.container, secret.value_from),
                        "Create the secret with {\"username\": ..., \"password\": ...} for the registry, or fix repositoryCredentials.credentialsParameter in the task definition.".to_string(),
                    ),
                };
                out.finding(
                    Finding::new(code, Severity::Error, &secret.value_from, summary)
                        .evidence(json!({"container": secret.container, "name": secret.name, "valueFrom": secret.value_from, "call": call, "answer": "not found"}))
                        .remedy(remedy),
                );
            }
        }
    }
    for log in &snapshot.log_groups {
        match &log.exists {
            Fact::Failed(failure) => out.finding(could_not_check(failure, format!("whether log group {} exists", log.group))),
            Fact::Known(true) => out.pass("log-group", &log.group, format!("log group {} exists", log.group)),
            // The role's logs:CreateLogGroup is the identity check's to judge.
            Fact::Known(false) if log.create_group => {}
            Fact::Known(false) => out.finding(
                Finding::new(
                    Code::LogGroupNotFound,
                    Severity::Error,
                    &log.group,
                    format!("Log group {} (container {}, {}) does not exist, and the task does not create it.", log.group, log.container, log.region),
                )
                .evidence(json!({"logGroup": log.group, "region": log.region, "container": log.container, "awslogs-create-group": false, "call": "logs:DescribeLogGroups"}))
                .remedy(format!("Create log group {} in {}, or set awslogs-create-group to true (the execution role then needs logs:CreateLogGroup).", log.group, log.region))
                .detail(Detail::SecretsLogsStorage(StoredDetail { region: Some(log.region.clone()) })),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::fixtures::{private_vpc, snapshot};
    use crate::facts::{LogGroupFacts, SecretFacts, SecretMeta};

    fn secret(name: Option<&str>, value_from: &str, lookup: Fact<Option<SecretMeta>>) -> SecretFacts {
        SecretFacts {
            alias_key: None,
            container: "web".into(),
            name: name.map(str::to_string),
            value_from: value_from.into(),
            lookup,
        }
    }

    #[test]
    fn missing_secrets_parameters_and_credentials() {
        let mut s = snapshot(private_vpc());
        s.secrets = vec![
            secret(
                Some("DB"),
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
                Fact::Known(None),
            ),
            secret(
                Some("KEY"),
                "/app/key",
                Fact::Known(Some(SecretMeta {
                    arn: "arn:aws:ssm:us-east-1:111122223333:parameter/app/key".into(),
                    kms_key_id: None,
                    ..Default::default()
                })),
            ),
            secret(
                None,
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:dockerhub-Ab12Cd",
                Fact::Known(None),
            ),
            secret(
                Some("TOKEN"),
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:token-Zz99Yy",
                Fact::Known(Some(SecretMeta {
                    arn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:token-Zz99Yy".into(),
                    kms_key_id: Some("alias/team".into()),
                    ..Default::default()
                })),
            ),
        ];
        let outcome = check(&s);
        let codes: Vec<Code> = outcome.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                Code::SecretNotFound,
                Code::PrivateRegistryCredentialsInvalid,
                Code::CheckFailed
            ]
        );
        assert_eq!(outcome.findings[0].evidence["call"], "secretsmanager:DescribeSecret");
        assert!(outcome.findings[2].summary.contains("alias/team"));
    }

    #[test]
    fn a_secret_scheduled_for_deletion_cannot_be_read() {
        let mut s = snapshot(private_vpc());
        let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
        let meta = |deletion_date: Option<&str>| SecretMeta {
            arn: arn.into(),
            deletion_date: deletion_date.map(str::to_string),
            ..Default::default()
        };
        s.secrets = vec![secret(
            Some("DB"),
            arn,
            Fact::Known(Some(meta(Some("2026-12-09T10:00:00Z")))),
        )];
        let outcome = check(&s);
        assert_eq!(outcome.findings.len(), 1);
        assert_eq!(
            (
                outcome.findings[0].code,
                outcome.findings[0].evidence["answer"].as_str()
            ),
            (Code::SecretNotFound, Some("scheduled for deletion"))
        );
        assert!(outcome.findings[0].remedy.contains("RestoreSecret"));
        s.secrets = vec![secret(Some("DB"), arn, Fact::Known(Some(meta(None))))];
        assert!(check(&s).findings.is_empty());
    }

    #[test]
    fn a_log_group_that_does_not_exist_unless_the_task_creates_it() {
        let mut s = snapshot(private_vpc());
        assert!(check(&s).findings.is_empty(), "the fixture's group exists");
        s.log_groups = vec![LogGroupFacts {
            container: "web".into(),
            group: "/ecs/gone".into(),
            region: "us-east-1".into(),
            create_group: false,
            exists: Fact::Known(false),
        }];
        let outcome = check(&s);
        assert_eq!(outcome.findings[0].code, Code::LogGroupNotFound);
        assert_eq!(outcome.findings[0].resource, "/ecs/gone");
        s.log_groups[0].create_group = true;
        assert!(
            check(&s).findings.is_empty(),
            "awslogs-create-group: the role's permission decides"
        );
    }

    #[test]
    fn a_key_named_by_alias_is_judged_on_the_key_behind_it_or_said_to_be_unchecked() {
        let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:token-Zz99Yy";
        let meta = SecretMeta {
            arn: arn.into(),
            kms_key_id: Some("alias/team".into()),
            ..Default::default()
        };
        let with = |alias_key| {
            let mut s = snapshot(private_vpc());
            s.secrets = vec![SecretFacts {
                alias_key,
                ..secret(Some("TOKEN"), arn, Fact::Known(Some(meta.clone())))
            }];
            check(&s)
        };
        let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(
            with(Some(Fact::Known(Some(key.into())))).findings.is_empty(),
            "resolved: the identity check judges kms:Decrypt"
        );
        let gone = with(Some(Fact::Known(None)));
        assert_eq!(
            (gone.findings[0].code, gone.findings[0].evidence["answer"].as_str()),
            (Code::CheckFailed, Some("not found"))
        );
        let failure = crate::facts::CallFailure {
            operation: "kms:DescribeKey".into(),
            resource: "alias/team".into(),
            error_code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        let denied = with(Some(Fact::Failed(failure)));
        assert_eq!(denied.findings[0].code, Code::CheckFailed);
        assert!(
            denied.findings[0].summary.contains("kms:DescribeKey"),
            "{}",
            denied.findings[0].summary
        );
    }
}
