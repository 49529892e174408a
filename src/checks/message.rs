//! Causes the failure message states by itself: rate limits, a full disk, a platform mismatch the
//! registry's manifest cannot show, and private-registry credentials.

use serde_json::json;

use super::{Code, Finding, Outcome, Severity};
use crate::classify::{Destination, Failure, Nature};
use crate::facts::{Fact, Snapshot};
use crate::model::{ImageRef, Registry};

pub fn check(snapshot: &Snapshot, failure: &Failure) -> Outcome {
    let mut out = Outcome::default();
    let facts = &failure.facts;
    let image = facts.repository.clone().map(|r| match &facts.reference {
        Some(reference) => format!("{r}:{reference}"),
        None => r,
    });
    let definition = snapshot.task_definition.known();
    let message = json!({"message": failure.message});
    match facts.nature {
        Some(Nature::RateLimited) => out.finding(
            Finding::new(
                Code::RegistryRateLimited,
                Severity::Error,
                image.clone().unwrap_or_else(|| "the public registry".into()),
                "The public registry refused the pull: its rate limit for anonymous or free pulls is used up.",
            )
            .evidence(message.clone())
            .remedy("Pull with credentials (repositoryCredentials with a Docker Hub account), or serve the image from ECR: an ECR pull-through cache rule for docker.io, or a copy in your own repository."),
        ),
        Some(Nature::NoSpace) => {
            let fargate = snapshot.task.launch_type.as_deref() == Some("FARGATE");
            let size = definition.and_then(|d| d.ephemeral_storage_gib);
            out.finding(
                Finding::new(
                    Code::EphemeralStorageExhausted,
                    Severity::Error,
                    definition.map_or_else(|| snapshot.task.task_definition_arn.clone(), |d| d.arn.clone()),
                    "The image's layers did not fit on the task's disk.",
                )
                .evidence(json!({"message": failure.message, "launchType": snapshot.task.launch_type, "ephemeralStorageGiB": size.or(fargate.then_some(20))}))
                .remedy(if fargate {
                    "Raise ephemeralStorage.sizeInGiB in the task definition (Fargate gives 20 GiB by default and up to 200), or make the image smaller."
                } else {
                    "Free disk on the container instance (docker system prune, or the agent's ECS_IMAGE_CLEANUP settings), or give it a larger volume."
                }),
            );
        }
        Some(Nature::PlatformMismatch) => {
            // The registry check compares manifest lists; this covers images whose platform the doctor cannot read.
            let listed = snapshot.ecr_images.iter().any(|i| matches!(&i.platforms, Some(Fact::Known(Some(_)))));
            if !listed {
                out.finding(
                    Finding::new(
                        Code::ImagePlatformMismatch,
                        Severity::Error,
                        image.clone().unwrap_or_else(|| "the image".into()),
                        format!("The image has no manifest for {}, the task's platform.", facts.platform.as_deref().unwrap_or("the task's platform")),
                    )
                    .evidence(json!({"message": failure.message, "wanted": facts.platform, "runtimePlatform": definition.map(|d| json!({"cpuArchitecture": d.cpu_architecture, "operatingSystemFamily": d.os_family}))}))
                    .remedy("Build and push the image for the task's platform (docker buildx build --platform linux/amd64,linux/arm64), or set runtimePlatform.cpuArchitecture in the task definition to the image's architecture."),
                );
            }
        }
        Some(Nature::CredentialsMissing | Nature::AccessDenied) if facts.destination == Some(Destination::PublicRegistry) => {
            let private = definition.into_iter().flat_map(|d| &d.containers).filter(|c| {
                ImageRef::parse(&c.image).is_some_and(|i| matches!(i.registry, Registry::Other { .. } | Registry::DockerHub))
            });
            for container in private {
                let summary = match &container.repository_credentials {
                    None if facts.nature == Some(Nature::CredentialsMissing) => format!("Container {} pulls {} with no registry credentials.", container.name, container.image),
                    Some(secret) => format!("The registry refused the credentials in {secret} for {}.", container.image),
                    None => continue,
                };
                out.finding(
                    Finding::new(Code::PrivateRegistryCredentialsInvalid, Severity::Error, &container.image, summary)
                        .evidence(json!({"message": failure.message, "container": container.name, "repositoryCredentials": container.repository_credentials}))
                        .remedy("Store the registry's username and password in a Secrets Manager secret ({\"username\": ..., \"password\": ...}), set repositoryCredentials.credentialsParameter to its ARN, and let the execution role read it."),
                );
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify_message;
    use crate::facts::fixtures::{private_vpc, snapshot};

    fn codes(s: &Snapshot, message: &str) -> Vec<Code> {
        check(s, &classify_message(message))
            .findings
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn causes_the_message_states_itself() {
        let s = snapshot(private_vpc());
        assert_eq!(
            codes(
                &s,
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:1.25: pulling from host registry-1.docker.io failed with status code [manifests 1.25]: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit."
            ),
            [Code::RegistryRateLimited]
        );
        let disk = "CannotPullContainerError: ref pull has been retried 1 time(s): failed to extract layer sha256:9f1c: write /var/lib/containerd/x: no space left on device: unknown";
        assert_eq!(codes(&s, disk), [Code::EphemeralStorageExhausted]);
        let outcome = check(&s, &classify_message(disk));
        assert_eq!(
            outcome.findings[0].evidence["ephemeralStorageGiB"], 20,
            "Fargate's default"
        );
        assert_eq!(
            codes(
                &s,
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): image Manifest does not contain descriptor matching platform 'linux/arm64'"
            ),
            [Code::ImagePlatformMismatch]
        );
        assert_eq!(
            codes(
                &s,
                "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2: not found"
            ),
            Vec::<Code>::new()
        );
    }

    #[test]
    fn private_registry_credentials() {
        let mut s = snapshot(private_vpc());
        if let Fact::Known(d) = &mut s.task_definition {
            d.containers[0].image = "ghcr.io/acme/api:1.0".into();
        }
        assert_eq!(
            codes(
                &s,
                "CannotPullContainerAuthError: engine docker private registry credentials: not found"
            ),
            [Code::PrivateRegistryCredentialsInvalid]
        );
        if let Fact::Known(d) = &mut s.task_definition {
            d.containers[0].repository_credentials =
                Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:ghcr-Ab12Cd".into());
        }
        let outcome = check(
            &s,
            &classify_message(
                "CannotPullContainerError: Error response from daemon: Head \"https://ghcr.io/v2/acme/api/manifests/1.0\": unauthorized",
            ),
        );
        assert_eq!(outcome.findings[0].code, Code::PrivateRegistryCredentialsInvalid);
        assert!(outcome.findings[0].summary.contains("refused the credentials"));
    }
}
