//! The pre-flight's and the sweep's requests, as the command line and the Lambda payload give them,
//! checked for shape once for both.

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A service's next task: its task definition and network configuration, as ECS holds them.
    Service {
        region: String,
        cluster: String,
        service: String,
    },
    /// A task definition (family, family:revision or ARN) to be run with this network configuration.
    TaskDefinition {
        region: String,
        cluster: String,
        task_definition: String,
        subnets: Vec<String>,
        security_groups: Vec<String>,
        assign_public_ip: bool,
    },
}

/// The part of a pre-flight request that is wrong; the command line names its flag, the Lambda
/// payload its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Service,
    TaskDefinition,
    Subnets,
    SecurityGroups,
}

impl Field {
    pub fn flag(self) -> &'static str {
        match self {
            Field::Service => "--service",
            Field::TaskDefinition => "--task-definition",
            Field::Subnets => "--subnets",
            Field::SecurityGroups => "--security-groups",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Field::Service => "service",
            Field::TaskDefinition => "taskDefinition",
            Field::Subnets => "subnets",
            Field::SecurityGroups => "securityGroups",
        }
    }
}

/// What is wrong with a request, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSubject {
    pub field: Field,
    pub problem: String,
}

impl Subject {
    /// A service named `CLUSTER/SERVICE`.
    pub fn service(region: &str, named: &str) -> Result<Subject, BadSubject> {
        match named.split_once('/') {
            Some((cluster, service)) if !cluster.is_empty() && !service.is_empty() && !service.contains('/') => {
                Ok(Subject::Service {
                    region: region.to_string(),
                    cluster: cluster.to_string(),
                    service: service.to_string(),
                })
            }
            _ => Err(BadSubject {
                field: Field::Service,
                problem: format!("'{named}' is not CLUSTER/SERVICE"),
            }),
        }
    }

    /// A task definition to run in `subnets` with `security_groups`; the IDs are checked for shape.
    pub fn task_definition(
        region: &str,
        cluster: &str,
        task_definition: &str,
        subnets: &[String],
        security_groups: &[String],
        assign_public_ip: bool,
    ) -> Result<Subject, BadSubject> {
        if task_definition.trim().is_empty() {
            return Err(BadSubject {
                field: Field::TaskDefinition,
                problem: "is empty".into(),
            });
        }
        for (field, ids, prefix) in [
            (Field::Subnets, subnets, "subnet-"),
            (Field::SecurityGroups, security_groups, "sg-"),
        ] {
            if ids.is_empty() {
                return Err(BadSubject {
                    field,
                    problem: "needs at least one ID".into(),
                });
            }
            if let Some(bad) = ids
                .iter()
                .find(|id| !id.starts_with(prefix) || id.len() <= prefix.len())
            {
                return Err(BadSubject {
                    field,
                    problem: format!("'{bad}' is not an ID starting with {prefix}"),
                });
            }
        }
        Ok(Subject::TaskDefinition {
            region: region.to_string(),
            cluster: cluster.to_string(),
            task_definition: task_definition.to_string(),
            subnets: subnets.to_vec(),
            security_groups: security_groups.to_vec(),
            assign_public_ip,
        })
    }
}

/// Which clusters a sweep covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clusters {
    /// Every cluster of the region (ecs:ListClusters).
    All,
    Named(Vec<String>),
}
