//! Security groups and network ACLs, evaluated as AWS does: security groups allow when any rule of
//! any group matches; network ACLs take the lowest-numbered matching entry, then deny by default.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

use crate::facts::{AclEntry, NetworkAcl, SecurityGroup, SecurityGroupRule};

/// An IPv4 or IPv6 network, `10.0.0.0/16` or `2600:1f18::/56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub address: IpAddr,
    pub bits: u8,
}

impl IpNet {
    pub fn parse(cidr: &str) -> Option<IpNet> {
        let address: IpAddr = cidr.split('/').next()?.parse().ok()?;
        let width = if address.is_ipv4() { 32 } else { 128 };
        let bits: u8 = match cidr.split_once('/') {
            Some((_, bits)) => bits.parse().ok().filter(|b| *b <= width)?,
            None => width,
        };
        Some(IpNet { address, bits })
    }

    /// The address as a 128-bit number and the width of its family.
    fn number(address: IpAddr) -> (u128, u8) {
        match address {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        }
    }

    fn mask(self) -> u128 {
        let (_, width) = Self::number(self.address);
        let all = if width == 32 { u128::from(u32::MAX) } else { u128::MAX };
        if self.bits == 0 {
            0
        } else {
            all & (all << (width - self.bits))
        }
    }

    pub fn contains(self, ip: IpAddr) -> bool {
        if self.address.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        Self::number(self.address).0 & self.mask() == Self::number(ip).0 & self.mask()
    }

    /// An address a host in this network could have: past the four AWS reserves in a subnet.
    pub fn representative(self) -> IpAddr {
        let base = Self::number(self.address).0 & self.mask();
        match self.address {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(if self.bits <= 28 {
                base as u32 + 4
            } else {
                base as u32
            })),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(if self.bits <= 124 { base + 4 } else { base })),
        }
    }
}

/// Where a packet goes, as a security group rule can name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// An address the peer has (a representative one for a range).
    pub ip: IpAddr,
    /// The peer's security groups, for rules that reference groups.
    pub security_groups: Vec<String>,
    /// The prefix list the peer belongs to (the S3 prefix list), for rules that reference it.
    pub prefix_list: Option<String>,
    /// The subnet the peer's address is in, when it is in the VPC (an endpoint's network interface).
    pub subnet: Option<String>,
    /// What it is, for people.
    pub label: String,
}

/// The prefix lists rules name, as far as they could be read: `None` for a list whose entries are unknown.
pub type ListCidrs<'a> = dyn Fn(&str) -> Option<&'a [String]> + 'a;

/// What a firewall does with a packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Passage {
    /// Let through, by this rule (as evidence).
    Allowed(Value),
    Blocked,
    /// No readable rule lets it through, but one names a prefix list whose entries could not be read.
    Unknown {
        prefix_lists: Vec<String>,
    },
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

/// Whether `rule` lets TCP `port` to or from `peer`: `Ok(true)`, `Ok(false)`, or `Err` with the
/// unreadable prefix lists that might.
fn rule_matches(rule: &SecurityGroupRule, port: i32, peer: &Peer, lists: &ListCidrs) -> Result<bool, Vec<String>> {
    if !protocol_is_tcp(&rule.protocol) || !(rule.protocol == "-1" || covers_port(rule.from_port, rule.to_port, port)) {
        return Ok(false);
    }
    let in_range = |cidrs: &[String]| {
        cidrs
            .iter()
            .filter_map(|c| IpNet::parse(c))
            .any(|net| net.contains(peer.ip))
    };
    if in_range(&rule.cidrs)
        || rule.security_groups.iter().any(|g| peer.security_groups.contains(g))
        || peer
            .prefix_list
            .as_ref()
            .is_some_and(|pl| rule.prefix_lists.contains(pl))
    {
        return Ok(true);
    }
    let mut unknown = Vec::new();
    for list in &rule.prefix_lists {
        match lists(list) {
            Some(cidrs) if in_range(cidrs) => return Ok(true),
            Some(_) => {}
            None => unknown.push(list.clone()),
        }
    }
    if unknown.is_empty() { Ok(false) } else { Err(unknown) }
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

fn passage<'g>(
    groups: &[&'g SecurityGroup],
    rules: impl Fn(&'g SecurityGroup) -> &'g [SecurityGroupRule],
    port: i32,
    peer: &Peer,
    lists: &ListCidrs,
) -> Passage {
    let mut unknown = Vec::new();
    for group in groups {
        for rule in rules(group) {
            match rule_matches(rule, port, peer, lists) {
                Ok(true) => return Passage::Allowed(rule_json(group, rule)),
                Ok(false) => {}
                Err(lists) => unknown.extend(lists),
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    if unknown.is_empty() {
        Passage::Blocked
    } else {
        Passage::Unknown { prefix_lists: unknown }
    }
}

/// Whether `groups` let TCP `port` out to `peer`.
pub fn egress(groups: &[&SecurityGroup], port: i32, peer: &Peer, lists: &ListCidrs) -> Passage {
    passage(groups, |g| &g.egress, port, peer, lists)
}

/// Whether `groups` let TCP `port` in from `peer`.
pub fn ingress(groups: &[&SecurityGroup], port: i32, peer: &Peer, lists: &ListCidrs) -> Passage {
    passage(groups, |g| &g.ingress, port, peer, lists)
}

/// Every rule of `groups` in one direction, for evidence when none matched.
pub fn rules_json(groups: &[&SecurityGroup], egress: bool) -> Value {
    Value::Array(
        groups
            .iter()
            .flat_map(|g| {
                (if egress { &g.egress } else { &g.ingress })
                    .iter()
                    .map(move |r| rule_json(g, r))
            })
            .collect(),
    )
}

/// The entry that decides a TCP packet, or `None` for the implicit deny.
fn deciding_entry(acl: &NetworkAcl, egress: bool, ip: IpAddr, port: i32) -> Option<&AclEntry> {
    let mut entries: Vec<&AclEntry> = acl.entries.iter().filter(|e| e.egress == egress).collect();
    entries.sort_by_key(|e| e.rule_number);
    entries.into_iter().find(|e| {
        protocol_is_tcp(&e.protocol)
            && (e.protocol == "-1" || covers_port(e.from_port, e.to_port, port))
            && e.cidr
                .as_deref()
                .and_then(IpNet::parse)
                .is_some_and(|net| net.contains(ip))
    })
}

/// Why a network ACL blocks traffic, if it does: TCP `ports` to (egress) or from (ingress) `ip`.
/// Every port of the range must pass; the decision only changes at entries' range edges, so those
/// edges are the ports tried.
pub fn acl_blocks(acl: &NetworkAcl, egress: bool, ip: IpAddr, ports: (i32, i32)) -> Option<Value> {
    let (low, high) = ports;
    let mut candidates = vec![low, high];
    for entry in acl.entries.iter().filter(|e| e.egress == egress) {
        for edge in [
            entry.from_port,
            entry.to_port.map(|p| p + 1),
            entry.from_port.map(|p| p - 1),
            entry.to_port,
        ]
        .into_iter()
        .flatten()
        {
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

    fn rule(
        protocol: &str,
        ports: Option<(i32, i32)>,
        cidrs: &[&str],
        groups: &[&str],
        lists: &[&str],
    ) -> SecurityGroupRule {
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
        SecurityGroup {
            id: "sg-1".into(),
            name: "tasks".into(),
            ingress,
            egress,
        }
    }

    fn peer(ip: &str, groups: &[&str], list: Option<&str>) -> Peer {
        Peer {
            ip: ip.parse().unwrap(),
            security_groups: groups.iter().map(|g| g.to_string()).collect(),
            prefix_list: list.map(str::to_string),
            subnet: None,
            label: "p".into(),
        }
    }

    fn none(_: &str) -> Option<&'static [String]> {
        None
    }

    fn allowed(passage: Passage) -> bool {
        matches!(passage, Passage::Allowed(_))
    }

    #[test]
    fn security_group_rules_match_cidrs_groups_prefix_lists_ports_and_all_protocols() {
        let internet = peer("52.94.0.1", &[], None);
        let endpoint = peer("10.0.2.4", &["sg-endpoint"], None);
        let s3 = peer("52.216.0.4", &[], Some("pl-s3"));
        let all = group(vec![rule("-1", None, &["0.0.0.0/0"], &[], &[])], vec![]);
        assert!(
            allowed(egress(&[&all], 443, &internet, &none)),
            "protocol -1 covers every port"
        );
        let https_vpc = group(vec![rule("tcp", Some((443, 443)), &["10.0.0.0/16"], &[], &[])], vec![]);
        assert!(allowed(egress(&[&https_vpc], 443, &endpoint, &none)));
        assert!(
            !allowed(egress(&[&https_vpc], 443, &internet, &none)),
            "the CIDR does not cover it"
        );
        assert!(
            !allowed(egress(&[&https_vpc], 80, &endpoint, &none)),
            "the port is outside the range"
        );
        let by_group = group(vec![rule("6", Some((0, 65535)), &[], &["sg-endpoint"], &[])], vec![]);
        assert!(allowed(egress(&[&by_group], 443, &endpoint, &none)));
        assert!(!allowed(egress(&[&by_group], 443, &s3, &none)));
        let by_list = group(vec![rule("tcp", Some((443, 443)), &[], &[], &["pl-s3"])], vec![]);
        assert!(allowed(egress(&[&by_list], 443, &s3, &none)));
        let udp = group(vec![rule("udp", Some((0, 65535)), &["0.0.0.0/0"], &[], &[])], vec![]);
        assert!(!allowed(egress(&[&udp], 443, &internet, &none)));
        assert!(
            allowed(egress(&[&udp, &all], 443, &internet, &none)),
            "any group of the task may allow"
        );
        let inbound = group(vec![], vec![rule("tcp", Some((443, 443)), &[], &["sg-task"], &[])]);
        assert!(allowed(ingress(
            &[&inbound],
            443,
            &peer("10.0.1.9", &["sg-task"], None),
            &none
        )));
        assert!(!allowed(ingress(
            &[&inbound],
            443,
            &peer("10.0.1.9", &["sg-other"], None),
            &none
        )));
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
        NetworkAcl {
            id: "acl-1".into(),
            default: false,
            subnet_ids: vec![],
            entries,
        }
    }

    #[test]
    fn network_acls_take_the_lowest_matching_rule_then_deny() {
        let ip: IpAddr = "52.94.0.1".parse().unwrap();
        let open = acl(vec![
            entry(100, true, true, "0.0.0.0/0", None),
            entry(32767, true, false, "0.0.0.0/0", None),
        ]);
        assert_eq!(acl_blocks(&open, true, ip, (443, 443)), None);
        let deny_first = acl(vec![
            entry(200, true, true, "0.0.0.0/0", None),
            entry(100, true, false, "52.0.0.0/8", Some((443, 443))),
        ]);
        let blocked = acl_blocks(&deny_first, true, ip, (443, 443)).expect("rule 100 denies");
        assert_eq!(blocked["decidedBy"]["ruleNumber"], 100);
        let nothing = acl(vec![entry(100, true, true, "10.0.0.0/8", None)]);
        assert_eq!(
            acl_blocks(&nothing, true, ip, (443, 443)).unwrap()["decidedBy"],
            "the implicit deny (*): no entry matches"
        );
        assert!(
            acl_blocks(&nothing, false, ip, (443, 443)).is_some(),
            "directions are separate"
        );
    }

    #[test]
    fn a_port_range_passes_only_if_every_port_does() {
        let ip: IpAddr = "10.0.2.4".parse().unwrap();
        let ephemeral = (32768, 60999);
        let narrow = acl(vec![entry(100, false, true, "0.0.0.0/0", Some((32768, 40000)))]);
        assert_eq!(acl_blocks(&narrow, false, ip, ephemeral).unwrap()["port"], 40001);
        let wide = acl(vec![entry(100, false, true, "0.0.0.0/0", Some((1024, 65535)))]);
        assert_eq!(acl_blocks(&wide, false, ip, ephemeral), None);
        let hole = acl(vec![
            entry(90, false, false, "0.0.0.0/0", Some((50000, 50000))),
            entry(100, false, true, "0.0.0.0/0", Some((1024, 65535))),
        ]);
        assert_eq!(acl_blocks(&hole, false, ip, ephemeral).unwrap()["port"], 50000);
    }

    #[test]
    fn networks_of_both_families() {
        let net = IpNet::parse("10.0.1.0/24").unwrap();
        assert!(net.contains("10.0.1.200".parse().unwrap()));
        assert!(!net.contains("10.0.2.1".parse().unwrap()));
        assert_eq!(net.representative(), "10.0.1.4".parse::<IpAddr>().unwrap());
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(
            !IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("2600:1f18::1".parse().unwrap()),
            "an IPv4 range holds no IPv6 address"
        );
        assert_eq!(IpNet::parse("10.0.0.0/33"), None);
        let v6 = IpNet::parse("2600:1f18:aa:bb00::/56").unwrap();
        assert!(v6.contains("2600:1f18:aa:bbff::9".parse().unwrap()));
        assert!(!v6.contains("2600:1f18:aa:bc00::9".parse().unwrap()));
        assert_eq!(v6.representative(), "2600:1f18:aa:bb00::4".parse::<IpAddr>().unwrap());
        assert!(IpNet::parse("::/0").unwrap().contains("2600:1f18::1".parse().unwrap()));
        assert!(!IpNet::parse("::/0").unwrap().contains("10.0.0.1".parse().unwrap()));
        assert_eq!(IpNet::parse("::/129"), None);
        assert_eq!(IpNet::parse("not an address"), None);
    }

    #[test]
    fn ipv6_rules_do_not_let_ipv4_traffic_out() {
        let internet = peer("52.94.0.1", &[], None);
        let only_v6 = group(vec![rule("tcp", Some((443, 443)), &["::/0"], &[], &[])], vec![]);
        assert!(!allowed(egress(&[&only_v6], 443, &internet, &none)));
        assert!(allowed(egress(
            &[&only_v6],
            443,
            &peer("2600:1f18::4", &[], None),
            &none
        )));
    }

    #[test]
    fn customer_prefix_lists_are_resolved_and_an_unreadable_one_leaves_it_unknown() {
        let endpoint = peer("10.0.2.4", &["sg-endpoint"], None);
        let corp = vec!["10.0.0.0/16".to_string()];
        let elsewhere = vec!["192.168.0.0/16".to_string()];
        let lists = |id: &str| match id {
            "pl-corp" => Some(corp.as_slice()),
            "pl-else" => Some(elsewhere.as_slice()),
            _ => None,
        };
        let by_corp = group(vec![rule("tcp", Some((443, 443)), &[], &[], &["pl-corp"])], vec![]);
        assert!(allowed(egress(&[&by_corp], 443, &endpoint, &lists)));
        let by_else = group(vec![rule("tcp", Some((443, 443)), &[], &[], &["pl-else"])], vec![]);
        assert_eq!(egress(&[&by_else], 443, &endpoint, &lists), Passage::Blocked);
        let by_unread = group(vec![rule("tcp", Some((443, 443)), &[], &[], &["pl-unread"])], vec![]);
        assert_eq!(
            egress(&[&by_unread], 443, &endpoint, &lists),
            Passage::Unknown {
                prefix_lists: vec!["pl-unread".into()]
            }
        );
        assert!(
            allowed(egress(&[&by_unread, &by_corp], 443, &endpoint, &lists)),
            "a rule that allows settles it"
        );
        let wrong_port = group(vec![rule("tcp", Some((80, 80)), &[], &[], &["pl-unread"])], vec![]);
        assert_eq!(
            egress(&[&wrong_port], 443, &endpoint, &lists),
            Passage::Blocked,
            "an unreadable list on another port decides nothing"
        );
    }

    #[test]
    fn ipv6_acl_entries_decide_ipv6_traffic_only() {
        let v6: IpAddr = "2600:1f18::4".parse().unwrap();
        let v4: IpAddr = "52.94.0.1".parse().unwrap();
        let only_v6 = acl(vec![entry(100, true, true, "::/0", None)]);
        assert_eq!(acl_blocks(&only_v6, true, v6, (443, 443)), None);
        assert!(acl_blocks(&only_v6, true, v4, (443, 443)).is_some());
    }
}
