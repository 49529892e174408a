//! Builds realistic ECS environments in the emulator: a VPC with a private subnet and the endpoints a
//! Fargate task needs, an ECR repository with the tags that exist, an execution role, a service and a
//! task that stopped with a given reason.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{AttributeBooleanValue, IpPermission, IpRange, UserIdGroupPair, VpcEndpointType};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType, LogConfiguration, LogDriver,
    NetworkConfiguration, NetworkMode,
};

use super::REGION;

pub const EXECUTION_ROLE_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// A manifest the emulator accepts; each tag gets its own digests.
fn manifest(tag: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    tag.hash(&mut hasher);
    let seed = hasher.finish();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":1470,"digest":"sha256:{seed:064x}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":3370628,"digest":"sha256:{:064x}"}}]}}"#,
        seed.rotate_left(17)
    )
}

/// The task's network as built.
#[derive(Debug, Clone)]
pub struct Network {
    pub vpc_id: String,
    pub subnet_id: String,
    pub route_table_id: String,
    pub security_group_id: String,
    pub endpoint_group_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internet {
    None,
    Gateway,
    Nat,
    DeletedNat,
}

/// How to build a task's network. The default is what a locked-down Fargate service runs in: a
/// private subnet with no route out, reaching AWS through VPC endpoints, all of them healthy.
#[derive(Debug, Clone)]
pub struct NetworkSpec {
    pub interface_endpoints: Vec<&'static str>,
    pub private_dns: bool,
    pub interface_policy: Vec<(&'static str, String)>,
    pub s3_gateway: bool,
    pub s3_on_task_route_table: bool,
    pub s3_policy: Option<String>,
    pub internet: Internet,
    pub task_egress_443: bool,
    pub endpoint_admits_tasks: bool,
    pub acl_denies_443_out: bool,
    /// The interface endpoints in a subnet of their own (10.0.2.0/24) with its own network ACL.
    pub endpoint_subnet: Option<EndpointSubnet>,
    /// The task group's only 443 egress: to a customer-managed prefix list of these CIDRs, and to S3's.
    pub egress_to_customer_list: Option<Vec<&'static str>>,
    /// A dual-stack VPC and subnet whose task group lets 443 out to `::/0` only (and to 0.0.0.0/0 when true).
    pub dual_stack_egress_v4: Option<bool>,
}

/// The network ACL of the endpoints' own subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSubnet {
    Open,
    /// Denies TCP 443 in from the VPC's other addresses, the task's among them.
    DeniesTasks,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            interface_endpoints: vec!["ecr.api", "ecr.dkr", "logs"],
            private_dns: true,
            interface_policy: vec![],
            s3_gateway: true,
            s3_on_task_route_table: true,
            s3_policy: None,
            internet: Internet::None,
            task_egress_443: true,
            endpoint_admits_tasks: true,
            acl_denies_443_out: false,
            endpoint_subnet: None,
            egress_to_customer_list: None,
            dual_stack_egress_v4: None,
        }
    }
}

impl NetworkSpec {
    /// A private subnet behind a NAT gateway, with no endpoints.
    pub fn nat() -> Self {
        NetworkSpec {
            interface_endpoints: vec![],
            s3_gateway: false,
            internet: Internet::Nat,
            ..NetworkSpec::default()
        }
    }

    /// No endpoints and no route out.
    pub fn isolated() -> Self {
        NetworkSpec {
            interface_endpoints: vec![],
            s3_gateway: false,
            ..NetworkSpec::default()
        }
    }
}

/// Removes a new group's default "everything out" rule.
async fn revoke_all_egress(ec2: &aws_sdk_ec2::Client, group: &str) {
    let everything = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    ec2.revoke_security_group_egress()
        .group_id(group)
        .ip_permissions(everything)
        .send()
        .await
        .expect("revoke egress");
}

/// The execution role a scenario gives its task definition.
#[derive(Debug, Clone)]
pub enum RoleSpec {
    /// Trusts ecs-tasks.amazonaws.com, has AmazonECSTaskExecutionRolePolicy.
    Standard,
    /// The task definition names no execution role.
    Absent,
    /// The task definition names a role that does not exist.
    Missing,
    /// Trusts ec2.amazonaws.com instead of ecs-tasks.amazonaws.com.
    TrustsEc2,
    /// Trusts ECS, with only these inline policies (JSON).
    Inline(Vec<String>),
    /// Standard, plus these inline policies (JSON).
    StandardPlus(Vec<String>),
    /// Standard, capped by a permissions boundary with this document (JSON).
    Bounded(String),
    /// With the managed policy, and this trust policy (JSON).
    Trust(String),
}

/// What the task definition holds beyond its image.
#[derive(Debug, Clone)]
pub struct DefinitionSpec {
    pub role: RoleSpec,
    /// (environment name, valueFrom).
    pub secrets: Vec<(String, String)>,
    pub repository_credentials: Option<String>,
    pub create_log_group: bool,
    /// An EFS volume named `data`, mounted by the container, and what backs it.
    pub efs: Option<EfsSpec>,
    /// A task role: with it the EFS volume is mounted with IAM authorization (and TLS, which that needs).
    pub task_role: Option<RoleSpec>,
    /// The EFS volume mounts through an access point of its file system (with TLS, which that needs).
    pub efs_access_point: bool,
    /// An environment file of the container, and what S3 holds of it.
    pub env_file: Option<EnvFileSpec>,
}

/// An environment file `s3://NAME-env/app.env` and its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvFileSpec {
    /// Bucket and object exist; the bucket policy given, if any.
    Present { bucket_policy: Option<&'static str> },
    /// The bucket exists without the object.
    ObjectMissing,
    /// No such bucket.
    BucketMissing,
}

impl Default for DefinitionSpec {
    fn default() -> Self {
        DefinitionSpec {
            role: RoleSpec::Standard,
            secrets: vec![],
            repository_credentials: None,
            create_log_group: true,
            efs: None,
            task_role: None,
            efs_access_point: false,
            env_file: None,
        }
    }
}

/// The file system behind a task's EFS volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EfsSpec {
    /// A file system with a mount target in the task's subnet, whose security group admits TCP 2049
    /// from the task's group (or, with `admit: false`, from no one), and the file system policy given.
    Served { admit: bool, policy: Option<&'static str> },
    /// A file system whose only mount target is in another zone.
    ElsewhereOnly,
    /// A file system ID that does not exist.
    Missing,
}

/// An EFS file system a scenario built, and the access point the volume mounts through, if any.
#[derive(Debug, Clone)]
pub struct BuiltEfs {
    pub file_system: String,
    pub access_point: Option<String>,
}

/// What a scenario built, for the test to aim at.
#[derive(Debug, Clone)]
pub struct StoppedTask {
    pub account: String,
    pub task_arn: String,
    pub cluster: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    pub image: String,
    pub network: Network,
    pub eni_id: Option<String>,
    pub service: Option<String>,
    pub stopped_reason: String,
}

pub struct Builder<'a> {
    config: &'a SdkConfig,
    pub account: String,
}

impl<'a> Builder<'a> {
    pub async fn new(config: &'a SdkConfig) -> Builder<'a> {
        let identity = aws_sdk_sts::Client::new(config)
            .get_caller_identity()
            .send()
            .await
            .expect("sts:GetCallerIdentity");
        Builder {
            config,
            account: identity.account().expect("account").to_string(),
        }
    }

    pub fn ecr_host(&self) -> String {
        format!("{}.dkr.ecr.{REGION}.amazonaws.com", self.account)
    }

    pub async fn private_network(&self, name: &str) -> Network {
        self.network(name, &NetworkSpec::default()).await
    }

    /// A VPC and the task's subnet, built as `spec` says.
    pub async fn network(&self, name: &str, spec: &NetworkSpec) -> Network {
        let ec2 = aws_sdk_ec2::Client::new(self.config);
        let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.expect("vpc");
        let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_string();
        // Endpoint names resolve only with VPC DNS on (the emulator also needs it to give task ENIs a name).
        self.set_vpc_dns(&vpc_id, true, true).await;
        let mut subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block("10.0.1.0/24")
            .availability_zone(format!("{REGION}a"));
        if spec.dual_stack_egress_v4.is_some() {
            let association = ec2
                .associate_vpc_cidr_block()
                .vpc_id(&vpc_id)
                .amazon_provided_ipv6_cidr_block(true)
                .send()
                .await
                .expect("ipv6 range");
            let range = association
                .ipv6_cidr_block_association()
                .and_then(|a| a.ipv6_cidr_block())
                .expect("the VPC's IPv6 range")
                .to_string();
            subnet = subnet.ipv6_cidr_block(range.replace("/56", "/64"));
        }
        let subnet = subnet.send().await.expect("subnet");
        let subnet_id = subnet
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("subnet id")
            .to_string();
        let table = ec2
            .create_route_table()
            .vpc_id(&vpc_id)
            .send()
            .await
            .expect("route table");
        let route_table_id = table
            .route_table()
            .and_then(|t| t.route_table_id())
            .expect("rt id")
            .to_string();
        ec2.associate_route_table()
            .route_table_id(&route_table_id)
            .subnet_id(&subnet_id)
            .send()
            .await
            .expect("associate");
        let group = |suffix: &str, description: &str| {
            ec2.create_security_group()
                .vpc_id(&vpc_id)
                .group_name(format!("{name}-{suffix}"))
                .description(description)
                .send()
        };
        let security_group_id = group("tasks", "tasks of the service")
            .await
            .expect("task group")
            .group_id()
            .expect("sg id")
            .to_string();
        let endpoint_group_id = group("endpoints", "interface endpoints")
            .await
            .expect("endpoint group")
            .group_id()
            .expect("sg id")
            .to_string();
        let admit = if spec.endpoint_admits_tasks {
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&security_group_id).build())
                .build()
        } else {
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("10.9.0.0/16").build())
                .build()
        };
        ec2.authorize_security_group_ingress()
            .group_id(&endpoint_group_id)
            .ip_permissions(admit)
            .send()
            .await
            .expect("endpoint ingress");
        if !spec.task_egress_443 {
            revoke_all_egress(&ec2, &security_group_id).await;
            let http = IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(80)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build();
            ec2.authorize_security_group_egress()
                .group_id(&security_group_id)
                .ip_permissions(http)
                .send()
                .await
                .expect("http egress");
        }
        let endpoint_subnet_id = match spec.endpoint_subnet {
            None => subnet_id.clone(),
            Some(acl) => self.endpoint_subnet(&vpc_id, acl).await,
        };
        if let Some(cidrs) = &spec.egress_to_customer_list {
            self.egress_only_to_lists(&security_group_id, cidrs).await;
        }
        if let Some(v4) = spec.dual_stack_egress_v4 {
            revoke_all_egress(&ec2, &security_group_id).await;
            let mut https = IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ipv6_ranges(aws_sdk_ec2::types::Ipv6Range::builder().cidr_ipv6("::/0").build());
            if v4 {
                https = https.ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build());
            }
            ec2.authorize_security_group_egress()
                .group_id(&security_group_id)
                .ip_permissions(https.build())
                .send()
                .await
                .expect("https egress");
        }
        for service in &spec.interface_endpoints {
            let mut request = ec2
                .create_vpc_endpoint()
                .vpc_id(&vpc_id)
                .vpc_endpoint_type(VpcEndpointType::Interface)
                .service_name(format!("com.amazonaws.{REGION}.{service}"))
                .subnet_ids(&endpoint_subnet_id)
                .security_group_ids(&endpoint_group_id)
                .private_dns_enabled(spec.private_dns);
            if let Some((_, policy)) = spec.interface_policy.iter().find(|(s, _)| s == service) {
                request = request.policy_document(policy);
            }
            request.send().await.expect("interface endpoint");
        }
        if spec.s3_gateway {
            let main = ec2
                .describe_route_tables()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("vpc-id")
                        .values(&vpc_id)
                        .build(),
                )
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("association.main")
                        .values("true")
                        .build(),
                )
                .send()
                .await
                .expect("main route table");
            let main_id = main
                .route_tables()
                .first()
                .and_then(|t| t.route_table_id())
                .expect("main table")
                .to_string();
            let mut request = ec2
                .create_vpc_endpoint()
                .vpc_id(&vpc_id)
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .service_name(format!("com.amazonaws.{REGION}.s3"))
                .route_table_ids(if spec.s3_on_task_route_table {
                    &route_table_id
                } else {
                    &main_id
                });
            if let Some(policy) = &spec.s3_policy {
                request = request.policy_document(policy);
            }
            request.send().await.expect("s3 gateway endpoint");
        }
        match spec.internet {
            Internet::None => {}
            Internet::Gateway => {
                let igw = self.internet_gateway(&vpc_id).await;
                ec2.create_route()
                    .route_table_id(&route_table_id)
                    .destination_cidr_block("0.0.0.0/0")
                    .gateway_id(igw)
                    .send()
                    .await
                    .expect("igw route");
            }
            Internet::Nat | Internet::DeletedNat => {
                let igw = self.internet_gateway(&vpc_id).await;
                let public = ec2
                    .create_subnet()
                    .vpc_id(&vpc_id)
                    .cidr_block("10.0.9.0/24")
                    .send()
                    .await
                    .expect("public subnet");
                let public_id = public
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("public subnet id")
                    .to_string();
                let public_table = ec2
                    .create_route_table()
                    .vpc_id(&vpc_id)
                    .send()
                    .await
                    .expect("public table");
                let public_table_id = public_table
                    .route_table()
                    .and_then(|t| t.route_table_id())
                    .expect("id")
                    .to_string();
                ec2.associate_route_table()
                    .route_table_id(&public_table_id)
                    .subnet_id(&public_id)
                    .send()
                    .await
                    .expect("associate public");
                ec2.create_route()
                    .route_table_id(&public_table_id)
                    .destination_cidr_block("0.0.0.0/0")
                    .gateway_id(igw)
                    .send()
                    .await
                    .expect("public route");
                let address = ec2
                    .allocate_address()
                    .domain(aws_sdk_ec2::types::DomainType::Vpc)
                    .send()
                    .await
                    .expect("eip");
                let nat = ec2
                    .create_nat_gateway()
                    .subnet_id(&public_id)
                    .allocation_id(address.allocation_id().expect("allocation"))
                    .send()
                    .await
                    .expect("nat");
                let nat_id = nat
                    .nat_gateway()
                    .and_then(|n| n.nat_gateway_id())
                    .expect("nat id")
                    .to_string();
                ec2.create_route()
                    .route_table_id(&route_table_id)
                    .destination_cidr_block("0.0.0.0/0")
                    .nat_gateway_id(&nat_id)
                    .send()
                    .await
                    .expect("nat route");
                if spec.internet == Internet::DeletedNat {
                    ec2.delete_nat_gateway()
                        .nat_gateway_id(&nat_id)
                        .send()
                        .await
                        .expect("delete nat");
                }
            }
        }
        if spec.acl_denies_443_out {
            let acls = ec2
                .describe_network_acls()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("association.subnet-id")
                        .values(&subnet_id)
                        .build(),
                )
                .send()
                .await
                .expect("network acls");
            let acl_id = acls
                .network_acls()
                .first()
                .and_then(|a| a.network_acl_id())
                .expect("subnet acl")
                .to_string();
            ec2.create_network_acl_entry()
                .network_acl_id(&acl_id)
                .rule_number(50)
                .egress(true)
                .protocol("6")
                .rule_action(aws_sdk_ec2::types::RuleAction::Deny)
                .cidr_block("0.0.0.0/0")
                .port_range(aws_sdk_ec2::types::PortRange::builder().from(443).to(443).build())
                .send()
                .await
                .expect("deny entry");
        }
        Network {
            vpc_id,
            subnet_id,
            route_table_id,
            security_group_id,
            endpoint_group_id,
        }
    }

    /// A subnet for the interface endpoints (10.0.2.0/24) with a network ACL of its own.
    async fn endpoint_subnet(&self, vpc_id: &str, acl: EndpointSubnet) -> String {
        use aws_sdk_ec2::types::{Filter, PortRange, RuleAction};
        let ec2 = aws_sdk_ec2::Client::new(self.config);
        let subnet = ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block("10.0.2.0/24")
            .availability_zone(format!("{REGION}a"))
            .send()
            .await
            .expect("endpoint subnet");
        let subnet_id = subnet
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("subnet id")
            .to_string();
        let created = ec2
            .create_network_acl()
            .vpc_id(vpc_id)
            .send()
            .await
            .expect("network acl");
        let acl_id = created
            .network_acl()
            .and_then(|a| a.network_acl_id())
            .expect("acl id")
            .to_string();
        let entry = |number: i32, egress: bool, action: RuleAction, cidr: &str| {
            ec2.create_network_acl_entry()
                .network_acl_id(&acl_id)
                .rule_number(number)
                .egress(egress)
                .rule_action(action)
                .cidr_block(cidr)
        };
        for egress in [true, false] {
            entry(100, egress, RuleAction::Allow, "0.0.0.0/0")
                .protocol("-1")
                .send()
                .await
                .expect("allow entry");
        }
        if acl == EndpointSubnet::DeniesTasks {
            // The emulator gives a task's interface a random 10.x address, not one in its subnet.
            entry(10, false, RuleAction::Deny, "10.0.0.0/8")
                .protocol("6")
                .port_range(PortRange::builder().from(443).to(443).build())
                .send()
                .await
                .expect("deny entry");
        }
        let current = ec2
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(&subnet_id)
                    .build(),
            )
            .send()
            .await
            .expect("acls");
        let association = current
            .network_acls()
            .iter()
            .flat_map(|a| a.associations())
            .find(|a| a.subnet_id() == Some(subnet_id.as_str()))
            .and_then(|a| a.network_acl_association_id())
            .expect("the subnet's association")
            .to_string();
        ec2.replace_network_acl_association()
            .association_id(association)
            .network_acl_id(&acl_id)
            .send()
            .await
            .expect("associate acl");
        subnet_id
    }

    /// Leaves `group` only TCP 443 out to a new customer-managed prefix list of `cidrs` and to S3's list.
    async fn egress_only_to_lists(&self, group: &str, cidrs: &[&str]) {
        use aws_sdk_ec2::types::{AddPrefixListEntry, Filter, PrefixListId};
        let ec2 = aws_sdk_ec2::Client::new(self.config);
        revoke_all_egress(&ec2, group).await;
        let mut create = ec2
            .create_managed_prefix_list()
            .prefix_list_name(format!("{group}-corp"))
            .max_entries(10)
            .address_family("IPv4");
        for cidr in cidrs {
            create = create.entries(AddPrefixListEntry::builder().cidr(*cidr).build());
        }
        let list = create.send().await.expect("prefix list");
        let list_id = list
            .prefix_list()
            .and_then(|l| l.prefix_list_id())
            .expect("list id")
            .to_string();
        let s3 = ec2
            .describe_managed_prefix_lists()
            .filters(
                Filter::builder()
                    .name("prefix-list-name")
                    .values(format!("com.amazonaws.{REGION}.s3"))
                    .build(),
            )
            .send()
            .await
            .expect("s3 list");
        let s3_id = s3
            .prefix_lists()
            .first()
            .and_then(|l| l.prefix_list_id())
            .expect("the S3 list")
            .to_string();
        let https = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(443)
            .to_port(443)
            .prefix_list_ids(PrefixListId::builder().prefix_list_id(list_id).build())
            .prefix_list_ids(PrefixListId::builder().prefix_list_id(s3_id).build())
            .build();
        ec2.authorize_security_group_egress()
            .group_id(group)
            .ip_permissions(https)
            .send()
            .await
            .expect("egress to lists");
    }

    async fn internet_gateway(&self, vpc_id: &str) -> String {
        let ec2 = aws_sdk_ec2::Client::new(self.config);
        let igw = ec2.create_internet_gateway().send().await.expect("igw");
        let id = igw
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .expect("igw id")
            .to_string();
        ec2.attach_internet_gateway()
            .internet_gateway_id(&id)
            .vpc_id(vpc_id)
            .send()
            .await
            .expect("attach igw");
        id
    }

    /// The emulator needs DNS hostnames on while it starts a task; tests that want them off turn
    /// them off afterwards.
    pub async fn set_vpc_dns(&self, vpc_id: &str, support: bool, hostnames: bool) {
        let ec2 = aws_sdk_ec2::Client::new(self.config);
        for (attribute, value) in [("support", support), ("hostnames", hostnames)] {
            let value = AttributeBooleanValue::builder().value(value).build();
            let call = ec2.modify_vpc_attribute().vpc_id(vpc_id);
            let call = if attribute == "support" {
                call.enable_dns_support(value)
            } else {
                call.enable_dns_hostnames(value)
            };
            call.send().await.expect("dns attribute");
        }
    }

    /// Secret `name`, encrypted with a new customer-managed key named by `alias`: the secret's ARN
    /// and the key's.
    pub async fn secret_under_alias(&self, name: &str, alias: &str) -> (String, String) {
        let kms = aws_sdk_kms::Client::new(self.config);
        let key = kms
            .create_key()
            .description(format!("{name}'s key"))
            .send()
            .await
            .expect("key");
        let key_arn = key.key_metadata().and_then(|k| k.arn()).expect("key ARN").to_string();
        kms.create_alias()
            .alias_name(alias)
            .target_key_id(&key_arn)
            .send()
            .await
            .expect("alias");
        let secrets = aws_sdk_secretsmanager::Client::new(self.config);
        let secret = secrets
            .create_secret()
            .name(name)
            .kms_key_id(alias)
            .secret_string("not read")
            .send()
            .await
            .expect("secret");
        (secret.arn().expect("secret ARN").to_string(), key_arn)
    }

    /// A repository holding `tags`.
    pub async fn repository(&self, name: &str, tags: &[&str]) -> String {
        let ecr = aws_sdk_ecr::Client::new(self.config);
        let created = ecr
            .create_repository()
            .repository_name(name)
            .send()
            .await
            .expect("repository");
        for tag in tags {
            ecr.put_image()
                .repository_name(name)
                .image_tag(*tag)
                .image_manifest(manifest(tag))
                .send()
                .await
                .expect("put image");
        }
        created
            .repository()
            .and_then(|r| r.repository_uri())
            .expect("uri")
            .to_string()
    }

    pub async fn execution_role(&self, name: &str) -> String {
        self.role(name, &RoleSpec::Standard).await.expect("a standard role")
    }

    /// The role `spec` describes, or `None` for [`RoleSpec::Absent`].
    pub async fn role(&self, name: &str, spec: &RoleSpec) -> Option<String> {
        let iam = aws_sdk_iam::Client::new(self.config);
        let service = match spec {
            RoleSpec::Absent => return None,
            RoleSpec::Missing => return Some(format!("arn:aws:iam::{}:role/{name}", self.account)),
            RoleSpec::TrustsEc2 => "ec2.amazonaws.com",
            _ => "ecs-tasks.amazonaws.com",
        };
        let trust = match spec {
            RoleSpec::Trust(trust) => trust.clone(),
            _ => format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
            ),
        };
        let mut create = iam.create_role().role_name(name).assume_role_policy_document(trust);
        if let RoleSpec::Bounded(boundary) = spec {
            let policy = iam
                .create_policy()
                .policy_name(format!("{name}-boundary"))
                .policy_document(boundary)
                .send()
                .await
                .expect("boundary policy");
            create = create.permissions_boundary(policy.policy().and_then(|p| p.arn()).expect("its ARN"));
        }
        let role = create.send().await.expect("role");
        if !matches!(spec, RoleSpec::Inline(_)) {
            iam.attach_role_policy()
                .role_name(name)
                .policy_arn(EXECUTION_ROLE_POLICY)
                .send()
                .await
                .expect("attach policy");
        }
        if let RoleSpec::Inline(policies) | RoleSpec::StandardPlus(policies) = spec {
            for (i, policy) in policies.iter().enumerate() {
                iam.put_role_policy()
                    .role_name(name)
                    .policy_name(format!("inline-{i}"))
                    .policy_document(policy)
                    .send()
                    .await
                    .expect("inline policy");
            }
        }
        role.role().map(|r| r.arn().to_string())
    }

    /// A multi-platform image: a manifest list with one entry per `os/architecture`.
    pub async fn manifest_list(&self, repository: &str, tag: &str, platforms: &[&str]) {
        let entries: Vec<String> = platforms
            .iter()
            .enumerate()
            .map(|(i, platform)| {
                let (os, architecture) = platform.split_once('/').expect("os/architecture");
                format!(r#"{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":528,"digest":"sha256:{i:064x}","platform":{{"architecture":"{architecture}","os":"{os}"}}}}"#)
            })
            .collect();
        let list = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{}]}}"#,
            entries.join(",")
        );
        aws_sdk_ecr::Client::new(self.config)
            .put_image()
            .repository_name(repository)
            .image_tag(tag)
            .image_manifest(list)
            .image_manifest_media_type("application/vnd.docker.distribution.manifest.list.v2+json")
            .send()
            .await
            .expect("manifest list");
    }

    pub async fn log_group(&self, name: &str) {
        aws_sdk_cloudwatchlogs::Client::new(self.config)
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .expect("log group");
    }

    pub async fn fargate_task_definition(
        &self,
        family: &str,
        image: &str,
        execution_role: &str,
        log_group: &str,
    ) -> String {
        self.task_definition(
            family,
            image,
            Some(execution_role),
            log_group,
            &DefinitionSpec::default(),
        )
        .await
    }

    /// The environment file `spec` asks for; its ARN.
    pub async fn env_file(&self, name: &str, spec: EnvFileSpec) -> String {
        let bucket = format!("{name}-env-{}", self.account);
        let arn = format!("arn:aws:s3:::{bucket}/app.env");
        if spec == EnvFileSpec::BucketMissing {
            return arn;
        }
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(self.config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(&bucket).send().await.expect("bucket");
        if let EnvFileSpec::Present { bucket_policy } = spec {
            s3.put_object()
                .bucket(&bucket)
                .key("app.env")
                .body(b"MODE=production\n".to_vec().into())
                .send()
                .await
                .expect("object");
            if let Some(policy) = bucket_policy {
                s3.put_bucket_policy()
                    .bucket(&bucket)
                    .policy(policy.replace("BUCKET", &bucket))
                    .send()
                    .await
                    .expect("bucket policy");
            }
        }
        arn
    }

    /// The file system `spec` asks for in `network`, and an access point of it when asked.
    pub async fn efs(&self, name: &str, network: &Network, spec: EfsSpec, access_point: bool) -> BuiltEfs {
        if spec == EfsSpec::Missing {
            return BuiltEfs {
                file_system: "fs-0000000000000000d".into(),
                access_point: access_point.then(|| "fsap-0000000000000000d".into()),
            };
        }
        let efs = aws_sdk_efs::Client::new(self.config);
        let created = efs
            .create_file_system()
            .creation_token(name)
            .send()
            .await
            .expect("file system");
        let id = created.file_system_id().to_string();
        let ec2 = aws_sdk_ec2::Client::new(self.config);
        let group = ec2
            .create_security_group()
            .vpc_id(&network.vpc_id)
            .group_name(format!("{name}-efs"))
            .description("mount targets")
            .send()
            .await
            .expect("efs group");
        let group = group.group_id().expect("sg id").to_string();
        let subnet = match spec {
            EfsSpec::Served { admit, policy } => {
                if let Some(policy) = policy {
                    efs.put_file_system_policy()
                        .file_system_id(&id)
                        .policy(policy)
                        .send()
                        .await
                        .expect("file system policy");
                }
                if admit {
                    let nfs = IpPermission::builder()
                        .ip_protocol("tcp")
                        .from_port(2049)
                        .to_port(2049)
                        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&network.security_group_id).build())
                        .build();
                    ec2.authorize_security_group_ingress()
                        .group_id(&group)
                        .ip_permissions(nfs)
                        .send()
                        .await
                        .expect("nfs ingress");
                }
                network.subnet_id.clone()
            }
            _ => {
                let other = ec2
                    .create_subnet()
                    .vpc_id(&network.vpc_id)
                    .cidr_block("10.0.7.0/24")
                    .availability_zone(format!("{REGION}b"))
                    .send()
                    .await
                    .expect("subnet b");
                other
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("subnet id")
                    .to_string()
            }
        };
        efs.create_mount_target()
            .file_system_id(&id)
            .subnet_id(subnet)
            .security_groups(group)
            .send()
            .await
            .expect("mount target");
        let access_point = match access_point {
            true => {
                let created = efs
                    .create_access_point()
                    .client_token(name)
                    .file_system_id(&id)
                    .send()
                    .await
                    .expect("access point");
                Some(created.access_point_id().expect("access point id").to_string())
            }
            false => None,
        };
        BuiltEfs {
            file_system: id,
            access_point,
        }
    }

    pub async fn task_definition(
        &self,
        family: &str,
        image: &str,
        execution_role: Option<&str>,
        log_group: &str,
        spec: &DefinitionSpec,
    ) -> String {
        self.task_definition_with_volume(family, image, execution_role, log_group, spec, None)
            .await
    }

    pub async fn task_definition_with_volume(
        &self,
        family: &str,
        image: &str,
        execution_role: Option<&str>,
        log_group: &str,
        spec: &DefinitionSpec,
        file_system: Option<&str>,
    ) -> String {
        let volume = file_system.map(|id| BuiltEfs {
            file_system: id.to_string(),
            access_point: None,
        });
        self.task_definition_with_roles(
            family,
            image,
            execution_role,
            None,
            log_group,
            spec,
            volume.as_ref(),
            None,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn task_definition_with_roles(
        &self,
        family: &str,
        image: &str,
        execution_role: Option<&str>,
        task_role: Option<&str>,
        log_group: &str,
        spec: &DefinitionSpec,
        volume: Option<&BuiltEfs>,
        env_file: Option<&str>,
    ) -> String {
        let log = LogConfiguration::builder()
            .log_driver(LogDriver::Awslogs)
            .options("awslogs-group", log_group)
            .options("awslogs-region", REGION)
            .options("awslogs-stream-prefix", family)
            .build()
            .expect("log configuration");
        let mut container = ContainerDefinition::builder()
            .name("web")
            .image(image)
            .essential(true)
            .memory(512) // the emulator's run_task needs it for Fargate
            .log_configuration(log);
        for (name, value_from) in &spec.secrets {
            container = container.secrets(
                aws_sdk_ecs::types::Secret::builder()
                    .name(name)
                    .value_from(value_from)
                    .build()
                    .expect("secret"),
            );
        }
        if let Some(credentials) = &spec.repository_credentials {
            container = container.repository_credentials(
                aws_sdk_ecs::types::RepositoryCredentials::builder()
                    .credentials_parameter(credentials)
                    .build()
                    .expect("credentials"),
            );
        }
        if let Some(file) = env_file {
            container = container.environment_files(
                aws_sdk_ecs::types::EnvironmentFile::builder()
                    .value(file)
                    .r#type(aws_sdk_ecs::types::EnvironmentFileType::S3)
                    .build()
                    .expect("environment file"),
            );
        }
        let mut volumes = Vec::new();
        if let Some(volume) = volume {
            use aws_sdk_ecs::types::{EfsAuthorizationConfig, EfsAuthorizationConfigIam, EfsTransitEncryption};
            container = container.mount_points(
                aws_sdk_ecs::types::MountPoint::builder()
                    .source_volume("data")
                    .container_path("/data")
                    .build(),
            );
            let mut efs = aws_sdk_ecs::types::EfsVolumeConfiguration::builder().file_system_id(&volume.file_system);
            // IAM authorization and access points both need TLS.
            let iam = task_role.is_some().then_some(EfsAuthorizationConfigIam::Enabled);
            if iam.is_some() || volume.access_point.is_some() {
                let authorization = EfsAuthorizationConfig::builder()
                    .set_iam(iam)
                    .set_access_point_id(volume.access_point.clone())
                    .build();
                efs = efs
                    .transit_encryption(EfsTransitEncryption::Enabled)
                    .authorization_config(authorization);
            }
            let efs = efs.build().expect("efs volume");
            volumes.push(
                aws_sdk_ecs::types::Volume::builder()
                    .name("data")
                    .efs_volume_configuration(efs)
                    .build(),
            );
        }
        let registered = aws_sdk_ecs::Client::new(self.config)
            .register_task_definition()
            .set_volumes(Some(volumes).filter(|v| !v.is_empty()))
            .family(family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .set_execution_role_arn(execution_role.map(str::to_string))
            .set_task_role_arn(task_role.map(str::to_string))
            .container_definitions(container.build())
            .send()
            .await
            .expect("task definition");
        registered
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .expect("td arn")
            .to_string()
    }

    /// A Fargate service in `network`, and one of its tasks that stopped with `reason`.
    pub async fn stopped_service_task(
        &self,
        cluster: &str,
        service: Option<&str>,
        task_definition_arn: &str,
        image: &str,
        network: &Network,
        reason: &str,
    ) -> StoppedTask {
        let ecs = aws_sdk_ecs::Client::new(self.config);
        let created = ecs
            .create_cluster()
            .cluster_name(cluster)
            .send()
            .await
            .expect("cluster");
        let cluster_arn = created
            .cluster()
            .and_then(|c| c.cluster_arn())
            .expect("cluster arn")
            .to_string();
        let vpc = AwsVpcConfiguration::builder()
            .subnets(&network.subnet_id)
            .security_groups(&network.security_group_id)
            .assign_public_ip(AssignPublicIp::Disabled)
            .build()
            .expect("awsvpc configuration");
        let network_configuration = NetworkConfiguration::builder().awsvpc_configuration(vpc).build();
        if let Some(service) = service {
            ecs.create_service()
                .cluster(cluster)
                .service_name(service)
                .task_definition(task_definition_arn)
                .desired_count(1)
                .launch_type(LaunchType::Fargate)
                .network_configuration(network_configuration.clone())
                .send()
                .await
                .expect("service");
        }
        // The emulator starts no tasks for a service: run one in its group, as the scheduler would.
        let group = service.map_or_else(|| format!("family:{cluster}"), |s| format!("service:{s}"));
        let ran = ecs
            .run_task()
            .cluster(cluster)
            .task_definition(task_definition_arn)
            .launch_type(LaunchType::Fargate)
            .group(group)
            .started_by(if service.is_some() {
                "ecs-svc/4785120317249918373"
            } else {
                "manual"
            })
            .network_configuration(network_configuration)
            .send()
            .await
            .expect("run task");
        let task = ran.tasks().first().expect("a task");
        let task_arn = task.task_arn().expect("task arn").to_string();
        let eni_id = task
            .attachments()
            .iter()
            .flat_map(|a| a.details())
            .find(|d| d.name() == Some("networkInterfaceId"))
            .and_then(|d| d.value())
            .map(str::to_string);
        ecs.stop_task()
            .cluster(cluster)
            .task(&task_arn)
            .reason(reason)
            .send()
            .await
            .expect("stop task");
        StoppedTask {
            account: self.account.clone(),
            task_arn,
            cluster: cluster.to_string(),
            cluster_arn,
            task_definition_arn: task_definition_arn.to_string(),
            image: image.to_string(),
            network: network.clone(),
            eni_id,
            service: service.map(str::to_string),
            stopped_reason: reason.to_string(),
        }
    }

    /// The demo's broken service: a private Fargate service whose task definition names a tag that
    /// was never pushed (1.4.2; the repository holds 1.4.0 and 1.4.1).
    pub async fn service_with_missing_tag(&self, name: &str) -> StoppedTask {
        let image = format!("{}/shop/web:1.4.2", self.ecr_host());
        let reason = format!(
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: not found"
        );
        self.fargate_service(name, &NetworkSpec::default(), &["1.4.0", "1.4.1"], "1.4.2", &reason)
            .await
    }

    /// The demo's second service: its task definition logs to a group that does not exist, which
    /// the doctor may create (a safe fix).
    pub async fn service_with_missing_log_group(&self, name: &str) -> StoppedTask {
        let repository = self.repository("shop/api", &["2.0.0"]).await;
        let definition = DefinitionSpec {
            create_log_group: false,
            ..DefinitionSpec::default()
        };
        let reason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1";
        self.fargate_task_with(
            name,
            &NetworkSpec::default(),
            &definition,
            &format!("{repository}:2.0.0"),
            Some("api"),
            reason,
        )
        .await
    }

    /// A Fargate service `web` in a network built as `spec` says, whose image `shop/web:TAG` is in a
    /// repository holding `tags`, and one of its tasks stopped with `reason`.
    pub async fn fargate_service(
        &self,
        name: &str,
        spec: &NetworkSpec,
        tags: &[&str],
        tag: &str,
        reason: &str,
    ) -> StoppedTask {
        let repository = self.repository("shop/web", tags).await;
        self.fargate_task(name, spec, &format!("{repository}:{tag}"), Some("web"), reason)
            .await
    }

    /// A Fargate task running `image` (which this does not create) in a network built as `spec`
    /// says, with an execution role and a log group, stopped with `reason`; in `service` if given.
    pub async fn fargate_task(
        &self,
        name: &str,
        spec: &NetworkSpec,
        image: &str,
        service: Option<&str>,
        reason: &str,
    ) -> StoppedTask {
        self.fargate_task_with(name, spec, &DefinitionSpec::default(), image, service, reason)
            .await
    }

    /// [`Builder::fargate_task`] with a task definition built as `definition` says.
    pub async fn fargate_task_with(
        &self,
        name: &str,
        spec: &NetworkSpec,
        definition: &DefinitionSpec,
        image: &str,
        service: Option<&str>,
        reason: &str,
    ) -> StoppedTask {
        let network = self.network(name, spec).await;
        let role = self.role(&format!("{name}-execution"), &definition.role).await;
        let log_group = format!("/ecs/{name}");
        if definition.create_log_group {
            self.log_group(&log_group).await;
        }
        let volume = match definition.efs {
            Some(spec) => Some(self.efs(name, &network, spec, definition.efs_access_point).await),
            None => None,
        };
        let task_role = match &definition.task_role {
            Some(spec) => self.role(&format!("{name}-task"), spec).await,
            None => None,
        };
        let env_file = match definition.env_file {
            Some(spec) => Some(self.env_file(name, spec).await),
            None => None,
        };
        let arn = self
            .task_definition_with_roles(
                name,
                image,
                role.as_deref(),
                task_role.as_deref(),
                &log_group,
                definition,
                volume.as_ref(),
                env_file.as_deref(),
            )
            .await;
        self.stopped_service_task(name, service, &arn, image, &network, reason)
            .await
    }
}

/// The sample event `events/NAME.json` rewritten to describe `task`: what EventBridge would have
/// delivered when that task stopped.
pub fn event_for(name: &str, task: &StoppedTask) -> serde_json::Value {
    let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // The samples live in account 111122223333; their messages name images there.
    let text = text.replace("111122223333", &task.account);
    let mut event: serde_json::Value = serde_json::from_str(&text).expect("sample events are JSON");
    let detail = &mut event["detail"];
    detail["taskArn"] = task.task_arn.clone().into();
    detail["clusterArn"] = task.cluster_arn.clone().into();
    detail["taskDefinitionArn"] = task.task_definition_arn.clone().into();
    detail["group"] = task
        .service
        .as_ref()
        .map_or_else(|| format!("family:{}", task.cluster), |s| format!("service:{s}"))
        .into();
    for container in detail["containers"].as_array_mut().into_iter().flatten() {
        container["image"] = task.image.clone().into();
        container["taskArn"] = task.task_arn.clone().into();
    }
    for attachment in detail["attachments"].as_array_mut().into_iter().flatten() {
        for pair in attachment["details"].as_array_mut().into_iter().flatten() {
            match pair["name"].as_str() {
                Some("subnetId") => pair["value"] = task.network.subnet_id.clone().into(),
                Some("networkInterfaceId") => pair["value"] = task.eni_id.clone().unwrap_or_default().into(),
                _ => {}
            }
        }
    }
    event["resources"] = serde_json::json!([task.task_arn]);
    event
}
