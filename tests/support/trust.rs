//! What the emulator lacks of STS: it lets anyone assume any role, even one that does not exist.
//! AWS refuses sts:AssumeRole (AccessDenied) unless the role exists and trusts the caller; here the
//! first half is checked on the wire: each AssumeRole goes to the emulator, and its answer is
//! replaced by STS's AccessDenied when iam:GetRole, asked with the new credentials in the role's
//! account, says there is no such role. Every AssumeRole is logged, for tests of the session cache,
//! and every sns:Publish, which the emulator keeps no readable copy of.

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::faults::operation_of;

/// One sts:AssumeRole the code under test made: the role and the session name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumed {
    pub role_arn: String,
    pub session: String,
}

/// One sns:Publish: its subject (email only) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub subject: String,
    pub message: String,
}

/// The AssumeRole and Publish requests made through a config of [`with_trust`].
#[derive(Debug, Clone, Default)]
pub struct AssumeLog(Arc<Mutex<Vec<Assumed>>>, Arc<Mutex<Vec<Published>>>);

impl AssumeLog {
    pub fn of_role(&self, role_arn: &str) -> Vec<Assumed> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.role_arn == role_arn)
            .cloned()
            .collect()
    }

    pub fn published(&self) -> Vec<Published> {
        self.1.lock().unwrap().clone()
    }
}

/// `config` whose sts:AssumeRole fails, as AWS's does, for a role that does not exist.
pub fn with_trust(config: &SdkConfig) -> (SdkConfig, AssumeLog) {
    let inner = config
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let log = AssumeLog::default();
    let client = Trust {
        inner,
        plain: config.clone(),
        log: log.clone(),
    };
    (
        config.to_builder().http_client(SharedHttpClient::new(client)).build(),
        log,
    )
}

#[derive(Debug, Clone)]
struct Trust {
    inner: SharedHttpClient,
    /// Asks the emulator whether the role exists, past this stand-in.
    plain: SdkConfig,
    log: AssumeLog,
}

impl HttpClient for Trust {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
            trust: self.clone(),
        })
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
    trust: Trust,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_of(&request);
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let field = |name: &str| {
            body.split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .map(|value| {
                    percent_encoding::percent_decode_str(&value.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .unwrap_or_default()
        };
        if operation == ("sns".to_string(), "Publish".to_string()) {
            self.trust.log.1.lock().unwrap().push(Published {
                subject: field("Subject"),
                message: field("Message"),
            });
            return self.inner.call(request);
        }
        if operation != ("sts".to_string(), "AssumeRole".to_string()) {
            return self.inner.call(request);
        }
        let (role_arn, session) = (field("RoleArn"), field("RoleSessionName"));
        self.trust.log.0.lock().unwrap().push(Assumed {
            role_arn: role_arn.clone(),
            session,
        });
        let answer = self.inner.call(request);
        let plain = self.trust.plain.clone();
        HttpConnectorFuture::new(async move {
            // The emulator's answer streams: read it whole, then hand on a copy.
            let mut response = answer.await?;
            let body = std::mem::replace(response.body_mut(), SdkBody::empty());
            let bytes = aws_smithy_types::byte_stream::ByteStream::new(body)
                .collect()
                .await
                .map(|b| b.into_bytes())
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            *response.body_mut() = SdkBody::from(bytes);
            let (Some(key), Some(secret), Some(token)) = (
                element(&text, "AccessKeyId"),
                element(&text, "SecretAccessKey"),
                element(&text, "SessionToken"),
            ) else {
                return Ok(response);
            };
            let credentials = Credentials::new(key, secret, Some(token), None, "trust-check");
            let iam = aws_sdk_iam::Client::new(
                &plain
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(credentials))
                    .build(),
            );
            let name = role_arn.rsplit('/').next().unwrap_or_default();
            match iam.get_role().role_name(name).send().await {
                Ok(_) => Ok(response),
                Err(_) => Ok(access_denied(&role_arn)),
            }
        })
    }
}

fn element(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..end].to_string())
}

fn access_denied(role_arn: &str) -> HttpResponse {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code>\
         <Message>User: arn:aws:sts::000000000000:assumed-role/ecs-pull-doctor/doctor is not authorized to perform: sts:AssumeRole on resource: {role_arn}</Message>\
         </Error><RequestId>trust-check</RequestId></ErrorResponse>"
    );
    let mut response = HttpResponse::new(StatusCode::try_from(403).expect("a valid status"), SdkBody::from(body));
    response.headers_mut().insert("content-type", "text/xml");
    response
}
