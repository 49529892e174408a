//! What the task must reach to start: each AWS service, or the internet, and why.

use serde::Serialize;

use crate::facts::Snapshot;
use crate::model::{ImageRef, Registry};

/// A destination, named as VPC endpoints name their services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Service {
    #[serde(rename = "ecr.api")]
    EcrApi,
    #[serde(rename = "ecr.dkr")]
    EcrDkr,
    #[serde(rename = "s3")]
    S3,
    #[serde(rename = "logs")]
    Logs,
    #[serde(rename = "secretsmanager")]
    SecretsManager,
    #[serde(rename = "ssm")]
    Ssm,
    /// A public registry, or an AWS service in another region: no VPC endpoint serves it.
    #[serde(rename = "internet")]
    Internet,
    /// An EFS file system's mount target (NFS). No VPC endpoint serves it: the volume checks judge it.
    #[serde(rename = "efs")]
    Efs,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::EcrApi => "ecr.api",
            Service::EcrDkr => "ecr.dkr",
            Service::S3 => "s3",
            Service::Logs => "logs",
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
            Service::Internet => "internet",
            Service::Efs => "efs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub service: Service,
    pub why: Vec<String>,
}

/// What the task needs, one entry per service, in a stable order.
pub fn needs(snapshot: &Snapshot) -> Vec<Need> {
    let region = snapshot.task.region.as_str();
    let mut found: Vec<(Service, String)> = Vec::new();
    let images: Vec<String> = match snapshot.task_definition.known() {
        Some(definition) => definition.containers.iter().map(|c| c.image.clone()).collect(),
        None => snapshot
            .task
            .containers
            .iter()
            .filter_map(|c| c.image.clone())
            .collect(),
    };
    for raw in images {
        let Some(image) = ImageRef::parse(&raw) else { continue };
        match &image.registry {
            Registry::Ecr {
                region: image_region, ..
            } if image_region == region => {
                found.push((Service::EcrApi, format!("registry authentication for {raw}")));
                found.push((Service::EcrDkr, format!("the manifest of {raw}")));
                found.push((Service::S3, format!("the layers of {raw}")));
            }
            Registry::Ecr {
                region: image_region, ..
            } => {
                found.push((
                    Service::Internet,
                    format!("{raw} is in {image_region}; VPC endpoints serve only {region}"),
                ));
            }
            _ => found.push((Service::Internet, format!("{raw} is in a public registry"))),
        }
    }
    if let Some(definition) = snapshot.task_definition.known() {
        for container in &definition.containers {
            if let Some(log) = container.log.as_ref().filter(|l| l.driver == "awslogs") {
                let group = log.group.as_deref().unwrap_or("(no group)");
                match log.region.as_deref() {
                    Some(other) if other != region => {
                        found.push((Service::Internet, format!("awslogs group {group} is in {other}")));
                    }
                    _ => found.push((Service::Logs, format!("awslogs group {group}"))),
                }
            }
            let references = container
                .secrets
                .iter()
                .map(|s| (s.value_from.as_str(), format!("secret {}", s.name)))
                .chain(
                    container
                        .repository_credentials
                        .iter()
                        .map(|c| (c.as_str(), "the registry credentials".to_string())),
                );
            for (value_from, what) in references {
                let service = if value_from.contains(":secretsmanager:") {
                    Service::SecretsManager
                } else {
                    Service::Ssm
                };
                let secret_region = value_from
                    .split(':')
                    .nth(3)
                    .filter(|r| value_from.starts_with("arn:") && !r.is_empty());
                match secret_region {
                    Some(other) if other != region => found.push((Service::Internet, format!("{what} is in {other}"))),
                    _ => found.push((service, format!("{what} ({value_from})"))),
                }
            }
            for file in container
                .environment_files
                .iter()
                .filter(|f| crate::facts::s3_object(f).is_some())
            {
                found.push((Service::S3, format!("environment file {file}")));
            }
        }
    }
    found.sort_by_key(|(service, _)| *service);
    let mut needs: Vec<Need> = Vec::new();
    for (service, why) in found {
        match needs.last_mut() {
            Some(last) if last.service == service => {
                if !last.why.contains(&why) {
                    last.why.push(why);
                }
            }
            _ => needs.push(Need {
                service,
                why: vec![why],
            }),
        }
    }
    needs
}
