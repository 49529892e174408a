//! Property tests with shrinking over everything that reads outside input: the intake (events and
//! manual payloads), the classifier, ARN and image-reference parsing, and the IAM policy parser and
//! evaluator. Nothing may panic on any input, and a Deny that applies is never lost to a statement
//! the parser could not read.
//!
//! `make test` runs each with a few hundred cases; `make fuzz` runs them with PROPTEST_CASES (a
//! million each by default). A failure proptest finds is kept under `proptest-regressions/` and
//! replayed first on every later run.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::checks::policy::{Context, Decision, Policy, Principal, Request};
use crate::classify::{StopReasons, classify, classify_message};
use crate::intake;
use crate::model::{ImageRef, TaskArn};

/// PROPTEST_CASES when set (`make fuzz`), else enough to catch a regression quickly.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    ProptestConfig {
        cases,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

/// Words the parsers look for, so that generated input reaches past the first check.
const WORDS: &[&str] = &[
    // intake
    "source",
    "aws.ecs",
    "detail-type",
    "ECS Task State Change",
    "detail",
    "taskArn",
    "clusterArn",
    "taskDefinitionArn",
    "lastStatus",
    "STOPPED",
    "RUNNING",
    "desiredStatus",
    "stopCode",
    "TaskFailedToStart",
    "stoppedReason",
    "containers",
    "reason",
    "image",
    "name",
    "attachments",
    "type",
    "eni",
    "details",
    "value",
    "subnetId",
    "networkInterfaceId",
    "privateIPv4Address",
    "group",
    "service:web",
    "version",
    "fix",
    "apply",
    "dry-run",
    "runbook",
    "always",
    "attributes",
    "ecs.cpu-architecture",
    "launchType",
    "FARGATE",
    "availabilityZone",
    "account",
    "region",
    "arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789abcdef",
    "arn:aws:ecs:us-east-1:111122223333:cluster/prod",
    "arn:aws:ecs:us-east-1:111122223333:task/abc",
    // policies
    "Version",
    "2012-10-17",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Service",
    "Federated",
    "*",
    "Condition",
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "ArnLike",
    "ArnNotEquals",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
    "StringEqualsIfExists",
    "Null",
    "Bool",
    "IpAddress",
    "NotIpAddress",
    "NumericLessThan",
    "DateGreaterThan",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:PrincipalArn",
    "aws:SourceIp",
    "ecr:BatchGetImage",
    "ecr:*",
    "s3:GetObject",
    "sts:AssumeRole",
    "ecs-tasks.amazonaws.com",
    "arn:aws:iam::111122223333:role/exec",
    "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
    "10.0.0.0/16",
    "true",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => any::<String>(),
        1 => "[a-zA-Z0-9:/*?._-]{0,24}",
    ]
}

/// JSON built from the parsers' own vocabulary, nested a few levels.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A stop reason from the classifier's corpus, cut, spliced and sprinkled with other characters.
fn mutated_message() -> impl Strategy<Value = String> {
    let corpus: Vec<&'static str> = crate::classify::tests::corpus()
        .into_iter()
        .map(|case| case.message)
        .collect();
    (
        proptest::sample::select(corpus),
        prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), word()),
            0..4,
        ),
    )
        .prop_map(|(message, edits)| {
            let mut text: Vec<char> = message.chars().collect();
            for (at, to, insert) in edits {
                let start = at.index(text.len() + 1);
                let end = (start + to.index(16)).min(text.len());
                text.splice(start..end, insert.chars());
            }
            text.into_iter().collect()
        })
}

fn statement() -> impl Strategy<Value = Value> {
    let element = prop_oneof![
        word().prop_map(Value::String),
        prop::collection::vec(word().prop_map(Value::String), 0..3).prop_map(Value::Array),
        json()
    ];
    (
        prop_oneof![Just(json!("Allow")), Just(json!("Deny")), json()],
        prop::sample::select(&["Action", "NotAction"][..]),
        element.clone(),
        prop::sample::select(&["Resource", "NotResource", "Principal"][..]),
        element,
        prop::option::of(json()),
    )
        .prop_map(|(effect, action_key, action, resource_key, resource, condition)| {
            let mut statement = Map::new();
            statement.insert("Effect".into(), effect);
            statement.insert(action_key.into(), action);
            statement.insert(resource_key.into(), resource);
            if let Some(condition) = condition {
                statement.insert("Condition".into(), condition);
            }
            Value::Object(statement)
        })
}

fn context() -> impl Strategy<Value = Context> {
    (any::<bool>(), prop::collection::vec((word(), word()), 0..4)).prop_map(|(complete, pairs)| {
        pairs.into_iter().fold(
            if complete {
                Context::complete()
            } else {
                Context::partial()
            },
            |c, (k, v)| c.with(&k, &v),
        )
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_intake_never_panics(value in json(), text in any::<String>()) {
        let _ = intake::parse_value(value.clone());
        let _ = intake::parse_value(json!({"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": value}));
        let _ = intake::parse_text(&text);
    }

    #[test]
    fn fuzz_classifier_never_panics(message in mutated_message(), other in any::<String>(), code in prop::option::of(word())) {
        let _ = classify_message(&message);
        let _ = classify_message(&other);
        let reasons = [message.as_str(), other.as_str()];
        let _ = classify(StopReasons { stop_code: code.as_deref(), stopped_reason: Some(&other), container_reasons: &reasons });
    }

    #[test]
    fn fuzz_arns_and_image_references_never_panic(text in prop_oneof![word(), any::<String>(), mutated_message()]) {
        if let Ok(arn) = text.parse::<TaskArn>() {
            // What parses prints back to something that parses to the same task.
            prop_assert_eq!(arn.to_string().parse::<TaskArn>().ok().map(|again| again.task_id), Some(arn.task_id.clone()));
        }
        if let Some(image) = ImageRef::parse(&text) {
            let _ = image.ecr_repository_arn();
        }
    }

    #[test]
    fn fuzz_policies_never_panic_and_never_lose_an_applicable_deny(
        statements in prop::collection::vec(statement(), 0..5),
        document in json(),
        action in word(),
        resource in word(),
        principal in prop::option::of(word()),
        context in context(),
    ) {
        let principal = principal.map(|arn| Principal::aws(&arn));
        let request = Request { principal: principal.as_ref(), action: &action, resource: &resource, context: &context };
        if let Ok(policy) = Policy::from_value(&document) {
            let _ = policy.evaluate(&request);
        }
        let _ = Policy::parse(&document.to_string());
        // Whatever else the policy holds, readable or not, a Deny of everything wins.
        let mut with_deny = statements.clone();
        with_deny.push(json!({"Effect": "Deny", "Action": "*", "Resource": "*"}));
        let policy = Policy::from_value(&json!({"Statement": with_deny})).expect("a Statement list is a policy");
        let decision = policy.evaluate(&request);
        prop_assert!(matches!(decision, Decision::ExplicitlyDenied { .. }), "{:?}", decision);
        // And without it, nothing the parser could not read is ever taken as an allow.
        let policy = Policy::from_value(&json!({"Statement": statements})).expect("a Statement list is a policy");
        if let Decision::Allowed { statement } = policy.evaluate(&request) {
            prop_assert!(Policy::from_value(&json!({"Statement": [statement.clone()]})).is_ok_and(|p| !p.has_malformed()), "{}", statement);
        }
    }
}
