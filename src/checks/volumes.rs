//! EFS volumes: the file system and access point exist, a mount target serves the task's zone, and
//! NFS (TCP 2049) passes the security groups both ways.

use std::net::IpAddr;

use serde_json::json;

use super::identity::{judge, purpose_finding};
use super::network::firewall::{Passage, Peer, acl_blocks, egress, ingress, rules_json};
use super::network::{EPHEMERAL_PORTS, Service, acl_of, prefix_list_cidrs, task_address};
use super::policy::{Context, Decision, Policy, Principal, Request};
use super::{Code, Detail, Finding, NetworkDetail, Outcome, Severity, could_not_check, unreadable_policy};
use crate::facts::requirements::{Purpose, efs_permissions, file_system_arn, writable};
use crate::facts::{EfsFacts, Fact, FileSystem, MountTarget, SecurityGroup, Snapshot, VpcFacts};

const NFS: i32 = 2049;

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut out = Outcome::default();
    for efs in &snapshot.efs {
        check_volume(snapshot, efs, &mut out);
    }
    out
}

fn check_volume(snapshot: &Snapshot, efs: &EfsFacts, out: &mut Outcome) {
    let volume = &efs.volume;
    let file_system = match &efs.file_system {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!(
                    "whether EFS file system {} of volume {} exists",
                    volume.file_system_id, volume.name
                ),
            ));
            return;
        }
        Fact::Known(None) => {
            out.finding(not_found(
                snapshot,
                efs,
                &volume.file_system_id,
                "file system",
                "elasticfilesystem:DescribeFileSystems",
                "FileSystemNotFound",
            ));
            return;
        }
        Fact::Known(Some(file_system)) => file_system,
    };
    out.pass(
        "efs-file-system",
        &file_system.id,
        format!("file system {} of volume {} exists", file_system.id, volume.name),
    );
    match &efs.access_point {
        None => {}
        Some(Fact::Failed(failure)) => out.finding(could_not_check(
            failure,
            format!(
                "whether access point {} of volume {} exists",
                volume.access_point_id.as_deref().unwrap_or_default(),
                volume.name
            ),
        )),
        Some(Fact::Known(None)) => {
            let id = volume.access_point_id.as_deref().unwrap_or_default();
            out.finding(not_found(
                snapshot,
                efs,
                id,
                "access point",
                "elasticfilesystem:DescribeAccessPoints",
                "AccessPointNotFound",
            ));
            return;
        }
        Some(Fact::Known(Some(point))) if point.file_system_id != file_system.id => {
            let summary = format!(
                "Volume {} mounts access point {} of file system {}, not of {}.",
                volume.name, point.id, point.file_system_id, file_system.id
            );
            out.finding(
                Finding::new(Code::EfsFileSystemNotFound, Severity::Error, &point.id, summary)
                    .evidence(json!({"volume": volume.name, "fileSystemId": file_system.id, "accessPointId": point.id, "accessPointFileSystemId": point.file_system_id}))
                    .remedy(format!("Set the volume's fileSystemId to {}, or name an access point of {}.", point.file_system_id, file_system.id)),
            );
            return;
        }
        Some(Fact::Known(Some(point))) => out.pass(
            "efs-access-point",
            &point.id,
            format!("access point {} of {} exists", point.id, file_system.id),
        ),
    }
    check_mount_target(snapshot, efs, file_system, out);
    check_access(snapshot, efs, file_system, out);
}

fn check_mount_target(snapshot: &Snapshot, efs: &EfsFacts, file_system: &FileSystem, out: &mut Outcome) {
    let targets = match &efs.mount_targets {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!("the mount targets of file system {}", file_system.id),
            ));
            return;
        }
        Fact::Known(targets) => targets,
    };
    // Without the task's zone, which mount target it would use is unknown: nothing is concluded.
    let Some(zone) = task_zone(snapshot) else { return };
    match serving(snapshot, file_system, targets, zone) {
        Ok(target) => {
            out.pass(
                "efs-mount-target",
                &target.id,
                format!("mount target {} serves {zone} for {}", target.id, file_system.id),
            );
            check_nfs(snapshot, efs, target, out);
        }
        Err(summary) => out.finding(mount_target_missing(snapshot, efs, file_system, targets, zone, summary)),
    }
}

/// Who may mount: with IAM authorization, the task role (by its own policies or the file system's);
/// without, any client the file system policy lets in, so an anonymous one.
fn check_access(snapshot: &Snapshot, efs: &EfsFacts, file_system: &FileSystem, out: &mut Outcome) {
    let Some(definition) = snapshot.task_definition.known() else {
        return;
    };
    let volume = &efs.volume;
    let role_arn = definition.task_role_arn.as_deref();
    if volume.iam {
        check_task_role(snapshot, efs, role_arn, out);
    }
    let text = match &efs.policy {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!("the file system policy of {}", file_system.id),
            ));
            return;
        }
        Fact::Known(None) => return, // no policy: EFS lets every client that reaches a mount target in
        Fact::Known(Some(text)) => text,
    };
    let arn = file_system_arn(&snapshot.task.region, &snapshot.task.account, &file_system.id);
    let policy = match Policy::parse(text) {
        Ok(policy) => policy,
        Err(error) => {
            out.finding(unreadable_policy(
                &arn,
                &format!("the file system policy of {}", file_system.id),
                &error,
                text,
            ));
            return;
        }
    };
    let principal = match role_arn.filter(|_| volume.iam) {
        Some(role) => Principal::aws(role),
        None => Principal::unnamed(),
    };
    let mut context = Context::partial()
        .with("elasticfilesystem:AccessedViaMountTarget", "true")
        .with(
            "aws:SecureTransport",
            if volume.transit_encryption { "true" } else { "false" },
        );
    if let Some(point) = &volume.access_point_id {
        context = context.with(
            "elasticfilesystem:AccessPointArn",
            &format!(
                "{}:access-point/{point}",
                arn.rsplit_once(":file-system/").map_or(arn.as_str(), |(head, _)| head)
            ),
        );
    }
    let actions = if writable(definition, &volume.name) {
        &["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"][..]
    } else {
        &["elasticfilesystem:ClientMount"][..]
    };
    let document: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    for action in actions {
        let denied = |why: &str, severity: Severity, remedy: String| {
            Finding::new(
                Code::EfsAccessDenied,
                severity,
                &file_system.id,
                format!(
                    "The file system policy of {} {why} {action} for volume {}.",
                    file_system.id, volume.name
                ),
            )
            .remedy(remedy)
        };
        match policy.evaluate(&Request {
            principal: Some(&principal),
            action,
            resource: &arn,
            context: &context,
        }) {
            Decision::Allowed { .. } => {}
            Decision::ExplicitlyDenied { statement } => {
                out.finding(
                    denied("denies", Severity::Error, format!("Remove or narrow the statement of {}'s policy that denies {action}.", file_system.id))
                        .evidence(json!({"volume": volume.name, "fileSystemId": file_system.id, "action": action, "principal": principal_label(&principal), "iamAuthorization": volume.iam, "statement": statement, "policy": document})),
                );
                return;
            }
            // With IAM authorization the task role's own policies may allow it in its account.
            Decision::ImplicitlyDenied if volume.iam => {}
            Decision::ImplicitlyDenied => {
                out.finding(
                    denied("does not allow", Severity::Error, format!("Mount with IAM authorization (authorizationConfig.iam ENABLED, and a task role allowed {action}), or allow {action} in {}'s policy to the clients that mount it.", file_system.id))
                        .evidence(json!({"volume": volume.name, "fileSystemId": file_system.id, "action": action, "principal": principal_label(&principal), "iamAuthorization": false, "policy": document})),
                );
                return;
            }
            Decision::Undecided { keys, .. } => {
                out.finding(
                    denied("may not allow", Severity::Warning, format!("Check that the task's mount meets the conditions of {}'s policy ({}).", file_system.id, keys.join(", ")))
                        .evidence(json!({"volume": volume.name, "fileSystemId": file_system.id, "action": action, "conditionKeys": keys, "policy": document})),
                );
                return;
            }
        }
    }
    let verdict = if volume.iam {
        "does not refuse the task role's mount"
    } else {
        "lets an anonymous client mount"
    };
    out.pass(
        "efs-policy",
        &file_system.id,
        format!("the file system policy of {} {verdict}", file_system.id),
    );
}

fn principal_label(principal: &Principal) -> String {
    match principal {
        Principal::Aws { arn, .. } if !arn.is_empty() => arn.clone(),
        _ => "an anonymous NFS client (no IAM authorization)".into(),
    }
}

/// With IAM authorization the task role mounts: it must exist and be allowed ClientMount (and
/// ClientWrite for a writable volume) on the file system.
fn check_task_role(snapshot: &Snapshot, efs: &EfsFacts, role_arn: Option<&str>, out: &mut Outcome) {
    let volume = &efs.volume;
    let Some(definition) = snapshot.task_definition.known() else {
        return;
    };
    let Some(role_arn) = role_arn else {
        out.finding(no_task_role_to_mount(
            efs,
            &definition.arn,
            format!("Volume {} mounts {} with IAM authorization, but the task definition has no task role.", volume.name, volume.file_system_id),
            json!(null),
            "Set taskRoleArn in the task definition to a role allowed elasticfilesystem:ClientMount (and ClientWrite) on the file system, or turn IAM authorization off for the volume.".into(),
        ));
        return;
    };
    let Some(role) = &snapshot.task_role else { return };
    let found = match &role.role {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!("the task role {role_arn}, which mounts volume {}", volume.name),
            ));
            return;
        }
        Fact::Known(None) => {
            out.finding(no_task_role_to_mount(
                efs,
                role_arn,
                format!("Volume {} mounts with IAM authorization as task role {role_arn}, which does not exist.", volume.name),
                json!(role_arn),
                format!("Create role {role_arn} (trusting ecs-tasks.amazonaws.com, allowed elasticfilesystem:ClientMount on the file system), or point taskRoleArn at a role that exists."),
            ));
            return;
        }
        Fact::Known(Some(found)) => found,
    };
    let Some(permissions) = &role.permissions else { return };
    let required: Vec<_> = efs_permissions(&snapshot.task, definition)
        .into_iter()
        .filter(|p| p.resource.ends_with(&format!("/{}", volume.file_system_id)))
        .collect();
    let Some((method, answers, unsimulated)) = judge(found, permissions, &required, out) else {
        return;
    };
    let relevant: Vec<_> = answers.iter().collect();
    match purpose_finding(found, Purpose::Volumes, &method, &relevant) {
        Some(finding) => out.finding(finding),
        None => out.pass(
            "efs-task-role",
            &found.arn,
            format!("task role {} may mount {}", found.name, volume.file_system_id),
        ),
    }
    if let Some(note) = unsimulated {
        out.finding(note);
    }
}

/// EFS_ACCESS_DENIED for an IAM-authorized volume with no task role to mount it as: none is named
/// (`role` null), or the one named does not exist (iam:GetRole said so).
fn no_task_role_to_mount(
    efs: &EfsFacts,
    resource: &str,
    summary: String,
    role: serde_json::Value,
    remedy: String,
) -> Finding {
    let mut evidence = json!({"volume": efs.volume.name, "fileSystemId": efs.volume.file_system_id, "iamAuthorization": true, "taskRoleArn": role});
    if !role.is_null() {
        evidence["call"] = json!("iam:GetRole");
        evidence["answer"] = json!("NoSuchEntity");
    }
    Finding::new(Code::EfsAccessDenied, Severity::Error, resource, summary)
        .evidence(evidence)
        .remedy(remedy)
}

/// The task's Availability Zone: from the task, else from its subnet.
fn task_zone(snapshot: &Snapshot) -> Option<&str> {
    if let Some(zone) = snapshot.task.availability_zone.as_deref() {
        return Some(zone);
    }
    let subnet = snapshot.task.eni.as_ref()?.subnet_id.as_deref()?;
    let vpc = snapshot.vpc.as_ref()?.known()?;
    vpc.subnets
        .known()?
        .iter()
        .find(|s| s.id == subnet)?
        .availability_zone
        .as_deref()
}

/// The available mount target in the task's zone and VPC, or why there is none.
fn serving<'t>(
    snapshot: &Snapshot,
    file_system: &FileSystem,
    targets: &'t [MountTarget],
    zone: &str,
) -> Result<&'t MountTarget, String> {
    if let Some(only) = file_system.availability_zone.as_deref().filter(|only| *only != zone) {
        return Err(format!(
            "File system {} is One Zone, in {only}; the task runs in {zone}.",
            file_system.id
        ));
    }
    let vpc_subnets = snapshot
        .vpc
        .as_ref()
        .and_then(Fact::known)
        .and_then(|v| v.subnets.known());
    let in_vpc =
        |target: &MountTarget| vpc_subnets.is_none_or(|subnets| subnets.iter().any(|s| s.id == target.subnet_id));
    let in_zone: Vec<&MountTarget> = targets
        .iter()
        .filter(|t| t.availability_zone.as_deref() == Some(zone))
        .collect();
    match in_zone.iter().find(|t| t.is_available() && in_vpc(t)) {
        Some(target) => Ok(target),
        None if in_zone.is_empty() => Err(format!(
            "File system {} has no mount target in {zone}, where the task runs.",
            file_system.id
        )),
        None if in_zone.iter().any(|t| t.is_available()) => Err(format!(
            "File system {}'s mount target in {zone} is in another VPC than the task.",
            file_system.id
        )),
        None => Err(format!(
            "File system {}'s mount target in {zone} is not available ({}).",
            file_system.id, in_zone[0].state
        )),
    }
}

fn not_found(snapshot: &Snapshot, efs: &EfsFacts, id: &str, what: &str, call: &str, answer: &str) -> Finding {
    let volume = &efs.volume;
    let region = &snapshot.task.region;
    Finding::new(
        Code::EfsFileSystemNotFound,
        Severity::Error,
        id,
        format!("Volume {} names EFS {what} {id}, which does not exist in {region}.", volume.name),
    )
    .evidence(json!({"volume": volume.name, "fileSystemId": volume.file_system_id, "accessPointId": volume.access_point_id, "region": region, "call": call, "answer": answer}))
    .remedy(format!(
        "Point volume {} of the task definition at an EFS {what} that exists in {region} (their IDs are per region), or create it there with mount targets in the task's zones.",
        volume.name
    ))
}

fn mount_target_missing(
    snapshot: &Snapshot,
    efs: &EfsFacts,
    file_system: &FileSystem,
    targets: &[MountTarget],
    zone: &str,
    summary: String,
) -> Finding {
    let subnet = snapshot
        .task
        .eni
        .as_ref()
        .and_then(|e| e.subnet_id.as_deref())
        .unwrap_or("the task's subnet");
    let remedy = match file_system.availability_zone.as_deref() {
        Some(only) if only != zone => format!(
            "A One Zone file system serves only {only}: run the task in a subnet of {only}, or move the data to a Regional file system."
        ),
        _ => format!(
            "Create a mount target for {} in {subnet} (or another subnet of {zone} in the task's VPC) with a security group that admits TCP 2049 from the task, or run the task only in zones that have one.",
            file_system.id
        ),
    };
    Finding::new(Code::EfsMountTargetMissing, Severity::Error, &file_system.id, summary)
        .evidence(json!({
            "volume": efs.volume.name,
            "fileSystemId": file_system.id,
            "availabilityZone": zone,
            "oneZone": file_system.availability_zone,
            "mountTargets": targets.iter().map(|t| json!({"id": t.id, "availabilityZone": t.availability_zone, "subnetId": t.subnet_id, "state": t.state})).collect::<Vec<_>>(),
        }))
        .remedy(remedy)
}

/// NFS out of the task's groups to the mount target, and into the mount target's groups from the task.
fn check_nfs(snapshot: &Snapshot, efs: &EfsFacts, target: &MountTarget, out: &mut Outcome) {
    let target_groups = match &target.security_groups {
        Fact::Failed(failure) => {
            out.finding(could_not_check(
                failure,
                format!(
                    "whether mount target {}'s security groups admit NFS from the task",
                    target.id
                ),
            ));
            return;
        }
        Fact::Known(groups) => groups,
    };
    // The task's groups, the VPC's rules and both addresses are all needed to judge; CHECK_FAILED
    // already names whichever could not be read.
    let Some(Fact::Known(vpc)) = &snapshot.vpc else { return };
    let (Some(groups), Some(Fact::Known(network))) = (vpc.security_groups.known(), &snapshot.network) else {
        return;
    };
    let Some(target_ip) = target.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()) else {
        return;
    };
    let task_subnet = snapshot.task.eni.as_ref().and_then(|e| e.subnet_id.clone());
    // Mount targets are reached over IPv4.
    let Some(task_ip) = task_address(&snapshot.task, vpc, false) else {
        return;
    };
    let pick = |ids: &[String]| -> Option<Vec<&SecurityGroup>> {
        ids.iter().map(|id| groups.iter().find(|g| &g.id == id)).collect()
    };
    // A group the VPC's listing lacks is in another VPC or unreadable: its rules are unknown.
    let (Some(task_groups), Some(mount_groups)) = (pick(&network.security_groups), pick(target_groups)) else {
        return;
    };
    let lists = |id: &str| prefix_list_cidrs(vpc, id);
    let mount = Peer {
        ip: target_ip,
        security_groups: target_groups.clone(),
        prefix_list: None,
        subnet: Some(target.subnet_id.clone()),
        label: format!("mount target {}", target.id),
    };
    let task = Peer {
        ip: task_ip,
        security_groups: network.security_groups.clone(),
        prefix_list: None,
        subnet: task_subnet,
        label: "the task".into(),
    };
    let leaving = egress(&task_groups, NFS, &mount, &lists);
    let arriving = ingress(&mount_groups, NFS, &task, &lists);
    if leaving == Passage::Blocked {
        out.finding(nfs_blocked(efs, target, &task, &task_groups, true));
    }
    if arriving == Passage::Blocked {
        out.finding(nfs_blocked(efs, target, &task, &mount_groups, false));
    }
    if matches!((&leaving, &arriving), (Passage::Allowed(_), Passage::Allowed(_))) {
        out.pass(
            "efs-nfs",
            &target.id,
            format!("TCP 2049 passes from the task to mount target {}", target.id),
        );
    }
    if let Some(subnet) = task.subnet.as_deref() {
        check_nfs_acls(vpc, efs, target, (subnet, task.ip), target_ip, out);
    }
}

/// NFS through the network ACLs: out of the task's subnet and into the mount target's, and the
/// replies back. Traffic within one subnet crosses no ACL.
fn check_nfs_acls(
    vpc: &VpcFacts,
    efs: &EfsFacts,
    target: &MountTarget,
    (task_subnet, task_ip): (&str, IpAddr),
    target_ip: IpAddr,
    out: &mut Outcome,
) {
    // An unreadable ACL listing is named by the network check.
    let (Fact::Known(acls), false) = (&vpc.network_acls, task_subnet == target.subnet_id) else {
        return;
    };
    let sides = [
        (
            task_subnet,
            [(true, target_ip, (NFS, NFS)), (false, target_ip, EPHEMERAL_PORTS)],
        ),
        (
            target.subnet_id.as_str(),
            [(false, task_ip, (NFS, NFS)), (true, task_ip, EPHEMERAL_PORTS)],
        ),
    ];
    let mut checked = Vec::new();
    let mut any_blocked = false;
    for (subnet, tries) in sides {
        let Some(acl) = acl_of(acls, subnet) else { continue };
        checked.push(acl.id.as_str());
        let blocked: Vec<serde_json::Value> = tries
            .iter()
            .filter_map(|(egress, ip, ports)| acl_blocks(acl, *egress, *ip, *ports))
            .collect();
        if blocked.is_empty() {
            continue;
        }
        let (towards, back) = if subnet == task_subnet {
            ("outbound to", "inbound")
        } else {
            ("inbound from", "outbound")
        };
        out.finding(
            Finding::new(
                Code::NetworkAclBlocksTraffic,
                Severity::Error,
                &acl.id,
                format!("Network ACL {} of subnet {subnet} blocks NFS between the task and mount target {} of {}.", acl.id, target.id, efs.volume.file_system_id),
            )
            .evidence(json!({"networkAclId": acl.id, "subnetId": subnet, "taskSubnetId": task_subnet, "mountTargetId": target.id, "blocked": blocked, "services": [Service::Efs.name()]}))
            .remedy(format!(
                "In network ACL {}, allow TCP 2049 {towards} the {} and TCP {}-{} {back} (the replies), numbered before any deny that matches them.",
                acl.id,
                if subnet == task_subnet { "mount target's subnet" } else { "task's subnet" },
                EPHEMERAL_PORTS.0,
                EPHEMERAL_PORTS.1
            ))
            .detail(Detail::Network(NetworkDetail { services: vec![Service::Efs], repair: None })),
        );
        any_blocked = true;
    }
    if any_blocked {
        return;
    }
    out.pass(
        "efs-network-acl",
        checked.join(","),
        format!("network ACL {} lets NFS through", checked.join(" and ")),
    );
}

fn nfs_blocked(efs: &EfsFacts, target: &MountTarget, task: &Peer, groups: &[&SecurityGroup], leaving: bool) -> Finding {
    let first = groups.first().map_or("", |g| g.id.as_str());
    let (summary, remedy) = if leaving {
        (
            format!(
                "The task's security groups do not let TCP 2049 out to mount target {} of {}.",
                target.id, efs.volume.file_system_id
            ),
            match target.security_groups.known().and_then(|groups| groups.first()) {
                Some(mount_group) => format!(
                    "Allow TCP 2049 out from security group {first} to the mount target's security group {mount_group}: aws ec2 authorize-security-group-egress --group-id {first} --ip-permissions 'IpProtocol=tcp,FromPort=2049,ToPort=2049,UserIdGroupPairs=[{{GroupId={mount_group}}}]'"
                ),
                None => format!(
                    "Allow TCP 2049 out from security group {first} to the mount target's security group (AuthorizeSecurityGroupEgress)."
                ),
            },
        )
    } else {
        (
            format!(
                "The security groups of mount target {} ({}) do not let the task in on TCP 2049.",
                target.id, efs.volume.file_system_id
            ),
            match task.security_groups.first() {
                Some(task_group) => format!(
                    "Allow TCP 2049 in to security group {first} from the task's security group {task_group}: aws ec2 authorize-security-group-ingress --group-id {first} --protocol tcp --port 2049 --source-group {task_group}"
                ),
                None => format!(
                    "Allow TCP 2049 in to security group {first} from the task's security groups (AuthorizeSecurityGroupIngress)."
                ),
            },
        )
    };
    Finding::new(Code::EfsSecurityGroupBlocksNfs, Severity::Error, first, summary)
        .evidence(json!({
            "volume": efs.volume.name,
            "fileSystemId": efs.volume.file_system_id,
            "mountTargetId": target.id,
            "mountTargetAddress": target.ip,
            "direction": if leaving { "egress" } else { "ingress" },
            "securityGroups": groups.iter().map(|g| &g.id).collect::<Vec<_>>(),
            "rules": rules_json(groups, leaving),
            "taskAddress": task.ip.to_string(),
            "taskSecurityGroups": task.security_groups,
            "port": NFS,
        }))
        .remedy(remedy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::fixtures::{private_vpc, snapshot};
    use crate::facts::{AccessPoint, CallFailure, EfsVolume, SecurityGroupRule};

    fn nfs_in_from(group: &str) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(2049),
            to_port: Some(2049),
            security_groups: vec![group.into()],
            ..Default::default()
        }
    }

    fn target(zone: &str, subnet: &str, state: &str) -> MountTarget {
        MountTarget {
            id: format!("fsmt-{zone}"),
            subnet_id: subnet.into(),
            availability_zone: Some(zone.into()),
            ip: Some("10.0.1.200".into()),
            state: state.into(),
            security_groups: Fact::Known(vec!["sg-efs".into()]),
        }
    }

    /// The fixture task (us-east-1a, sg-task with all egress) with one EFS volume whose mount
    /// target in us-east-1a admits NFS from sg-task.
    fn with_volume() -> (Snapshot, EfsFacts) {
        let mut vpc = private_vpc();
        if let Fact::Known(groups) = &mut vpc.security_groups {
            groups.push(SecurityGroup {
                id: "sg-efs".into(),
                name: "efs".into(),
                ingress: vec![nfs_in_from("sg-task")],
                egress: vec![],
            });
        }
        let efs = EfsFacts {
            volume: EfsVolume {
                name: "data".into(),
                file_system_id: "fs-1".into(),
                access_point_id: Some("fsap-1".into()),
                ..Default::default()
            },
            file_system: Fact::Known(Some(FileSystem {
                id: "fs-1".into(),
                availability_zone: None,
            })),
            access_point: Some(Fact::Known(Some(AccessPoint {
                id: "fsap-1".into(),
                file_system_id: "fs-1".into(),
            }))),
            mount_targets: Fact::Known(vec![target("us-east-1a", "subnet-task", "available")]),
            policy: Fact::Known(None),
        };
        (snapshot(vpc), efs)
    }

    fn findings(snapshot: &Snapshot, efs: EfsFacts) -> Vec<(Code, Severity)> {
        let mut snapshot = snapshot.clone();
        snapshot.efs = vec![efs];
        check(&snapshot).findings.iter().map(|f| (f.code, f.severity)).collect()
    }

    #[test]
    fn a_reachable_mount_target_in_the_task_zone_passes() {
        let (snapshot, efs) = with_volume();
        let mut with = snapshot.clone();
        with.efs = vec![efs];
        let outcome = check(&with);
        assert_eq!(outcome.findings.len(), 0, "{:#?}", outcome.findings);
        let passed: Vec<&str> = outcome.passes.iter().map(|p| p.check.as_str()).collect();
        assert_eq!(
            passed,
            ["efs-file-system", "efs-access-point", "efs-mount-target", "efs-nfs"]
        );
    }

    #[test]
    fn a_missing_file_system_or_access_point_is_not_found() {
        let (snapshot, mut efs) = with_volume();
        efs.file_system = Fact::Known(None);
        assert_eq!(
            findings(&snapshot, efs),
            [(Code::EfsFileSystemNotFound, Severity::Error)]
        );
        let (snapshot, mut efs) = with_volume();
        efs.access_point = Some(Fact::Known(None));
        assert_eq!(
            findings(&snapshot, efs),
            [(Code::EfsFileSystemNotFound, Severity::Error)]
        );
        let (snapshot, mut efs) = with_volume();
        efs.access_point = Some(Fact::Known(Some(AccessPoint {
            id: "fsap-1".into(),
            file_system_id: "fs-other".into(),
        })));
        assert_eq!(
            findings(&snapshot, efs),
            [(Code::EfsFileSystemNotFound, Severity::Error)]
        );
    }

    #[test]
    fn no_available_target_in_the_zone_or_a_one_zone_file_system_elsewhere_is_missing() {
        for targets in [
            vec![target("us-east-1b", "subnet-b", "available")],
            vec![target("us-east-1a", "subnet-task", "deleting")],
            vec![],
        ] {
            let (snapshot, mut efs) = with_volume();
            efs.mount_targets = Fact::Known(targets);
            assert_eq!(
                findings(&snapshot, efs),
                [(Code::EfsMountTargetMissing, Severity::Error)]
            );
        }
        let (snapshot, mut efs) = with_volume();
        efs.file_system = Fact::Known(Some(FileSystem {
            id: "fs-1".into(),
            availability_zone: Some("us-east-1b".into()),
        }));
        assert_eq!(
            findings(&snapshot, efs),
            [(Code::EfsMountTargetMissing, Severity::Error)]
        );
        // A target in the zone but in a subnet the task's VPC does not have: another VPC.
        let (snapshot, mut efs) = with_volume();
        efs.mount_targets = Fact::Known(vec![target("us-east-1a", "subnet-elsewhere", "available")]);
        assert_eq!(
            findings(&snapshot, efs),
            [(Code::EfsMountTargetMissing, Severity::Error)]
        );
    }

    #[test]
    fn nfs_blocked_either_way_names_the_direction() {
        let (mut snapshot, efs) = with_volume();
        if let Some(Fact::Known(vpc)) = &mut snapshot.vpc
            && let Fact::Known(groups) = &mut vpc.security_groups
        {
            groups[0].egress = vec![crate::facts::fixtures::https_rule(&["0.0.0.0/0"], &[])];
        }
        let mut with = snapshot.clone();
        with.efs = vec![efs.clone()];
        let outcome = check(&with);
        assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
        assert_eq!(
            (
                outcome.findings[0].code,
                outcome.findings[0].evidence["direction"].as_str()
            ),
            (Code::EfsSecurityGroupBlocksNfs, Some("egress"))
        );
        assert_eq!(outcome.findings[0].resource, "sg-task");
        assert!(outcome.findings[0].remedy.contains("authorize-security-group-egress --group-id sg-task --ip-permissions 'IpProtocol=tcp,FromPort=2049,ToPort=2049,UserIdGroupPairs=[{GroupId=sg-efs}]'"), "{}", outcome.findings[0].remedy);

        let (mut snapshot, efs) = with_volume();
        if let Some(Fact::Known(vpc)) = &mut snapshot.vpc
            && let Fact::Known(groups) = &mut vpc.security_groups
        {
            groups.last_mut().unwrap().ingress = vec![nfs_in_from("sg-someone-else")];
        }
        let mut with = snapshot.clone();
        with.efs = vec![efs];
        let outcome = check(&with);
        assert_eq!(
            (
                outcome.findings[0].code,
                outcome.findings[0].evidence["direction"].as_str()
            ),
            (Code::EfsSecurityGroupBlocksNfs, Some("ingress"))
        );
        assert_eq!(outcome.findings[0].resource, "sg-efs");
        assert!(
            outcome.findings[0].remedy.ends_with(
                "authorize-security-group-ingress --group-id sg-efs --protocol tcp --port 2049 --source-group sg-task"
            ),
            "{}",
            outcome.findings[0].remedy
        );
    }

    #[test]
    fn what_could_not_be_read_decides_nothing() {
        fn failed<T>(operation: &str) -> Fact<T> {
            Fact::Failed(CallFailure {
                operation: operation.into(),
                resource: "fs-1".into(),
                error_code: "AccessDeniedException".into(),
                message: String::new(),
            })
        }
        let (snapshot, mut efs) = with_volume();
        efs.file_system = failed("elasticfilesystem:DescribeFileSystems");
        assert_eq!(findings(&snapshot, efs), [(Code::CheckFailed, Severity::Info)]);
        let (snapshot, mut efs) = with_volume();
        efs.mount_targets = failed("elasticfilesystem:DescribeMountTargets");
        assert_eq!(findings(&snapshot, efs), [(Code::CheckFailed, Severity::Info)]);
        let (snapshot, mut efs) = with_volume();
        efs.mount_targets = Fact::Known(vec![MountTarget {
            security_groups: failed("elasticfilesystem:DescribeMountTargetSecurityGroups"),
            ..target("us-east-1a", "subnet-task", "available")
        }]);
        assert_eq!(findings(&snapshot, efs), [(Code::CheckFailed, Severity::Info)]);
        // The task's zone unknown: which target it would use is unknown, so neither missing nor passed.
        let (mut snapshot, efs) = with_volume();
        snapshot.task.availability_zone = None;
        if let Some(Fact::Known(vpc)) = &mut snapshot.vpc {
            vpc.subnets = failed("ec2:DescribeSubnets");
        }
        let mut with = snapshot.clone();
        with.efs = vec![efs];
        let outcome = check(&with);
        assert!(outcome.findings.is_empty() && !outcome.passes.iter().any(|p| p.check == "efs-mount-target"));
    }

    const CONSOLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}}}]}"#;
    const TASK_ROLE: &str = "arn:aws:iam::111122223333:role/app-task";

    fn access_codes(snapshot: &Snapshot, efs: EfsFacts) -> Vec<(Code, Severity)> {
        findings(snapshot, efs)
            .into_iter()
            .filter(|(code, _)| *code == Code::EfsAccessDenied)
            .collect()
    }

    fn iam_volume(snapshot: &mut Snapshot, efs: &mut EfsFacts, decision: Option<&str>) {
        efs.volume.iam = true;
        if let Fact::Known(definition) = &mut snapshot.task_definition {
            definition.efs_volumes = vec![efs.volume.clone()];
            definition.task_role_arn = decision.map(|_| TASK_ROLE.to_string());
        }
        snapshot.task_role = decision.map(|decision| crate::facts::ExecutionRoleFacts {
            arn: TASK_ROLE.into(),
            role: Fact::Known(Some(crate::facts::RoleFacts {
                arn: TASK_ROLE.into(),
                name: "app-task".into(),
                trust_policy: String::new(),
                permissions_boundary: None,
            })),
            permissions: Some(crate::facts::Permissions::Simulated(
                ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
                    .iter()
                    .map(|action| crate::facts::SimulatedDecision {
                        action: action.to_string(),
                        resource: "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1".into(),
                        decision: decision.into(),
                        ..Default::default()
                    })
                    .collect(),
            )),
        });
    }

    #[test]
    fn with_iam_authorization_the_task_role_must_exist_and_be_allowed_to_mount() {
        let (mut snapshot, mut efs) = with_volume();
        iam_volume(&mut snapshot, &mut efs, None);
        assert_eq!(
            access_codes(&snapshot, efs),
            [(Code::EfsAccessDenied, Severity::Error)],
            "no task role"
        );
        let (mut snapshot, mut efs) = with_volume();
        iam_volume(&mut snapshot, &mut efs, Some("implicitDeny"));
        let mut with = snapshot.clone();
        with.efs = vec![efs.clone()];
        let outcome = check(&with);
        let denied = outcome
            .findings
            .iter()
            .find(|f| f.code == Code::EfsAccessDenied)
            .expect("EFS_ACCESS_DENIED");
        assert!(
            denied
                .summary
                .starts_with("Task role app-task is not allowed elasticfilesystem:ClientMount"),
            "{}",
            denied.summary
        );
        assert!(denied.remedy.contains("task role app-task"), "{}", denied.remedy);
        let (mut snapshot, mut efs) = with_volume();
        iam_volume(&mut snapshot, &mut efs, Some("allowed"));
        assert_eq!(access_codes(&snapshot, efs), []);
    }

    #[test]
    fn a_task_role_shared_by_two_volumes_is_reported_unsimulated_once() {
        let (mut snapshot, mut efs) = with_volume();
        iam_volume(&mut snapshot, &mut efs, Some("allowed"));
        let failure = crate::facts::CallFailure {
            operation: "iam:SimulatePrincipalPolicy".into(),
            resource: TASK_ROLE.into(),
            error_code: "AccessDenied".into(),
            message: "no".into(),
        };
        let mount = allow_mount();
        if let Some(role) = &mut snapshot.task_role {
            role.permissions = Some(crate::facts::Permissions::Offline {
                simulation: failure,
                policies: Fact::Known(vec![mount]),
            });
        }
        let mut second = efs.clone();
        second.volume.name = "logs".into();
        if let Fact::Known(definition) = &mut snapshot.task_definition {
            definition.efs_volumes.push(second.volume.clone());
        }
        snapshot.efs = vec![efs, second];
        let outcome = check(&snapshot);
        let unsimulated = outcome
            .findings
            .iter()
            .filter(|f| f.evidence["call"] == "iam:SimulatePrincipalPolicy")
            .count();
        assert_eq!(unsimulated, 1, "{:#?}", outcome.findings);
        assert_eq!(
            outcome.passes.iter().filter(|p| p.check == "efs-task-role").count(),
            2,
            "each volume's mount was judged"
        );
    }

    fn allow_mount() -> crate::facts::RolePolicy {
        crate::facts::RolePolicy {
            name: "mount".into(),
            kind: crate::facts::PolicyKind::Inline,
            document: json!({"Statement": [{"Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": "*"}]}).to_string(),
        }
    }

    #[test]
    fn the_file_system_policy_must_let_the_mount_in() {
        // The console's default policy lets any client that comes through a mount target in.
        let (snapshot, mut efs) = with_volume();
        efs.policy = Fact::Known(Some(CONSOLE_POLICY.into()));
        assert_eq!(access_codes(&snapshot, efs), []);
        // A policy that allows only a role: an anonymous mount (no IAM authorization) is refused.
        let only_role = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{TASK_ROLE}"}},"Action":"elasticfilesystem:ClientMount"}}]}}"#
        );
        let (snapshot, mut efs) = with_volume();
        efs.policy = Fact::Known(Some(only_role.clone()));
        assert_eq!(access_codes(&snapshot, efs), [(Code::EfsAccessDenied, Severity::Error)]);
        // With IAM authorization an implicit deny is not the end: the role's own policy may allow it.
        let (mut snapshot, mut efs) = with_volume();
        iam_volume(&mut snapshot, &mut efs, Some("allowed"));
        efs.policy = Fact::Known(Some(only_role));
        assert_eq!(access_codes(&snapshot, efs), []);
        // An explicit deny of unencrypted transport refuses a mount without transit encryption.
        let tls_only = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        let (snapshot, mut efs) = with_volume();
        efs.policy = Fact::Known(Some(tls_only.into()));
        assert_eq!(
            access_codes(&snapshot, efs.clone()),
            [(Code::EfsAccessDenied, Severity::Error)]
        );
        efs.volume.transit_encryption = true;
        let tls_and_console = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}}}]}"#;
        efs.policy = Fact::Known(Some(tls_and_console.into()));
        assert_eq!(access_codes(&snapshot, efs), []);
    }

    #[test]
    fn a_network_acl_between_the_task_and_a_mount_target_in_another_subnet() {
        let (mut snapshot, mut efs) = with_volume();
        efs.mount_targets = Fact::Known(vec![MountTarget {
            ip: Some("10.0.9.10".into()),
            ..target("us-east-1a", "subnet-public", "available")
        }]);
        let mut entries = crate::facts::fixtures::open_acl_entries();
        entries.retain(|e| e.egress); // nothing may come in: not NFS from the task
        if let Some(Fact::Known(vpc)) = &mut snapshot.vpc
            && let Fact::Known(acls) = &mut vpc.network_acls
        {
            acls.push(crate::facts::NetworkAcl {
                id: "acl-efs".into(),
                default: false,
                subnet_ids: vec!["subnet-public".into()],
                entries,
            });
        }
        let mut with = snapshot.clone();
        with.efs = vec![efs.clone()];
        let outcome = check(&with);
        assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
        let finding = &outcome.findings[0];
        assert_eq!(
            (finding.code, finding.resource.as_str()),
            (Code::NetworkAclBlocksTraffic, "acl-efs")
        );
        assert_eq!(finding.evidence["blocked"][0]["port"], 2049);
        assert_eq!(finding.detail.services(), [Service::Efs]);
        // It explains a mount that never connected, not a pull.
        let mount = crate::classify::classify_message(
            "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Mount attempt 1/3 failed due to timeout after 15 sec",
        );
        let pull = crate::classify::classify_message(
            "CannotPullContainerError: Error response from daemon: Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection",
        );
        assert!(super::super::verdict::explanation_score(finding, &mount) > 0);
        assert_eq!(super::super::verdict::explanation_score(finding, &pull), 0);
        // Open both ways, it passes.
        let (snapshot, mut efs) = with_volume();
        efs.mount_targets = Fact::Known(vec![MountTarget {
            ip: Some("10.0.9.10".into()),
            ..target("us-east-1a", "subnet-public", "available")
        }]);
        let mut with = snapshot.clone();
        with.efs = vec![efs];
        let outcome = check(&with);
        assert!(outcome.findings.is_empty(), "{:#?}", outcome.findings);
        assert!(outcome.passes.iter().any(|p| p.check == "efs-network-acl"));
    }
}
