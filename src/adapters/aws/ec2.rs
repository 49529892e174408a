use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, RouteState, RuleAction, VpcAttributeName, VpcEndpointType};

use super::{AwsClients, call_failure};
use crate::facts::Deadline;
use crate::facts::{
    AclEntry, Ec2Reader, EndpointKind, Fact, NatGateway, NetworkAcl, NetworkConfig, NetworkSource, PrefixList,
    ReferencedPrefixList, Route, RouteTable, SecurityGroup, SecurityGroupRule, Subnet, VpcEndpoint, VpcFacts,
};
use crate::model::Operation;

impl AwsClients {
    fn ec2(&self, region: &str) -> Client {
        let config = aws_sdk_ec2::config::Builder::from(&self.in_region(region))
            .interceptor(super::xml::WholeXmlBody)
            .build();
        Client::from_conf(config)
    }
}

/// [`all_pages!`] ended by the deadline.
macro_rules! bounded_pages {
    ($deadline:expr, $operation:expr, $resource:expr, $($rest:tt)*) => {
        $deadline.bound($operation, $resource, async { all_pages!($operation, $resource, $($rest)*) })
    };
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// Collects every page of a paginated describe call, or the first failure.
macro_rules! all_pages {
    ($operation:expr, $resource:expr, $request:expr, $items:ident, $map:expr) => {{
        let mut pages = $request.into_paginator().send();
        let mut out = Vec::new();
        let mut failure = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => out.extend(page.$items().iter().map($map)),
                Err(error) => {
                    failure = Some(call_failure($operation, $resource, &error));
                    break;
                }
            }
        }
        match failure {
            Some(failure) => Fact::Failed(failure),
            None => Fact::Known(out),
        }
    }};
}

impl Ec2Reader for AwsClients {
    async fn describe_eni_network(&self, region: &str, eni_id: &str) -> Fact<Option<NetworkConfig>> {
        match self
            .ec2(region)
            .describe_network_interfaces()
            .network_interface_ids(eni_id)
            .send()
            .await
        {
            Ok(output) => Fact::Known(output.network_interfaces().first().map(|eni| {
                NetworkConfig {
                    subnets: eni.subnet_id().map(str::to_string).into_iter().collect(),
                    service_subnets: Vec::new(),
                    security_groups: eni
                        .groups()
                        .iter()
                        .filter_map(|g| g.group_id())
                        .map(str::to_string)
                        .collect(),
                    assign_public_ip: Some(eni.association().and_then(|a| a.public_ip()).is_some()),
                    source: NetworkSource::Eni,
                }
            })),
            Err(error) if error.code() == Some("InvalidNetworkInterfaceID.NotFound") => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeNetworkInterfaces.iam(), eni_id, &error)),
        }
    }

    async fn describe_subnet(&self, region: &str, subnet_id: &str) -> Fact<Option<Subnet>> {
        match self.ec2(region).describe_subnets().subnet_ids(subnet_id).send().await {
            Ok(output) => Fact::Known(output.subnets().first().map(subnet)),
            Err(error) if error.code() == Some("InvalidSubnetID.NotFound") => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeSubnets.iam(), subnet_id, &error)),
        }
    }

    async fn s3_prefix_list_id(&self, region: &str) -> Fact<Option<String>> {
        let name = crate::model::names::endpoint_service(region, "s3");
        match self
            .ec2(region)
            .describe_managed_prefix_lists()
            .filters(filter("prefix-list-name", &name))
            .send()
            .await
        {
            Ok(output) => Fact::Known(
                output
                    .prefix_lists()
                    .first()
                    .and_then(|l| l.prefix_list_id())
                    .map(str::to_string),
            ),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeManagedPrefixLists.iam(), &name, &error)),
        }
    }

    async fn describe_vpc(
        &self,
        region: &str,
        vpc_id: &str,
        s3_list_id: Fact<Option<String>>,
        deadline: Deadline,
    ) -> VpcFacts {
        let ec2 = self.ec2(region);
        let by_vpc = || filter("vpc-id", vpc_id);
        // The S3 list's entries beside the other calls; the other lists the security group rules
        // name once the groups are read (each list read once).
        let s3_id_known = s3_list_id.known().cloned().flatten();
        let groups_and_lists = async {
            let groups = bounded_pages!(
                deadline,
                Operation::DescribeSecurityGroups.iam(),
                vpc_id,
                ec2.describe_security_groups().filters(by_vpc()),
                security_groups,
                security_group
            )
            .await;
            let referenced = match &groups {
                Fact::Known(groups) => referenced_lists(&ec2, groups, s3_id_known.as_deref(), deadline).await,
                Fact::Failed(_) => Vec::new(),
            };
            (groups, referenced)
        };
        let s3_list = async {
            match s3_list_id {
                Fact::Known(Some(id)) => match deadline
                    .bound(
                        Operation::GetManagedPrefixListEntries.iam(),
                        &id,
                        list_entries(&ec2, &id),
                    )
                    .await
                {
                    Fact::Known(cidrs) => Fact::Known(Some(PrefixList {
                        name: crate::model::names::endpoint_service(region, "s3"),
                        id,
                        cidrs,
                    })),
                    Fact::Failed(failure) => Fact::Failed(failure),
                },
                Fact::Known(None) => Fact::Known(None),
                Fact::Failed(failure) => Fact::Failed(failure),
            }
        };
        let (
            subnets,
            route_tables,
            nat_gateways,
            endpoints,
            (security_groups, referenced_prefix_lists),
            s3_prefix_list,
            network_acls,
            dns_support,
            dns_hostnames,
        ) = tokio::join!(
            bounded_pages!(
                deadline,
                Operation::DescribeSubnets.iam(),
                vpc_id,
                ec2.describe_subnets().filters(by_vpc()),
                subnets,
                subnet
            ),
            bounded_pages!(
                deadline,
                Operation::DescribeRouteTables.iam(),
                vpc_id,
                ec2.describe_route_tables().filters(by_vpc()),
                route_tables,
                route_table
            ),
            bounded_pages!(
                deadline,
                Operation::DescribeNatGateways.iam(),
                vpc_id,
                ec2.describe_nat_gateways().filter(by_vpc()),
                nat_gateways,
                nat_gateway
            ),
            bounded_pages!(
                deadline,
                Operation::DescribeVpcEndpoints.iam(),
                vpc_id,
                ec2.describe_vpc_endpoints().filters(by_vpc()),
                vpc_endpoints,
                endpoint
            ),
            groups_and_lists,
            s3_list,
            bounded_pages!(
                deadline,
                Operation::DescribeNetworkAcls.iam(),
                vpc_id,
                ec2.describe_network_acls().filters(by_vpc()),
                network_acls,
                network_acl
            ),
            deadline.bound(
                Operation::DescribeVpcAttribute.iam(),
                vpc_id,
                vpc_attribute(&ec2, vpc_id, VpcAttributeName::EnableDnsSupport)
            ),
            deadline.bound(
                Operation::DescribeVpcAttribute.iam(),
                vpc_id,
                vpc_attribute(&ec2, vpc_id, VpcAttributeName::EnableDnsHostnames)
            ),
        );
        VpcFacts {
            vpc_id: vpc_id.to_string(),
            subnets,
            route_tables,
            nat_gateways,
            endpoints,
            security_groups,
            network_acls,
            dns_support,
            dns_hostnames,
            s3_prefix_list,
            referenced_prefix_lists,
        }
    }
}

/// At most this many prefix lists are read for one VPC; rules naming others are left undecided.
const MAX_REFERENCED_LISTS: usize = 20;

/// The CIDRs of every prefix list the groups' rules name, `s3` aside (read on its own).
async fn referenced_lists(
    ec2: &Client,
    groups: &[SecurityGroup],
    s3: Option<&str>,
    deadline: Deadline,
) -> Vec<ReferencedPrefixList> {
    let mut ids: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.ingress.iter().chain(&g.egress))
        .flat_map(|r| r.prefix_lists.iter().map(String::as_str))
        .filter(|id| Some(*id) != s3)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let unread = ids.split_off(ids.len().min(MAX_REFERENCED_LISTS)).into_iter().map(|id| ReferencedPrefixList {
        id: id.to_string(),
        cidrs: Fact::Failed(crate::facts::CallFailure {
            operation: Operation::GetManagedPrefixListEntries.iam().into(),
            resource: id.into(),
            error_code: "NotRead".into(),
            message: format!("the VPC's security groups name more than {MAX_REFERENCED_LISTS} prefix lists; this one was not read"),
        }),
    });
    let read = futures::future::join_all(ids.into_iter().map(|id| async move {
        let cidrs = deadline
            .bound(Operation::GetManagedPrefixListEntries.iam(), id, list_entries(ec2, id))
            .await;
        ReferencedPrefixList {
            id: id.to_string(),
            cidrs,
        }
    }))
    .await;
    read.into_iter().chain(unread).collect()
}

async fn vpc_attribute(ec2: &Client, vpc_id: &str, attribute: VpcAttributeName) -> Fact<bool> {
    match ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(attribute.clone())
        .send()
        .await
    {
        Ok(output) => {
            let value = match attribute {
                VpcAttributeName::EnableDnsSupport => output.enable_dns_support(),
                _ => output.enable_dns_hostnames(),
            };
            Fact::Known(value.and_then(|v| v.value()).unwrap_or(false))
        }
        Err(error) => Fact::Failed(call_failure(
            Operation::DescribeVpcAttribute.iam(),
            &format!("{vpc_id} {}", attribute.as_str()),
            &error,
        )),
    }
}

/// Every CIDR of a prefix list, all pages.
async fn list_entries(ec2: &Client, id: &str) -> Fact<Vec<String>> {
    let mut pages = ec2
        .get_managed_prefix_list_entries()
        .prefix_list_id(id)
        .into_paginator()
        .send();
    let mut cidrs = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => cidrs.extend(page.entries().iter().filter_map(|e| e.cidr()).map(str::to_string)),
            Err(error) => return Fact::Failed(call_failure(Operation::GetManagedPrefixListEntries.iam(), id, &error)),
        }
    }
    Fact::Known(cidrs)
}

fn subnet(s: &aws_sdk_ec2::types::Subnet) -> Subnet {
    Subnet {
        id: s.subnet_id().unwrap_or_default().to_string(),
        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
        cidr: s.cidr_block().unwrap_or_default().to_string(),
        ipv6_cidrs: s
            .ipv6_cidr_block_association_set()
            .iter()
            .filter_map(|a| a.ipv6_cidr_block())
            .map(str::to_string)
            .collect(),
        availability_zone: s.availability_zone().map(str::to_string),
    }
}

fn route_table(t: &aws_sdk_ec2::types::RouteTable) -> RouteTable {
    RouteTable {
        id: t.route_table_id().unwrap_or_default().to_string(),
        main: t.associations().iter().any(|a| a.main().unwrap_or(false)),
        subnet_ids: t
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id())
            .map(str::to_string)
            .collect(),
        routes: t
            .routes()
            .iter()
            .map(|r| Route {
                destination: r
                    .destination_cidr_block()
                    .or(r.destination_prefix_list_id())
                    .or(r.destination_ipv6_cidr_block())
                    .unwrap_or_default()
                    .to_string(),
                target: r
                    .nat_gateway_id()
                    .or(r.gateway_id())
                    .or(r.egress_only_internet_gateway_id())
                    .or(r.transit_gateway_id())
                    .or(r.network_interface_id())
                    .or(r.vpc_peering_connection_id())
                    .or(r.instance_id())
                    .unwrap_or_default()
                    .to_string(),
                state: r.state().map(|s| {
                    if *s == RouteState::Blackhole {
                        "blackhole"
                    } else {
                        s.as_str()
                    }
                    .to_string()
                }),
            })
            .collect(),
    }
}

fn nat_gateway(n: &aws_sdk_ec2::types::NatGateway) -> NatGateway {
    NatGateway {
        id: n.nat_gateway_id().unwrap_or_default().to_string(),
        state: n.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        subnet_id: n.subnet_id().map(str::to_string),
    }
}

fn endpoint(e: &aws_sdk_ec2::types::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: e.vpc_endpoint_id().unwrap_or_default().to_string(),
        service_name: e.service_name().unwrap_or_default().to_string(),
        kind: match e.vpc_endpoint_type() {
            Some(VpcEndpointType::Interface) => EndpointKind::Interface,
            Some(VpcEndpointType::Gateway) => EndpointKind::Gateway,
            _ => EndpointKind::Other,
        },
        state: e.state().map(|s| s.as_str().to_ascii_lowercase()),
        subnet_ids: e.subnet_ids().to_vec(),
        route_table_ids: e.route_table_ids().to_vec(),
        security_group_ids: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id())
            .map(str::to_string)
            .collect(),
        private_dns: e.private_dns_enabled().unwrap_or(false),
        policy: e.policy_document().map(str::to_string),
    }
}

fn rules(permissions: &[aws_sdk_ec2::types::IpPermission]) -> Vec<SecurityGroupRule> {
    permissions
        .iter()
        .map(|p| SecurityGroupRule {
            protocol: p.ip_protocol().unwrap_or("-1").to_string(),
            from_port: p.from_port(),
            to_port: p.to_port(),
            cidrs: p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .chain(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()))
                .map(str::to_string)
                .collect(),
            security_groups: p
                .user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .map(str::to_string)
                .collect(),
            prefix_lists: p
                .prefix_list_ids()
                .iter()
                .filter_map(|l| l.prefix_list_id())
                .map(str::to_string)
                .collect(),
        })
        .collect()
}

fn security_group(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        id: g.group_id().unwrap_or_default().to_string(),
        name: g.group_name().unwrap_or_default().to_string(),
        ingress: rules(g.ip_permissions()),
        egress: rules(g.ip_permissions_egress()),
    }
}

fn network_acl(a: &aws_sdk_ec2::types::NetworkAcl) -> NetworkAcl {
    NetworkAcl {
        id: a.network_acl_id().unwrap_or_default().to_string(),
        default: a.is_default().unwrap_or(false),
        subnet_ids: a
            .associations()
            .iter()
            .filter_map(|x| x.subnet_id())
            .map(str::to_string)
            .collect(),
        entries: a
            .entries()
            .iter()
            .map(|e| AclEntry {
                rule_number: e.rule_number().unwrap_or(32767),
                egress: e.egress().unwrap_or(false),
                protocol: e.protocol().unwrap_or("-1").to_string(),
                allow: e.rule_action() == Some(&RuleAction::Allow),
                cidr: e.cidr_block().or(e.ipv6_cidr_block()).map(str::to_string),
                from_port: e.port_range().and_then(|p| p.from()),
                to_port: e.port_range().and_then(|p| p.to()),
            })
            .collect(),
    }
}
