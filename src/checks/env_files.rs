//! Environment files: each S3 object and its bucket exist, and neither the bucket policy nor the S3
//! gateway endpoint on the task's route table refuses the execution role. (Whether the role itself
//! may read them is the identity check's, with the other permissions it needs.)

use serde_json::{Value, json};

use super::policy::{Context, Decision, Policy, Principal, Request};
use super::{Code, Finding, Outcome, Severity, could_not_check, unreadable_policy};
use crate::facts::{EndpointKind, EnvFileFacts, Fact, Snapshot, VpcEndpoint};
use crate::model::names::endpoint_service;

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut out = Outcome::default();
    for file in &snapshot.env_files {
        if exists(file, &mut out) {
            let role = snapshot
                .task_definition
                .known()
                .and_then(|d| d.execution_role_arn.as_deref());
            check_bucket_policy(file, role, &mut out);
            if let Some(gateway) = s3_gateway(snapshot) {
                check_endpoint_policy(snapshot, file, gateway, role, &mut out);
            }
        }
    }
    out
}

/// Whether the object is known to exist; a missing bucket or object is reported.
fn exists(file: &EnvFileFacts, out: &mut Outcome) -> bool {
    let missing = |what: &str, call: &str, answer: &str| {
        Finding::new(Code::EnvFileNotFound, Severity::Error, &file.arn, format!("Environment file {} of container {}: {what} does not exist.", file.arn, file.container))
            .evidence(json!({"container": file.container, "environmentFile": file.arn, "bucket": file.bucket, "key": file.key, "call": call, "answer": answer}))
            .remedy(format!("Upload the file to s3://{}/{}, or fix the environmentFiles value of container {} in the task definition.", file.bucket, file.key, file.container))
    };
    match &file.bucket_region {
        Fact::Failed(failure) => out.finding(could_not_check(
            failure,
            format!("whether bucket {} of environment file {} exists", file.bucket, file.arn),
        )),
        Fact::Known(None) => {
            out.finding(missing(
                &format!("bucket {}", file.bucket),
                "s3:GetBucketLocation",
                "NoSuchBucket",
            ));
            return false;
        }
        Fact::Known(Some(_)) => {}
    }
    match &file.object {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!("whether environment file {} exists", file.arn),
            ));
            false
        }
        Fact::Known(false) => {
            out.finding(missing(&format!("object {}", file.key), "s3:ListBucket", "no such key"));
            false
        }
        Fact::Known(true) => {
            out.pass("env-file", &file.arn, format!("environment file {} exists", file.arn));
            true
        }
    }
}

fn check_bucket_policy(file: &EnvFileFacts, role: Option<&str>, out: &mut Outcome) {
    let text = match &file.bucket_policy {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!("the policy of bucket {}", file.bucket),
            ));
            return;
        }
        Fact::Known(None) => return,
        Fact::Known(Some(text)) => text,
    };
    let principal = role.map_or_else(Principal::unnamed, Principal::aws);
    let context = Context::partial();
    judge(
        file,
        text,
        &format!("bucket {}'s policy", file.bucket),
        &principal,
        &context,
        "the bucket policy",
        out,
    );
}

/// The S3 gateway endpoint on the task subnet's route table, if the task reaches S3 through one.
fn s3_gateway(snapshot: &Snapshot) -> Option<&VpcEndpoint> {
    let subnet = snapshot.task.eni.as_ref()?.subnet_id.as_deref()?;
    let vpc = snapshot.vpc.as_ref()?.known()?;
    let tables = vpc.route_tables.known()?;
    let table = super::network::route_table_of(tables, subnet)?;
    let s3 = endpoint_service(&snapshot.task.region, "s3");
    vpc.endpoints
        .known()?
        .iter()
        .find(|e| e.kind == EndpointKind::Gateway && e.service_name == s3 && e.route_table_ids.contains(&table.id))
}

fn check_endpoint_policy(
    snapshot: &Snapshot,
    file: &EnvFileFacts,
    gateway: &VpcEndpoint,
    role: Option<&str>,
    out: &mut Outcome,
) {
    let Some(text) = gateway.policy.as_deref() else { return };
    let principal = role.map_or_else(Principal::unnamed, Principal::aws);
    let vpc = snapshot
        .vpc
        .as_ref()
        .and_then(Fact::known)
        .map_or("", |v| v.vpc_id.as_str());
    let context = Context::partial()
        .with("aws:SourceVpce", &gateway.id)
        .with("aws:SourceVpc", vpc)
        .with("aws:PrincipalAccount", &snapshot.task.account);
    judge(
        file,
        text,
        &format!("the policy of S3 gateway endpoint {}", gateway.id),
        &principal,
        &context,
        "the S3 gateway endpoint policy",
        out,
    );
}

/// s3:GetObject on the file under one resource or endpoint policy: a deny (or, for an endpoint, no
/// allow: it admits only what it allows) is ENV_FILE_ACCESS_DENIED, naming which policy.
fn judge(
    file: &EnvFileFacts,
    text: &str,
    whose: &str,
    principal: &Principal,
    context: &Context,
    denied_by: &str,
    out: &mut Outcome,
) {
    let policy = match Policy::parse(text) {
        Ok(policy) => policy,
        Err(error) => {
            out.finding(unreadable_policy(&file.arn, whose, &error, text));
            return;
        }
    };
    let endpoint = denied_by.contains("endpoint");
    let document: Value = serde_json::from_str(text).unwrap_or_default();
    let (severity, verb, statement) = match policy.evaluate(&Request {
        principal: Some(principal),
        action: "s3:GetObject",
        resource: &file.arn,
        context,
    }) {
        Decision::Allowed { .. } => return,
        // A bucket policy need not allow what the role's own policies allow in its account.
        Decision::ImplicitlyDenied if !endpoint => return,
        Decision::ImplicitlyDenied => (Severity::Error, "does not allow", Value::Null),
        Decision::ExplicitlyDenied { statement } => (Severity::Error, "denies", statement),
        Decision::Undecided { statements, .. } => (
            Severity::Warning,
            "may deny, depending on conditions the doctor cannot see,",
            json!(statements),
        ),
    };
    out.finding(
        Finding::new(Code::EnvFileAccessDenied, severity, &file.arn, format!("{} {verb} s3:GetObject on environment file {}.", capitalized(whose), file.arn))
            .evidence(json!({"container": file.container, "environmentFile": file.arn, "deniedBy": denied_by, "action": "s3:GetObject", "statement": statement, "policy": document}))
            .remedy(format!("Allow s3:GetObject on {} for the execution role in {whose}, or remove the statement that denies it.", file.arn)),
    );
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::CallFailure;
    use crate::facts::fixtures::{private_vpc, snapshot};

    const ARN: &str = "arn:aws:s3:::app-config/prod.env";

    fn file() -> EnvFileFacts {
        EnvFileFacts {
            container: "web".into(),
            arn: ARN.into(),
            bucket: "app-config".into(),
            key: "prod.env".into(),
            bucket_region: Fact::Known(Some("us-east-1".into())),
            object: Fact::Known(true),
            bucket_policy: Fact::Known(None),
        }
    }

    fn codes(file: EnvFileFacts, s3_policy: Option<&str>) -> Vec<(Code, Severity, Option<String>)> {
        let mut vpc = private_vpc();
        if let (Some(policy), Fact::Known(endpoints)) = (s3_policy, &mut vpc.endpoints) {
            endpoints
                .iter_mut()
                .filter(|e| e.id == "vpce-s3")
                .for_each(|e| e.policy = Some(policy.into()));
        }
        let mut snapshot = snapshot(vpc);
        snapshot.env_files = vec![file];
        check(&snapshot)
            .findings
            .iter()
            .map(|f| (f.code, f.severity, f.evidence["deniedBy"].as_str().map(str::to_string)))
            .collect()
    }

    #[test]
    fn a_file_that_exists_under_open_policies_passes() {
        assert_eq!(codes(file(), None), []);
    }

    #[test]
    fn a_missing_bucket_or_object_is_not_found_and_an_unread_one_is_unknown() {
        assert_eq!(
            codes(
                EnvFileFacts {
                    bucket_region: Fact::Known(None),
                    ..file()
                },
                None
            ),
            [(Code::EnvFileNotFound, Severity::Error, None)]
        );
        assert_eq!(
            codes(
                EnvFileFacts {
                    object: Fact::Known(false),
                    ..file()
                },
                None
            ),
            [(Code::EnvFileNotFound, Severity::Error, None)]
        );
        let failed = Fact::Failed(CallFailure {
            operation: "s3:ListBucket".into(),
            resource: ARN.into(),
            error_code: "AccessDenied".into(),
            message: String::new(),
        });
        assert_eq!(
            codes(
                EnvFileFacts {
                    object: failed,
                    ..file()
                },
                None
            ),
            [(Code::CheckFailed, Severity::Info, None)]
        );
    }

    #[test]
    fn a_bucket_or_endpoint_policy_that_refuses_the_file_names_itself() {
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::app-config/*"}]}"#;
        assert_eq!(
            codes(
                EnvFileFacts {
                    bucket_policy: Fact::Known(Some(deny.into())),
                    ..file()
                },
                None
            ),
            [(
                Code::EnvFileAccessDenied,
                Severity::Error,
                Some("the bucket policy".into())
            )]
        );
        // A bucket policy that allows someone else is no refusal: the role's own policies decide.
        let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::app-config/*"}]}"#;
        assert_eq!(
            codes(
                EnvFileFacts {
                    bucket_policy: Fact::Known(Some(other.into())),
                    ..file()
                },
                None
            ),
            []
        );
        // An endpoint policy admits only what it allows: here the ECR layers alone.
        let layers_only = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}]}"#;
        assert_eq!(
            codes(file(), Some(layers_only)),
            [(
                Code::EnvFileAccessDenied,
                Severity::Error,
                Some("the S3 gateway endpoint policy".into())
            )]
        );
    }
}
