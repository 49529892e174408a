//! The network check over snapshot fixtures: each test breaks one thing in a healthy setup.

use serde_json::json;

use super::*;
use crate::facts::fixtures::{self, nat_vpc, private_vpc, snapshot};
use crate::facts::{AclEntry, CallFailure, NatGateway, Route, SecurityGroupRule};

fn codes(outcome: &Outcome) -> Vec<(Code, Severity)> {
    outcome.findings.iter().map(|f| (f.code, f.severity)).collect()
}

fn only(outcome: &Outcome, code: Code) -> &Finding {
    assert_eq!(codes(outcome), vec![(code, Severity::Error)], "{:#?}", outcome.findings);
    &outcome.findings[0]
}

fn endpoints(vpc: &mut VpcFacts) -> &mut Vec<VpcEndpoint> {
    match &mut vpc.endpoints {
        Fact::Known(endpoints) => endpoints,
        Fact::Failed(_) => unreachable!(),
    }
}

fn tables(vpc: &mut VpcFacts) -> &mut Vec<RouteTable> {
    match &mut vpc.route_tables {
        Fact::Known(tables) => tables,
        Fact::Failed(_) => unreachable!(),
    }
}

fn groups(vpc: &mut VpcFacts) -> &mut Vec<SecurityGroup> {
    match &mut vpc.security_groups {
        Fact::Known(groups) => groups,
        Fact::Failed(_) => unreachable!(),
    }
}

#[test]
fn a_healthy_private_subnet_with_endpoints_has_no_finding() {
    let outcome = check(&snapshot(private_vpc()));
    assert_eq!(codes(&outcome), vec![]);
    let passed: Vec<&str> = outcome.passes.iter().map(|p| p.check.as_str()).collect();
    for check in [
        "vpc-endpoints",
        "vpc-dns",
        "s3-endpoint-policy",
        "security-group-egress",
        "network-acl",
    ] {
        assert!(passed.contains(&check), "{check} in {passed:?}");
    }
}

#[test]
fn a_healthy_nat_setup_has_no_finding_and_needs_no_endpoints() {
    let outcome = check(&snapshot(nat_vpc()));
    assert_eq!(codes(&outcome), vec![]);
    assert!(
        outcome
            .passes
            .iter()
            .any(|p| p.check == "internet-path" && p.summary.contains("nat-1"))
    );
}

#[test]
fn no_route_and_no_endpoints_is_no_internet_route() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc).clear();
    tables(&mut vpc)[1].routes.truncate(1);
    let outcome = check(&snapshot(vpc));
    let finding = only(&outcome, Code::NoInternetRoute);
    assert_eq!(finding.resource, "subnet-task");
    assert_eq!(finding.evidence["routeTable"]["routeTableId"], "rtb-private");
    assert_eq!(
        finding.evidence["services"],
        json!(["ecr.api", "ecr.dkr", "s3", "logs"])
    );
}

#[test]
fn a_public_image_needs_the_internet_whatever_the_endpoints() {
    let mut s = snapshot(private_vpc());
    if let Fact::Known(definition) = &mut s.task_definition {
        definition.containers[0].image = "docker.io/tryretool/backend:2.110.5".into();
    }
    let outcome = check(&s);
    let finding = only(&outcome, Code::NoInternetRoute);
    assert_eq!(finding.evidence["services"], json!(["internet"]));
    assert!(
        finding.summary.contains("no VPC endpoint serves"),
        "{}",
        finding.summary
    );
}

#[test]
fn an_internet_gateway_without_a_public_ip() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc).clear();
    tables(&mut vpc)[1].routes.push(Route {
        destination: "0.0.0.0/0".into(),
        target: "igw-1".into(),
        state: Some("active".into()),
    });
    let finding = only(&check(&snapshot(vpc.clone())), Code::PublicIpNotAssigned).clone();
    assert_eq!(finding.evidence["internetGateway"], "igw-1");
    let mut with_ip = snapshot(vpc);
    if let Some(Fact::Known(network)) = &mut with_ip.network {
        network.assign_public_ip = Some(true);
    }
    assert_eq!(codes(&check(&with_ip)), vec![]);
}

#[test]
fn a_deleted_nat_gateway() {
    let mut vpc = nat_vpc();
    vpc.nat_gateways = Fact::Known(vec![NatGateway {
        id: "nat-1".into(),
        state: "deleted".into(),
        subnet_id: None,
    }]);
    let finding = only(&check(&snapshot(vpc.clone())), Code::NatGatewayUnavailable).clone();
    assert_eq!(finding.evidence["state"], "deleted");
    // A blackhole route to a NAT gateway that is gone altogether.
    vpc.nat_gateways = Fact::Known(vec![]);
    tables(&mut vpc)[1].routes[1].state = Some("blackhole".into());
    only(&check(&snapshot(vpc)), Code::NatGatewayUnavailable);
}

#[test]
fn a_missing_interface_endpoint_is_named() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc).retain(|e| !e.service_name.ends_with("ecr.dkr"));
    let finding = only(&check(&snapshot(vpc)), Code::VpcEndpointMissing).clone();
    assert_eq!(finding.evidence["services"], json!(["ecr.dkr"]));
    assert!(
        finding.remedy.contains("com.amazonaws.us-east-1.ecr.dkr"),
        "{}",
        finding.remedy
    );
}

#[test]
fn behind_a_nat_missing_endpoints_are_not_errors() {
    let mut vpc = nat_vpc();
    endpoints(&mut vpc).push(fixtures::interface_endpoint("ecr.api"));
    assert_eq!(codes(&check(&snapshot(vpc))), vec![]);
}

#[test]
fn private_dns_off_on_an_endpoint_the_task_relies_on() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc)[0].private_dns = false;
    let finding = only(&check(&snapshot(vpc)), Code::VpcEndpointPrivateDnsDisabled).clone();
    assert_eq!(finding.resource, "vpce-ecrapi");
    assert_eq!(finding.evidence["services"], json!(["ecr.api"]));
}

#[test]
fn vpc_dns_off() {
    let mut vpc = private_vpc();
    vpc.dns_hostnames = Fact::Known(false);
    let finding = only(&check(&snapshot(vpc)), Code::VpcDnsDisabled).clone();
    assert_eq!(finding.evidence["enableDnsHostnames"], false);
    // DNS support off breaks every name, NAT or not.
    let mut vpc = nat_vpc();
    vpc.dns_support = Fact::Known(false);
    only(&check(&snapshot(vpc)), Code::VpcDnsDisabled);
}

#[test]
fn dns_hostnames_off_breaks_an_efs_mount_even_behind_a_nat() {
    let mut vpc = nat_vpc();
    vpc.dns_hostnames = Fact::Known(false);
    assert!(
        check(&snapshot(vpc.clone()))
            .findings
            .iter()
            .all(|f| f.code != Code::VpcDnsDisabled),
        "no endpoint, no EFS: nothing needs hostnames"
    );
    let mut with_volume = snapshot(vpc);
    with_volume.efs = vec![crate::facts::EfsFacts {
        volume: crate::facts::EfsVolume {
            name: "data".into(),
            file_system_id: "fs-1".into(),
            ..Default::default()
        },
        file_system: Fact::Known(None),
        access_point: None,
        mount_targets: Fact::Known(vec![]),
        policy: Fact::Known(None),
    }];
    let finding = only(&check(&with_volume), Code::VpcDnsDisabled).clone();
    assert_eq!(finding.evidence["services"], json!(["efs"]));
    assert!(
        finding.summary.contains("file system's DNS name"),
        "{}",
        finding.summary
    );
}

#[test]
fn an_s3_gateway_endpoint_off_the_subnets_route_table() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc)[3].route_table_ids = vec!["rtb-main".into()];
    tables(&mut vpc)[1].routes.truncate(1);
    let finding = only(&check(&snapshot(vpc)), Code::S3GatewayRouteMissing).clone();
    assert_eq!(finding.resource, "vpce-s3");
    assert!(finding.remedy.contains("rtb-private"));
}

#[test]
fn an_s3_endpoint_policy_that_leaves_out_the_layer_bucket() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc)[3].policy = Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#.into());
    let finding = only(&check(&snapshot(vpc.clone())), Code::S3EndpointPolicyBlocksLayers).clone();
    assert_eq!(
        finding.evidence["resource"],
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
    );
    // Even behind a NAT: the gateway endpoint's route is more specific, so layers go through it.
    let mut behind_nat = nat_vpc();
    endpoints(&mut behind_nat).push(match &vpc.endpoints {
        Fact::Known(e) => e[3].clone(),
        _ => unreachable!(),
    });
    only(&check(&snapshot(behind_nat)), Code::S3EndpointPolicyBlocksLayers);
    // The documented minimal statement is enough.
    let mut minimal = private_vpc();
    endpoints(&mut minimal)[3].policy = Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}]}"#.into());
    assert_eq!(codes(&check(&snapshot(minimal))), vec![]);
}

#[test]
fn an_interface_endpoint_policy_that_denies() {
    let mut vpc = private_vpc();
    endpoints(&mut vpc)[0].policy = Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"NoTokens","Effect":"Deny","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}"#.into());
    let finding = only(&check(&snapshot(vpc)), Code::VpcEndpointPolicyDenies).clone();
    assert_eq!(finding.evidence["action"], "ecr:GetAuthorizationToken");
    assert_eq!(finding.evidence["statements"][0]["Sid"], "NoTokens");
    assert_eq!(finding.evidence["principal"], fixtures::ROLE);
}

#[test]
fn a_task_security_group_without_443_out() {
    let mut vpc = private_vpc();
    groups(&mut vpc)[0].egress = vec![SecurityGroupRule {
        protocol: "tcp".into(),
        from_port: Some(80),
        to_port: Some(80),
        cidrs: vec!["0.0.0.0/0".into()],
        ..Default::default()
    }];
    let finding = only(&check(&snapshot(vpc)), Code::SecurityGroupBlocksEgress).clone();
    assert_eq!(finding.resource, "sg-task");
    assert_eq!(
        finding.evidence["blocked"].as_array().unwrap().len(),
        4,
        "three endpoints and S3: {:#?}",
        finding.evidence
    );
    assert_eq!(
        finding.remedy,
        "Allow TCP 443 out from security group sg-task to security group sg-endpoint and prefix list pl-s3 (AuthorizeSecurityGroupEgress)."
    );
}

#[test]
fn egress_by_reference_to_the_endpoint_group_and_the_s3_prefix_list_is_enough() {
    let mut vpc = private_vpc();
    groups(&mut vpc)[0].egress = vec![
        fixtures::https_rule(&[], &["sg-endpoint"]),
        SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            prefix_lists: vec!["pl-s3".into()],
            ..Default::default()
        },
    ];
    assert_eq!(codes(&check(&snapshot(vpc))), vec![]);
}

#[test]
fn an_endpoint_security_group_that_does_not_admit_the_task() {
    let mut vpc = private_vpc();
    groups(&mut vpc)[1].ingress = vec![fixtures::https_rule(&["10.9.0.0/16"], &[])];
    let outcome = check(&snapshot(vpc));
    assert!(
        codes(&outcome)
            .iter()
            .all(|c| *c == (Code::EndpointSecurityGroupBlocksIngress, Severity::Error)),
        "{:#?}",
        outcome.findings
    );
    assert_eq!(outcome.findings.len(), 3, "ecr.api, ecr.dkr and logs share the group");
    // By the task's address instead of its group.
    let mut by_cidr = private_vpc();
    groups(&mut by_cidr)[1].ingress = vec![fixtures::https_rule(&["10.0.1.0/24"], &[])];
    assert_eq!(codes(&check(&snapshot(by_cidr))), vec![]);
}

#[test]
fn a_network_acl_that_blocks_443_or_the_replies() {
    let mut vpc = private_vpc();
    let mut entries = fixtures::open_acl_entries();
    entries.push(AclEntry {
        rule_number: 50,
        egress: true,
        protocol: "6".into(),
        allow: false,
        cidr: Some("0.0.0.0/0".into()),
        from_port: Some(443),
        to_port: Some(443),
    });
    vpc.network_acls = Fact::Known(vec![crate::facts::NetworkAcl {
        id: "acl-1".into(),
        default: true,
        subnet_ids: vec!["subnet-task".into()],
        entries,
    }]);
    let finding = only(&check(&snapshot(vpc)), Code::NetworkAclBlocksTraffic).clone();
    assert_eq!(finding.evidence["blocked"][0]["decidedBy"]["ruleNumber"], 50);

    let mut replies = private_vpc();
    let entries = vec![
        AclEntry {
            rule_number: 100,
            egress: true,
            protocol: "-1".into(),
            allow: true,
            cidr: Some("0.0.0.0/0".into()),
            ..Default::default()
        },
        AclEntry {
            rule_number: 100,
            egress: false,
            protocol: "6".into(),
            allow: true,
            cidr: Some("0.0.0.0/0".into()),
            from_port: Some(443),
            to_port: Some(443),
        },
    ];
    replies.network_acls = Fact::Known(vec![crate::facts::NetworkAcl {
        id: "acl-2".into(),
        default: false,
        subnet_ids: vec!["subnet-task".into()],
        entries,
    }]);
    let finding = only(&check(&snapshot(replies)), Code::NetworkAclBlocksTraffic).clone();
    assert_eq!(finding.evidence["blocked"][0]["direction"], "inbound");
}

#[test]
fn a_failed_describe_says_what_was_not_checked_and_the_rest_goes_on() {
    let mut vpc = private_vpc();
    vpc.security_groups = Fact::Failed(CallFailure {
        operation: "ec2:DescribeSecurityGroups".into(),
        resource: "vpc-1".into(),
        error_code: "UnauthorizedOperation".into(),
        message: "You are not authorized to perform this operation.".into(),
    });
    let outcome = check(&snapshot(vpc));
    assert_eq!(codes(&outcome), vec![(Code::CheckFailed, Severity::Info)]);
    assert_eq!(outcome.findings[0].evidence["call"], "ec2:DescribeSecurityGroups");
    assert!(
        outcome.passes.iter().any(|p| p.check == "network-acl"),
        "the ACL was still checked"
    );
}

fn denied(operation: &str) -> CallFailure {
    CallFailure {
        operation: operation.into(),
        resource: "vpc-1".into(),
        error_code: "UnauthorizedOperation".into(),
        message: "no".into(),
    }
}

/// The calls named by the outcome's CHECK_FAILED findings.
fn unread(outcome: &Outcome) -> Vec<&str> {
    outcome
        .findings
        .iter()
        .filter(|f| f.code == Code::CheckFailed)
        .filter_map(|f| f.evidence["call"].as_str())
        .collect()
}

fn errors(outcome: &Outcome) -> Vec<Code> {
    outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect()
}

#[test]
fn an_unreadable_nat_gateway_is_not_called_unavailable() {
    let mut vpc = nat_vpc();
    vpc.nat_gateways = Fact::Failed(denied("ec2:DescribeNatGateways"));
    let outcome = check(&snapshot(vpc));
    assert_eq!(errors(&outcome), vec![], "{:#?}", outcome.findings);
    assert_eq!(unread(&outcome), ["ec2:DescribeNatGateways"]);
    assert!(
        !outcome
            .passes
            .iter()
            .any(|p| p.check == "internet-path" || p.check == "security-group-egress" || p.check == "network-acl"),
        "{:#?}",
        outcome.passes
    );
}

#[test]
fn unreadable_endpoints_are_not_taken_for_none() {
    // No route out: with the endpoints unknown, nothing says the task is cut off from ECR.
    let mut vpc = private_vpc();
    vpc.endpoints = Fact::Failed(denied("ec2:DescribeVpcEndpoints"));
    let outcome = check(&snapshot(vpc));
    assert_eq!(errors(&outcome), vec![], "{:#?}", outcome.findings);
    assert_eq!(unread(&outcome), ["ec2:DescribeVpcEndpoints"]);
    assert!(
        outcome
            .passes
            .iter()
            .all(|p| p.check != "vpc-endpoints" && p.check != "security-group-egress" && p.check != "network-acl"),
        "{:#?}",
        outcome.passes
    );
    // A public registry needs the internet whatever endpoints exist: that stays an error.
    let mut s = snapshot(private_vpc());
    if let Some(Fact::Known(vpc)) = &mut s.vpc {
        vpc.endpoints = Fact::Failed(denied("ec2:DescribeVpcEndpoints"));
    }
    if let Fact::Known(definition) = &mut s.task_definition {
        definition.containers[0].image = "docker.io/library/nginx:1.27".into();
    }
    assert_eq!(errors(&check(&s)), vec![Code::NoInternetRoute]);
}

#[test]
fn unreadable_addresses_withhold_the_firewall_passes_and_say_so() {
    for broken in ["ec2:DescribeSubnets", "ec2:DescribeManagedPrefixLists"] {
        let mut vpc = private_vpc();
        match broken {
            "ec2:DescribeSubnets" => vpc.subnets = Fact::Failed(denied(broken)),
            _ => vpc.s3_prefix_list = Fact::Failed(denied(broken)),
        }
        let outcome = check(&snapshot(vpc));
        assert_eq!(errors(&outcome), vec![], "{broken}: {:#?}", outcome.findings);
        assert_eq!(unread(&outcome), [broken]);
        assert!(
            outcome
                .passes
                .iter()
                .all(|p| p.check != "security-group-egress" && p.check != "network-acl"),
            "{broken}: {:#?}",
            outcome.passes
        );
    }
}

#[test]
fn unknown_dns_or_public_ip_decides_no_way() {
    let mut vpc = private_vpc();
    vpc.dns_support = Fact::Failed(denied("ec2:DescribeVpcAttribute"));
    let outcome = check(&snapshot(vpc));
    assert_eq!(errors(&outcome), vec![], "{:#?}", outcome.findings);
    assert!(unread(&outcome).contains(&"ec2:DescribeVpcAttribute"));
    assert!(
        outcome.passes.iter().all(|p| p.check != "security-group-egress"),
        "{:#?}",
        outcome.passes
    );

    // A subnet that routes to an internet gateway, and the task's public IP could not be read.
    let mut vpc = private_vpc();
    endpoints(&mut vpc).clear();
    tables(&mut vpc)[1].routes.push(Route {
        destination: "0.0.0.0/0".into(),
        target: "igw-1".into(),
        state: Some("active".into()),
    });
    let mut s = snapshot(vpc);
    s.network = Some(Fact::Failed(denied("ec2:DescribeNetworkInterfaces")));
    let outcome = check(&s);
    assert_eq!(errors(&outcome), vec![], "{:#?}", outcome.findings);
    assert!(
        !outcome.passes.iter().any(|p| p.check == "internet-path"),
        "no benefit of the doubt: {:#?}",
        outcome.passes
    );
}

/// The private VPC with its interface endpoints moved to `subnet-endpoints` (10.0.2.0/24), whose
/// network ACL is `entries`.
fn endpoints_in_their_own_subnet(entries: Vec<AclEntry>) -> VpcFacts {
    let mut vpc = private_vpc();
    if let Fact::Known(subnets) = &mut vpc.subnets {
        subnets.push(crate::facts::Subnet {
            id: "subnet-endpoints".into(),
            vpc_id: "vpc-1".into(),
            cidr: "10.0.2.0/24".into(),
            ..Default::default()
        });
    }
    for endpoint in endpoints(&mut vpc)
        .iter_mut()
        .filter(|e| e.kind == EndpointKind::Interface)
    {
        endpoint.subnet_ids = vec!["subnet-endpoints".into()];
    }
    if let Fact::Known(acls) = &mut vpc.network_acls {
        acls.push(NetworkAcl {
            id: "acl-endpoints".into(),
            default: false,
            subnet_ids: vec!["subnet-endpoints".into()],
            entries,
        });
    }
    vpc
}

#[test]
fn the_acl_of_an_endpoints_subnet_is_on_the_path_both_ways() {
    let healthy = check(&snapshot(endpoints_in_their_own_subnet(fixtures::open_acl_entries())));
    assert_eq!(codes(&healthy), vec![]);
    let pass = healthy
        .passes
        .iter()
        .find(|p| p.check == "network-acl")
        .expect("a pass");
    assert_eq!(pass.resource, "acl-1,acl-endpoints", "both ACLs were checked");

    // In: 443 from the task's subnet denied.
    let mut entries = fixtures::open_acl_entries();
    entries.push(AclEntry {
        rule_number: 10,
        egress: false,
        protocol: "6".into(),
        allow: false,
        cidr: Some("10.0.1.0/24".into()),
        from_port: Some(443),
        to_port: Some(443),
    });
    let outcome = check(&snapshot(endpoints_in_their_own_subnet(entries)));
    let finding = only(&outcome, Code::NetworkAclBlocksTraffic);
    assert_eq!(finding.resource, "acl-endpoints");
    assert_eq!(finding.evidence["subnetId"], "subnet-endpoints");
    assert_eq!(finding.evidence["taskSubnetId"], "subnet-task");
    assert_eq!(finding.evidence["blocked"][0]["direction"], "inbound");
    assert_eq!(finding.evidence["blocked"][0]["port"], 443);
    assert_eq!(
        finding.evidence["blocked"][0]["peer"], "10.0.1.23",
        "the task's own address"
    );
    assert_eq!(finding.evidence["services"], json!(["ecr.api", "ecr.dkr", "logs"]));
    assert!(
        finding.remedy.contains("from the task's subnet subnet-task"),
        "{}",
        finding.remedy
    );

    // Out: the replies to the task denied.
    let replies = vec![
        AclEntry {
            rule_number: 100,
            egress: false,
            protocol: "-1".into(),
            allow: true,
            cidr: Some("0.0.0.0/0".into()),
            ..Default::default()
        },
        AclEntry {
            rule_number: 100,
            egress: true,
            protocol: "6".into(),
            allow: true,
            cidr: Some("0.0.0.0/0".into()),
            from_port: Some(443),
            to_port: Some(443),
        },
    ];
    let outcome = check(&snapshot(endpoints_in_their_own_subnet(replies)));
    let finding = only(&outcome, Code::NetworkAclBlocksTraffic);
    assert_eq!(finding.evidence["blocked"][0]["direction"], "outbound");
    assert_eq!(finding.evidence["blocked"][0]["port"], 32768);
}

#[test]
fn traffic_within_the_task_subnet_crosses_no_acl() {
    // Endpoints in the task's own subnet, an ACL that denies all 443 out: only S3, outside the
    // subnet, is blocked.
    let mut vpc = private_vpc();
    let mut entries = fixtures::open_acl_entries();
    entries.push(AclEntry {
        rule_number: 50,
        egress: true,
        protocol: "6".into(),
        allow: false,
        cidr: Some("0.0.0.0/0".into()),
        from_port: Some(443),
        to_port: Some(443),
    });
    vpc.network_acls = Fact::Known(vec![NetworkAcl {
        id: "acl-1".into(),
        default: true,
        subnet_ids: vec!["subnet-task".into()],
        entries,
    }]);
    let finding = only(&check(&snapshot(vpc)), Code::NetworkAclBlocksTraffic).clone();
    assert_eq!(finding.evidence["services"], json!(["s3"]));
}

fn customer_list(id: &str, cidrs: Fact<Vec<String>>) -> crate::facts::ReferencedPrefixList {
    crate::facts::ReferencedPrefixList { id: id.into(), cidrs }
}

fn egress_to_list(list: &str) -> Vec<SecurityGroupRule> {
    vec![
        SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            prefix_lists: vec![list.into()],
            ..Default::default()
        },
        SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            prefix_lists: vec!["pl-s3".into()],
            ..Default::default()
        },
    ]
}

#[test]
fn a_customer_prefix_list_in_an_egress_rule_is_resolved() {
    let mut vpc = private_vpc();
    groups(&mut vpc)[0].egress = egress_to_list("pl-corp");
    vpc.referenced_prefix_lists = vec![customer_list("pl-corp", Fact::Known(vec!["10.0.0.0/16".into()]))];
    let outcome = check(&snapshot(vpc));
    assert_eq!(codes(&outcome), vec![], "the list holds the VPC's range");
    assert!(outcome.passes.iter().any(|p| p.check == "security-group-egress"));

    let mut elsewhere = private_vpc();
    groups(&mut elsewhere)[0].egress = egress_to_list("pl-corp");
    elsewhere.referenced_prefix_lists = vec![customer_list("pl-corp", Fact::Known(vec!["192.168.0.0/16".into()]))];
    let outcome = check(&snapshot(elsewhere));
    let finding = only(&outcome, Code::SecurityGroupBlocksEgress);
    assert_eq!(finding.evidence["services"], json!(["ecr.api", "ecr.dkr", "logs"]));
    assert!(
        finding
            .remedy
            .ends_with("to security group sg-endpoint (AuthorizeSecurityGroupEgress)."),
        "{}",
        finding.remedy
    );
}

#[test]
fn an_unreadable_prefix_list_decides_nothing() {
    let mut vpc = private_vpc();
    groups(&mut vpc)[0].egress = egress_to_list("pl-corp");
    vpc.referenced_prefix_lists = vec![customer_list(
        "pl-corp",
        Fact::Failed(CallFailure {
            operation: "ec2:GetManagedPrefixListEntries".into(),
            resource: "pl-corp".into(),
            error_code: "UnauthorizedOperation".into(),
            message: "no".into(),
        }),
    )];
    let outcome = check(&snapshot(vpc));
    assert_eq!(codes(&outcome), vec![], "no error from a list that could not be read");
    assert!(
        !outcome.passes.iter().any(|p| p.check == "security-group-egress"),
        "and no pass"
    );
}

#[test]
fn s3_through_the_internet_is_its_prefix_list_and_only_the_rest_is_the_internet() {
    let mut vpc = nat_vpc();
    groups(&mut vpc)[0].egress = vec![SecurityGroupRule {
        protocol: "tcp".into(),
        from_port: Some(443),
        to_port: Some(443),
        prefix_lists: vec!["pl-s3".into()],
        ..Default::default()
    }];
    let outcome = check(&snapshot(vpc));
    let finding = only(&outcome, Code::SecurityGroupBlocksEgress);
    assert_eq!(
        finding.evidence["blocked"],
        json!([{"to": "the internet", "address": "52.94.0.4", "securityGroups": [], "prefixList": null, "cidr": "0.0.0.0/0", "services": ["ecr.api", "ecr.dkr", "logs"]}])
    );
}

/// The task in an IPv6-only subnet with `routes` on its table. Fixtures only: the emulator describes an
/// IPv6-native subnet with availableIpAddressCount 2^64-5, which the SDK cannot read as an integer.
fn ipv6_only(routes: Vec<Route>) -> Snapshot {
    let mut vpc = nat_vpc();
    if let Fact::Known(subnets) = &mut vpc.subnets {
        subnets[0].cidr = String::new();
        subnets[0].ipv6_cidrs = vec!["2600:1f18:aa:bb01::/64".into()];
    }
    tables(&mut vpc)[1].routes = routes;
    let mut s = snapshot(vpc);
    if let Some(eni) = &mut s.task.eni {
        eni.private_ip = None;
    }
    s
}

#[test]
fn an_ipv6_only_task_goes_out_through_an_egress_only_gateway_and_ipv6_rules() {
    let route = |destination: &str, target: &str| Route {
        destination: destination.into(),
        target: target.into(),
        state: Some("active".into()),
    };
    let mut s = ipv6_only(vec![route("::/0", "eigw-1")]);
    let open_v6 = vec![
        AclEntry {
            rule_number: 100,
            egress: true,
            protocol: "-1".into(),
            allow: true,
            cidr: Some("::/0".into()),
            ..Default::default()
        },
        AclEntry {
            rule_number: 100,
            egress: false,
            protocol: "-1".into(),
            allow: true,
            cidr: Some("::/0".into()),
            ..Default::default()
        },
    ];
    if let Some(Fact::Known(vpc)) = &mut s.vpc {
        groups(vpc)[0].egress = vec![fixtures::https_rule(&["::/0"], &[])];
        vpc.network_acls = Fact::Known(vec![NetworkAcl {
            id: "acl-1".into(),
            default: true,
            subnet_ids: vec!["subnet-task".into()],
            entries: open_v6,
        }]);
    }
    let outcome = check(&s);
    assert!(
        outcome.findings.iter().all(|f| f.severity != Severity::Error),
        "{:#?}",
        outcome.findings
    );
    assert!(
        outcome
            .passes
            .iter()
            .any(|p| p.check == "internet-path" && p.summary.contains("eigw-1")),
        "{:#?}",
        outcome.passes
    );

    // Only an IPv4 rule: blocked, and the fix would open ::/0.
    if let Some(Fact::Known(vpc)) = &mut s.vpc {
        groups(vpc)[0].egress = vec![fixtures::https_rule(&["0.0.0.0/0"], &[])];
    }
    let outcome = check(&s);
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.code == Code::SecurityGroupBlocksEgress)
        .expect("blocked");
    assert_eq!(finding.evidence["blocked"][0]["cidr"], "::/0");
    assert_eq!(finding.evidence["blocked"][0]["address"], "2600:1f18::4");

    // No IPv6 route: nowhere to go.
    let outcome = check(&ipv6_only(vec![route("0.0.0.0/0", "nat-1")]));
    assert!(
        outcome.findings.iter().any(|f| f.code == Code::NoInternetRoute),
        "{:#?}",
        outcome.findings
    );
}

#[test]
fn a_dual_stack_task_reaches_aws_over_ipv4_so_an_ipv6_rule_alone_blocks_it() {
    let mut vpc = nat_vpc();
    if let Fact::Known(subnets) = &mut vpc.subnets {
        subnets[0].ipv6_cidrs = vec!["2600:1f18:aa:bb01::/64".into()];
    }
    groups(&mut vpc)[0].egress = vec![fixtures::https_rule(&["::/0"], &[])];
    let outcome = check(&snapshot(vpc.clone()));
    let finding = only(&outcome, Code::SecurityGroupBlocksEgress);
    assert_eq!(
        finding.evidence["egressRules"][0]["cidrs"],
        json!(["::/0"]),
        "the IPv6 rule is shown"
    );
    assert_eq!(finding.evidence["blocked"][0]["cidr"], "0.0.0.0/0");

    groups(&mut vpc)[0]
        .egress
        .push(fixtures::https_rule(&["0.0.0.0/0"], &[]));
    assert_eq!(codes(&check(&snapshot(vpc))), vec![]);
}

#[test]
fn an_endpoint_subnet_whose_range_is_unknown_withholds_the_firewall_passes() {
    let mut vpc = private_vpc();
    for endpoint in endpoints(&mut vpc)
        .iter_mut()
        .filter(|e| e.kind == EndpointKind::Interface)
    {
        endpoint.subnet_ids.push("subnet-gone".into());
    }
    let outcome = check(&snapshot(vpc));
    assert_eq!(codes(&outcome), vec![]);
    let passed: Vec<&str> = outcome.passes.iter().map(|p| p.check.as_str()).collect();
    assert!(
        !passed.contains(&"security-group-egress") && !passed.contains(&"network-acl"),
        "{passed:?}"
    );
}

#[test]
fn a_destination_blocked_both_ways_names_each_service_once() {
    let mut vpc = nat_vpc();
    vpc.network_acls = Fact::Known(vec![NetworkAcl {
        id: "acl-1".into(),
        default: true,
        subnet_ids: vec!["subnet-task".into()],
        entries: vec![],
    }]);
    let outcome = check(&snapshot(vpc));
    let finding = only(&outcome, Code::NetworkAclBlocksTraffic);
    assert_eq!(
        finding.evidence["blocked"].as_array().unwrap().len(),
        4,
        "out and back, to the internet and to S3"
    );
    assert_eq!(
        finding.evidence["services"],
        json!(["ecr.api", "ecr.dkr", "logs", "s3"])
    );
}
