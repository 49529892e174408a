//! Every AWS operation the doctor calls, declared once with the name IAM gives it: the ports, the
//! failures they report (CHECK_FAILED names the operation to grant), the fixes' calls and the
//! policy test all take the name from here.

macro_rules! operations {
    ($( $variant:ident = $iam:literal, $access:ident; )*) => {
        /// An AWS API operation, by its IAM action name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            $( $variant, )*
        }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),*];

            /// `service:Action`, as IAM names it.
            pub fn iam(self) -> &'static str {
                match self {
                    $( Operation::$variant => $iam, )*
                }
            }

            /// Whether the operation only reads (the read-only statements grant it) or not.
            pub fn access(self) -> Access {
                match self {
                    $( Operation::$variant => Access::$access, )*
                }
            }
        }
    };
}

/// The access level the Service Authorization Reference gives an operation: `Read` (List, Read) or
/// `Write` (everything else: sts:AssumeRole and sns:Publish are Write there too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

operations! {
    // ECS
    DescribeTasks = "ecs:DescribeTasks", Read;
    DescribeTaskDefinition = "ecs:DescribeTaskDefinition", Read;
    DescribeServices = "ecs:DescribeServices", Read;
    ListClusters = "ecs:ListClusters", Read;
    ListServices = "ecs:ListServices", Read;
    UpdateService = "ecs:UpdateService", Write;
    TagResource = "ecs:TagResource", Write;
    // EC2
    DescribeNetworkInterfaces = "ec2:DescribeNetworkInterfaces", Read;
    DescribeSubnets = "ec2:DescribeSubnets", Read;
    DescribeManagedPrefixLists = "ec2:DescribeManagedPrefixLists", Read;
    GetManagedPrefixListEntries = "ec2:GetManagedPrefixListEntries", Read;
    DescribeVpcAttribute = "ec2:DescribeVpcAttribute", Read;
    DescribeRouteTables = "ec2:DescribeRouteTables", Read;
    DescribeNatGateways = "ec2:DescribeNatGateways", Read;
    DescribeVpcEndpoints = "ec2:DescribeVpcEndpoints", Read;
    DescribeSecurityGroups = "ec2:DescribeSecurityGroups", Read;
    DescribeNetworkAcls = "ec2:DescribeNetworkAcls", Read;
    CreateVpcEndpoint = "ec2:CreateVpcEndpoint", Write;
    ModifyVpcEndpoint = "ec2:ModifyVpcEndpoint", Write;
    CreateTags = "ec2:CreateTags", Write;
    CreateSecurityGroup = "ec2:CreateSecurityGroup", Write;
    AuthorizeSecurityGroupIngress = "ec2:AuthorizeSecurityGroupIngress", Write;
    AuthorizeSecurityGroupEgress = "ec2:AuthorizeSecurityGroupEgress", Write;
    // ECR
    GetRepositoryPolicy = "ecr:GetRepositoryPolicy", Read;
    BatchGetImage = "ecr:BatchGetImage", Read;
    DescribeImages = "ecr:DescribeImages", Read;
    DescribeRepositories = "ecr:DescribeRepositories", Read;
    GetLifecyclePolicy = "ecr:GetLifecyclePolicy", Read;
    DescribePullThroughCacheRules = "ecr:DescribePullThroughCacheRules", Read;
    ValidatePullThroughCacheRule = "ecr:ValidatePullThroughCacheRule", Read;
    // IAM
    GetRole = "iam:GetRole", Read;
    SimulatePrincipalPolicy = "iam:SimulatePrincipalPolicy", Read;
    ListRolePolicies = "iam:ListRolePolicies", Read;
    ListAttachedRolePolicies = "iam:ListAttachedRolePolicies", Read;
    GetRolePolicy = "iam:GetRolePolicy", Read;
    GetPolicy = "iam:GetPolicy", Read;
    GetPolicyVersion = "iam:GetPolicyVersion", Read;
    AttachRolePolicy = "iam:AttachRolePolicy", Write;
    UpdateAssumeRolePolicy = "iam:UpdateAssumeRolePolicy", Write;
    TagRole = "iam:TagRole", Write;
    // EFS
    DescribeFileSystems = "elasticfilesystem:DescribeFileSystems", Read;
    DescribeAccessPoints = "elasticfilesystem:DescribeAccessPoints", Read;
    DescribeMountTargets = "elasticfilesystem:DescribeMountTargets", Read;
    DescribeMountTargetSecurityGroups = "elasticfilesystem:DescribeMountTargetSecurityGroups", Read;
    DescribeFileSystemPolicy = "elasticfilesystem:DescribeFileSystemPolicy", Read;
    // S3: metadata only, never an object's content
    GetBucketLocation = "s3:GetBucketLocation", Read;
    ListBucket = "s3:ListBucket", Read;
    GetBucketPolicy = "s3:GetBucketPolicy", Read;
    // Secrets, parameters, keys and logs: whether they exist, never their values
    DescribeSecret = "secretsmanager:DescribeSecret", Read;
    DescribeParameters = "ssm:DescribeParameters", Read;
    DescribeKey = "kms:DescribeKey", Read;
    DescribeLogGroups = "logs:DescribeLogGroups", Read;
    CreateLogGroup = "logs:CreateLogGroup", Write;
    // The runbook
    DescribeAutomationExecutions = "ssm:DescribeAutomationExecutions", Read;
    StartAutomationExecution = "ssm:StartAutomationExecution", Write;
    // Organization mode and notices
    AssumeRole = "sts:AssumeRole", Write;
    Publish = "sns:Publish", Write;
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.iam())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_has_one_iam_name_of_the_form_service_action() {
        let mut names: Vec<&str> = Operation::ALL.iter().map(|op| op.iam()).collect();
        for name in &names {
            let (service, action) = name.split_once(':').expect(name);
            assert!(
                !service.is_empty() && action.starts_with(|c: char| c.is_ascii_uppercase()),
                "{name}"
            );
        }
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "an IAM name declared twice");
    }

    /// The statements of infra/policy.json, as (group, actions).
    fn granted() -> Vec<(String, Vec<String>)> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("infra/policy.json");
        let policy: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut out = Vec::new();
        for (group, statements) in policy["statements"].as_object().unwrap() {
            for statement in statements.as_array().unwrap() {
                let actions = match &statement["Action"] {
                    serde_json::Value::String(one) => vec![one.clone()],
                    many => many
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect(),
                };
                out.push((group.clone(), actions));
            }
        }
        out
    }

    #[test]
    fn infra_policy_grants_every_operation_the_doctor_calls() {
        let granted = granted();
        let groups_of = |op: Operation| -> Vec<&str> {
            granted
                .iter()
                .filter(|(_, actions)| actions.iter().any(|a| a == op.iam()))
                .map(|(g, _)| g.as_str())
                .collect()
        };
        for &op in Operation::ALL {
            let groups = groups_of(op);
            match (op, op.access()) {
                // The runbook's own read is granted with the runbook.
                (Operation::DescribeAutomationExecutions, _) => assert_eq!(groups, ["runbook"], "{op}"),
                // Granted by the templates only where a deployment names the member role or the topic.
                (Operation::AssumeRole | Operation::Publish, _) => assert!(groups.is_empty(), "{op}"),
                (_, Access::Read) => assert!(groups.contains(&"read"), "{op} is not in the read-only statements"),
                (_, Access::Write) => {
                    assert!(
                        !groups.is_empty() && !groups.contains(&"read"),
                        "{op} is granted {groups:?}"
                    )
                }
            }
        }
    }
}
