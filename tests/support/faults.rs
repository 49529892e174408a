//! Fault injection at the SDK's HTTP client: one AWS operation answers with a chosen fault (throttling,
//! AccessDenied, a server error, a body that does not parse, or no answer at all) while every other
//! call goes to the emulator as usual. Every operation the SDK sends is recorded, so a test can first
//! learn what a diagnosis calls and then break each call in turn.

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// How the broken operation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    AccessDenied,
    ServerError,
    /// 200 OK with a body that does not parse.
    Malformed,
    /// Never answers: only a timeout or the deadline ends the call.
    Stall,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Throttle,
        Fault::AccessDenied,
        Fault::ServerError,
        Fault::Malformed,
        Fault::Stall,
    ];
}

/// The operations sent, as `service:Action`, in order.
#[derive(Debug, Default, Clone)]
pub struct Recorded(Arc<Mutex<Vec<String>>>);

impl Recorded {
    pub fn operations(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Each operation once, in the order first sent, less STS (the tests' own credentials).
    pub fn distinct(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for operation in self.operations() {
            if !operation.starts_with("sts:") && !seen.contains(&operation) {
                seen.push(operation);
            }
        }
        seen
    }
}

/// `config` with its HTTP client wrapped: `fault` (an operation and how it fails), if any, and a record.
pub fn faulty(config: &SdkConfig, fault: Option<(String, Fault)>) -> (SdkConfig, Recorded) {
    let recorded = Recorded::default();
    // The emulator speaks plain HTTP on loopback.
    let inner = config
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let client = FaultyClient {
        inner,
        fault,
        recorded: recorded.clone(),
    };
    (
        config.to_builder().http_client(SharedHttpClient::new(client)).build(),
        recorded,
    )
}

#[derive(Debug, Clone)]
struct FaultyClient {
    inner: SharedHttpClient,
    fault: Option<(String, Fault)>,
    recorded: Recorded,
}

impl HttpClient for FaultyClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            fault: self.fault.clone(),
            recorded: self.recorded.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    fault: Option<(String, Fault)>,
    recorded: Recorded,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, action) = operation_of(&request);
        let operation = format!("{service}:{action}");
        self.recorded.0.lock().unwrap().push(operation.clone());
        match &self.fault {
            Some((broken, Fault::Stall)) if *broken == operation => HttpConnectorFuture::new(std::future::pending()),
            Some((broken, fault)) if *broken == operation => {
                HttpConnectorFuture::ready(Ok(answer(&service, &action, *fault)))
            }
            _ => self.inner.call(request),
        }
    }
}

/// The service (as SigV4 signs for it) and the action of a request: JSON protocols name the action in
/// X-Amz-Target, the query protocols (EC2, IAM, STS) in the form body.
pub fn operation_of(request: &HttpRequest) -> (String, String) {
    let service = request
        .headers()
        .get("authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let action = match request.headers().get("x-amz-target") {
        Some(target) => target.rsplit('.').next().unwrap_or(target).to_string(),
        // EFS speaks REST: the path names the operation.
        None if service == "elasticfilesystem" => efs_operation(request.uri()).to_string(),
        None if service == "s3" => s3_operation(request.uri()).to_string(),
        None => {
            let body = request
                .body()
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            body.split('&')
                .find_map(|pair| pair.strip_prefix("Action="))
                .unwrap_or("unknown")
                .to_string()
        }
    };
    (service, action)
}

/// The S3 read a request's query names, as IAM names it (the listing is s3:ListBucket).
fn s3_operation(uri: &str) -> &'static str {
    let query = uri.split_once('?').map_or("", |(_, query)| query);
    let has = |name: &str| {
        query
            .split('&')
            .any(|pair| pair == name || pair.starts_with(&format!("{name}=")))
    };
    if has("location") {
        "GetBucketLocation"
    } else if has("policy") {
        "GetBucketPolicy"
    } else if has("list-type") {
        "ListBucket"
    } else {
        "unknown"
    }
}

/// The EFS read operation a request's path names.
fn efs_operation(uri: &str) -> &'static str {
    let path = uri.split('?').next().unwrap_or(uri);
    if path.ends_with("/policy") {
        "DescribeFileSystemPolicy"
    } else if path.ends_with("/security-groups") {
        "DescribeMountTargetSecurityGroups"
    } else if path.contains("/mount-targets") {
        "DescribeMountTargets"
    } else if path.contains("/access-points") {
        "DescribeAccessPoints"
    } else if path.contains("/file-systems") {
        "DescribeFileSystems"
    } else {
        "unknown"
    }
}

/// The answer AWS itself gives for `fault`, in the service's protocol.
pub fn answer(service: &str, action: &str, fault: Fault) -> HttpResponse {
    enum Protocol {
        Json,
        Ec2,
        Query,
    }
    let protocol = match service {
        "ec2" => Protocol::Ec2,
        "iam" | "sts" | "s3" => Protocol::Query,
        _ => Protocol::Json,
    };
    let (status, code, message) = match (fault, &protocol) {
        (Fault::Throttle, Protocol::Json) => (400, "ThrottlingException", "Rate exceeded"),
        (Fault::Throttle, Protocol::Ec2) => (503, "RequestLimitExceeded", "Request limit exceeded."),
        (Fault::Throttle, Protocol::Query) => (400, "Throttling", "Rate exceeded"),
        (Fault::AccessDenied, Protocol::Json) => (
            400,
            "AccessDeniedException",
            "User is not authorized to perform this action",
        ),
        (Fault::AccessDenied, Protocol::Ec2) => (
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        (Fault::AccessDenied, Protocol::Query) => {
            (403, "AccessDenied", "User is not authorized to perform this action")
        }
        (Fault::ServerError, Protocol::Json) => (500, "InternalFailure", "We encountered an internal error."),
        (Fault::ServerError, Protocol::Ec2) => (500, "InternalError", "An internal error has occurred."),
        (Fault::ServerError, Protocol::Query) => (500, "ServiceFailure", "An internal error has occurred."),
        (Fault::Malformed, _) => (200, "", ""),
        (Fault::Stall, _) => unreachable!("a stall has no answer"),
    };
    let (content_type, body) = match (fault, protocol) {
        (Fault::Malformed, Protocol::Json) => ("application/x-amz-json-1.1", r#"{"truncated": [{"#.to_string()),
        (Fault::Malformed, _) => ("text/xml", format!("<{action}Response><{action}Result><item>")),
        (_, Protocol::Json) => (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        ),
        (_, Protocol::Ec2) => (
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault</RequestID></Response>"
            ),
        ),
        (_, Protocol::Query) => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
        ),
    };
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body),
    );
    response.headers_mut().insert("content-type", content_type);
    response
}
