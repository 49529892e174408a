//! ECS task ARNs: the one identifier a person pastes at 3 a.m.

use std::fmt;
use std::str::FromStr;

/// `arn:PARTITION:ecs:REGION:ACCOUNT:task/CLUSTER/ID`, or the old `task/ID` form without the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    /// Absent in old-format ARNs; then the cluster must come from elsewhere (`--cluster`).
    pub cluster: Option<String>,
    pub task_id: String,
    raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not an ECS task ARN ({problem}); expected arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID")]
pub struct ArnError {
    pub input: String,
    pub problem: &'static str,
}

impl TaskArn {
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Returns a copy that names `cluster`, for old-format ARNs paired with `--cluster`.
    pub fn with_cluster(mut self, cluster: &str) -> Self {
        self.cluster = Some(cluster_name(cluster).to_string());
        self
    }

    /// Returns a copy in another region, for `--region`.
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = region.to_string();
        self
    }
}

impl FromStr for TaskArn {
    type Err = ArnError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |problem| ArnError {
            input: input.to_string(),
            problem,
        };
        let trimmed = input.trim();
        let parts: Vec<&str> = trimmed.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(fail("it does not have the six ':'-separated ARN fields"));
        }
        let (partition, service, region, account, resource) = (parts[1], parts[2], parts[3], parts[4], parts[5]);
        if !partition.starts_with("aws") {
            return Err(fail("the partition is not an AWS partition"));
        }
        if service != "ecs" {
            return Err(fail("it is not an ECS ARN"));
        }
        if !is_region(region) {
            return Err(fail("the region field is not a region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the account field is not a 12-digit account ID"));
        }
        let Some(path) = resource.strip_prefix("task/") else {
            return Err(fail("its resource is not task/..."));
        };
        let segments: Vec<&str> = path.split('/').collect();
        let valid = |segment: &str| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let (cluster, task_id) = match segments.as_slice() {
            [id] if valid(id) => (None, *id),
            [cluster, id] if valid(cluster) && valid(id) => (Some(cluster.to_string()), *id),
            _ => return Err(fail("the task path is not CLUSTER/ID")),
        };
        Ok(TaskArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            cluster,
            task_id: task_id.to_string(),
            raw: trimmed.to_string(),
        })
    }
}

impl fmt::Display for TaskArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The partition of a region's ARNs: `aws`, `aws-cn` or `aws-us-gov`.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The name in a cluster ARN (`arn:aws:ecs:R:A:cluster/NAME`), or the input when it is already a name.
pub fn cluster_name(cluster: &str) -> &str {
    cluster.rsplit_once(":cluster/").map_or(cluster, |(_, name)| name)
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`: letters, dashes, a final digit.
pub fn is_region(candidate: &str) -> bool {
    let mut pieces = candidate.split('-');
    let first = pieces.next().unwrap_or_default();
    let rest: Vec<&str> = pieces.collect();
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 2
        && rest
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_new_format() {
        let arn: TaskArn = "arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789abcdef"
            .parse()
            .unwrap();
        assert_eq!(arn.region, "us-east-1");
        assert_eq!(arn.account, "111122223333");
        assert_eq!(arn.cluster.as_deref(), Some("prod"));
        assert_eq!(arn.task_id, "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn parses_old_format_without_cluster() {
        let arn: TaskArn = "arn:aws:ecs:eu-west-1:111122223333:task/7e4c8b1e-1d4b-4f5a-9c6b-2a3e4f5a6b7c"
            .parse()
            .unwrap();
        assert_eq!(arn.cluster, None);
        let arn = arn.with_cluster("arn:aws:ecs:eu-west-1:111122223333:cluster/blue");
        assert_eq!(arn.cluster.as_deref(), Some("blue"));
    }

    #[test]
    fn parses_other_partitions() {
        let arn: TaskArn = "arn:aws-us-gov:ecs:us-gov-west-1:111122223333:task/c/abc"
            .parse()
            .unwrap();
        assert_eq!(arn.partition, "aws-us-gov");
        assert_eq!(arn.region, "us-gov-west-1");
    }

    #[test]
    fn rejects_what_is_not_a_task_arn() {
        for bad in [
            "",
            "not-an-arn",
            "arn:aws:ecs:us-east-1:111122223333:service/prod/web",
            "arn:aws:ecs:us-east-1:111122223333:cluster/prod",
            "arn:aws:iam::111122223333:role/x",
            "arn:aws:ecs:us-east-1:1234:task/prod/abc",
            "arn:aws:ecs:useast1:111122223333:task/prod/abc",
            "arn:aws:ecs:us-east-1:111122223333:task/",
            "arn:aws:ecs:us-east-1:111122223333:task/a/b/c",
            "arn:aws:ecs:us-east-1:111122223333:task/prod/abc def",
        ] {
            let err = bad.parse::<TaskArn>().unwrap_err();
            let text = err.to_string();
            assert!(text.contains("is not an ECS task ARN"), "{bad}: {text}");
            assert!(!text.contains('\n'), "one line: {text}");
        }
    }

    #[test]
    fn recognises_regions() {
        for good in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "cn-north-1",
            "eu-central-2",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in ["us-east", "us_east_1", "useast1", "US-EAST-1", "us--1", ""] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
