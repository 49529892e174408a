//! Planning: from findings and the facts behind them to the fixes that would cure them. Pure.

use serde_json::{Value, json};

use super::{Call, PlannedFix, tags};
use crate::checks::{
    Code, Denial, DeniedAction, Detail, Finding, IdentityDetail, NetworkDetail, NetworkRepair, Opening, Risk, Severity,
    StoredDetail,
};
use crate::facts::{EndpointKind, Fact, NetworkSource, RoleFacts, Snapshot};

/// What AmazonECSTaskExecutionRolePolicy grants, on every resource.
const MANAGED_ACTIONS: [&str; 6] = [
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// The fixes for `findings`, each with the index of the finding it cures.
pub fn plan(snapshot: &Snapshot, findings: &[Finding]) -> Vec<(usize, PlannedFix)> {
    let mut planned: Vec<(usize, PlannedFix)> = Vec::new();
    for (index, finding) in findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.severity == Severity::Error)
    {
        let Some(fix) = plan_one(snapshot, finding) else {
            continue;
        };
        // Two findings may call for the same fix (ECR and logs permissions): plan it once.
        if !planned.iter().any(|(_, p)| p.id == fix.id) {
            planned.push((index, fix));
        }
    }
    planned
}

/// The execution role, when it exists and could be read.
fn execution_role(snapshot: &Snapshot) -> Option<&RoleFacts> {
    snapshot.execution_role.as_ref()?.role.known()?.as_ref()
}

fn has_deny(document: &Value) -> bool {
    let statements = match &document["Statement"] {
        Value::Array(list) => list.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => vec![],
    };
    statements.iter().any(|s| s["Effect"] == "Deny")
}

/// `document` with `statement` appended, every existing statement kept.
fn with_statement(document: &Value, statement: Value) -> String {
    let mut document = document.clone();
    if !document.is_object() {
        document = json!({"Version": "2012-10-17"});
    }
    let statements = match document["Statement"].take() {
        Value::Array(list) => list,
        Value::Null => vec![],
        single => vec![single],
    };
    document["Statement"] = Value::Array(statements.into_iter().chain([statement]).collect());
    document.to_string()
}

/// The network repair a finding's check found safe to plan.
fn repair(finding: &Finding) -> Option<&NetworkRepair> {
    match &finding.detail {
        Detail::Network(NetworkDetail { repair, .. }) => repair.as_ref(),
        _ => None,
    }
}

/// The fix for one finding, by its code's planner.
fn plan_one(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let planner: fn(&Snapshot, &Finding) -> Option<PlannedFix> = match finding.code {
        Code::ExecutionRoleMissingEcrPermissions | Code::ExecutionRoleMissingLogsPermissions => attach_managed_policy,
        Code::ExecutionRoleTrustInvalid => trust_ecs_tasks,
        Code::S3GatewayRouteMissing => route_to_s3_gateway,
        Code::S3EndpointPolicyBlocksLayers => allow_layers_in_s3_policy,
        Code::LogGroupNotFound => create_log_group,
        Code::VpcEndpointMissing => create_endpoints,
        Code::SecurityGroupBlocksEgress => open_https_egress,
        Code::PublicIpNotAssigned => enable_public_ip,
        _ => return None,
    };
    planner(snapshot, finding)
}

/// A fix in the task's region.
fn fix(
    snapshot: &Snapshot,
    id: String,
    code: Code,
    risk: Risk,
    description: String,
    calls: Vec<Call>,
) -> Option<PlannedFix> {
    Some(PlannedFix {
        id,
        code,
        risk,
        description,
        region: snapshot.task.region.clone(),
        calls,
    })
}

/// Attach AmazonECSTaskExecutionRolePolicy, when a missing Allow of what it grants is all that is wrong.
fn attach_managed_policy(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let Detail::Identity(IdentityDetail { denied }) = &finding.detail else {
        return None;
    };
    // Only when nothing denies outright and the managed policy grants every missing action.
    let curable = !denied.is_empty()
        && denied.iter().all(|DeniedAction { action, denial, .. }| {
            *denial == Denial::NoAllow && MANAGED_ACTIONS.contains(&action.as_str())
        });
    if !curable {
        return None;
    }
    let role = execution_role(snapshot)?;
    let id = format!("attach-execution-role-policy:{}", role.name);
    fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Safe,
        format!("Attach AmazonECSTaskExecutionRolePolicy to role {}.", role.name),
        vec![
            Call::AttachRolePolicy {
                role_name: role.name.clone(),
                policy_arn: super::execution_role_policy(&snapshot.task.region),
            },
            Call::TagRole {
                role_name: role.name.clone(),
                tags: tags(&id),
            },
        ],
    )
}

/// Let ECS tasks of this account assume the role, keeping its trust statements.
fn trust_ecs_tasks(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let role = execution_role(snapshot)?;
    // Only for a role that is an execution role in practice: one the task definition names
    // (this one) that holds nothing an administrator holds. Trusting ECS with any other would
    // hand it to every task in the account.
    if crate::checks::administrator_level(snapshot.execution_role.as_ref()?) != Some(false) {
        return None;
    }
    let trust: Value = serde_json::from_str(&role.trust_policy).ok()?;
    if has_deny(&trust) {
        return None; // an added Allow would not beat a Deny
    }
    // The confused-deputy guard AWS recommends: only tasks of this account.
    let statement = json!({
        "Sid": "EcsPullDoctorEcsTasks",
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": snapshot.task.account}}
    });
    let id = format!("trust-ecs-tasks:{}", role.name);
    fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Safe,
        format!(
            "Add ecs-tasks.amazonaws.com to role {}'s trust policy, keeping its statements.",
            role.name
        ),
        vec![
            Call::UpdateAssumeRolePolicy {
                role_name: role.name.clone(),
                policy_document: with_statement(&trust, statement),
            },
            Call::TagRole {
                role_name: role.name.clone(),
                tags: tags(&id),
            },
        ],
    )
}

/// Put the task subnet's route table on the S3 gateway endpoint.
fn route_to_s3_gateway(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let Some(NetworkRepair::RouteToS3Gateway { endpoint, route_table }) = repair(finding) else {
        return None;
    };
    let (endpoint, table) = (endpoint.clone(), route_table.clone());
    let id = format!("s3-endpoint-route:{endpoint}:{table}");
    fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Safe,
        format!("Add route table {table} to S3 gateway endpoint {endpoint}."),
        vec![
            Call::ModifyVpcEndpoint {
                vpc_endpoint_id: endpoint.clone(),
                add_route_table_ids: vec![table],
                policy_document: None,
            },
            Call::CreateTags {
                resources: vec![endpoint],
                tags: tags(&id),
            },
        ],
    )
}

/// Allow the ECR layer bucket in the S3 gateway endpoint's policy, keeping its statements.
fn allow_layers_in_s3_policy(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let Some(NetworkRepair::LayersInS3Policy { endpoint }) = repair(finding) else {
        return None;
    };
    let endpoint_id = endpoint.clone();
    let vpc = snapshot.vpc.as_ref()?.known()?;
    let endpoint = vpc.endpoints.known()?.iter().find(|e| e.id == endpoint_id)?;
    let policy: Value = serde_json::from_str(endpoint.policy.as_deref()?).ok()?;
    if has_deny(&policy) {
        return None;
    }
    let bucket = crate::model::names::layer_bucket_objects(&snapshot.task.region);
    let statement = json!({"Sid": "EcsPullDoctorEcrLayers", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": bucket});
    let id = format!("s3-endpoint-layer-bucket:{endpoint_id}");
    fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Safe,
        format!(
            "Add an s3:GetObject statement for {bucket} to S3 gateway endpoint {endpoint_id}'s policy, keeping its statements."
        ),
        vec![
            Call::ModifyVpcEndpoint {
                vpc_endpoint_id: endpoint_id.clone(),
                add_route_table_ids: vec![],
                policy_document: Some(with_statement(&policy, statement)),
            },
            Call::CreateTags {
                resources: vec![endpoint_id],
                tags: tags(&id),
            },
        ],
    )
}

/// Create the missing log group.
fn create_log_group(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let group = finding.resource.clone();
    let group_region = match &finding.detail {
        Detail::SecretsLogsStorage(StoredDetail {
            region: Some(group_region),
        }) => group_region.clone(),
        _ => snapshot.task.region.clone(),
    };
    let id = format!("create-log-group:{group}");
    let mut planned = fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Safe,
        format!("Create log group {group} in {group_region}."),
        vec![Call::CreateLogGroup {
            log_group_name: group,
            region: group_region.clone(),
            tags: tags(&id),
        }],
    )?;
    planned.region = group_region;
    Some(planned)
}

/// Create the missing endpoints: S3 as a free gateway, the others as interface endpoints behind their own group.
fn create_endpoints(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let Some(NetworkRepair::CreateEndpoints { route_table }) = repair(finding) else {
        return None;
    };
    let services: Vec<&str> = finding.detail.services().iter().map(|s| s.name()).collect();
    let vpc = snapshot.vpc.as_ref()?.known()?;
    let table = route_table.clone();
    let subnet = snapshot.task.eni.as_ref()?.subnet_id.clone()?;
    let region = &snapshot.task.region;
    let s3 = crate::model::names::endpoint_service(region, "s3");
    let id_base = format!("create-vpc-endpoints:{}:{}", vpc.vpc_id, services.join("+"));
    let mut calls = Vec::new();
    let interface: Vec<&str> = services.iter().copied().filter(|s| *s != "s3").collect();
    if !interface.is_empty() {
        // Interface endpoints cost money: their own group, open to the task's groups on 443.
        let task_groups = snapshot.network.as_ref()?.known()?.security_groups.clone();
        if task_groups.is_empty() {
            return None;
        }
        calls.push(Call::CreateSecurityGroup {
            group_name: format!("ecs-pull-doctor-endpoints-{}", vpc.vpc_id),
            description: "HTTPS from ECS tasks to VPC endpoints (ecs-pull-doctor)".into(),
            vpc_id: vpc.vpc_id.clone(),
            tags: tags(&id_base),
            creates: "endpoint-group".into(),
        });
        calls.push(Call::AuthorizeHttpsIngress {
            group_id: "${endpoint-group}".into(),
            from_security_groups: task_groups,
        });
        for service in &interface {
            calls.push(Call::CreateInterfaceEndpoint {
                vpc_id: vpc.vpc_id.clone(),
                service_name: crate::model::names::endpoint_service(region, service),
                subnet_ids: vec![subnet.clone()],
                security_group_ids: vec!["${endpoint-group}".into()],
                private_dns_enabled: true,
                tags: tags(&id_base),
                client_token: super::client_token(&format!("{id_base}/{service}")),
            });
        }
    }
    let gateway_exists = vpc
        .endpoints
        .known()?
        .iter()
        .any(|e| e.service_name == s3 && e.kind == EndpointKind::Gateway);
    if services.contains(&"s3") && !gateway_exists {
        let client_token = super::client_token(&format!("{id_base}/s3"));
        calls.push(Call::CreateVpcEndpoint {
            vpc_id: vpc.vpc_id.clone(),
            service_name: s3,
            vpc_endpoint_type: "Gateway".into(),
            route_table_ids: vec![table.clone()],
            tags: tags(&id_base),
            client_token,
        });
    }
    if calls.is_empty() {
        return None;
    }
    let (risk, description) = if interface.is_empty() {
        (
            Risk::Safe,
            format!(
                "Create an S3 gateway endpoint (free) in VPC {} on route table {table}, for ECR's image layers.",
                vpc.vpc_id
            ),
        )
    } else {
        (
            Risk::Cost,
            format!(
                "Create {} in subnet {subnet} with private DNS, behind a new security group open to the task on 443 (interface endpoints are billed by the hour).",
                services.join(", ")
            ),
        )
    };
    fix(snapshot, id_base, finding.code, risk, description, calls)
}

/// Let TCP 443 out to each blocked destination, by its narrowest name.
fn open_https_egress(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let Some(NetworkRepair::OpenHttpsEgress { group, to }) = repair(finding) else {
        return None;
    };
    let group = group.clone();
    let (mut cidrs, mut security_groups, mut prefix_lists) = (Vec::new(), Vec::new(), Vec::new());
    for opening in to {
        match opening {
            Opening::PrefixList(list) => prefix_lists.push(list.clone()),
            Opening::Group(peer) => security_groups.push(peer.clone()),
            Opening::Cidr(cidr) => cidrs.push(cidr.clone()),
        }
    }
    for list in [&mut cidrs, &mut security_groups, &mut prefix_lists] {
        list.sort();
        list.dedup();
    }
    let destinations: Vec<String> = security_groups
        .iter()
        .map(|g| format!("security group {g}"))
        .chain(prefix_lists.iter().map(|l| format!("prefix list {l}")))
        .chain(
            cidrs
                .iter()
                .map(|c| format!("{c} (the internet, whose AWS addresses are not fixed)")),
        )
        .collect();
    let id = format!("https-egress:{group}");
    fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Exposure,
        format!(
            "Allow TCP 443 out from security group {group} to {}.",
            destinations.join(", ")
        ),
        vec![
            Call::AuthorizeHttpsEgress {
                group_id: group.clone(),
                cidrs,
                security_groups,
                prefix_lists,
            },
            Call::CreateTags {
                resources: vec![group],
                tags: tags(&id),
            },
        ],
    )
}

/// Turn on the service's public IP, keeping its subnets and groups.
fn enable_public_ip(snapshot: &Snapshot, finding: &Finding) -> Option<PlannedFix> {
    let service = snapshot.task.service_name()?.to_string();
    let network = snapshot
        .network
        .as_ref()
        .and_then(Fact::known)
        .filter(|n| n.source == NetworkSource::Service)?;
    let id = format!("assign-public-ip:{}/{service}", snapshot.task.cluster);
    let task = &snapshot.task;
    let service_arn = format!(
        "arn:{}:ecs:{}:{}:service/{}/{service}",
        crate::model::arn::partition_of(&task.region),
        task.region,
        task.account,
        task.cluster
    );
    fix(
        snapshot,
        id.clone(),
        finding.code,
        Risk::Exposure,
        format!(
            "Turn on assignPublicIp for service {service}, keeping its subnets and security groups; its next tasks get public IPs."
        ),
        vec![
            Call::EnablePublicIp {
                cluster: snapshot.task.cluster.clone(),
                service,
                subnets: network.service_subnets.clone(),
                security_groups: network.security_groups.clone(),
            },
            Call::TagEcsResource {
                resource_arn: service_arn,
                tags: tags(&id),
            },
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{self};
    use crate::classify::classify_message;
    use crate::facts::fixtures::{self, private_vpc, snapshot};
    use crate::facts::{Fact, LogGroupFacts, RoleFacts};
    use crate::fixes::EXECUTION_ROLE_POLICY;

    const TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or registry auth: operation error ECR: GetAuthorizationToken, request send failed, Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.2.9:443: i/o timeout";

    fn planned(s: &crate::facts::Snapshot) -> Vec<PlannedFix> {
        let outcome = checks::run(s, &classify_message(TIMEOUT));
        plan(s, &outcome.findings).into_iter().map(|(_, fix)| fix).collect()
    }

    #[test]
    fn a_healthy_task_needs_no_fix() {
        assert_eq!(planned(&snapshot(private_vpc())), vec![]);
    }

    #[test]
    fn a_missing_log_group_is_created_and_tagged() {
        let mut s = snapshot(private_vpc());
        s.log_groups = vec![LogGroupFacts {
            container: "web".into(),
            group: "/ecs/shop-web".into(),
            region: "us-east-1".into(),
            create_group: false,
            exists: Fact::Known(false),
        }];
        let fixes = planned(&s);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].risk, Risk::Safe);
        assert_eq!(
            serde_json::to_value(&fixes[0].calls).unwrap(),
            json!([{"operation": "logs:CreateLogGroup", "parameters": {"logGroupName": "/ecs/shop-web", "region": "us-east-1", "tags": {"ecs-pull-doctor:fix": "create-log-group:/ecs/shop-web"}}}])
        );
    }

    #[test]
    fn a_role_without_ecr_or_logs_rights_gets_the_managed_policy_once() {
        let mut s = snapshot(private_vpc());
        s.execution_role = Some(fixtures::execution_role(vec![]));
        let fixes = planned(&s);
        assert_eq!(fixes.len(), 1, "ECR and logs share the one fix: {fixes:#?}");
        assert_eq!(
            fixes[0].calls[0],
            Call::AttachRolePolicy {
                role_name: "ecsTaskExecutionRole".into(),
                policy_arn: EXECUTION_ROLE_POLICY.into()
            }
        );
        assert!(matches!(fixes[0].calls[1], Call::TagRole { .. }));
    }

    #[test]
    fn an_explicit_deny_is_not_papered_over() {
        let mut s = snapshot(private_vpc());
        let deny = crate::facts::RolePolicy {
            name: "deny".into(),
            kind: crate::facts::PolicyKind::Inline,
            document: r#"{"Statement":[{"Effect":"Deny","Action":"ecr:*","Resource":"*"}]}"#.into(),
        };
        s.execution_role = Some(fixtures::execution_role(vec![fixtures::execution_role_policy(), deny]));
        assert_eq!(planned(&s), vec![]);
    }

    #[test]
    fn a_boundary_or_a_condition_is_not_cured_by_attaching_a_policy() {
        let mut s = snapshot(private_vpc());
        let boundary = crate::facts::RolePolicy {
            name: "boundary".into(),
            kind: crate::facts::PolicyKind::Boundary,
            document: r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#.into(),
        };
        s.execution_role = Some(fixtures::execution_role(vec![boundary]));
        let outcome = checks::run(&s, &classify_message(TIMEOUT));
        assert!(
            outcome
                .findings
                .iter()
                .any(|f| f.code == Code::ExecutionRoleMissingEcrPermissions),
            "{:#?}",
            outcome.findings
        );
        assert_eq!(planned(&s), vec![], "the boundary caps whatever is attached");
        let conditioned = crate::facts::RolePolicy {
            name: "vpce-only".into(),
            kind: crate::facts::PolicyKind::Inline,
            document: r#"{"Statement":[{"Effect":"Allow","Action":["ecr:*","logs:*"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#.into(),
        };
        s.execution_role = Some(fixtures::execution_role(vec![conditioned]));
        assert_eq!(
            planned(&s),
            vec![],
            "the condition is the team's choice: a remedy, not a fix"
        );
    }

    #[test]
    fn trust_gains_ecs_tasks_and_keeps_its_statements() {
        let mut s = snapshot(private_vpc());
        let mut role = fixtures::execution_role(vec![fixtures::execution_role_policy()]);
        let ec2 = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Ec2","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        role.role = Fact::Known(Some(RoleFacts {
            arn: fixtures::ROLE.into(),
            name: "ecsTaskExecutionRole".into(),
            trust_policy: ec2.into(),
            permissions_boundary: None,
        }));
        s.execution_role = Some(role);
        let fixes = planned(&s);
        let Call::UpdateAssumeRolePolicy { policy_document, .. } = &fixes[0].calls[0] else {
            panic!("{fixes:#?}")
        };
        let document: Value = serde_json::from_str(policy_document).unwrap();
        assert_eq!(document["Statement"][0]["Sid"], "Ec2", "kept");
        assert_eq!(
            document["Statement"][1]["Principal"]["Service"], "ecs-tasks.amazonaws.com",
            "added"
        );
        assert_eq!(
            document["Statement"][1]["Condition"]["StringEquals"]["aws:SourceAccount"], "111122223333",
            "only this account's tasks"
        );
    }

    #[test]
    fn an_administrator_role_is_never_handed_to_ecs_tasks() {
        let mut s = snapshot(private_vpc());
        let admin = crate::facts::RolePolicy {
            name: "admin".into(),
            kind: crate::facts::PolicyKind::Inline,
            document: r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.into(),
        };
        let mut role = fixtures::execution_role(vec![admin]);
        let ec2 = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        role.role = Fact::Known(Some(RoleFacts {
            arn: fixtures::ROLE.into(),
            name: "ecsTaskExecutionRole".into(),
            trust_policy: ec2.into(),
            permissions_boundary: None,
        }));
        s.execution_role = Some(role.clone());
        let outcome = checks::run(&s, &classify_message(TIMEOUT));
        assert!(
            outcome
                .findings
                .iter()
                .any(|f| f.code == Code::ExecutionRoleTrustInvalid)
        );
        assert_eq!(planned(&s), vec![], "a remedy for a person, not a fix");
        // Permissions that could not be read leave it unknown: no fix either.
        role.permissions = None;
        s.execution_role = Some(role);
        assert_eq!(planned(&s), vec![]);
    }

    #[test]
    fn s3_gateway_endpoint_fixes() {
        let mut vpc = private_vpc();
        if let Fact::Known(endpoints) = &mut vpc.endpoints {
            endpoints[3].route_table_ids = vec!["rtb-main".into()];
            endpoints[3].policy = Some(r#"{"Statement":[{"Sid":"Mine","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::mine/*"}]}"#.into());
        }
        let fixes = planned(&snapshot(vpc.clone()));
        assert_eq!(
            fixes[0].calls[0],
            Call::ModifyVpcEndpoint {
                vpc_endpoint_id: "vpce-s3".into(),
                add_route_table_ids: vec!["rtb-private".into()],
                policy_document: None
            }
        );
        // Once on the route table, its policy is what blocks the layers.
        if let Fact::Known(endpoints) = &mut vpc.endpoints {
            endpoints[3].route_table_ids = vec!["rtb-private".into()];
        }
        let fixes = planned(&snapshot(vpc.clone()));
        let Call::ModifyVpcEndpoint {
            policy_document: Some(document),
            ..
        } = &fixes[0].calls[0]
        else {
            panic!("{fixes:#?}")
        };
        let document: Value = serde_json::from_str(document).unwrap();
        assert_eq!(document["Statement"][0]["Sid"], "Mine");
        assert_eq!(
            document["Statement"][1]["Resource"],
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
        );
        // No gateway endpoint at all: create one (free).
        if let Fact::Known(endpoints) = &mut vpc.endpoints {
            endpoints.truncate(3);
        }
        let fixes = planned(&snapshot(vpc));
        assert!(
            matches!(&fixes[0].calls[0], Call::CreateVpcEndpoint { vpc_endpoint_type, route_table_ids, .. } if vpc_endpoint_type == "Gateway" && route_table_ids == &["rtb-private"]),
            "{fixes:#?}"
        );
    }

    fn egress_fix(s: &crate::facts::Snapshot) -> PlannedFix {
        planned(s)
            .into_iter()
            .find(|f| f.code == Code::SecurityGroupBlocksEgress)
            .expect("an egress fix")
    }

    #[test]
    fn egress_fixes_name_the_destination_and_open_everything_only_for_the_internet() {
        // Endpoints and S3 gateway: the endpoints' group and the S3 prefix list, no CIDR.
        let mut vpc = private_vpc();
        if let Fact::Known(groups) = &mut vpc.security_groups {
            groups[0].egress = vec![];
        }
        let fix = egress_fix(&snapshot(vpc));
        assert_eq!(
            fix.calls[0],
            Call::AuthorizeHttpsEgress {
                group_id: "sg-task".into(),
                cidrs: vec![],
                security_groups: vec!["sg-endpoint".into()],
                prefix_lists: vec!["pl-s3".into()]
            }
        );
        assert_eq!(
            fix.description,
            "Allow TCP 443 out from security group sg-task to security group sg-endpoint, prefix list pl-s3."
        );

        // Behind a NAT: S3 still by its prefix list; ECR and logs, whose addresses are not fixed, by 0.0.0.0/0.
        let mut nat = fixtures::nat_vpc();
        if let Fact::Known(groups) = &mut nat.security_groups {
            groups[0].egress = vec![];
        }
        let fix = egress_fix(&snapshot(nat));
        assert_eq!(
            fix.calls[0],
            Call::AuthorizeHttpsEgress {
                group_id: "sg-task".into(),
                cidrs: vec!["0.0.0.0/0".into()],
                security_groups: vec![],
                prefix_lists: vec!["pl-s3".into()]
            }
        );
        assert!(
            fix.description.contains("prefix list pl-s3, 0.0.0.0/0 (the internet"),
            "{}",
            fix.description
        );
    }

    #[test]
    fn a_blocked_destination_without_a_name_is_not_opened() {
        // Endpoints with no security group of their own: no rule can name them but by address.
        let mut vpc = private_vpc();
        if let Fact::Known(groups) = &mut vpc.security_groups {
            groups[0].egress = vec![];
        }
        if let Fact::Known(endpoints) = &mut vpc.endpoints {
            endpoints.iter_mut().for_each(|e| e.security_group_ids.clear());
        }
        let s = snapshot(vpc);
        let outcome = checks::run(&s, &classify_message(TIMEOUT));
        assert!(
            outcome
                .findings
                .iter()
                .any(|f| f.code == Code::SecurityGroupBlocksEgress),
            "{:#?}",
            outcome.findings
        );
        assert!(
            plan(&s, &outcome.findings)
                .iter()
                .all(|(_, f)| f.code != Code::SecurityGroupBlocksEgress)
        );
    }
}
