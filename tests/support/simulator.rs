//! IAM's policy simulator, which the emulator lacks, stood in for by the doctor's own evaluator over
//! each role's identity policies as read beforehand, so that `make bench` measures the path a doctor
//! allowed to simulate takes. Only the bench uses it: a test of the checks against the evaluator they
//! themselves use would prove nothing.

use std::collections::HashMap;
use std::sync::Arc;

use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use ecs_pull_doctor::checks::policy::{Context, Decision, Policy, Request};

/// Each role's identity policies, by role ARN.
#[derive(Debug, Clone, Default)]
pub struct Simulator {
    roles: Arc<HashMap<String, Vec<Policy>>>,
}

impl Simulator {
    /// `roles`: (role ARN, its policy documents). A document that does not parse is left out.
    pub fn new(roles: impl IntoIterator<Item = (String, Vec<String>)>) -> Simulator {
        let roles = roles
            .into_iter()
            .map(|(arn, documents)| (arn, documents.iter().filter_map(|d| Policy::parse(d).ok()).collect()))
            .collect();
        Simulator { roles: Arc::new(roles) }
    }

    /// The answer to one SimulatePrincipalPolicy request: a decision for each action on each resource.
    pub fn answer(&self, request: &HttpRequest) -> HttpResponse {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let form: Vec<(String, String)> = body
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (decode(key), decode(value)))
            .collect();
        let values = |prefix: &str| {
            form.iter()
                .filter(|(key, _)| key.starts_with(prefix))
                .map(|(_, value)| value.as_str())
                .collect::<Vec<_>>()
        };
        let role = values("PolicySourceArn")
            .first()
            .copied()
            .unwrap_or_default()
            .to_string();
        let policies = self.roles.get(&role).map(Vec::as_slice).unwrap_or_default();
        let context = Context::partial();
        let mut members = String::new();
        for resource in values("ResourceArns.member.") {
            for action in values("ActionNames.member.") {
                let decision = match Policy::evaluate_all(
                    policies,
                    &Request {
                        principal: None,
                        action,
                        resource,
                        context: &context,
                    },
                ) {
                    Decision::Allowed { .. } => "allowed",
                    Decision::ExplicitlyDenied { .. } => "explicitDeny",
                    Decision::ImplicitlyDenied | Decision::Undecided { .. } => "implicitDeny",
                };
                members.push_str(&format!(
                    "<member><EvalActionName>{}</EvalActionName><EvalResourceName>{}</EvalResourceName><EvalDecision>{decision}</EvalDecision></member>",
                    escape(action),
                    escape(resource)
                ));
            }
        }
        let xml = format!(
            "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><SimulatePrincipalPolicyResult>\
             <IsTruncated>false</IsTruncated><EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult>\
             <ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"
        );
        let mut response = HttpResponse::new(StatusCode::try_from(200).expect("200"), SdkBody::from(xml));
        response.headers_mut().insert("content-type", "text/xml");
        response
    }
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
