//! The network path from the task to everything it needs: routes, gateways, endpoints, DNS,
//! endpoint policies, security groups and network ACLs.
//!
//! For each need the check first decides which way the traffic goes (an interface endpoint with
//! private DNS, the S3 gateway endpoint on the subnet's route table, or the internet), then whether
//! anything on that way blocks it. A way that works produces no error.

pub mod firewall;
mod needs;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

pub use firewall::IpNet;
pub use needs::{Need, Service, needs};

use self::firewall::{Passage, Peer, acl_blocks, egress, ingress, rules_json};
use super::policy::{Context, Decision, Policy, Principal, Request};
use super::{Code, Detail, Finding, NetworkDetail, NetworkRepair, Opening, Outcome, Severity, could_not_check};
use crate::facts::requirements::required_permissions;
use crate::facts::{
    CallFailure, EndpointKind, Fact, NatGateway, NetworkAcl, Route, RouteTable, SecurityGroup, Snapshot, VpcEndpoint,
    VpcFacts,
};

use crate::model::names::endpoint_service;
pub use crate::model::names::layer_bucket_objects;

/// The ports a Linux task's connections come back to.
/// The ports the task's side of a connection uses, where replies come back to.
pub const EPHEMERAL_PORTS: (i32, i32) = (32768, 60999);
const HTTPS: i32 = 443;
/// Stand-ins for "somewhere on the internet": addresses in AWS's public ranges.
const INTERNET_V4: Ipv4Addr = Ipv4Addr::new(52, 94, 0, 4);
const INTERNET_V6: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 0, 0, 0, 0, 4);
/// States in which an endpoint carries no traffic.
const DEAD_ENDPOINT_STATES: [&str; 5] = ["deleted", "deleting", "rejected", "failed", "expired"];

/// The way out to the internet from the task's subnet.
#[derive(Debug)]
enum Internet<'a> {
    Nat(&'a NatGateway),
    /// An internet gateway, and the task has (or may have) a public IP.
    Gateway(&'a Route),
    /// An IPv6-only subnet's `::/0` route to an internet or egress-only internet gateway.
    Ipv6(&'a Route),
    /// A transit gateway, firewall or peering: not followed further.
    Elsewhere(&'a Route),
    NatDown {
        route: &'a Route,
        nat: Option<&'a NatGateway>,
    },
    NoPublicIp(&'a Route),
    None,
    /// Whether the way out works is not known: a fact it depends on could not be read.
    Unknown(&'a CallFailure),
}

impl Internet<'_> {
    fn is_open(&self) -> bool {
        matches!(
            self,
            Internet::Nat(_) | Internet::Gateway(_) | Internet::Ipv6(_) | Internet::Elsewhere(_)
        )
    }
}

/// How the traffic for one need goes.
#[derive(Debug, Clone, Copy)]
enum Via<'a> {
    Endpoint(&'a VpcEndpoint),
    S3Gateway(&'a VpcEndpoint),
    Internet,
    Nowhere,
    /// A fact that decides the way could not be read: nothing on it is judged, and no pass is given.
    Unknown,
}

struct Network<'a> {
    snapshot: &'a Snapshot,
    vpc: &'a VpcFacts,
    subnet_id: &'a str,
    region: &'a str,
    table: &'a RouteTable,
    /// `None`: the endpoints could not be read.
    endpoints: Option<&'a [VpcEndpoint]>,
    internet: Internet<'a>,
    /// The task's subnet has no IPv4 range, so the task's traffic is IPv6. A dual-stack task still
    /// reaches ECR, S3 and the other services' default names over IPv4.
    ipv6_only: bool,
}

/// The network ACL of a subnet: the one associated with it, else the VPC's default.
pub fn acl_of<'b>(acls: &'b [NetworkAcl], subnet_id: &str) -> Option<&'b NetworkAcl> {
    acls.iter()
        .find(|a| a.subnet_ids.iter().any(|s| s == subnet_id))
        .or_else(|| acls.iter().find(|a| a.default))
}

/// The route table a subnet uses: the one associated with it, else the VPC's main table.
pub fn route_table_of<'t>(tables: &'t [RouteTable], subnet_id: &str) -> Option<&'t RouteTable> {
    tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id))
        .or_else(|| tables.iter().find(|t| t.main))
}

/// The range of `subnet_id` in one address family (IPv6: its first IPv6 block).
pub fn subnet_net(vpc: &VpcFacts, subnet_id: &str, ipv6: bool) -> Option<IpNet> {
    let subnet = vpc.subnets.known()?.iter().find(|s| s.id == subnet_id)?;
    if ipv6 {
        subnet.ipv6_cidrs.iter().find_map(|c| IpNet::parse(c))
    } else {
        IpNet::parse(&subnet.cidr)
    }
}

/// The task's address in one family: its network interface's, else one standing for its subnet's
/// range (the interface is gone once Fargate stops the task; a rule that admits the range admits it).
pub fn task_address(task: &crate::facts::TaskFacts, vpc: &VpcFacts, ipv6: bool) -> Option<IpAddr> {
    let eni = task.eni.as_ref()?;
    let own = eni
        .private_ip
        .as_deref()
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .filter(|ip| ip.is_ipv6() == ipv6);
    own.or_else(|| subnet_net(vpc, eni.subnet_id.as_deref()?, ipv6).map(IpNet::representative))
}

/// The CIDRs of a prefix list a security group rule names, as far as they were read.
pub fn prefix_list_cidrs<'a>(vpc: &'a VpcFacts, id: &str) -> Option<&'a [String]> {
    if let Some(s3) = vpc
        .s3_prefix_list
        .known()
        .and_then(Option::as_ref)
        .filter(|l| l.id == id)
    {
        return Some(&s3.cidrs);
    }
    vpc.referenced_prefix_lists
        .iter()
        .find(|l| l.id == id)?
        .cidrs
        .known()
        .map(Vec::as_slice)
}

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut out = Outcome::default();
    let Some(vpc) = &snapshot.vpc else { return out };
    let vpc = match vpc {
        Fact::Known(vpc) => vpc,
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                "the network path: the task's subnet and VPC".into(),
            ));
            return out;
        }
    };
    let Some(subnet_id) = snapshot.task.eni.as_ref().and_then(|e| e.subnet_id.as_deref()) else {
        return out;
    };
    let needs = needs(snapshot);
    if needs.is_empty() {
        return out;
    }
    let tables = match &vpc.route_tables {
        Fact::Known(tables) => tables,
        Fact::Failed(failure) => {
            out.finding(could_not_check(failure, format!("the routes of subnet {subnet_id}")));
            return out;
        }
    };
    let Some(table) = route_table_of(tables, subnet_id) else {
        return out;
    };
    let endpoints = match &vpc.endpoints {
        Fact::Known(endpoints) => Some(endpoints.as_slice()),
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!(
                    "the VPC endpoints of {}, so which way each service's traffic goes",
                    vpc.vpc_id
                ),
            ));
            None
        }
    };
    for (fact, what) in [
        (
            vpc.subnets.failure(),
            "the address ranges of the VPC's subnets, where the endpoints' interfaces are",
        ),
        (
            vpc.s3_prefix_list.failure(),
            "the addresses of S3 (the region's prefix list), which firewall rules must let through",
        ),
    ] {
        if let Some(failure) = fact {
            out.finding(could_not_check(failure, what.to_string()));
        }
    }
    let public_ip = match &snapshot.network {
        Some(Fact::Failed(failure)) => Err(failure),
        Some(Fact::Known(network)) => Ok(network.assign_public_ip),
        None => Ok(None),
    };
    let ipv6_only = vpc
        .subnets
        .known()
        .and_then(|subnets| subnets.iter().find(|s| s.id == subnet_id))
        .is_some_and(|s| s.cidr.is_empty() && !s.ipv6_cidrs.is_empty());
    let internet = internet_path(table, &vpc.nat_gateways, public_ip, ipv6_only);
    if let (Internet::Unknown(failure), Fact::Failed(_)) = (&internet, &vpc.nat_gateways) {
        out.finding(could_not_check(
            failure,
            "the state of the NAT gateway the subnet routes to".into(),
        ));
    }
    let net = Network {
        snapshot,
        vpc,
        subnet_id,
        region: &snapshot.task.region,
        table,
        endpoints,
        internet,
        ipv6_only,
    };

    let ways: Vec<(&Need, Via)> = needs.iter().map(|need| (need, net.way(need.service))).collect();
    net.check_path(&ways, &mut out);
    net.check_dns(&ways, &mut out);
    net.check_endpoints(&ways, &mut out);
    net.check_security_groups(&ways, &mut out);
    net.check_network_acl(&ways, &mut out);
    out
}

/// The way out of `table`'s subnets. `public_ip` is the task's setting, or the failure that hid it.
fn internet_path<'a>(
    table: &'a RouteTable,
    nats: &'a Fact<Vec<NatGateway>>,
    public_ip: Result<Option<bool>, &'a CallFailure>,
    ipv6_only: bool,
) -> Internet<'a> {
    if ipv6_only {
        // IPv6 addresses are public: a route to an internet gateway, or an egress-only one, is enough.
        return match table.routes.iter().find(|r| r.destination == "::/0") {
            Some(route)
                if route.state.as_deref() != Some("blackhole")
                    && (route.target.starts_with("igw-") || route.target.starts_with("eigw-")) =>
            {
                Internet::Ipv6(route)
            }
            Some(route) if route.state.as_deref() != Some("blackhole") => Internet::Elsewhere(route),
            _ => Internet::None,
        };
    }
    let Some(route) = table.routes.iter().find(|r| r.destination == "0.0.0.0/0") else {
        return Internet::None;
    };
    let blackhole = route.state.as_deref() == Some("blackhole");
    if route.target.starts_with("nat-") && !blackhole {
        return match nats {
            Fact::Failed(failure) => Internet::Unknown(failure),
            Fact::Known(nats) => match nats.iter().find(|n| n.id == route.target) {
                Some(nat) if nat.state == "available" => Internet::Nat(nat),
                nat => Internet::NatDown { route, nat },
            },
        };
    }
    if blackhole {
        return Internet::NatDown {
            route,
            nat: nats.known().and_then(|nats| nats.iter().find(|n| n.id == route.target)),
        };
    }
    if route.target.starts_with("igw-") {
        return match public_ip {
            Err(failure) => Internet::Unknown(failure),
            Ok(Some(false)) => Internet::NoPublicIp(route),
            // A public IP, or a service configuration that does not say.
            Ok(_) => Internet::Gateway(route),
        };
    }
    Internet::Elsewhere(route)
}

fn route_json(table: &RouteTable) -> Value {
    json!({
        "routeTableId": table.id,
        "main": table.main,
        "routes": table.routes.iter().map(|r| json!({"destination": r.destination, "target": r.target, "state": r.state})).collect::<Vec<_>>(),
    })
}

/// A network finding's detail: the services it cuts off, and the repair a fix would make.
fn cut_off(services: impl IntoIterator<Item = Service>, repair: Option<NetworkRepair>) -> Detail {
    Detail::Network(NetworkDetail {
        services: services.into_iter().collect(),
        repair,
    })
}

/// Appends what `list` does not hold yet, keeping its order.
fn add_unique<T: PartialEq + Clone>(list: &mut Vec<T>, items: &[T]) {
    for item in items {
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
}

fn services_of(needs: &[&Need]) -> Vec<Service> {
    needs.iter().map(|n| n.service).collect()
}

fn names(needs: &[&Need]) -> Vec<&'static str> {
    needs.iter().map(|n| n.service.name()).collect()
}

fn why(needs: &[&Need]) -> Value {
    needs
        .iter()
        .map(|n| (n.service.name().to_string(), json!(n.why)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

impl<'a> Network<'a> {
    fn endpoint(&self, service: Service) -> Option<&'a VpcEndpoint> {
        let name = endpoint_service(self.region, service.name());
        let kind = if service == Service::S3 {
            EndpointKind::Gateway
        } else {
            EndpointKind::Interface
        };
        self.endpoints?.iter().find(|e| {
            e.service_name == name
                && e.kind == kind
                && !e.state.as_deref().is_some_and(|s| DEAD_ENDPOINT_STATES.contains(&s))
        })
    }

    /// Whether the VPC resolves endpoints' private names; `None` when that could not be read.
    fn dns_on(&self) -> Option<bool> {
        match (self.vpc.dns_support.known(), self.vpc.dns_hostnames.known()) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }

    /// Which way the traffic for `service` goes.
    fn way(&self, service: Service) -> Via<'a> {
        if service != Service::Internet && self.endpoints.is_none() {
            return Via::Unknown;
        }
        match service {
            Service::Internet => {}
            Service::S3 => {
                if let Some(gateway) = self
                    .endpoint(Service::S3)
                    .filter(|e| e.route_table_ids.contains(&self.table.id))
                {
                    return Via::S3Gateway(gateway);
                }
            }
            _ => {
                // With private DNS the service's own name resolves to the endpoint, NAT or not.
                if let Some(endpoint) = self.endpoint(service).filter(|e| e.private_dns) {
                    match self.dns_on() {
                        Some(true) => return Via::Endpoint(endpoint),
                        None => return Via::Unknown,
                        Some(false) => {}
                    }
                }
            }
        }
        match self.internet {
            Internet::Unknown(_) => Via::Unknown,
            ref internet if internet.is_open() => Via::Internet,
            _ => Via::Nowhere,
        }
    }

    /// The way out of the subnet: to the internet, else through endpoints. `stranded`: the needs
    /// with no way at all.
    fn check_path(&self, ways: &[(&Need, Via)], out: &mut Outcome) {
        let stranded: Vec<&Need> = ways
            .iter()
            .filter(|(_, via)| matches!(via, Via::Nowhere))
            .map(|(n, _)| *n)
            .collect();
        self.check_internet_path(&stranded, out);
        self.check_missing_endpoints(ways, &stranded, out);
    }

    fn check_internet_path(&self, stranded: &[&Need], out: &mut Outcome) {
        // A gateway that is down is the cause only for a need it strands; with no need known to be
        // stranded it is a risk, not this failure's cause.
        let severity = if stranded.is_empty() {
            Severity::Warning
        } else {
            Severity::Error
        };
        let evidence = |extra: Value| {
            let mut evidence = json!({
                "subnetId": self.subnet_id,
                "routeTable": route_json(self.table),
                "services": names(stranded),
                "needs": why(stranded),
            });
            if let (Value::Object(map), Value::Object(more)) = (&mut evidence, extra) {
                map.extend(more);
            }
            evidence
        };
        match &self.internet {
            Internet::Nat(nat) => out.pass("internet-path", &self.table.id, format!("subnet {} routes to the internet through NAT gateway {}", self.subnet_id, nat.id)),
            Internet::Gateway(route) => out.pass("internet-path", &self.table.id, format!("subnet {} routes to internet gateway {} and the task has a public IP", self.subnet_id, route.target)),
            Internet::Ipv6(route) => out.pass("internet-path", &self.table.id, format!("IPv6-only subnet {} routes ::/0 to {}", self.subnet_id, route.target)),
            Internet::Elsewhere(route) => out.pass("internet-path", &self.table.id, format!("subnet {} sends internet traffic to {} (not followed further)", self.subnet_id, route.target)),
            Internet::NatDown { route, nat } => {
                let state = nat.map_or_else(|| route.state.clone().unwrap_or_else(|| "unknown".into()), |n| n.state.clone());
                out.finding(
                    Finding::new(
                        Code::NatGatewayUnavailable,
                        severity,
                        &route.target,
                        format!("Subnet {}'s default route goes to {}, which is {state}.", self.subnet_id, route.target),
                    )
                    .evidence(evidence(json!({"natGateway": route.target, "state": state, "routeState": route.state})))
                    .remedy(format!(
                        "Point route table {}'s 0.0.0.0/0 route at an available NAT gateway in a public subnet, or add VPC endpoints for what the task needs.",
                        self.table.id
                    ))
                    .detail(cut_off(services_of(stranded), None)),
                );
            }
            Internet::NoPublicIp(route) => out.finding(
                Finding::new(
                    Code::PublicIpNotAssigned,
                    severity,
                    self.snapshot.task.service_name().map_or_else(|| self.snapshot.task.arn.clone(), str::to_string),
                    format!("Subnet {} routes to internet gateway {}, but the task has no public IP.", self.subnet_id, route.target),
                )
                .evidence(evidence(json!({"internetGateway": route.target, "assignPublicIp": false})))
                .remedy("Turn on assignPublicIp in the service's network configuration (awsvpcConfiguration), or run the task in a private subnet with a NAT gateway.")
                .detail(cut_off(services_of(stranded), None)),
            ),
            Internet::Unknown(_) => {} // CHECK_FAILED says what could not be read
            Internet::None => {
                let public = stranded.iter().any(|n| n.service == Service::Internet);
                if public || self.endpoints.is_some_and(<[VpcEndpoint]>::is_empty) {
                    out.finding(
                        Finding::new(
                            Code::NoInternetRoute,
                            Severity::Error,
                            self.subnet_id,
                            if public {
                                format!("Subnet {} has no route to the internet, and the task needs something no VPC endpoint serves.", self.subnet_id)
                            } else {
                                format!("Subnet {} has no route to the internet and its VPC has no endpoints.", self.subnet_id)
                            },
                        )
                        .evidence(evidence(json!({"vpcEndpoints": self.endpoints.map_or(0, <[VpcEndpoint]>::len)})))
                        .remedy(if public {
                            format!("Add a 0.0.0.0/0 route through a NAT gateway to route table {}; or copy the image into ECR in this region (an ECR pull-through cache does that), then add the ECR endpoints.", self.table.id)
                        } else {
                            format!("Add a 0.0.0.0/0 route through a NAT gateway to route table {}, or create the endpoints the task needs: {}.", self.table.id, names(stranded).join(", "))
                        })
                        .detail(cut_off(services_of(stranded), None)),
                    );
                }
            }
        }
    }

    /// No way out, and the task relies on endpoints: name the ones it lacks.
    fn check_missing_endpoints(&self, ways: &[(&Need, Via)], stranded: &[&Need], out: &mut Outcome) {
        let Some(endpoints) = self
            .endpoints
            .filter(|e| !e.is_empty() && matches!(self.internet, Internet::None))
        else {
            return;
        };
        let mut missing = Vec::new();
        for need in stranded.iter().filter(|n| n.service != Service::Internet) {
            match (need.service, self.endpoint(need.service)) {
                (Service::S3, Some(gateway)) => out.finding(
                    Finding::new(
                        Code::S3GatewayRouteMissing,
                        Severity::Error,
                        &gateway.id,
                        format!("S3 gateway endpoint {} is not on route table {} of subnet {}, so image layers cannot be fetched.", gateway.id, self.table.id, self.subnet_id),
                    )
                    .evidence(json!({"vpcEndpointId": gateway.id, "endpointRouteTables": gateway.route_table_ids, "routeTable": route_json(self.table), "services": ["s3"], "needs": why(&[need])}))
                    .remedy(format!("Add route table {} to S3 gateway endpoint {} (ModifyVpcEndpoint AddRouteTableIds).", self.table.id, gateway.id))
                    .detail(cut_off([Service::S3], Some(NetworkRepair::RouteToS3Gateway { endpoint: gateway.id.clone(), route_table: self.table.id.clone() }))),
                ),
                (_, Some(endpoint)) if !endpoint.private_dns || self.dns_on() != Some(true) => {} // reported by the DNS checks
                _ => missing.push(*need),
            }
        }
        if !missing.is_empty() {
            out.finding(
                Finding::new(
                    Code::VpcEndpointMissing,
                    Severity::Error,
                    &self.vpc.vpc_id,
                    format!("Subnet {} has no route to the internet, and VPC {} has no endpoint for {}.", self.subnet_id, self.vpc.vpc_id, names(&missing).join(", ")),
                )
                .evidence(json!({
                    "services": names(&missing),
                    "needs": why(&missing),
                    "existingEndpoints": endpoints.iter().map(|e| json!({"id": e.id, "service": e.short_service(self.region), "type": format!("{:?}", e.kind)})).collect::<Vec<_>>(),
                    "routeTable": route_json(self.table),
                }))
                .remedy(format!(
                    "Create {} in VPC {} (interface endpoints in the task's subnets with private DNS on; S3 as a gateway endpoint on route table {}), or route 0.0.0.0/0 through a NAT gateway.",
                    missing.iter().map(|n| endpoint_service(self.region, n.service.name())).collect::<Vec<_>>().join(", "),
                    self.vpc.vpc_id,
                    self.table.id
                ))
                .detail(cut_off(services_of(&missing), Some(NetworkRepair::CreateEndpoints { route_table: self.table.id.clone() }))),
            );
        } else if stranded.is_empty()
            && self.snapshot.task_definition.known().is_some()
            && !ways.iter().any(|(_, via)| matches!(via, Via::Unknown))
        {
            out.pass(
                "vpc-endpoints",
                &self.vpc.vpc_id,
                "every AWS service the task needs has a VPC endpoint",
            );
        }
    }

    fn check_dns(&self, ways: &[(&Need, Via)], out: &mut Outcome) {
        for (fact, what) in [
            (&self.vpc.dns_support, "enableDnsSupport"),
            (&self.vpc.dns_hostnames, "enableDnsHostnames"),
        ] {
            if let Fact::Failed(failure) = fact {
                out.finding(could_not_check(failure, format!("the VPC's {what}")));
            }
        }
        let support = self.vpc.dns_support.known().copied();
        let hostnames = self.vpc.dns_hostnames.known().copied();
        // Interface endpoints with private DNS that the task would use if DNS were on.
        let wanted: Vec<(Service, &VpcEndpoint)> = ways
            .iter()
            .filter(|(need, via)| matches!(via, Via::Nowhere) && need.service != Service::S3)
            .filter_map(|(need, _)| Some((need.service, self.endpoint(need.service)?)))
            .filter(|(_, e)| e.private_dns)
            .collect();
        // An EFS volume is mounted by its DNS name, which needs both attributes.
        let efs = !self.snapshot.efs.is_empty();
        let broken = support == Some(false) || (hostnames == Some(false) && (!wanted.is_empty() || efs));
        if broken {
            let mut services: Vec<Service> = wanted.iter().map(|(service, _)| *service).collect();
            if efs {
                services.push(Service::Efs);
            }
            out.finding(
                Finding::new(
                    Code::VpcDnsDisabled,
                    Severity::Error,
                    &self.vpc.vpc_id,
                    format!(
                        "VPC {} has {} off, so {}.",
                        self.vpc.vpc_id,
                        [(support, "enableDnsSupport"), (hostnames, "enableDnsHostnames")].iter().filter(|(v, _)| *v == Some(false)).map(|(_, n)| *n).collect::<Vec<_>>().join(" and "),
                        match (support, wanted.is_empty()) {
                            (Some(false), _) => "the Amazon DNS server does not answer and no AWS name resolves",
                            (_, true) => "the EFS file system's DNS name does not resolve",
                            (_, false) => "the endpoints' private DNS names do not resolve",
                        }
                    ),
                )
                .evidence(json!({"vpcId": self.vpc.vpc_id, "enableDnsSupport": support, "enableDnsHostnames": hostnames, "services": services}))
                .remedy(format!("Turn on enableDnsSupport and enableDnsHostnames for VPC {} (ModifyVpcAttribute).", self.vpc.vpc_id))
                .detail(cut_off(services.clone(), None)),
            );
        } else if support == Some(true) && hostnames == Some(true) {
            out.pass("vpc-dns", &self.vpc.vpc_id, "VPC DNS support and hostnames are on");
        }
    }

    fn check_endpoints(&self, ways: &[(&Need, Via)], out: &mut Outcome) {
        for (need, via) in ways {
            // Private DNS off: the endpoint exists but the service's name does not lead to it.
            if let (Via::Nowhere, Some(endpoint)) = (via, self.endpoint(need.service)) {
                if need.service != Service::S3 && !endpoint.private_dns {
                    out.finding(
                        Finding::new(
                            Code::VpcEndpointPrivateDnsDisabled,
                            Severity::Error,
                            &endpoint.id,
                            format!("Endpoint {} for {} has private DNS off, so the task's calls to {} do not reach it.", endpoint.id, need.service.name(), need.service.name()),
                        )
                        .evidence(json!({"vpcEndpointId": endpoint.id, "serviceName": endpoint.service_name, "privateDnsEnabled": false, "services": [need.service.name()], "needs": why(&[need])}))
                        .remedy(format!("Turn on private DNS for endpoint {} (ModifyVpcEndpoint PrivateDnsEnabled).", endpoint.id))
                        .detail(cut_off([need.service], None)),
                    );
                }
            }
            match via {
                Via::Endpoint(endpoint) => {
                    self.check_endpoint_policy(need, endpoint, out);
                    self.check_endpoint_ingress(need, endpoint, out);
                }
                Via::S3Gateway(gateway) => self.check_layer_policy(gateway, out),
                Via::Internet | Via::Nowhere | Via::Unknown => {}
            }
        }
    }

    /// The execution role is who calls ECR, Secrets Manager, SSM and Logs for the task.
    fn execution_role(&self) -> Option<&'a str> {
        self.snapshot
            .task_definition
            .known()
            .and_then(|d| d.execution_role_arn.as_deref())
    }

    /// The requests the execution role makes through `service`'s endpoint.
    fn requests(&self, service: Service) -> Vec<(&'static str, String)> {
        let Some(definition) = self.snapshot.task_definition.known() else {
            return if service == Service::EcrApi {
                vec![("ecr:GetAuthorizationToken", "*".into())]
            } else {
                vec![]
            };
        };
        let in_region = |resource: &str| {
            resource
                .split(':')
                .nth(3)
                .is_none_or(|r| r.is_empty() || r == self.region)
        };
        required_permissions(&self.snapshot.task, definition)
            .into_iter()
            .filter(|p| {
                let through = match p.action.split_once(':').map(|(prefix, _)| prefix) {
                    Some("ecr") if p.action == "ecr:GetAuthorizationToken" => Service::EcrApi,
                    Some("ecr") => Service::EcrDkr,
                    Some("logs") => Service::Logs,
                    Some("secretsmanager") => Service::SecretsManager,
                    Some("ssm") => Service::Ssm,
                    _ => return false,
                };
                through == service && (p.resource == "*" || in_region(&p.resource))
            })
            .map(|p| (p.action, p.resource))
            .collect()
    }

    fn check_endpoint_policy(&self, need: &Need, endpoint: &VpcEndpoint, out: &mut Outcome) {
        let Some(text) = endpoint.policy.as_deref() else { return };
        let policy = match Policy::parse(text) {
            Ok(policy) => policy,
            Err(error) => {
                out.finding(super::unreadable_policy(
                    &endpoint.id,
                    &format!("the policy of endpoint {}", endpoint.id),
                    &error,
                    text,
                ));
                return;
            }
        };
        let principal = self.execution_role().map_or_else(Principal::unnamed, Principal::aws);
        let mut context = Context::partial()
            .with("aws:SourceVpc", &self.vpc.vpc_id)
            .with("aws:SourceVpce", &endpoint.id)
            .with("aws:PrincipalAccount", &self.snapshot.task.account);
        if let Some(role) = self.execution_role() {
            context = context.with("aws:PrincipalArn", role);
        }
        for (action, resource) in self.requests(need.service) {
            let decision = policy.evaluate(&Request {
                principal: Some(&principal),
                action,
                resource: &resource,
                context: &context,
            });
            let (severity, verb, statements) = match decision {
                Decision::Allowed { .. } => continue,
                Decision::ExplicitlyDenied { statement } => (Severity::Error, "denies", vec![statement]),
                Decision::ImplicitlyDenied => (Severity::Error, "does not allow", vec![]),
                Decision::Undecided { statements, .. } => (
                    Severity::Warning,
                    "may deny, depending on conditions the doctor cannot see,",
                    statements,
                ),
            };
            out.finding(
                Finding::new(
                    Code::VpcEndpointPolicyDenies,
                    severity,
                    &endpoint.id,
                    format!("The policy of endpoint {} ({}) {verb} {action} on {resource}.", endpoint.id, need.service.name()),
                )
                .evidence(json!({"vpcEndpointId": endpoint.id, "action": action, "resource": resource, "principal": self.execution_role(), "statements": statements, "services": [need.service.name()]}))
                .remedy(format!("Allow {action} on {resource} for the execution role in endpoint {}'s policy, or remove the statement that denies it.", endpoint.id))
                .detail(cut_off([need.service], None)),
            );
            return;
        }
    }

    fn check_layer_policy(&self, gateway: &VpcEndpoint, out: &mut Outcome) {
        let Some(text) = gateway.policy.as_deref() else { return };
        let bucket = layer_bucket_objects(self.region);
        let object = bucket.replace('*', "layer");
        let decision = match Policy::parse(text) {
            // ECR hands the task a presigned URL: the request is allowed only by a grant any principal can use.
            Ok(policy) => policy.evaluate(&Request {
                principal: Some(&Principal::unnamed()),
                action: "s3:GetObject",
                resource: &object,
                context: &Context::partial(),
            }),
            Err(error) => {
                out.finding(super::unreadable_policy(
                    &gateway.id,
                    &format!("the policy of S3 endpoint {}", gateway.id),
                    &error,
                    text,
                ));
                return;
            }
        };
        let (severity, statements) = match decision {
            Decision::Allowed { .. } => {
                out.pass(
                    "s3-endpoint-policy",
                    &gateway.id,
                    format!("S3 endpoint {} allows the ECR layer bucket", gateway.id),
                );
                return;
            }
            Decision::ExplicitlyDenied { statement } => (Severity::Error, vec![statement]),
            Decision::ImplicitlyDenied => (Severity::Error, vec![]),
            Decision::Undecided { statements, .. } => (Severity::Warning, statements),
        };
        out.finding(
            Finding::new(
                Code::S3EndpointPolicyBlocksLayers,
                severity,
                &gateway.id,
                format!("The policy of S3 gateway endpoint {} does not allow s3:GetObject on {bucket}, where ECR keeps image layers.", gateway.id),
            )
            .evidence(json!({"vpcEndpointId": gateway.id, "action": "s3:GetObject", "resource": bucket, "statements": statements, "policy": serde_json::from_str::<Value>(text).unwrap_or(Value::Null), "services": ["s3"]}))
            .remedy(format!(
                "Add this statement to endpoint {}'s policy: {{\"Sid\": \"AllowEcrLayers\", \"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"{bucket}\"}}.",
                gateway.id
            ))
            .detail(cut_off([Service::S3], Some(NetworkRepair::LayersInS3Policy { endpoint: gateway.id.clone() }))),
        );
    }

    fn task_groups(&self) -> Option<Vec<&'a SecurityGroup>> {
        let ids = &self.snapshot.network.as_ref()?.known()?.security_groups;
        let groups = self.vpc.security_groups.known()?;
        Some(groups.iter().filter(|g| ids.contains(&g.id)).collect())
    }

    /// The CIDRs of a prefix list a rule names; `None` when they could not be read.
    fn list_cidrs(&self, id: &str) -> Option<&'a [String]> {
        prefix_list_cidrs(self.vpc, id)
    }

    fn task_ip(&self) -> Option<IpAddr> {
        task_address(&self.snapshot.task, self.vpc, self.ipv6_only)
    }

    /// The range of `subnet_id` in the task's address family.
    fn subnet_net(&self, subnet_id: &str) -> Option<IpNet> {
        subnet_net(self.vpc, subnet_id, self.ipv6_only)
    }

    fn check_endpoint_ingress(&self, need: &Need, endpoint: &VpcEndpoint, out: &mut Outcome) {
        // Without the task's own groups (service or ENI unreadable) nothing can be said of what admits it.
        let (Some(groups), Some(task_ip), Some(Fact::Known(network))) =
            (self.vpc.security_groups.known(), self.task_ip(), &self.snapshot.network)
        else {
            return;
        };
        let task_groups = network.security_groups.clone();
        let endpoint_groups: Vec<&SecurityGroup> = groups
            .iter()
            .filter(|g| endpoint.security_group_ids.contains(&g.id))
            .collect();
        let task = Peer {
            ip: task_ip,
            security_groups: task_groups,
            prefix_list: None,
            subnet: Some(self.subnet_id.to_string()),
            label: "the task".into(),
        };
        if ingress(&endpoint_groups, HTTPS, &task, &|id| self.list_cidrs(id)) != Passage::Blocked {
            return;
        }
        out.finding(
            Finding::new(
                Code::EndpointSecurityGroupBlocksIngress,
                Severity::Error,
                &endpoint.id,
                format!("The security groups of endpoint {} ({}) do not let the task in on TCP 443.", endpoint.id, need.service.name()),
            )
            .evidence(json!({"vpcEndpointId": endpoint.id, "endpointSecurityGroups": endpoint.security_group_ids, "ingressRules": rules_json(&endpoint_groups, false), "taskAddress": task.ip.to_string(), "taskSecurityGroups": task.security_groups, "services": [need.service.name()]}))
            .remedy(format!(
                "Allow TCP 443 in to {} from the task's security group{} (AuthorizeSecurityGroupIngress).",
                endpoint.security_group_ids.first().map_or("the endpoint's security group", String::as_str),
                task.security_groups.first().map(|g| format!(" {g}")).unwrap_or_default()
            ))
            .detail(cut_off([need.service], None)),
        );
    }

    /// Where packets for `service` going `via` land, as firewalls see them: one peer per address
    /// range (an endpoint has a network interface in each of its subnets), after whether those are
    /// all of them (a range that could not be read leaves them partial).
    fn peers_of(&self, service: Service, via: Via<'a>) -> (bool, Vec<Peer>) {
        let s3 = self.vpc.s3_prefix_list.known().and_then(Option::as_ref);
        let s3_peer = || -> Option<Peer> {
            let list = s3?;
            let ip = list
                .cidrs
                .iter()
                .filter_map(|c| IpNet::parse(c))
                .find(|n| n.address.is_ipv6() == self.ipv6_only)?
                .representative();
            Some(Peer {
                ip,
                security_groups: vec![],
                prefix_list: Some(list.id.clone()),
                subnet: None,
                label: format!("S3 ({})", list.id),
            })
        };
        let whole = |peer: Option<Peer>| (peer.is_some(), peer.into_iter().collect::<Vec<_>>());
        match via {
            Via::Endpoint(endpoint) => {
                let peers: Vec<Peer> = endpoint
                    .subnet_ids
                    .iter()
                    .filter_map(|subnet| {
                        let ip = self.subnet_net(subnet)?.representative();
                        let label = if endpoint.subnet_ids.len() > 1 {
                            format!("endpoint {} in {subnet}", endpoint.id)
                        } else {
                            format!("endpoint {}", endpoint.id)
                        };
                        Some(Peer {
                            ip,
                            security_groups: endpoint.security_group_ids.clone(),
                            prefix_list: None,
                            subnet: Some(subnet.clone()),
                            label,
                        })
                    })
                    .collect();
                (peers.len() == endpoint.subnet_ids.len() && !peers.is_empty(), peers)
            }
            Via::S3Gateway(_) => whole(s3_peer()),
            Via::Internet if service == Service::S3 => whole(s3_peer()),
            Via::Internet => {
                let ip = if self.ipv6_only {
                    IpAddr::V6(INTERNET_V6)
                } else {
                    IpAddr::V4(INTERNET_V4)
                };
                whole(Some(Peer {
                    ip,
                    security_groups: vec![],
                    prefix_list: None,
                    subnet: None,
                    label: "the internet".into(),
                }))
            }
            Via::Nowhere => (true, Vec::new()),
            Via::Unknown => (false, Vec::new()),
        }
    }

    /// Where the task's packets go, with the services each destination serves, and whether that is
    /// all of them: a way that is unknown, or whose addresses could not be read, makes it partial,
    /// and a firewall check over a partial list reports only what it sees, never a pass.
    fn peers(&self, ways: &[(&Need, Via<'a>)]) -> (Vec<(Vec<Service>, Peer)>, bool) {
        let mut peers: Vec<(Vec<Service>, Peer)> = Vec::new();
        // Without the task definition, only the images' needs are known (not logs or secrets).
        let mut complete = self.snapshot.task_definition.known().is_some();
        for (need, via) in ways {
            let (whole, found) = self.peers_of(need.service, *via);
            complete &= whole;
            for peer in found {
                match peers.iter_mut().find(|(_, p)| p.label == peer.label) {
                    Some((services, _)) => add_unique(services, &[need.service]),
                    None => peers.push((vec![need.service], peer)),
                }
            }
        }
        (peers, complete)
    }

    fn check_security_groups(&self, ways: &[(&Need, Via<'a>)], out: &mut Outcome) {
        let Some(groups) = self.task_groups() else {
            if let Fact::Failed(failure) = &self.vpc.security_groups {
                out.finding(could_not_check(
                    failure,
                    "the security groups of the task and the endpoints".into(),
                ));
            }
            return;
        };
        if groups.is_empty() {
            return;
        }
        let (peers, mut complete) = self.peers(ways);
        let mut blocked: Vec<(Vec<Service>, Peer)> = Vec::new();
        for (services, peer) in peers {
            match egress(&groups, HTTPS, &peer, &|id| self.list_cidrs(id)) {
                Passage::Allowed(_) => {}
                Passage::Blocked => blocked.push((services, peer)),
                Passage::Unknown { .. } => complete = false, // CHECK_FAILED names the list that could not be read
            }
        }
        if blocked.is_empty() {
            if complete {
                out.pass(
                    "security-group-egress",
                    groups.iter().map(|g| g.id.as_str()).collect::<Vec<_>>().join(","),
                    "the task's security groups allow TCP 443 out to where the pull goes",
                );
            }
            return;
        }
        let mut services: Vec<Service> = Vec::new();
        let mut targets: Vec<String> = Vec::new();
        let mut openings: Vec<Opening> = Vec::new();
        // A destination no rule can name (but by its addresses) is not planned around.
        let mut nameable = true;
        for (names, peer) in &blocked {
            add_unique(&mut services, names);
            let opening = self.opening(peer);
            let target = match &opening {
                Some(Opening::PrefixList(list)) => format!("prefix list {list}"),
                Some(Opening::Group(group)) => format!("security group {group}"),
                Some(Opening::Cidr(cidr)) => cidr.clone(),
                None => {
                    nameable = false;
                    format!("the addresses of {}", peer.label)
                }
            };
            add_unique(&mut targets, &[target]);
            openings.extend(opening);
        }
        openings.sort();
        openings.dedup();
        out.finding(
            Finding::new(
                Code::SecurityGroupBlocksEgress,
                Severity::Error,
                groups.iter().map(|g| g.id.as_str()).collect::<Vec<_>>().join(","),
                format!(
                    "No security group of the task allows TCP 443 out to {}.",
                    blocked
                        .iter()
                        .map(|(_, p)| p.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .evidence(json!({
                "securityGroups": groups.iter().map(|g| &g.id).collect::<Vec<_>>(),
                "egressRules": rules_json(&groups, true),
                "blocked": blocked.iter().map(|(s, p)| self.blocked_json(s, p)).collect::<Vec<_>>(),
                "services": services,
            }))
            .remedy(format!(
                "Allow TCP 443 out from security group {} to {} (AuthorizeSecurityGroupEgress).",
                groups[0].id,
                targets.join(" and ")
            ))
            .detail(cut_off(
                services,
                nameable.then(|| NetworkRepair::OpenHttpsEgress {
                    group: groups[0].id.clone(),
                    to: openings,
                }),
            )),
        );
    }

    /// `0.0.0.0/0`, or `::/0` for an IPv6-only task.
    fn any_address(&self) -> &'static str {
        if self.ipv6_only { "::/0" } else { "0.0.0.0/0" }
    }

    /// The narrowest thing a rule can name to let traffic to `peer` through: its prefix list, its
    /// security group, or (only for the internet, whose addresses are not fixed) every address.
    /// `None` for a peer with none of these.
    fn opening(&self, peer: &Peer) -> Option<Opening> {
        match (&peer.prefix_list, peer.security_groups.first(), &peer.subnet) {
            (Some(list), _, _) => Some(Opening::PrefixList(list.clone())),
            (None, Some(group), _) => Some(Opening::Group(group.clone())),
            (None, None, None) => Some(Opening::Cidr(self.any_address().to_string())),
            (None, None, Some(_)) => None,
        }
    }

    /// A blocked destination as evidence.
    fn blocked_json(&self, services: &[Service], peer: &Peer) -> Value {
        let cidr = match self.opening(peer) {
            Some(Opening::Cidr(cidr)) => Some(cidr),
            _ => None,
        };
        json!({"to": peer.label, "address": peer.ip.to_string(), "securityGroups": peer.security_groups, "prefixList": peer.prefix_list, "cidr": cidr, "services": services})
    }

    /// The network ACL a subnet is associated with (the VPC's default when none is).
    fn acl_of<'b>(acls: &'b [NetworkAcl], subnet_id: &str) -> Option<&'b NetworkAcl> {
        acl_of(acls, subnet_id)
    }

    fn check_network_acl(&self, ways: &[(&Need, Via<'a>)], out: &mut Outcome) {
        let acls = match &self.vpc.network_acls {
            Fact::Known(acls) => acls,
            Fact::Failed(failure) => {
                out.finding(could_not_check(
                    failure,
                    format!("the network ACL of subnet {}", self.subnet_id),
                ));
                return;
            }
        };
        let Some(task_acl) = Self::acl_of(acls, self.subnet_id) else {
            return;
        };
        let (peers, mut complete) = self.peers(ways);
        let task_ip = self.task_ip();
        // What each ACL on the path blocks: the task subnet's on the way out, and that of an
        // endpoint's subnet on the way in. Traffic within one subnet crosses no ACL.
        let mut blocked: Vec<(&NetworkAcl, String, Vec<Value>, Vec<Service>)> = Vec::new();
        let mut record = |acl: &'a NetworkAcl, subnet: &str, verdict: Value, label: &str, names: &[Service]| {
            let mut verdict = verdict;
            verdict["to"] = json!(label);
            verdict["subnetId"] = json!(subnet);
            match blocked.iter_mut().find(|(a, s, _, _)| a.id == acl.id && *s == subnet) {
                Some((_, _, verdicts, services)) => {
                    verdicts.push(verdict);
                    add_unique(services, names);
                }
                None => blocked.push((acl, subnet.to_string(), vec![verdict], names.to_vec())),
            }
        };
        let mut checked = vec![task_acl.id.as_str()];
        for (names, peer) in &peers {
            if peer.subnet.as_deref() == Some(self.subnet_id) {
                continue;
            }
            for verdict in [
                acl_blocks(task_acl, true, peer.ip, (HTTPS, HTTPS)),
                acl_blocks(task_acl, false, peer.ip, EPHEMERAL_PORTS),
            ]
            .into_iter()
            .flatten()
            {
                record(task_acl, self.subnet_id, verdict, &peer.label, names);
            }
            let Some(subnet) = peer.subnet.as_deref() else { continue };
            let (Some(acl), Some(task_ip)) = (Self::acl_of(acls, subnet), task_ip) else {
                complete = false;
                continue;
            };
            add_unique(&mut checked, &[acl.id.as_str()]);
            for verdict in [
                acl_blocks(acl, false, task_ip, (HTTPS, HTTPS)),
                acl_blocks(acl, true, task_ip, EPHEMERAL_PORTS),
            ]
            .into_iter()
            .flatten()
            {
                record(acl, subnet, verdict, &format!("the task, from {}", peer.label), names);
            }
        }
        if blocked.is_empty() {
            if complete {
                out.pass(
                    "network-acl",
                    checked.join(","),
                    format!(
                        "network ACL {} lets 443 out and the replies back in",
                        checked.join(" and ")
                    ),
                );
            }
            return;
        }
        for (acl, subnet, verdicts, services) in blocked {
            let endpoint_side = subnet != self.subnet_id;
            out.finding(
                Finding::new(
                    Code::NetworkAclBlocksTraffic,
                    Severity::Error,
                    &acl.id,
                    format!(
                        "Network ACL {} of {}subnet {} blocks the pull's traffic ({}).",
                        acl.id,
                        if endpoint_side { "endpoint " } else { "" },
                        subnet,
                        verdicts.iter().map(|b| format!("{} {} port {}", b["direction"].as_str().unwrap_or(""), b["to"].as_str().unwrap_or(""), b["port"])).collect::<Vec<_>>().join("; ")
                    ),
                )
                .evidence(json!({"networkAclId": acl.id, "subnetId": subnet, "taskSubnetId": self.subnet_id, "blocked": verdicts, "services": services}))
                .detail(cut_off(services.clone(), None))
                .remedy(if endpoint_side {
                    format!(
                        "In network ACL {}, allow TCP 443 inbound from the task's subnet {} and TCP 1024-65535 outbound to it (the replies), numbered before any deny that matches them.",
                        acl.id, self.subnet_id
                    )
                } else {
                    format!(
                        "In network ACL {}, allow TCP 443 outbound and TCP 1024-65535 inbound (the replies) for the task's destinations, numbered before any deny that matches them.",
                        acl.id
                    )
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests;
