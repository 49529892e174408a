//! Fixes: planned from the findings (pure), then applied through a small writer port.
//!
//! A plan is a list of fixes, each the exact AWS calls it makes: dry-run reports the plan, apply makes
//! those calls. Before applying, the facts are read again and planned again; a fix is applied only if
//! the new plan holds it unchanged, so a fix whose preconditions no longer hold (already done, or the
//! resource changed since it was read) is skipped with the reason, and applying twice changes nothing.

mod apply;
mod outcome;
mod plan;
pub mod runbook;
pub mod storm;
pub mod verify;

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::model::{Call, RunbookRequest};
pub use apply::{FixWriter, Reread, apply};
pub use outcome::{Action, ActionStatus, RunbookOutcome, RunbookStatus};
pub use plan::plan;
pub use runbook::{RunbookRoles, RunbookStarter};

use crate::checks::{Code, Risk};

/// The tag every resource the doctor creates or changes carries, valued with the fix's id.
pub const TAG_KEY: &str = "ecs-pull-doctor:fix";

pub const EXECUTION_ROLE_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// AmazonECSTaskExecutionRolePolicy in the task's partition.
pub fn execution_role_policy(region: &str) -> String {
    EXECUTION_ROLE_POLICY.replacen(
        "arn:aws:",
        &format!("arn:{}:", crate::model::arn::partition_of(region)),
        1,
    )
}

/// A fix for one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedFix {
    pub id: String,
    pub code: Code,
    pub risk: Risk,
    pub description: String,
    pub region: String,
    pub calls: Vec<Call>,
}

/// A stable UUID-shaped token from `text` (FNV-1a, twice): the same task (or fix) always gives the same
/// token, so a retried start or create is recognised as the same request.
pub fn client_token(text: &str) -> String {
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (high, low) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x84222325_cbf29ce4));
    let hex = format!("{high:016x}{low:016x}");
    format!(
        "{}-{}-5{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

pub fn tags(fix_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(TAG_KEY.to_string(), fix_id.to_string())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_names_the_operation_its_report_shows() {
        let tags = tags("x");
        let calls = [
            Call::AttachRolePolicy {
                role_name: "r".into(),
                policy_arn: EXECUTION_ROLE_POLICY.into(),
            },
            Call::UpdateAssumeRolePolicy {
                role_name: "r".into(),
                policy_document: "{}".into(),
            },
            Call::TagRole {
                role_name: "r".into(),
                tags: tags.clone(),
            },
            Call::ModifyVpcEndpoint {
                vpc_endpoint_id: "vpce-1".into(),
                add_route_table_ids: vec![],
                policy_document: None,
            },
            Call::CreateVpcEndpoint {
                vpc_id: "vpc-1".into(),
                service_name: "s3".into(),
                vpc_endpoint_type: "Gateway".into(),
                route_table_ids: vec![],
                tags: tags.clone(),
                client_token: "t".into(),
            },
            Call::CreateTags {
                resources: vec![],
                tags: tags.clone(),
            },
            Call::CreateLogGroup {
                log_group_name: "/g".into(),
                region: "us-east-1".into(),
                tags: tags.clone(),
            },
            Call::CreateSecurityGroup {
                group_name: "g".into(),
                description: "d".into(),
                vpc_id: "vpc-1".into(),
                tags: tags.clone(),
                creates: "c".into(),
            },
            Call::CreateInterfaceEndpoint {
                vpc_id: "vpc-1".into(),
                service_name: "ecr.api".into(),
                subnet_ids: vec![],
                security_group_ids: vec![],
                private_dns_enabled: true,
                tags: tags.clone(),
                client_token: "t".into(),
            },
            Call::AuthorizeHttpsIngress {
                group_id: "sg-1".into(),
                from_security_groups: vec![],
            },
            Call::AuthorizeHttpsEgress {
                group_id: "sg-1".into(),
                cidrs: vec![],
                security_groups: vec![],
                prefix_lists: vec![],
            },
            Call::EnablePublicIp {
                cluster: "c".into(),
                service: "s".into(),
                subnets: vec![],
                security_groups: vec![],
            },
            Call::ForceNewDeployment {
                cluster: "c".into(),
                service: "s".into(),
            },
            Call::TagEcsResource {
                resource_arn: "arn".into(),
                tags,
            },
        ];
        for call in calls {
            let shown = serde_json::to_value(&call).unwrap();
            assert_eq!(shown["operation"], call.operation().iam(), "{call:?}");
        }
    }

    #[test]
    fn the_managed_policy_is_named_in_the_tasks_partition() {
        assert_eq!(execution_role_policy("us-east-1"), EXECUTION_ROLE_POLICY);
        assert_eq!(
            execution_role_policy("cn-north-1"),
            "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        );
        assert_eq!(
            execution_role_policy("us-gov-west-1"),
            "arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        );
    }
}
