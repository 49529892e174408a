//! The evaluator against IAM's documented evaluation rules.

use serde_json::json;

use super::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole";

fn policy(value: Value) -> Policy {
    Policy::from_value(&value).expect("a valid policy")
}

fn ask(policy: &Policy, principal: Option<&Principal>, action: &str, resource: &str, context: &Context) -> Decision {
    policy.evaluate(&Request {
        principal,
        action,
        resource,
        context,
    })
}

fn identity(policy: &Policy, action: &str, resource: &str) -> Decision {
    ask(policy, None, action, resource, &Context::complete())
}

#[test]
fn an_explicit_deny_overrides_any_allow() {
    let p = policy(json!({"Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Sid": "NoPulls", "Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}
    ]}));
    match identity(
        &p,
        "ecr:BatchGetImage",
        "arn:aws:ecr:us-east-1:111122223333:repository/web",
    ) {
        Decision::ExplicitlyDenied { statement } => assert_eq!(statement["Sid"], "NoPulls"),
        other => panic!("{other:?}"),
    }
    assert!(identity(&p, "ecr:GetAuthorizationToken", "*").is_allowed());
}

#[test]
fn without_a_matching_allow_the_request_is_implicitly_denied() {
    let p = policy(json!({"Statement": {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}}));
    assert_eq!(identity(&p, "logs:CreateLogGroup", "*"), Decision::ImplicitlyDenied);
    assert!(
        identity(&p, "logs:PutLogEvents", "*").is_allowed(),
        "a single Statement object is read too"
    );
}

#[test]
fn actions_match_wildcards_without_regard_to_case() {
    let p =
        policy(json!({"Statement": [{"Effect": "Allow", "Action": ["ecr:Get*", "s3:Get?bject"], "Resource": "*"}]}));
    assert!(identity(&p, "ecr:GetAuthorizationToken", "*").is_allowed());
    assert!(identity(&p, "ECR:getdownloadurlforlayer", "*").is_allowed());
    assert!(identity(&p, "s3:GetObject", "*").is_allowed());
    assert!(identity(&p, "ecr:BatchGetImage", "*").is_denied());
    assert!(
        identity(&p, "s3:GetObjectAcl", "*").is_denied(),
        "? is exactly one character"
    );
}

#[test]
fn resources_match_wildcards_with_regard_to_case() {
    let p = policy(
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}]}),
    );
    assert!(
        identity(
            &p,
            "s3:GetObject",
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/a/b"
        )
        .is_allowed()
    );
    assert!(
        identity(
            &p,
            "s3:GetObject",
            "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/a"
        )
        .is_denied()
    );
    assert!(
        identity(
            &p,
            "s3:GetObject",
            "arn:aws:s3:::PROD-us-east-1-starport-layer-bucket/a"
        )
        .is_denied()
    );
}

#[test]
fn not_action_and_not_resource_match_everything_else() {
    let p = policy(json!({"Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"]}
    ]}));
    assert!(identity(&p, "ecr:BatchGetImage", "*").is_allowed());
    assert!(identity(&p, "iam:PassRole", "*").is_denied());
    assert!(
        identity(
            &p,
            "s3:GetObject",
            "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/x"
        )
        .is_allowed()
    );
    assert!(matches!(
        identity(&p, "s3:GetObject", "arn:aws:s3:::other/x"),
        Decision::ExplicitlyDenied { .. }
    ));
}

#[test]
fn principals_in_resource_policies() {
    let role = Principal::aws(ROLE);
    let session = Principal::aws("arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/5c2a9e7b");
    let stranger = Principal::aws("arn:aws:iam::444455556666:role/ecsTaskExecutionRole");
    let service = Principal::Service("ecs-tasks.amazonaws.com".into());
    let ctx = Context::complete();
    let grant = |principal: Value| {
        policy(json!({"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "ecr:BatchGetImage"}]}))
    };

    let everyone = grant(json!("*"));
    assert!(ask(&everyone, Some(&stranger), "ecr:BatchGetImage", "r", &ctx).is_allowed());
    let by_account = grant(json!({"AWS": "arn:aws:iam::111122223333:root"}));
    assert!(ask(&by_account, Some(&role), "ecr:BatchGetImage", "r", &ctx).is_allowed());
    assert!(ask(&by_account, Some(&stranger), "ecr:BatchGetImage", "r", &ctx).is_denied());
    let by_id = grant(json!({"AWS": ["111122223333"]}));
    assert!(ask(&by_id, Some(&role), "ecr:BatchGetImage", "r", &ctx).is_allowed());
    let by_role = grant(json!({"AWS": ROLE}));
    assert_eq!(session, role, "an assumed-role session is its role");
    assert!(ask(&by_role, Some(&session), "ecr:BatchGetImage", "r", &ctx).is_allowed());
    let by_service = grant(json!({"Service": "ecs-tasks.amazonaws.com"}));
    assert!(ask(&by_service, Some(&service), "ecr:BatchGetImage", "r", &ctx).is_allowed());
    assert!(ask(&by_service, Some(&role), "ecr:BatchGetImage", "r", &ctx).is_denied());
    let all_aws = grant(json!({"AWS": "*"}));
    assert!(
        ask(&all_aws, Some(&service), "ecr:BatchGetImage", "r", &ctx).is_denied(),
        "AWS:* is not a service"
    );

    let all_but = policy(
        json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*"}, {"Effect": "Allow", "Principal": "*", "Action": "*"}]}),
    );
    assert!(ask(&all_but, Some(&role), "ecr:BatchGetImage", "r", &ctx).is_allowed());
    assert!(matches!(
        ask(&all_but, Some(&stranger), "ecr:BatchGetImage", "r", &ctx),
        Decision::ExplicitlyDenied { .. }
    ));
}

#[test]
fn conditions_are_decided_from_the_context() {
    let p = policy(
        json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}, "ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111122223333:*"}}}]}),
    );
    let service = Principal::Service("ecs-tasks.amazonaws.com".into());
    let from = |account: &str, arn: &str| {
        Context::complete()
            .with("aws:SourceAccount", account)
            .with("AWS:SOURCEARN", arn)
    };
    let assume = |ctx: &Context| ask(&p, Some(&service), "sts:AssumeRole", "*", ctx);
    assert!(assume(&from("111122223333", "arn:aws:ecs:us-east-1:111122223333:cluster/prod")).is_allowed());
    assert!(assume(&from("444455556666", "arn:aws:ecs:us-east-1:111122223333:cluster/prod")).is_denied());
    assert!(assume(&from("111122223333", "arn:aws:ecs:eu-west-1:111122223333:cluster/prod")).is_denied());
    assert!(
        assume(&Context::complete()).is_denied(),
        "an absent key fails a positive operator"
    );
    match assume(&Context::partial()) {
        Decision::Undecided { keys, .. } => assert_eq!(keys, ["aws:SourceAccount", "aws:SourceArn"]),
        other => panic!("unknown keys leave it undecided: {other:?}"),
    }
}

#[test]
fn negated_if_exists_null_and_set_operators() {
    let check = |condition: Value, ctx: &Context| {
        identity_with(
            &policy(
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]}),
            ),
            ctx,
        )
    };
    let absent = Context::complete();
    let vpce = Context::complete().with("aws:SourceVpce", "vpce-1");
    assert!(check(json!({"StringNotEquals": {"aws:SourceVpce": "vpce-2"}}), &vpce).is_allowed());
    assert!(
        check(
            json!({"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}),
            &vpce
        )
        .is_denied()
    );
    assert!(
        check(json!({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), &absent).is_allowed(),
        "negated with no key holds"
    );
    assert!(check(json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-9"}}), &absent).is_allowed());
    assert!(check(json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-9"}}), &vpce).is_denied());
    assert!(check(json!({"Null": {"aws:SourceVpce": "true"}}), &absent).is_allowed());
    assert!(check(json!({"Null": {"aws:SourceVpce": "true"}}), &vpce).is_denied());
    assert!(check(json!({"Null": {"aws:SourceVpce": "false"}}), &vpce).is_allowed());
    assert!(
        check(
            json!({"Bool": {"aws:SecureTransport": "true"}}),
            &Context::complete().with("aws:SecureTransport", "true")
        )
        .is_allowed()
    );
    assert!(
        check(
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}),
            &Context::complete().with("aws:SourceIp", "10.0.3.4")
        )
        .is_allowed()
    );
    assert!(
        check(
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/16"}}),
            &Context::complete().with("aws:SourceIp", "10.0.3.4")
        )
        .is_denied()
    );
    let tags = Context::complete()
        .with("aws:TagKeys", "team")
        .with("aws:TagKeys", "cost");
    assert!(check(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "cost"}}), &tags).is_allowed());
    assert!(check(json!({"ForAllValues:StringEquals": {"aws:TagKeys": "cost"}}), &tags).is_denied());
    assert!(
        check(json!({"ForAllValues:StringEquals": {"aws:TagKeys": "cost"}}), &absent).is_allowed(),
        "vacuously true"
    );
    assert!(matches!(
        check(
            json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
            &Context::complete().with("aws:CurrentTime", "x")
        ),
        Decision::Undecided { .. }
    ));
}

fn identity_with(policy: &Policy, ctx: &Context) -> Decision {
    ask(policy, None, "ecr:BatchGetImage", "*", ctx)
}

#[test]
fn a_deny_that_may_apply_leaves_an_allow_undecided() {
    let p = policy(json!({"Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecr:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}
    ]}));
    assert!(matches!(
        identity_with(&p, &Context::partial()),
        Decision::Undecided { .. }
    ));
    assert!(identity_with(&p, &Context::partial().with("aws:SourceVpce", "vpce-1")).is_allowed());
}

#[test]
fn several_policies_are_evaluated_together() {
    let allow = policy(json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}));
    let deny = policy(json!({"Statement": [{"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]}));
    let request = Request {
        principal: None,
        action: "ecr:BatchGetImage",
        resource: "*",
        context: &Context::complete(),
    };
    assert!(matches!(
        Policy::evaluate_all(&[allow.clone(), deny], &request),
        Decision::ExplicitlyDenied { .. }
    ));
    assert!(Policy::evaluate_all(&[allow], &request).is_allowed());
    assert_eq!(Policy::evaluate_all(&[], &request), Decision::ImplicitlyDenied);
}

#[test]
fn invalid_documents_are_errors_not_panics() {
    for bad in [
        "not json",
        "{}",
        r#"{"Statement": [{"Effect": "Maybe", "Action": "*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Condition": "yes"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Action": [1, {}]}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Principal": ["a"]}]}"#,
    ] {
        // Not a policy at all is an error; a policy with a statement that cannot be read is kept,
        // with that statement making every answer it might touch undecided.
        match Policy::parse(bad) {
            Err(_) => {}
            Ok(policy) => assert!(policy.has_malformed(), "{bad}"),
        }
    }
}

#[test]
fn wildcards() {
    assert!(wildcard("*", ""));
    assert!(wildcard("a*b*c", "aXXbYYc"));
    assert!(!wildcard("a*b*c", "aXXbYY"));
    assert!(wildcard("a?c", "abc"));
    assert!(!wildcard("a?c", "ac"));
    assert!(wildcard("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
    // Found by fuzzing: a star in the text is a character like any other to a star in the pattern.
    assert!(wildcard("*", "*A"));
    assert!(wildcard("a*", "a*b*"));
}

#[test]
fn a_statement_that_cannot_be_read_leaves_the_answers_it_might_touch_undecided() {
    let garbled_allow = json!({"Effect": "Allow", "Action": "ecr:*", "Resource": {"not": "a list"}});
    let policy =
        Policy::from_value(&json!({"Statement": [garbled_allow]})).expect("a policy with one unreadable statement");
    assert!(policy.has_malformed());
    assert!(
        matches!(identity(&policy, "ecr:BatchGetImage", "*"), Decision::Undecided { .. }),
        "it might allow"
    );
    assert!(
        identity(&policy, "s3:GetObject", "*").is_denied(),
        "it names other actions"
    );

    // A readable Deny still wins; an unreadable Effect may deny what another statement allows.
    let policy = Policy::from_value(&json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"},
        {"Effect": 7, "Action": "ecr:GetDownloadUrlForLayer", "Resource": "*"},
    ]}))
    .unwrap();
    assert!(matches!(
        identity(&policy, "ecr:BatchGetImage", "*"),
        Decision::ExplicitlyDenied { .. }
    ));
    assert!(matches!(
        identity(&policy, "ecr:GetDownloadUrlForLayer", "*"),
        Decision::Undecided { .. }
    ));
    assert!(identity(&policy, "logs:PutLogEvents", "*").is_allowed());
}
