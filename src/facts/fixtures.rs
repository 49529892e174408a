//! Snapshot fixtures for unit tests: a healthy Fargate task in a private subnet that reaches AWS
//! through VPC endpoints. Each test breaks one thing.

use super::*;

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
pub const IMAGE: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole";
pub const ALLOW_ALL: &str =
    r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

pub fn task() -> TaskFacts {
    TaskFacts {
        arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/0123456789abcdef0123456789abcdef"),
        region: REGION.into(),
        account: ACCOUNT.into(),
        cluster: "prod".into(),
        task_definition_arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/shop-web:7"),
        launch_type: Some("FARGATE".into()),
        last_status: Some("STOPPED".into()),
        stop_code: Some("TaskFailedToStart".into()),
        stopped_reason: Some("Task failed to start".into()),
        group: Some("service:web".into()),
        containers: vec![ContainerState {
            name: "web".into(),
            image: Some(IMAGE.into()),
            ..Default::default()
        }],
        eni: Some(EniAttachment {
            eni_id: Some("eni-task".into()),
            subnet_id: Some("subnet-task".into()),
            private_ip: Some("10.0.1.23".into()),
        }),
        ..Default::default()
    }
}

pub fn task_definition() -> TaskDefinitionFacts {
    TaskDefinitionFacts {
        arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/shop-web:7"),
        family: "shop-web".into(),
        revision: 7,
        execution_role_arn: Some(ROLE.into()),
        network_mode: Some("awsvpc".into()),
        containers: vec![ContainerDefinition {
            name: "web".into(),
            image: IMAGE.into(),
            essential: true,
            log: Some(LogConfiguration {
                driver: "awslogs".into(),
                group: Some("/ecs/shop-web".into()),
                region: Some(REGION.into()),
                create_group: false,
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn interface_endpoint(service: &str) -> VpcEndpoint {
    VpcEndpoint {
        id: format!("vpce-{}", service.replace('.', "")),
        service_name: format!("com.amazonaws.{REGION}.{service}"),
        kind: EndpointKind::Interface,
        state: Some("available".into()),
        subnet_ids: vec!["subnet-task".into()],
        security_group_ids: vec!["sg-endpoint".into()],
        private_dns: true,
        policy: Some(ALLOW_ALL.into()),
        ..Default::default()
    }
}

pub fn https_rule(cidrs: &[&str], groups: &[&str]) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: "tcp".into(),
        from_port: Some(443),
        to_port: Some(443),
        cidrs: cidrs.iter().map(|c| c.to_string()).collect(),
        security_groups: groups.iter().map(|g| g.to_string()).collect(),
        prefix_lists: vec![],
    }
}

pub fn open_acl_entries() -> Vec<AclEntry> {
    [true, false]
        .into_iter()
        .flat_map(|egress| {
            [
                AclEntry {
                    rule_number: 100,
                    egress,
                    protocol: "-1".into(),
                    allow: true,
                    cidr: Some("0.0.0.0/0".into()),
                    ..Default::default()
                },
                AclEntry {
                    rule_number: 32767,
                    egress,
                    protocol: "-1".into(),
                    allow: false,
                    cidr: Some("0.0.0.0/0".into()),
                    ..Default::default()
                },
            ]
        })
        .collect()
}

pub fn private_vpc() -> VpcFacts {
    VpcFacts {
        vpc_id: "vpc-1".into(),
        subnets: Fact::Known(vec![
            Subnet {
                id: "subnet-task".into(),
                vpc_id: "vpc-1".into(),
                cidr: "10.0.1.0/24".into(),
                availability_zone: Some("us-east-1a".into()),
                ..Default::default()
            },
            Subnet {
                id: "subnet-public".into(),
                vpc_id: "vpc-1".into(),
                cidr: "10.0.9.0/24".into(),
                availability_zone: Some("us-east-1a".into()),
                ..Default::default()
            },
        ]),
        route_tables: Fact::Known(vec![
            RouteTable {
                id: "rtb-main".into(),
                main: true,
                subnet_ids: vec![],
                routes: vec![Route {
                    destination: "10.0.0.0/16".into(),
                    target: "local".into(),
                    state: Some("active".into()),
                }],
            },
            RouteTable {
                id: "rtb-private".into(),
                main: false,
                subnet_ids: vec!["subnet-task".into()],
                routes: vec![
                    Route {
                        destination: "10.0.0.0/16".into(),
                        target: "local".into(),
                        state: Some("active".into()),
                    },
                    Route {
                        destination: "pl-s3".into(),
                        target: "vpce-s3".into(),
                        state: Some("active".into()),
                    },
                ],
            },
        ]),
        nat_gateways: Fact::Known(vec![]),
        endpoints: Fact::Known(vec![
            interface_endpoint("ecr.api"),
            interface_endpoint("ecr.dkr"),
            interface_endpoint("logs"),
            VpcEndpoint {
                id: "vpce-s3".into(),
                service_name: format!("com.amazonaws.{REGION}.s3"),
                kind: EndpointKind::Gateway,
                state: Some("available".into()),
                route_table_ids: vec!["rtb-private".into()],
                policy: Some(ALLOW_ALL.into()),
                ..Default::default()
            },
        ]),
        security_groups: Fact::Known(vec![
            SecurityGroup {
                id: "sg-task".into(),
                name: "tasks".into(),
                ingress: vec![],
                egress: vec![SecurityGroupRule {
                    protocol: "-1".into(),
                    cidrs: vec!["0.0.0.0/0".into()],
                    ..Default::default()
                }],
            },
            SecurityGroup {
                id: "sg-endpoint".into(),
                name: "endpoints".into(),
                ingress: vec![https_rule(&[], &["sg-task"])],
                egress: vec![],
            },
        ]),
        network_acls: Fact::Known(vec![NetworkAcl {
            id: "acl-1".into(),
            default: true,
            subnet_ids: vec!["subnet-task".into()],
            entries: open_acl_entries(),
        }]),
        dns_support: Fact::Known(true),
        dns_hostnames: Fact::Known(true),
        s3_prefix_list: Fact::Known(Some(PrefixList {
            id: "pl-s3".into(),
            name: format!("com.amazonaws.{REGION}.s3"),
            cidrs: vec!["52.216.0.0/15".into()],
        })),
        referenced_prefix_lists: vec![],
    }
}

/// The same task behind a NAT gateway, with no endpoints at all.
pub fn nat_vpc() -> VpcFacts {
    let mut vpc = private_vpc();
    vpc.endpoints = Fact::Known(vec![]);
    vpc.nat_gateways = Fact::Known(vec![NatGateway {
        id: "nat-1".into(),
        state: "available".into(),
        subnet_id: Some("subnet-public".into()),
    }]);
    if let Fact::Known(tables) = &mut vpc.route_tables {
        tables[1].routes = vec![
            Route {
                destination: "10.0.0.0/16".into(),
                target: "local".into(),
                state: Some("active".into()),
            },
            Route {
                destination: "0.0.0.0/0".into(),
                target: "nat-1".into(),
                state: Some("active".into()),
            },
        ];
    }
    vpc
}

pub fn snapshot(vpc: VpcFacts) -> Snapshot {
    Snapshot {
        task: task(),
        task_definition: Fact::Known(task_definition()),
        network: Some(Fact::Known(NetworkConfig {
            subnets: vec!["subnet-task".into()],
            service_subnets: vec!["subnet-task".into(), "subnet-other".into()],
            security_groups: vec!["sg-task".into()],
            assign_public_ip: Some(false),
            source: NetworkSource::Service,
        })),
        vpc: Some(Fact::Known(vpc)),
        ecr_images: vec![],
        execution_role: Some(execution_role(vec![execution_role_policy()])),
        secrets: vec![],
        efs: vec![],
        task_role: None,
        env_files: vec![],
        log_groups: vec![LogGroupFacts {
            container: "web".into(),
            group: "/ecs/shop-web".into(),
            region: REGION.into(),
            create_group: false,
            exists: Fact::Known(true),
        }],
    }
}

pub const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// AmazonECSTaskExecutionRolePolicy, as AWS publishes it.
pub fn execution_role_policy() -> RolePolicy {
    RolePolicy {
        name: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy".into(),
        kind: PolicyKind::Managed,
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#.into(),
    }
}

/// The role with `policies`, evaluated offline (as the emulator, which cannot simulate, makes it).
pub fn execution_role(policies: Vec<RolePolicy>) -> ExecutionRoleFacts {
    ExecutionRoleFacts {
        arn: ROLE.into(),
        role: Fact::Known(Some(RoleFacts {
            arn: ROLE.into(),
            name: "ecsTaskExecutionRole".into(),
            trust_policy: TRUST.into(),
            permissions_boundary: None,
        })),
        permissions: Some(Permissions::Offline {
            simulation: CallFailure {
                operation: "iam:SimulatePrincipalPolicy".into(),
                resource: ROLE.into(),
                error_code: "AccessDenied".into(),
                message: "not allowed".into(),
            },
            policies: Fact::Known(policies),
        }),
    }
}
