use aws_sdk_efs::Client;
use futures::future::join_all;

use super::{AwsClients, call_failure};
use crate::facts::{AccessPoint, EfsReader, Fact, FileSystem, MountTarget};
use crate::model::Operation;

impl AwsClients {
    fn efs(&self, region: &str) -> Client {
        Client::new(&self.in_region(region))
    }
}

impl EfsReader for AwsClients {
    async fn file_system(&self, region: &str, id: &str) -> Fact<Option<FileSystem>> {
        match self.efs(region).describe_file_systems().file_system_id(id).send().await {
            Ok(output) => Fact::Known(output.file_systems().first().map(|fs| FileSystem {
                id: fs.file_system_id().to_string(),
                availability_zone: fs.availability_zone_name().map(str::to_string),
            })),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_file_system_not_found()) => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeFileSystems.iam(), id, &error)),
        }
    }

    async fn access_point(&self, region: &str, id: &str) -> Fact<Option<AccessPoint>> {
        match self
            .efs(region)
            .describe_access_points()
            .access_point_id(id)
            .send()
            .await
        {
            Ok(output) => Fact::Known(output.access_points().first().map(|ap| AccessPoint {
                id: ap.access_point_id().unwrap_or(id).to_string(),
                file_system_id: ap.file_system_id().unwrap_or_default().to_string(),
            })),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_access_point_not_found()) => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure(Operation::DescribeAccessPoints.iam(), id, &error)),
        }
    }

    async fn mount_targets(&self, region: &str, file_system_id: &str) -> Fact<Vec<MountTarget>> {
        let efs = self.efs(region);
        let targets = match efs.describe_mount_targets().file_system_id(file_system_id).send().await {
            Ok(output) => output.mount_targets().to_vec(),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_file_system_not_found()) => {
                return Fact::Known(Vec::new());
            }
            Err(error) => {
                return Fact::Failed(call_failure(
                    Operation::DescribeMountTargets.iam(),
                    file_system_id,
                    &error,
                ));
            }
        };
        let efs = &efs;
        Fact::Known(
            join_all(targets.iter().map(|target| async move {
                let id = target.mount_target_id();
                let security_groups = match efs
                    .describe_mount_target_security_groups()
                    .mount_target_id(id)
                    .send()
                    .await
                {
                    Ok(output) => Fact::Known(output.security_groups().to_vec()),
                    Err(error) => Fact::Failed(call_failure(
                        Operation::DescribeMountTargetSecurityGroups.iam(),
                        id,
                        &error,
                    )),
                };
                MountTarget {
                    id: id.to_string(),
                    subnet_id: target.subnet_id().to_string(),
                    availability_zone: target.availability_zone_name().map(str::to_string),
                    ip: target.ip_address().map(str::to_string),
                    state: target.life_cycle_state().as_str().to_string(),
                    security_groups,
                }
            }))
            .await,
        )
    }

    async fn file_system_policy(&self, region: &str, file_system_id: &str) -> Fact<Option<String>> {
        match self
            .efs(region)
            .describe_file_system_policy()
            .file_system_id(file_system_id)
            .send()
            .await
        {
            Ok(output) => Fact::Known(output.policy().map(str::to_string)),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_policy_not_found() || e.is_file_system_not_found()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(
                Operation::DescribeFileSystemPolicy.iam(),
                file_system_id,
                &error,
            )),
        }
    }
}
