//! What the emulator lacks of ECR: pull-through cache rules. ecr:DescribePullThroughCacheRules and
//! ecr:ValidatePullThroughCacheRule are answered at the SDK's HTTP client, in ECR's JSON, from the
//! rules a test gives; every other request goes on to the emulator. Answering on the wire (rather
//! than with aws-smithy-mocks' interceptor) keeps the adapter's parsing under test and lets the
//! fault suite's client, wrapped around this one, break these calls like any other.

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use super::faults::operation_of;
use super::scenario::{Builder, DefinitionSpec, NetworkSpec, RoleSpec, StoppedTask};

/// The registry's answer when the rule's upstream refuses its credential (containers-roadmap#2354).
pub const UPSTREAM_AUTH: &str = "CannotPullContainerError: Error response from daemon: pull access denied for ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx, repository does not exist or may require 'docker login': denied: The authentication to the upstream registry failed.";

/// A rule of the registry, and what validating its upstream credential would say.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    pub prefix: String,
    pub upstream_url: String,
    pub credential_arn: Option<String>,
    /// ECR's reason when the credential does not work; `None` when it does.
    pub failure: Option<String>,
}

impl RuleSpec {
    /// Docker Hub under `docker-hub/`, with a credential in `ecr-pullthroughcache/docker-hub`.
    pub fn docker_hub(account: &str, failure: Option<&str>) -> RuleSpec {
        RuleSpec {
            prefix: "docker-hub".into(),
            upstream_url: "registry-1.docker.io".into(),
            credential_arn: Some(format!(
                "arn:aws:secretsmanager:us-east-1:{account}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
            )),
            failure: failure.map(str::to_string),
        }
    }
}

/// `config` whose registry has `rules` (none: a registry without pull-through cache).
pub fn with_rules(config: &SdkConfig, rules: Vec<RuleSpec>) -> SdkConfig {
    let inner = config
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    config
        .to_builder()
        .http_client(SharedHttpClient::new(Registry { inner, rules }))
        .build()
}

#[derive(Debug, Clone)]
struct Registry {
    inner: SharedHttpClient,
    rules: Vec<RuleSpec>,
}

impl HttpClient for Registry {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
            rules: self.rules.clone(),
        })
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
    rules: Vec<RuleSpec>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, action) = operation_of(&request);
        if service != "ecr" {
            return self.inner.call(request);
        }
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let registry = body["registryId"].as_str().unwrap_or_default();
        match action.as_str() {
            "DescribePullThroughCacheRules" => {
                let rules: Vec<Value> = self.rules.iter().map(|r| rule_json(r, registry)).collect();
                HttpConnectorFuture::ready(Ok(respond(200, json!({"pullThroughCacheRules": rules}))))
            }
            "ValidatePullThroughCacheRule" => {
                let prefix = body["ecrRepositoryPrefix"].as_str().unwrap_or_default();
                let answer = match self.rules.iter().find(|r| r.prefix == prefix) {
                    Some(rule) => {
                        let mut answer = rule_json(rule, registry);
                        answer["isValid"] = json!(rule.failure.is_none());
                        answer["failure"] = json!(rule.failure);
                        respond(200, answer)
                    }
                    None => respond(
                        400,
                        json!({"__type": "PullThroughCacheRuleNotFoundException", "message": format!("The pull through cache rule with prefix '{prefix}' does not exist in the registry with id '{registry}'.")}),
                    ),
                };
                HttpConnectorFuture::ready(Ok(answer))
            }
            _ => self.inner.call(request),
        }
    }
}

fn rule_json(rule: &RuleSpec, registry: &str) -> Value {
    json!({
        "ecrRepositoryPrefix": rule.prefix,
        "upstreamRegistryUrl": rule.upstream_url,
        "credentialArn": rule.credential_arn,
        "registryId": registry,
        "createdAt": 1_764_000_000,
        "upstreamRegistry": "docker-hub",
    })
}

fn respond(status: u16, body: Value) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    response
}

/// What a role needs for the first pull through the cache, on every repository under its prefix.
pub fn may_create_and_import(account: &str) -> RoleSpec {
    RoleSpec::StandardPlus(vec![format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["ecr:CreateRepository","ecr:BatchImportUpstreamImage"],"Resource":"arn:aws:ecr:us-east-1:{account}:repository/docker-hub/*"}}]}}"#
    )])
}

/// A task of service `web` pulling docker-hub/library/nginx:1.27, a repository the cache has not
/// created yet, in a registry with `rules`.
pub async fn first_pull(
    account_id: &str,
    rules: Vec<RuleSpec>,
    role: RoleSpec,
    reason: &str,
) -> (aws_config::SdkConfig, StoppedTask) {
    let config = with_rules(&super::account(account_id).await, rules);
    let builder = Builder::new(&config).await;
    let image = format!("{account_id}.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27");
    let definition = DefinitionSpec {
        role,
        ..DefinitionSpec::default()
    };
    let task = builder
        .fargate_task_with(
            "cache",
            &NetworkSpec::nat(),
            &definition,
            &image,
            Some("web"),
            &reason.replace("ACCOUNT", account_id),
        )
        .await;
    (config, task)
}
