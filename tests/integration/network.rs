//! The network path, end to end: each finding code from a network broken that way in the emulator,
//! and the healthy setups that must produce no error finding.

use ecs_pull_doctor::checks::{Code, Verdict};

use crate::common::{self, errors, root};
use crate::registry::diagnose_by_arn;
use crate::support::scenario::{Builder, DefinitionSpec, EndpointSubnet, Internet, NetworkSpec, StoppedTask};

pub const ECR_API_TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.1.9:443: i/o timeout";
const LAYERS_TIMEOUT: &str = "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4?X-Amz-Security-Token=REDACTED\": dial tcp 52.216.0.1:443: i/o timeout";
const LAYERS_FORBIDDEN: &str = "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: unexpected status code https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4: 403 Forbidden <?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

async fn stopped(account_id: &str, spec: NetworkSpec, reason: &str) -> (aws_config::SdkConfig, StoppedTask) {
    common::stopped(account_id, "net", spec, DefinitionSpec::default(), reason).await
}

#[tokio::test]
async fn a_healthy_private_subnet_with_endpoints_has_no_error_finding() {
    let (config, task) = stopped("210000000001", NetworkSpec::default(), ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert_eq!(report.verdict, Verdict::Inconclusive);
    let passed: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
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

#[tokio::test]
async fn a_healthy_nat_setup_has_no_error_finding() {
    let (config, task) = stopped("210000000002", NetworkSpec::nat(), ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert!(
        report.passed.iter().any(|p| p.check == "internet-path"),
        "{:#?}",
        report.passed
    );
}

#[tokio::test]
async fn no_internet_route() {
    let (config, task) = stopped("210000000003", NetworkSpec::isolated(), ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::NoInternetRoute);
    assert_eq!(finding.resource, task.network.subnet_id);
    assert_eq!(
        finding.evidence["routeTable"]["routeTableId"],
        task.network.route_table_id.as_str()
    );
    assert_eq!(finding.evidence["vpcEndpoints"], 0);
}

#[tokio::test]
async fn public_ip_not_assigned() {
    let spec = NetworkSpec {
        internet: Internet::Gateway,
        ..NetworkSpec::isolated()
    };
    let (config, task) = stopped("210000000004", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::PublicIpNotAssigned);
    assert!(
        finding.evidence["internetGateway"]
            .as_str()
            .unwrap()
            .starts_with("igw-")
    );
    assert_eq!(finding.resource, "web");
}

#[tokio::test]
async fn nat_gateway_unavailable() {
    let spec = NetworkSpec {
        internet: Internet::DeletedNat,
        ..NetworkSpec::isolated()
    };
    let (config, task) = stopped("210000000005", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::NatGatewayUnavailable);
    assert_eq!(finding.evidence["state"], "deleted");
}

#[tokio::test]
async fn vpc_endpoint_missing() {
    let spec = NetworkSpec {
        interface_endpoints: vec!["ecr.dkr", "logs"],
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000006", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::VpcEndpointMissing);
    assert_eq!(finding.evidence["services"], serde_json::json!(["ecr.api"]));
    assert_eq!(finding.resource, task.network.vpc_id);
}

#[tokio::test]
async fn vpc_endpoint_private_dns_disabled() {
    let spec = NetworkSpec {
        private_dns: false,
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000007", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::VpcEndpointPrivateDnsDisabled);
    assert_eq!(
        finding.evidence["services"],
        serde_json::json!(["ecr.api"]),
        "the endpoint the message timed out on first"
    );
}

#[tokio::test]
async fn vpc_dns_disabled() {
    let reason = "CannotPullContainerError: Error response from daemon: Get \"https://ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/v2/\": dial tcp: lookup ACCOUNT.dkr.ecr.us-east-1.amazonaws.com on 10.0.0.2:53: no such host";
    let (config, task) = stopped("210000000008", NetworkSpec::default(), reason).await;
    Builder::new(&config)
        .await
        .set_vpc_dns(&task.network.vpc_id, true, false)
        .await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::VpcDnsDisabled);
    assert_eq!(finding.evidence["enableDnsHostnames"], false);
    assert_eq!(finding.evidence["enableDnsSupport"], true);
}

#[tokio::test]
async fn s3_gateway_route_missing() {
    let spec = NetworkSpec {
        s3_on_task_route_table: false,
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000009", spec, LAYERS_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::S3GatewayRouteMissing);
    assert!(
        finding.remedy.contains(&task.network.route_table_id),
        "{}",
        finding.remedy
    );
}

#[tokio::test]
async fn s3_endpoint_policy_blocks_layers() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::company-artifacts/*"}]}"#;
    let spec = NetworkSpec {
        s3_policy: Some(policy.into()),
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000010", spec, LAYERS_FORBIDDEN).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::S3EndpointPolicyBlocksLayers);
    assert_eq!(
        finding.evidence["resource"],
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
    );
    assert_eq!(
        finding.evidence["policy"]["Statement"][0]["Resource"],
        "arn:aws:s3:::company-artifacts/*"
    );
}

#[tokio::test]
async fn vpc_endpoint_policy_denies() {
    let policy = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"OnlyFromOrg","Effect":"Deny","Principal":"*","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}"#;
    let spec = NetworkSpec {
        interface_policy: vec![("ecr.api", policy.into())],
        ..NetworkSpec::default()
    };
    let reason = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 1, api error AccessDeniedException: User: arn:aws:sts::ACCOUNT:assumed-role/net-execution/1f2e is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no VPC endpoint policy allows the ecr:GetAuthorizationToken action";
    let (config, task) = stopped("210000000011", spec, reason).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::VpcEndpointPolicyDenies);
    assert_eq!(finding.evidence["statements"][0]["Sid"], "OnlyFromOrg");
    assert_eq!(
        finding.evidence["principal"],
        format!("arn:aws:iam::{}:role/net-execution", task.account)
    );
}

#[tokio::test]
async fn security_group_blocks_egress() {
    let spec = NetworkSpec {
        task_egress_443: false,
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000012", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::SecurityGroupBlocksEgress);
    assert_eq!(finding.resource, task.network.security_group_id);
    assert_eq!(finding.evidence["egressRules"][0]["fromPort"], 80);
}

#[tokio::test]
async fn endpoint_security_group_blocks_ingress() {
    let spec = NetworkSpec {
        endpoint_admits_tasks: false,
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000013", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::EndpointSecurityGroupBlocksIngress);
    assert_eq!(finding.evidence["services"], serde_json::json!(["ecr.api"]));
    assert_eq!(
        finding.evidence["endpointSecurityGroups"],
        serde_json::json!([task.network.endpoint_group_id])
    );
}

#[tokio::test]
async fn network_acl_blocks_traffic() {
    let spec = NetworkSpec {
        acl_denies_443_out: true,
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000014", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::NetworkAclBlocksTraffic);
    assert_eq!(finding.evidence["blocked"][0]["decidedBy"]["ruleNumber"], 50);
    assert_eq!(finding.evidence["blocked"][0]["direction"], "outbound");
}

#[tokio::test]
async fn endpoints_in_a_subnet_whose_acl_admits_the_task_have_no_error() {
    let spec = NetworkSpec {
        endpoint_subnet: Some(EndpointSubnet::Open),
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000015", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    let acl = report
        .passed
        .iter()
        .find(|p| p.check == "network-acl")
        .expect("the ACLs pass");
    assert!(
        acl.resource.contains(','),
        "both subnets' ACLs checked: {}",
        acl.resource
    );
}

#[tokio::test]
async fn the_acl_of_the_endpoints_subnet_blocks_the_task() {
    let spec = NetworkSpec {
        endpoint_subnet: Some(EndpointSubnet::DeniesTasks),
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000016", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::NetworkAclBlocksTraffic);
    assert_ne!(
        finding.evidence["subnetId"],
        task.network.subnet_id.as_str(),
        "the endpoints' subnet, not the task's"
    );
    assert_eq!(finding.evidence["taskSubnetId"], task.network.subnet_id.as_str());
    assert_eq!(finding.evidence["blocked"][0]["direction"], "inbound");
    assert_eq!(finding.evidence["blocked"][0]["decidedBy"]["ruleNumber"], 10);
    assert!(
        finding.evidence["services"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("ecr.api"))
    );
}

#[tokio::test]
async fn egress_to_a_customer_prefix_list_that_holds_the_vpc_is_enough() {
    let spec = NetworkSpec {
        egress_to_customer_list: Some(vec!["10.0.0.0/16"]),
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000017", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
    assert!(
        report.passed.iter().any(|p| p.check == "security-group-egress"),
        "{:#?}",
        report.passed
    );
}

#[tokio::test]
async fn egress_to_a_customer_prefix_list_elsewhere_blocks_and_the_fix_names_the_endpoints_group() {
    let spec = NetworkSpec {
        egress_to_customer_list: Some(vec!["192.168.0.0/16"]),
        ..NetworkSpec::default()
    };
    let (config, task) = stopped("210000000018", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::SecurityGroupBlocksEgress);
    assert!(
        finding.evidence["egressRules"][0]["prefixLists"]
            .as_array()
            .unwrap()
            .len()
            == 2,
        "{:#?}",
        finding.evidence
    );
    let fix = finding.fix.as_ref().expect("a fix");
    assert!(
        fix.description
            .contains(&format!("security group {}", task.network.endpoint_group_id)),
        "{}",
        fix.description
    );
    assert!(!fix.description.contains("0.0.0.0/0"), "{}", fix.description);
}

#[tokio::test]
async fn a_dual_stack_task_with_both_families_allowed_has_no_error() {
    let spec = NetworkSpec {
        dual_stack_egress_v4: Some(true),
        ..NetworkSpec::nat()
    };
    let (config, task) = stopped("210000000019", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    assert_eq!(errors(&report), vec![], "{report:#?}");
}

#[tokio::test]
async fn a_dual_stack_task_allowed_out_over_ipv6_only_is_blocked() {
    let spec = NetworkSpec {
        dual_stack_egress_v4: Some(false),
        ..NetworkSpec::nat()
    };
    let (config, task) = stopped("210000000020", spec, ECR_API_TIMEOUT).await;
    let report = diagnose_by_arn(&config, &task).await;
    let finding = root(&report, Code::SecurityGroupBlocksEgress);
    assert_eq!(
        finding.evidence["egressRules"][0]["cidrs"],
        serde_json::json!(["::/0"]),
        "the IPv6 rule is read and shown"
    );
    assert!(
        finding.evidence["blocked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["cidr"] == "0.0.0.0/0")
    );
}
