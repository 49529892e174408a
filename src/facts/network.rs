//! The task's VPC as EC2 describes it: subnets, routes, gateways, endpoints, firewalls and DNS.

use super::Fact;

/// Everything about the task's VPC, each part read by its own call.
#[derive(Debug, Clone, PartialEq)]
pub struct VpcFacts {
    pub vpc_id: String,
    pub subnets: Fact<Vec<Subnet>>,
    pub route_tables: Fact<Vec<RouteTable>>,
    pub nat_gateways: Fact<Vec<NatGateway>>,
    /// Internet gateways attached to the VPC.
    pub internet_gateways: Fact<Vec<String>>,
    pub endpoints: Fact<Vec<VpcEndpoint>>,
    pub security_groups: Fact<Vec<SecurityGroup>>,
    pub network_acls: Fact<Vec<NetworkAcl>>,
    pub dns_support: Fact<bool>,
    pub dns_hostnames: Fact<bool>,
    /// The region's S3 prefix list (`com.amazonaws.REGION.s3`), with its CIDRs.
    pub s3_prefix_list: Fact<Option<PrefixList>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: String,
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
    /// `local`, `igw-...`, `nat-...`, `vpce-...`, `tgw-...`, `eni-...`, `pcx-...`.
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
            .strip_prefix(&format!("com.amazonaws.{region}."))
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
