//! Container image references as they appear in task definitions and in agent error messages.

use serde::Serialize;

use super::arn::is_region;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Registry {
    /// A private Amazon ECR registry: `ACCOUNT.dkr.ecr.REGION.amazonaws.com`.
    Ecr { account: String, region: String },
    /// `public.ecr.aws`.
    EcrPublic,
    /// Docker Hub (`docker.io`, `registry-1.docker.io`, or no host at all).
    DockerHub,
    /// Any other registry host (ghcr.io, quay.io, a private Harbor, ...).
    Other { host: String },
}

impl Registry {
    pub fn from_host(host: &str) -> Registry {
        let host = host.to_ascii_lowercase();
        if let Some((account, region)) = ecr_host_parts(&host) {
            return Registry::Ecr { account, region };
        }
        match host.as_str() {
            "docker.io" | "registry-1.docker.io" | "index.docker.io" | "registry.hub.docker.com" => Registry::DockerHub,
            "public.ecr.aws" => Registry::EcrPublic,
            _ => Registry::Other { host },
        }
    }

    /// Whether the pull leaves AWS: such images need an internet path, which no VPC endpoint replaces.
    pub fn is_public_internet(&self) -> bool {
        !matches!(self, Registry::Ecr { .. })
    }
}

/// `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]` -> (account, region).
fn ecr_host_parts(host: &str) -> Option<(String, String)> {
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))?;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    is_region(region).then(|| (account.to_string(), region.to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", content = "value", rename_all = "kebab-case")]
pub enum ImageSelector {
    Tag(String),
    Digest(String),
}

impl std::fmt::Display for ImageSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageSelector::Tag(tag) => write!(f, ":{tag}"),
            ImageSelector::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

/// A parsed image reference. Docker's rules: the first path component is a host when it has a dot, a
/// colon or is `localhost`; no host means Docker Hub; no tag means `latest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    pub raw: String,
    pub registry: Registry,
    pub repository: String,
    pub selector: ImageSelector,
}

impl ImageRef {
    pub fn parse(raw: &str) -> Option<ImageRef> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().any(char::is_whitespace) {
            return None;
        }
        let (name, digest) = match raw.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (raw, None),
        };
        // A ':' after the last '/' separates the tag; one before it belongs to a host:port.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
            None => (name, None),
        };
        let (host, path) = match name.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        if path.is_empty() || tag == Some("") || digest == Some("") {
            return None;
        }
        let registry = host.map_or(Registry::DockerHub, Registry::from_host);
        let repository = if registry == Registry::DockerHub && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        let selector = match (digest, tag) {
            (Some(digest), _) => ImageSelector::Digest(digest.to_string()),
            (None, Some(tag)) => ImageSelector::Tag(tag.to_string()),
            (None, None) => ImageSelector::Tag("latest".to_string()),
        };
        Some(ImageRef {
            raw: raw.to_string(),
            registry,
            repository,
            selector,
        })
    }

    /// The reference without its tag or digest: `host/repository` as the task definition wrote it.
    pub fn repository_uri(&self) -> &str {
        let name = self.raw.split_once('@').map_or(self.raw.as_str(), |(name, _)| name);
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        name[last_slash..].rfind(':').map_or(name, |i| &name[..last_slash + i])
    }

    /// The ECR repository ARN, for an image in a private ECR registry.
    pub fn ecr_repository_arn(&self) -> Option<String> {
        match &self.registry {
            Registry::Ecr { account, region } => {
                let partition = crate::model::arn::partition_of(region);
                Some(format!(
                    "arn:{partition}:ecr:{region}:{account}:repository/{}",
                    self.repository
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecr(account: &str, region: &str) -> Registry {
        Registry::Ecr {
            account: account.into(),
            region: region.into(),
        }
    }

    #[test]
    fn parses_ecr_images() {
        let image = ImageRef::parse("111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2").unwrap();
        assert_eq!(image.registry, ecr("111122223333", "us-east-1"));
        assert_eq!(image.repository, "team/app");
        assert_eq!(image.selector, ImageSelector::Tag("v1.2".into()));
        assert_eq!(
            image.ecr_repository_arn().unwrap(),
            "arn:aws:ecr:us-east-1:111122223333:repository/team/app"
        );
        assert_eq!(
            image.repository_uri(),
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app"
        );
        let pinned = ImageRef::parse("localhost:5000/team/app:v1@sha256:ab").unwrap();
        assert_eq!(pinned.repository_uri(), "localhost:5000/team/app");

        let digest = "sha256:".to_string() + &"a".repeat(64);
        let image = ImageRef::parse(&format!("111122223333.dkr.ecr.eu-west-1.amazonaws.com/app@{digest}")).unwrap();
        assert_eq!(image.selector, ImageSelector::Digest(digest));

        let image = ImageRef::parse("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app").unwrap();
        assert_eq!(
            image.repository_uri(),
            "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app"
        );
        assert_eq!(image.registry, ecr("111122223333", "cn-north-1"));
        assert_eq!(image.selector, ImageSelector::Tag("latest".into()));
        assert!(image.ecr_repository_arn().unwrap().starts_with("arn:aws-cn:ecr:"));

        let image = ImageRef::parse("111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1").unwrap();
        assert_eq!(image.registry, ecr("111122223333", "us-gov-west-1"));
    }

    #[test]
    fn parses_docker_hub_images() {
        let image = ImageRef::parse("nginx").unwrap();
        assert_eq!(image.registry, Registry::DockerHub);
        assert_eq!(image.repository, "library/nginx");
        assert_eq!(image.selector, ImageSelector::Tag("latest".into()));

        let image = ImageRef::parse("docker.io/tryretool/backend:2.110.5").unwrap();
        assert_eq!(image.registry, Registry::DockerHub);
        assert_eq!(image.repository, "tryretool/backend");
        assert!(image.registry.is_public_internet());
    }

    #[test]
    fn parses_other_registries() {
        let image = ImageRef::parse("registry.example.com:5000/team/app:3").unwrap();
        assert_eq!(
            image.registry,
            Registry::Other {
                host: "registry.example.com:5000".into()
            }
        );
        assert_eq!(image.repository, "team/app");
        assert_eq!(image.selector, ImageSelector::Tag("3".into()));
        assert_eq!(
            ImageRef::parse("public.ecr.aws/nginx/nginx:1").unwrap().registry,
            Registry::EcrPublic
        );
        // Looks like ECR but the region is not one: treat it as some other host.
        assert!(matches!(
            ImageRef::parse("111122223333.dkr.ecr.nowhere.amazonaws.com/app")
                .unwrap()
                .registry,
            Registry::Other { .. }
        ));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "   ", "a b", "repo:", "repo@", "host.com/"] {
            assert_eq!(ImageRef::parse(bad), None, "{bad}");
        }
    }
}
