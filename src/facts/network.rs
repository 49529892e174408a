//! The task's VPC as EC2 describes it: subnets, routes, gateways, endpoints, firewalls and DNS.

use super::{CallFailure, Fact};

/// Everything about the task's VPC, each part read by its own call.
#[derive(Debug, Clone, PartialEq)]
pub struct VpcFacts {
    pub vpc_id: String,
    pub subnets: Fact<Vec<Subnet>>,
    pub route_tables: Fact<Vec<RouteTable>>,
    pub nat_gateways: Fact<Vec<NatGateway>>,
    pub endpoints: Fact<Vec<VpcEndpoint>>,
    pub security_groups: Fact<Vec<SecurityGroup>>,
    pub network_acls: Fact<Vec<NetworkAcl>>,
    pub dns_support: Fact<bool>,
    pub dns_hostnames: Fact<bool>,
    /// The region's S3 prefix list (`com.amazonaws.REGION.s3`), with its CIDRs.
    pub s3_prefix_list: Fact<Option<PrefixList>>,
    /// The other prefix lists the VPC's security group rules name (customer-managed or shared), each
    /// with its CIDRs or the failure that hid them.
    pub referenced_prefix_lists: Vec<ReferencedPrefixList>,
}

impl VpcFacts {
    /// The calls whose part could not be read.
    pub fn failures(&self) -> Vec<&CallFailure> {
        let parts = [
            self.subnets.failure(),
            self.route_tables.failure(),
            self.nat_gateways.failure(),
            self.endpoints.failure(),
            self.security_groups.failure(),
            self.network_acls.failure(),
            self.dns_support.failure(),
            self.dns_hostnames.failure(),
            self.s3_prefix_list.failure(),
        ];
        let lists = self.referenced_prefix_lists.iter().filter_map(|l| l.cidrs.failure());
        parts.into_iter().flatten().chain(lists).collect()
    }

    /// A VPC none of whose calls answered: each part fails with `failure(its operation)`.
    pub fn unread(vpc_id: &str, failure: impl Fn(&str) -> CallFailure) -> Self {
        VpcFacts {
            vpc_id: vpc_id.to_string(),
            subnets: Fact::Failed(failure("ec2:DescribeSubnets")),
            route_tables: Fact::Failed(failure("ec2:DescribeRouteTables")),
            nat_gateways: Fact::Failed(failure("ec2:DescribeNatGateways")),
            endpoints: Fact::Failed(failure("ec2:DescribeVpcEndpoints")),
            security_groups: Fact::Failed(failure("ec2:DescribeSecurityGroups")),
            network_acls: Fact::Failed(failure("ec2:DescribeNetworkAcls")),
            dns_support: Fact::Failed(failure("ec2:DescribeVpcAttribute")),
            dns_hostnames: Fact::Failed(failure("ec2:DescribeVpcAttribute")),
            s3_prefix_list: Fact::Failed(failure("ec2:DescribeManagedPrefixLists")),
            referenced_prefix_lists: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    /// Its IPv4 range; empty for an IPv6-only subnet.
    pub cidr: String,
    pub ipv6_cidrs: Vec<String>,
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteTable {
    pub id: String,
    /// The VPC's main table serves every subnet without an explicit association.
    pub main: bool,
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    /// A CIDR, or a prefix list ID for gateway endpoint routes.
    pub destination: String,
    /// `local`, `igw-...`, `eigw-...`, `nat-...`, `vpce-...`, `tgw-...`, `eni-...`, `pcx-...`.
    pub target: String,
    /// `active` or `blackhole`.
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NatGateway {
    pub id: String,
    /// `pending`, `available`, `deleting`, `deleted`, `failed`.
    pub state: String,
    pub subnet_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EndpointKind {
    #[default]
    Interface,
    Gateway,
    Other,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VpcEndpoint {
    pub id: String,
    /// `com.amazonaws.REGION.ecr.api`.
    pub service_name: String,
    pub kind: EndpointKind,
    pub state: Option<String>,
    pub subnet_ids: Vec<String>,
    pub route_table_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub private_dns: bool,
    pub policy: Option<String>,
}

impl VpcEndpoint {
    /// `ecr.api` from `com.amazonaws.us-east-1.ecr.api`.
    pub fn short_service(&self, region: &str) -> &str {
        self.service_name
            .strip_prefix(&crate::model::names::endpoint_service(region, ""))
            .unwrap_or(&self.service_name)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub ingress: Vec<SecurityGroupRule>,
    pub egress: Vec<SecurityGroupRule>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityGroupRule {
    /// `-1` for every protocol, else `tcp`, `udp`, `icmp` or a number.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// IPv4 and IPv6 ranges alike.
    pub cidrs: Vec<String>,
    pub security_groups: Vec<String>,
    pub prefix_lists: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkAcl {
    pub id: String,
    pub default: bool,
    pub subnet_ids: Vec<String>,
    pub entries: Vec<AclEntry>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AclEntry {
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` for every protocol, `6` for TCP.
    pub protocol: String,
    pub allow: bool,
    /// An IPv4 or IPv6 range.
    pub cidr: Option<String>,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrefixList {
    pub id: String,
    pub name: String,
    pub cidrs: Vec<String>,
}

/// A prefix list a security group rule names, read for its CIDRs.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencedPrefixList {
    pub id: String,
    pub cidrs: Fact<Vec<String>>,
}
