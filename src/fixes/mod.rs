//! Fixes: planned from the findings (pure), then applied through a small writer port.
//!
//! A plan is a list of fixes, each the exact AWS calls it makes: dry-run reports the plan, apply makes
//! those calls. Before applying, the facts are read again and planned again; a fix is applied only if
//! the new plan holds it unchanged, so a fix whose preconditions no longer hold (already done, or the
//! resource changed since it was read) is skipped with the reason, and applying twice changes nothing.

mod apply;
pub mod aws;
mod plan;
pub mod runbook;
pub mod storm;
pub mod verify;

use std::collections::BTreeMap;

use serde::Serialize;

pub use apply::{FixWriter, Reread, apply};
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

/// One AWS call, with its parameters as the API names them. A group id `${NAME}` stands for the
/// group an earlier call of the same fix created under `Creates` NAME.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "operation", content = "parameters")]
pub enum Call {
    #[serde(rename = "iam:AttachRolePolicy", rename_all = "PascalCase")]
    AttachRolePolicy { role_name: String, policy_arn: String },
    #[serde(rename = "iam:UpdateAssumeRolePolicy", rename_all = "PascalCase")]
    UpdateAssumeRolePolicy { role_name: String, policy_document: String },
    #[serde(rename = "iam:TagRole", rename_all = "PascalCase")]
    TagRole {
        role_name: String,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename = "ec2:ModifyVpcEndpoint", rename_all = "PascalCase")]
    ModifyVpcEndpoint {
        vpc_endpoint_id: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        add_route_table_ids: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        policy_document: Option<String>,
    },
    #[serde(rename = "ec2:CreateVpcEndpoint", rename_all = "PascalCase")]
    CreateVpcEndpoint {
        vpc_id: String,
        service_name: String,
        vpc_endpoint_type: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        route_table_ids: Vec<String>,
        tags: BTreeMap<String, String>,
        /// The same for the same fix: a repeated apply gets the endpoint the first one made.
        client_token: String,
    },
    #[serde(rename = "ec2:CreateTags", rename_all = "PascalCase")]
    CreateTags {
        resources: Vec<String>,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename = "logs:CreateLogGroup", rename_all = "camelCase")]
    CreateLogGroup {
        log_group_name: String,
        region: String,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename = "ec2:CreateSecurityGroup", rename_all = "PascalCase")]
    CreateSecurityGroup {
        group_name: String,
        description: String,
        vpc_id: String,
        tags: BTreeMap<String, String>,
        creates: String,
    },
    #[serde(rename = "ec2:CreateVpcEndpoint", rename_all = "PascalCase")]
    CreateInterfaceEndpoint {
        vpc_id: String,
        service_name: String,
        subnet_ids: Vec<String>,
        security_group_ids: Vec<String>,
        private_dns_enabled: bool,
        tags: BTreeMap<String, String>,
        client_token: String,
    },
    /// TCP 443 in, from security groups.
    #[serde(rename = "ec2:AuthorizeSecurityGroupIngress", rename_all = "PascalCase")]
    AuthorizeHttpsIngress {
        group_id: String,
        from_security_groups: Vec<String>,
    },
    /// TCP 443 out, to CIDRs, security groups or prefix lists.
    #[serde(rename = "ec2:AuthorizeSecurityGroupEgress", rename_all = "PascalCase")]
    AuthorizeHttpsEgress {
        group_id: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        cidrs: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        security_groups: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        prefix_lists: Vec<String>,
    },
    #[serde(rename = "ecs:UpdateService", rename_all = "camelCase")]
    EnablePublicIp {
        cluster: String,
        service: String,
        subnets: Vec<String>,
        security_groups: Vec<String>,
    },
    #[serde(rename = "ecs:UpdateService", rename_all = "camelCase")]
    ForceNewDeployment { cluster: String, service: String },
    #[serde(rename = "ecs:TagResource", rename_all = "camelCase")]
    TagEcsResource {
        resource_arn: String,
        tags: BTreeMap<String, String>,
    },
}

impl Call {
    /// The IAM action this call is, as the report names it.
    pub fn operation(&self) -> &'static str {
        match self {
            Call::AttachRolePolicy { .. } => "iam:AttachRolePolicy",
            Call::UpdateAssumeRolePolicy { .. } => "iam:UpdateAssumeRolePolicy",
            Call::TagRole { .. } => "iam:TagRole",
            Call::ModifyVpcEndpoint { .. } => "ec2:ModifyVpcEndpoint",
            Call::CreateVpcEndpoint { .. } | Call::CreateInterfaceEndpoint { .. } => "ec2:CreateVpcEndpoint",
            Call::CreateTags { .. } => "ec2:CreateTags",
            Call::CreateLogGroup { .. } => "logs:CreateLogGroup",
            Call::CreateSecurityGroup { .. } => "ec2:CreateSecurityGroup",
            Call::AuthorizeHttpsIngress { .. } => "ec2:AuthorizeSecurityGroupIngress",
            Call::AuthorizeHttpsEgress { .. } => "ec2:AuthorizeSecurityGroupEgress",
            Call::EnablePublicIp { .. } | Call::ForceNewDeployment { .. } => "ecs:UpdateService",
            Call::TagEcsResource { .. } => "ecs:TagResource",
        }
    }
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
            assert_eq!(shown["operation"], call.operation(), "{call:?}");
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
