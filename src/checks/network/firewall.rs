//! Security groups and network ACLs, evaluated as AWS does: security groups allow when any rule of
//! any group matches; network ACLs take the lowest-numbered matching entry, then deny by default.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::facts::{AclEntry, NetworkAcl, SecurityGroup, SecurityGroupRule};

/// An IPv4 network, `10.0.0.0/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Net {
    pub address: Ipv4Addr,
    pub bits: u8,
}

impl Ipv4Net {
    pub fn parse(cidr: &str) -> Option<Ipv4Net> {
        let (address, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
        let bits: u8 = bits.parse().ok().filter(|b| *b <= 32)?;
        Some(Ipv4Net { address: address.parse().ok()?, bits })
    }

    fn mask(self) -> u32 {
        if self.bits == 0 { 0 } else { u32::MAX << (32 - u32::from(self.bits)) }
    }

    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(self.address) & self.mask() == u32::from(ip) & self.mask()
    }

    /// An address a host in this network could have: past the four AWS reserves in a subnet.
    pub fn representative(self) -> Ipv4Addr {
        let base = u32::from(self.address) & self.mask();
        Ipv4Addr::from(if self.bits <= 28 { base + 4 } else { base })
    }
}

/// Where a packet goes, as a security group rule can name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// An address the peer has (a representative one for a range).
    pub ip: Ipv4Addr,
    /// The peer's security groups, for rules that reference groups.
    pub security_groups: Vec<String>,
    /// The prefix list the peer belongs to (the S3 prefix list), for rules that reference it.
    pub prefix_list: Option<String>,
    /// What it is, for people.
    pub label: String,
}

fn protocol_is_tcp(protocol: &str) -> bool {
    matches!(protocol, "-1" | "tcp" | "6" | "all")
}

fn covers_port(from: Option<i32>, to: Option<i32>, port: i32) -> bool {
    match (from, to) {
        (Some(from), Some(to)) if from >= 0 && to >= 0 => from <= port && port <= to,
        // No range (protocol -1) or -1/-1: every port.
        _ => true,
    }
}

fn rule_matches(rule: &SecurityGroupRule, port: i32, peer: &Peer) -> bool {
    protocol_is_tcp(&rule.protocol)
        && (rule.protocol == "-1" || covers_port(rule.from_port, rule.to_port, port))
        && (rule.cidrs.iter().filter_map(|c| Ipv4Net::parse(c)).any(|net| net.contains(peer.ip))
            || rule.security_groups.iter().any(|g| peer.security_groups.contains(g))
            || peer.prefix_list.as_ref().is_some_and(|pl| rule.prefix_lists.contains(pl)))
}

fn rule_json(group: &SecurityGroup, rule: &SecurityGroupRule) -> Value {
    json!({
        "groupId": group.id,
        "protocol": rule.protocol,
        "fromPort": rule.from_port,
        "toPort": rule.to_port,
        "cidrs": rule.cidrs,
        "securityGroups": rule.security_groups,
        "prefixLists": rule.prefix_lists,
    })
}

/// The first rule of `groups` that lets TCP `port` out to `peer`, as evidence.
pub fn egress_allowing(groups: &[&SecurityGroup], port: i32, peer: &Peer) -> Option<Value> {
    groups.iter().find_map(|g| g.egress.iter().find(|r| rule_matches(r, port, peer)).map(|r| rule_json(g, r)))
}

/// The first rule of `groups` that lets TCP `port` in from `peer`, as evidence.
pub fn ingress_allowing(groups: &[&SecurityGroup], port: i32, peer: &Peer) -> Option<Value> {
    groups.iter().find_map(|g| g.ingress.iter().find(|r| rule_matches(r, port, peer)).map(|r| rule_json(g, r)))
}

/// Every rule of `groups` in one direction, for evidence when none matched.
pub fn rules_json(groups: &[&SecurityGroup], egress: bool) -> Value {
    Value::Array(
        groups
            .iter()
            .flat_map(|g| (if egress { &g.egress } else { &g.ingress }).iter().map(move |r| rule_json(g, r)))
            .collect(),
    )
}

/// The entry that decides a TCP packet, or `None` for the implicit deny.
fn deciding_entry(acl: &NetworkAcl, egress: bool, ip: Ipv4Addr, port: i32) -> Option<&AclEntry> {
    let mut entries: Vec<&AclEntry> = acl.entries.iter().filter(|e| e.egress == egress).collect();
    entries.sort_by_key(|e| e.rule_number);
    entries.into_iter().find(|e| {
        protocol_is_tcp(&e.protocol)
            && (e.protocol == "-1" || covers_port(e.from_port, e.to_port, port))
            && e.cidr.as_deref().and_then(Ipv4Net::parse).is_some_and(|net| net.contains(ip))
    })
}

/// Why a network ACL blocks traffic, if it does: TCP `ports` to (egress) or from (ingress) `ip`.
/// Every port of the range must pass; the decision only changes at entries' range edges, so those
/// edges are the ports tried.
pub fn acl_blocks(acl: &NetworkAcl, egress: bool, ip: Ipv4Addr, ports: (i32, i32)) -> Option<Value> {
    let (low, high) = ports;
    let mut candidates = vec![low, high];
    for entry in acl.entries.iter().filter(|e| e.egress == egress) {
        for edge in [entry.from_port, entry.to_port.map(|p| p + 1), entry.from_port.map(|p| p - 1), entry.to_port].into_iter().flatten() {
            if (low..=high).contains(&edge) {
                candidates.push(edge);
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates.into_iter().find_map(|port| match deciding_entry(acl, egress, ip, port) {
        Some(entry) if entry.allow => None,
        Some(entry) => Some(json!({
            "networkAclId": acl.id,
            "direction": if egress { "outbound" } else { "inbound" },
            "port": port,
            "peer": ip.to_string(),
            "decidedBy": { "ruleNumber": entry.rule_number, "action": "deny", "cidr": entry.cidr, "protocol": entry.protocol, "fromPort": entry.from_port, "toPort": entry.to_port },
        })),
        None => Some(json!({
            "networkAclId": acl.id,
            "direction": if egress { "outbound" } else { "inbound" },
            "port": port,
            "peer": ip.to_string(),
            "decidedBy": "the implicit deny (*): no entry matches",
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, ports: Option<(i32, i32)>, cidrs: &[&str], groups: &[&str], lists: &[&str]) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: protocol.into(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            cidrs: cidrs.iter().map(|c| c.to_string()).collect(),
            security_groups: groups.iter().map(|g| g.to_string()).collect(),
            prefix_lists: lists.iter().map(|l| l.to_string()).collect(),
        }
    }

    fn group(egress: Vec<SecurityGroupRule>, ingress: Vec<SecurityGroupRule>) -> SecurityGroup {
        SecurityGroup { id: "sg-1".into(), name: "tasks".into(), ingress, egress }
    }

    fn peer(ip: &str, groups: &[&str], list: Option<&str>) -> Peer {
        Peer { ip: ip.parse().unwrap(), security_groups: groups.iter().map(|g| g.to_string()).collect(), prefix_list: list.map(str::to_string), label: "p".into() }
    }

    #[test]
    fn security_group_rules_match_cidrs_groups_prefix_lists_ports_and_all_protocols() {
        let internet = peer("52.94.0.1", &[], None);
        let endpoint = peer("10.0.2.4", &["sg-endpoint"], None);
        let s3 = peer("52.216.0.4", &[], Some("pl-s3"));
        let all = group(vec![rule("-1", None, &["0.0.0.0/0"], &[], &[])], vec![]);
        assert!(egress_allowing(&[&all], 443, &internet).is_some(), "protocol -1 covers every port");
        let https_vpc = group(vec![rule("tcp", Some((443, 443)), &["10.0.0.0/16"], &[], &[])], vec![]);
        assert!(egress_allowing(&[&https_vpc], 443, &endpoint).is_some());
        assert!(egress_allowing(&[&https_vpc], 443, &internet).is_none(), "the CIDR does not cover it");
        assert!(egress_allowing(&[&https_vpc], 80, &endpoint).is_none(), "the port is outside the range");
        let by_group = group(vec![rule("6", Some((0, 65535)), &[], &["sg-endpoint"], &[])], vec![]);
        assert!(egress_allowing(&[&by_group], 443, &endpoint).is_some());
        assert!(egress_allowing(&[&by_group], 443, &s3).is_none());
        let by_list = group(vec![rule("tcp", Some((443, 443)), &[], &[], &["pl-s3"])], vec![]);
        assert!(egress_allowing(&[&by_list], 443, &s3).is_some());
        let udp = group(vec![rule("udp", Some((0, 65535)), &["0.0.0.0/0"], &[], &[])], vec![]);
        assert!(egress_allowing(&[&udp], 443, &internet).is_none());
        assert!(egress_allowing(&[&udp, &all], 443, &internet).is_some(), "any group of the task may allow");
        let inbound = group(vec![], vec![rule("tcp", Some((443, 443)), &[], &["sg-task"], &[])]);
        assert!(ingress_allowing(&[&inbound], 443, &peer("10.0.1.9", &["sg-task"], None)).is_some());
        assert!(ingress_allowing(&[&inbound], 443, &peer("10.0.1.9", &["sg-other"], None)).is_none());
    }

    fn entry(number: i32, egress: bool, allow: bool, cidr: &str, ports: Option<(i32, i32)>) -> AclEntry {
        AclEntry {
            rule_number: number,
            egress,
            protocol: if ports.is_some() { "6".into() } else { "-1".into() },
            allow,
            cidr: Some(cidr.into()),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
        }
    }

    fn acl(entries: Vec<AclEntry>) -> NetworkAcl {
        NetworkAcl { id: "acl-1".into(), default: false, subnet_ids: vec![], entries }
    }

    #[test]
    fn network_acls_take_the_lowest_matching_rule_then_deny() {
        let ip: Ipv4Addr = "52.94.0.1".parse().unwrap();
        let open = acl(vec![entry(100, true, true, "0.0.0.0/0", None), entry(32767, true, false, "0.0.0.0/0", None)]);
        assert_eq!(acl_blocks(&open, true, ip, (443, 443)), None);
        let deny_first = acl(vec![entry(200, true, true, "0.0.0.0/0", None), entry(100, true, false, "52.0.0.0/8", Some((443, 443)))]);
        let blocked = acl_blocks(&deny_first, true, ip, (443, 443)).expect("rule 100 denies");
        assert_eq!(blocked["decidedBy"]["ruleNumber"], 100);
        let nothing = acl(vec![entry(100, true, true, "10.0.0.0/8", None)]);
        assert_eq!(acl_blocks(&nothing, true, ip, (443, 443)).unwrap()["decidedBy"], "the implicit deny (*): no entry matches");
        assert!(acl_blocks(&nothing, false, ip, (443, 443)).is_some(), "directions are separate");
    }

    #[test]
    fn a_port_range_passes_only_if_every_port_does() {
        let ip: Ipv4Addr = "10.0.2.4".parse().unwrap();
        let ephemeral = (32768, 60999);
        let narrow = acl(vec![entry(100, false, true, "0.0.0.0/0", Some((32768, 40000)))]);
        assert_eq!(acl_blocks(&narrow, false, ip, ephemeral).unwrap()["port"], 40001);
        let wide = acl(vec![entry(100, false, true, "0.0.0.0/0", Some((1024, 65535)))]);
        assert_eq!(acl_blocks(&wide, false, ip, ephemeral), None);
        let hole = acl(vec![entry(90, false, false, "0.0.0.0/0", Some((50000, 50000))), entry(100, false, true, "0.0.0.0/0", Some((1024, 65535)))]);
        assert_eq!(acl_blocks(&hole, false, ip, ephemeral).unwrap()["port"], 50000);
    }

    #[test]
    fn networks() {
        let net = Ipv4Net::parse("10.0.1.0/24").unwrap();
        assert!(net.contains("10.0.1.200".parse().unwrap()));
        assert!(!net.contains("10.0.2.1".parse().unwrap()));
        assert_eq!(net.representative(), "10.0.1.4".parse::<Ipv4Addr>().unwrap());
        assert!(Ipv4Net::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert_eq!(Ipv4Net::parse("10.0.0.0/33"), None);
        assert_eq!(Ipv4Net::parse("::/0"), None);
    }
}
