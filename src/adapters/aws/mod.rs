//! The AWS SDK behind the ports: one client set for every read and write of one account. It
//! translates answers into facts and decides nothing.

mod ec2;
mod ecr;
mod ecs;
mod efs;
mod iam;
mod members;
mod s3;
mod secrets;
mod sns;
mod writes;
mod xml;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::facts::CallFailure;

pub use members::{Organization, assume_role};
pub use sns::SnsPublisher;

/// Reads from AWS with the standard configuration chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...).
/// Each call goes to the region of the resource it asks about, which may differ from the default.
#[derive(Clone, Debug)]
pub struct AwsClients {
    config: SdkConfig,
    /// IAM is global: one client, replaceable for tests of what the emulator lacks (simulation).
    iam: Option<aws_sdk_iam::Client>,
    /// Replaces the regional SSM clients, for tests of what the emulator lacks (automation).
    ssm: Option<aws_sdk_ssm::Client>,
}

/// How long one AWS call may take, and how it is retried: set once here for every client. A stalled
/// endpoint costs at most `operation`, well inside a diagnosis's deadline; throttling and server
/// errors are retried in the SDK's standard mode (exponential backoff with jitter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(8),
            operation: Duration::from_secs(20),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl CallLimits {
    fn applied_to(&self, config: SdkConfig) -> SdkConfig {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff);
        config
            .to_builder()
            .timeout_config(timeouts)
            .retry_config(retries)
            .build()
    }
}

impl AwsClients {
    /// A reader whose every call is bounded by the default [`CallLimits`].
    pub fn new(config: SdkConfig) -> Self {
        AwsClients::with_limits(config, CallLimits::default())
    }

    pub fn with_limits(config: SdkConfig, limits: CallLimits) -> Self {
        AwsClients {
            config: limits.applied_to(config),
            iam: None,
            ssm: None,
        }
    }

    /// The same reader with its IAM calls going to `client`.
    pub fn with_iam(mut self, client: aws_sdk_iam::Client) -> Self {
        self.iam = Some(client);
        self
    }

    pub async fn from_env() -> Self {
        AwsClients::new(aws_config::defaults(BehaviorVersion::latest()).load().await)
    }

    /// The standard configuration chain's clients, or, given a role (and its external ID), that
    /// role's, assumed with the chain's credentials under `session`.
    pub async fn connect(role: Option<(&str, Option<&str>)>, session: &str) -> Result<Self, CallFailure> {
        let base = AwsClients::from_env().await;
        let Some((role_arn, external_id)) = role else {
            return Ok(base);
        };
        let (config, _) = assume_role(&base.config, role_arn, session, external_id).await?;
        Ok(AwsClients::new(config))
    }

    /// The default region of the configuration, if it has one.
    pub fn region(&self) -> Option<&str> {
        self.config.region().map(|r| r.as_ref())
    }

    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    /// The same reader with its SSM Automation calls going to `client`.
    pub fn with_ssm(mut self, client: aws_sdk_ssm::Client) -> Self {
        self.ssm = Some(client);
        self
    }

    pub(crate) fn ssm_client(&self, region: &str) -> aws_sdk_ssm::Client {
        self.ssm
            .clone()
            .unwrap_or_else(|| aws_sdk_ssm::Client::new(&self.in_region(region)))
    }

    /// The IAM client: the test's replacement, or one from the shared configuration.
    pub(crate) fn iam_client(&self) -> aws_sdk_iam::Client {
        self.iam.clone().unwrap_or_else(|| {
            aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&self.config)
                    .interceptor(xml::WholeXmlBody)
                    .build(),
            )
        })
    }

    /// The shared configuration pointed at `region`. Clients share its HTTP client and credentials cache.
    fn in_region(&self, region: &str) -> SdkConfig {
        self.config.to_builder().region(Region::new(region.to_string())).build()
    }
}

/// Records a failed call with its AWS error code, or the transport failure when there is none.
pub(crate) fn call_failure<E, R>(operation: &str, resource: &str, error: &SdkError<E, R>) -> CallFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (error_code, message) = match error {
        SdkError::ServiceError(service) => (
            service.err().code().unwrap_or("ServiceError").to_string(),
            // Without an AWS message (a body that is not an AWS error), the error chain alone: the
            // raw response would fill the report with headers and HTML.
            service
                .err()
                .message()
                .map_or_else(|| DisplayErrorContext(service.err()).to_string(), str::to_string),
        ),
        SdkError::TimeoutError(_) => ("Timeout".to_string(), DisplayErrorContext(error).to_string()),
        SdkError::DispatchFailure(_) => ("DispatchFailure".to_string(), DisplayErrorContext(error).to_string()),
        _ => ("ResponseError".to_string(), DisplayErrorContext(error).to_string()),
    };
    CallFailure {
        operation: operation.to_string(),
        resource: resource.to_string(),
        error_code,
        message,
    }
}
