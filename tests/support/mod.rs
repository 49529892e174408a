//! Shared by the integration tests and the demo: the local AWS emulator and the broken environments
//! built in it.

#![allow(dead_code)] // each user of this module needs a different part of it

pub mod faults;
pub mod latency;
pub mod pull_through;
pub mod scenario;
pub mod simulator;
pub mod trust;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::Credentials;

pub const REGION: &str = "us-east-1";

/// The emulator's address, which `scripts/with-emulator` exports.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("the integration tests talk to a local AWS emulator: run them with `make test`, which starts it")
    })
}

async fn base_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "emulator"))
        .load()
        .await
}

/// Credentials for `account` in the emulator. Each test works in its own account, so tests run in
/// parallel against one server without seeing each other's resources. The emulator switches accounts
/// on sts:AssumeRole, as AWS does for a cross-account role.
pub async fn account(account: &str) -> SdkConfig {
    let base = base_config().await;
    let assumed = aws_sdk_sts::Client::new(&base)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/ecs-pull-doctor-tests"))
        .role_session_name("tests")
        .send()
        .await
        .expect("the emulator answers sts:AssumeRole");
    let c = assumed.credentials().expect("assumed-role credentials");
    let credentials = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "assumed",
    );
    let config = base
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            credentials,
        ))
        .build();
    // The emulator has no pull-through cache: its registries answer that they have no rules.
    pull_through::with_rules(&config, Vec::new())
}

/// The environment a child process (the CLI binary) needs to act as `config`'s account.
pub async fn child_env(config: &SdkConfig) -> Vec<(String, String)> {
    use aws_credential_types::provider::ProvideCredentials;
    let credentials = config
        .credentials_provider()
        .expect("credentials")
        .provide_credentials()
        .await
        .expect("credentials resolve");
    vec![
        ("AWS_ENDPOINT_URL".into(), endpoint()),
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_ACCESS_KEY_ID".into(), credentials.access_key_id().into()),
        ("AWS_SECRET_ACCESS_KEY".into(), credentials.secret_access_key().into()),
        (
            "AWS_SESSION_TOKEN".into(),
            credentials.session_token().unwrap_or_default().into(),
        ),
    ]
}

/// An AWS endpoint that accepts connections and never answers, on a free loopback port; it stops
/// when the test's runtime does.
pub async fn stalled_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection); // kept open, never read or answered
        }
    });
    format!("http://{address}")
}
