//! EFS volumes (what the task definition asks to mount, and what EFS says of it) and environment
//! files (whether each S3 object exists, never its content).

use super::{CallFailure, Fact};

/// An EFS volume as the task definition configures it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EfsVolume {
    pub name: String,
    pub file_system_id: String,
    pub root_directory: Option<String>,
    pub transit_encryption: bool,
    pub access_point_id: Option<String>,
    /// authorizationConfig.iam ENABLED: the task role must be allowed to mount.
    pub iam: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSystem {
    pub id: String,
    /// The zone of a One Zone file system; `None` for a regional one.
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessPoint {
    pub id: String,
    pub file_system_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MountTarget {
    pub id: String,
    pub subnet_id: String,
    pub availability_zone: Option<String>,
    pub ip: Option<String>,
    /// `available`, `creating`, `deleting`, ...
    pub state: String,
    pub security_groups: Fact<Vec<String>>,
}

impl MountTarget {
    pub fn is_available(&self) -> bool {
        self.state == "available"
    }
}

/// What EFS says of one volume.
#[derive(Debug, Clone, PartialEq)]
pub struct EfsFacts {
    pub volume: EfsVolume,
    /// `None`: no such file system.
    pub file_system: Fact<Option<FileSystem>>,
    /// `None` inside: no such access point. Read only when the volume names one.
    pub access_point: Option<Fact<Option<AccessPoint>>>,
    pub mount_targets: Fact<Vec<MountTarget>>,
    /// The file system policy; `None` inside when it has none.
    pub policy: Fact<Option<String>>,
}

impl EfsFacts {
    pub fn failures(&self) -> Vec<&CallFailure> {
        let mut out: Vec<&CallFailure> = Vec::new();
        out.extend(self.file_system.failure());
        out.extend(self.access_point.as_ref().and_then(Fact::failure));
        out.extend(self.mount_targets.failure());
        out.extend(self.policy.failure());
        if let Fact::Known(targets) = &self.mount_targets {
            out.extend(targets.iter().filter_map(|t| t.security_groups.failure()));
        }
        out
    }
}

/// One environment file: `arn:aws:s3:::BUCKET/KEY`, and what S3 says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFileFacts {
    pub container: String,
    pub arn: String,
    pub bucket: String,
    pub key: String,
    /// s3:GetBucketLocation: the bucket's region; `None` inside: no such bucket.
    pub bucket_region: Fact<Option<String>>,
    /// s3:ListBucket (names only): whether the object exists.
    pub object: Fact<bool>,
    /// The bucket policy; `None` inside when it has none (or there is no bucket).
    pub bucket_policy: Fact<Option<String>>,
}

/// `arn:PARTITION:s3:::BUCKET/KEY` -> (bucket, key).
pub fn s3_object(arn: &str) -> Option<(&str, &str)> {
    let path = arn.strip_prefix("arn:")?.split_once(":s3:::")?.1;
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}
