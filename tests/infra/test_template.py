"""Offline checks of infra/template.yaml: write permissions exist only when their mode is on, and the
EventBridge rule matches exactly the sample events that it should."""

import json
import pathlib
import re
import unittest

from cfnlint.decode import cfn_yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = cfn_yaml.load(str(ROOT / "infra" / "template.yaml"))
FUNCTION = TEMPLATE["Resources"]["DoctorFunction"]["Properties"]

# The calls each mode's fixes make (src/fixes), and the reads of every diagnosis.
WRITES = {
    "SafeWrites": {"iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "ec2:CreateVpcEndpoint",
                   "ec2:ModifyVpcEndpoint", "ec2:CreateTags", "logs:CreateLogGroup"},
    "CostWrites": {"ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateVpcEndpoint", "ec2:CreateTags"},
    "ExposureWrites": {"ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags", "ecs:UpdateService", "ecs:TagResource"},
    "RedeployWrites": {"ecs:UpdateService"},
    "RunbookOn": {"ssm:StartAutomationExecution", "ssm:DescribeAutomationExecutions"},
}
# ecr:ValidatePullThroughCacheRule has ECR sign in to a rule's upstream with the rule's credential and
# answers whether it could; it changes nothing, and the secret's value never reaches the caller.
READ_PREFIXES = ("Describe", "Get", "List", "Simulate", "BatchGetImage", "ValidatePullThroughCacheRule")


def actions(statement):
    action = statement["Action"]
    return set([action] if isinstance(action, str) else action)


def policies():
    """(condition or None, statement) for every statement of the function's policies."""
    for policy in FUNCTION["Policies"]:
        if "Fn::If" in policy:
            condition, when_true, when_false = policy["Fn::If"]
            assert when_false == {"Ref": "AWS::NoValue"}, f"{condition}: nothing when off"
            for statement in when_true["Statement"]:
                yield condition, statement
        else:
            for statement in policy["Statement"]:
                yield None, statement


class WritePermissions(unittest.TestCase):
    def test_the_unconditional_statements_only_read(self):
        for condition, statement in policies():
            if condition is None:
                for action in actions(statement):
                    self.assertTrue(action.split(":")[1].startswith(READ_PREFIXES), action)

    def test_no_statement_reads_a_secret_value_or_a_file_content(self):
        granted = {a for _, statement in policies() for a in actions(statement)}
        for content in ["s3:GetObject", "s3:*", "secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "kms:Decrypt"]:
            self.assertNotIn(content, granted)

    def test_each_write_exists_only_under_its_mode(self):
        granted = {}
        for condition, statement in policies():
            if condition is not None:
                granted.setdefault(condition, set()).update(actions(statement))
        for condition, needed in WRITES.items():
            self.assertTrue(needed <= granted.get(condition, set()), f"{condition} lacks {needed - granted.get(condition, set())}")

    def test_fix_conditions_require_apply(self):
        conditions = TEMPLATE["Conditions"]
        self.assertEqual(conditions["Applying"], {"Fn::Equals": [{"Ref": "FixMode"}, "apply"]})
        for name in ("SafeWrites", "CostWrites", "ExposureWrites", "RedeployWrites"):
            self.assertIn({"Condition": "Applying"}, conditions[name]["Fn::And"], name)

    def test_attach_role_policy_is_limited_to_the_execution_role_policy(self):
        for _, statement in policies():
            if "iam:AttachRolePolicy" in actions(statement):
                self.assertEqual(without_sub(statement["Condition"]), {"ArnEquals": {"iam:PolicyARN": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}})

    def test_iam_writes_reach_only_the_configured_roles(self):
        self.assertEqual(TEMPLATE["Parameters"]["FixRolePattern"]["Default"], "role/*")
        iam_writes = {"iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:TagRole"}
        for _, statement in policies():
            if actions(statement) & iam_writes:
                self.assertEqual(without_sub(statement["Resource"]), "arn:${AWS::Partition}:iam::${AWS::AccountId}:${FixRolePattern}", statement["Sid"])

    def test_no_write_on_everything_but_what_the_readme_lists(self):
        # IAM has no narrower resource for these (see the README's "Permissions" section).
        documented = {"route53:AssociateVPCWithHostedZone", "ssm:DescribeAutomationExecutions"}
        for condition, statement in policies():
            if condition is not None and statement["Resource"] == "*":
                self.assertLessEqual(actions(statement), documented, statement["Sid"])
        readme = (ROOT / "README.md").read_text()
        for action in documented:
            self.assertIn(action, readme)

    def test_tags_are_only_the_doctors_and_created_resources_carry_it(self):
        for condition, statement in policies():
            if condition is None:
                continue
            if actions(statement) & {"ec2:CreateTags", "iam:TagRole", "ecs:TagResource"}:
                self.assertEqual(statement["Condition"], {"ForAllValues:StringEquals": {"aws:TagKeys": ["ecs-pull-doctor:fix"]}}, statement["Sid"])
            created = {"ec2:CreateSecurityGroup", "ec2:CreateVpcEndpoint"} & actions(statement)
            resources = without_sub(statement["Resource"])
            if created and any(r.endswith((":vpc-endpoint/*",)) or (r.endswith(":security-group/*") and "ec2:CreateSecurityGroup" in created) for r in ([resources] if isinstance(resources, str) else resources)):
                self.assertEqual(statement["Condition"]["Null"], {"aws:RequestTag/ecs-pull-doctor:fix": "false"}, statement["Sid"])

    def test_the_allow_list_does_not_wait_for_apply(self):
        allow = FUNCTION["Environment"]["Variables"]["DOCTOR_ALLOW_FIX"]["Fn::Join"][1]
        self.assertEqual([item["Fn::If"][0] for item in allow], ["SafeAllowed", "CostAllowed", "ExposureAllowed"])

    def test_pass_role_is_limited_to_the_runbook_roles_and_ssm(self):
        passed = [(c, s) for c, s in policies() if "iam:PassRole" in actions(s)]
        self.assertEqual(sorted(c for c, _ in passed), ["PassesAutomationRole", "PassesLambdaRole"])
        for _, statement in passed:
            self.assertIn(statement["Resource"], [{"Ref": "RunbookAutomationRoleArn"}, {"Ref": "RunbookLambdaRoleArn"}])
            self.assertEqual(statement["Condition"], {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}})


def matches(pattern, event):
    """EventBridge matching for the operators the rule uses: exact values, prefix, $or, nested
    objects; an array in the event matches when any element does."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(alternative, event) for alternative in expected):
                return False
            continue
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            candidates = value if isinstance(value, list) else [value]
            if not any(isinstance(c, dict) and matches(expected, c) for c in candidates):
                return False
        else:
            values = value if isinstance(value, list) else [value]
            if not any(matches_value(rule, v) for rule in expected for v in values):
                return False
    return True


def matches_value(rule, value):
    if isinstance(rule, dict):
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        raise AssertionError(f"operator not understood by this test: {rule}")
    return rule == value


class EventPattern(unittest.TestCase):
    pattern = FUNCTION["Events"]["TaskFailedToStart"]["Properties"]["Pattern"]

    def event(self, name):
        return json.loads((ROOT / "events" / f"{name}.json").read_text())

    def test_every_failure_event_matches(self):
        names = [p.stem for p in (ROOT / "events").glob("*.json") if p.stem not in ("healthy-stopped", "running", "manual-invoke")]
        self.assertGreaterEqual(len(names), 15)
        for name in names:
            self.assertTrue(matches(self.pattern, self.event(name)), name)

    def test_a_healthy_stop_and_a_running_task_do_not(self):
        for name in ("healthy-stopped", "running"):
            self.assertFalse(matches(self.pattern, self.event(name)), name)

    def test_the_matcher_reads_container_reasons(self):
        event = self.event("image-tag-not-found")
        event["detail"]["stopCode"] = "EssentialContainerExited"
        self.assertEqual(event["detail"]["stoppedReason"], "Task failed to start")
        self.assertTrue(matches(self.pattern, event), "matched through containers[].reason")
        event["detail"]["containers"][0]["reason"] = "Essential container in task exited"
        self.assertFalse(matches(self.pattern, event))


class ScheduledSweep(unittest.TestCase):
    """The sweep's schedule exists only when asked for, and sends a payload the function takes."""

    resources = TEMPLATE["Resources"]

    def test_off_by_default(self):
        self.assertEqual(TEMPLATE["Parameters"]["SweepSchedule"]["Default"], "")
        self.assertEqual(TEMPLATE["Conditions"]["Sweeping"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "SweepSchedule"}, ""]}]})
        for name in ("SweepRule", "SweepPermission"):
            self.assertEqual(self.resources[name]["Condition"], "Sweeping", name)

    def test_the_input_is_a_sweep_of_every_or_the_named_clusters(self):
        target = self.resources["SweepRule"]["Properties"]["Targets"][0]
        condition, every, named = target["Input"]["Fn::If"]
        self.assertEqual(condition, "SweepsEveryCluster")
        self.assertEqual(json.loads(every), {"sweep": {"clusters": "*"}})
        template, variables = named["Fn::Sub"]
        separator, _ = variables["Names"]["Fn::Join"]
        # What CloudFormation makes of SweepClusters "prod,staging".
        rendered = template.replace("${Names}", separator.join(["prod", "staging"]))
        self.assertEqual(json.loads(rendered), {"sweep": {"clusters": ["prod", "staging"]}})
        pattern = re.compile(TEMPLATE["Parameters"]["SweepClusters"]["AllowedPattern"])
        for good in ("*", "prod", "prod,staging-2"):
            self.assertTrue(pattern.match(good), good)
        for bad in ("", "prod,", 'a"b', "*,prod"):
            self.assertFalse(pattern.match(bad), bad)

    def test_only_eventbridge_from_this_rule_may_invoke_for_it(self):
        permission = self.resources["SweepPermission"]["Properties"]
        self.assertEqual((permission["Principal"], permission["SourceArn"]), ("events.amazonaws.com", {"Fn::GetAtt": ["SweepRule", "Arn"]}))


POLICY = json.loads((ROOT / "infra" / "policy.json").read_text())
MODES = {"SafeWrites": "safe", "CostWrites": "cost", "ExposureWrites": "exposure", "RedeployWrites": "redeploy", "RunbookOn": "runbook"}


def without_sub(value):
    """!Sub strings as plain strings, to compare with policy.json (where the CDK construct subs them)."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return value["Fn::Sub"]
        return {k: without_sub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_sub(v) for v in value]
    return value


class SamAndCdkAgree(unittest.TestCase):
    """The CDK construct builds from infra/policy.json; the SAM template must say the same."""

    def test_the_event_pattern(self):
        self.assertEqual(EventPattern.pattern, POLICY["eventPattern"])

    def test_the_statements_of_each_mode(self):
        by_mode = {"read": []}
        for condition, statement in policies():
            if condition is None:
                by_mode["read"].append(without_sub(statement))
            elif condition in MODES:
                by_mode.setdefault(MODES[condition], []).append(without_sub(statement))
        self.assertEqual(by_mode, POLICY["statements"])


# Granted because another call needs it: tags given at creation, and private DNS for an interface endpoint.
IMPLIED = {
    "logs:TagResource": "logs:CreateLogGroup with tags",
    "logs:TagLogGroup": "logs:CreateLogGroup with tags (older API)",
    "ssm:AddTagsToResource": "ssm:StartAutomationExecution with tags",
    "route53:AssociateVPCWithHostedZone": "ec2:CreateVpcEndpoint with private DNS",
    "iam:PassRole": "ssm:StartAutomationExecution with AutomationAssumeRole or LambdaRoleArn",
}


def operations_in_code():
    """Every AWS operation the doctor calls, from their one declaration (src/model/operation.rs)."""
    table = (ROOT / "src" / "model" / "operation.rs").read_text()
    return set(re.findall(r'^\s*\w+ = "([a-z0-9]+:[A-Z][A-Za-z]+)", (?:Read|Write);', table, re.M))


class NoWiderThanTheCode(unittest.TestCase):
    def test_every_granted_action_is_a_call_the_code_makes_or_one_it_implies(self):
        granted = {a for _, statement in policies() for a in actions(statement)}
        code = operations_in_code()
        self.assertGreater(len(code), 30, "the scan found the adapters' calls")
        self.assertEqual(granted - code - set(IMPLIED), set(), "granted but never called")

    def test_every_call_the_code_makes_is_granted(self):
        granted = {a for _, statement in policies() for a in actions(statement)}
        self.assertEqual(operations_in_code() - granted, set(), "called but not granted")


class OrganizationMode(unittest.TestCase):
    """The central stack: a bus only the organization may put on, a rule from it to the function, and
    sts:AssumeRole limited to the member role's name; nothing of it in a single-account deployment."""

    resources = TEMPLATE["Resources"]

    def test_the_bus_takes_events_from_the_organization_only(self):
        policy = self.resources["OrganizationEventBusPolicy"]
        self.assertEqual(policy["Condition"], "OrganizationBus")
        statement = policy["Properties"]["Statement"]
        self.assertEqual((statement["Effect"], statement["Action"]), ("Allow", "events:PutEvents"))
        # Everyone, but only within the organization: the documented form for an organization's bus.
        self.assertEqual(statement["Principal"], "*")
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}})
        self.assertEqual(statement["Resource"], {"Fn::GetAtt": ["OrganizationEventBus", "Arn"]})

    def test_the_rule_on_the_bus_invokes_the_function_for_the_same_events(self):
        rule = self.resources["OrganizationRule"]["Properties"]
        self.assertEqual(rule["EventBusName"], {"Ref": "OrganizationEventBus"})
        self.assertEqual(rule["EventPattern"], POLICY["eventPattern"])
        self.assertEqual(rule["Targets"], [{"Id": "doctor", "Arn": {"Fn::GetAtt": ["DoctorFunction", "Arn"]}}])
        permission = self.resources["OrganizationPermission"]["Properties"]
        self.assertEqual((permission["Principal"], permission["SourceArn"]), ("events.amazonaws.com", {"Fn::GetAtt": ["OrganizationRule", "Arn"]}))
        for name in ("OrganizationEventBus", "OrganizationEventBusPolicy", "OrganizationRule", "OrganizationPermission"):
            self.assertEqual(self.resources[name]["Condition"], "OrganizationBus", name)

    def test_assume_role_is_limited_to_the_member_role_name(self):
        statements = [(c, s) for c, s in policies() if "sts:AssumeRole" in actions(s)]
        self.assertEqual(len(statements), 1)
        condition, statement = statements[0]
        self.assertEqual(condition, "Organization")
        self.assertEqual(statement["Resource"], {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"})
        self.assertEqual(statement["Condition"]["Fn::If"][1], {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}})
        self.assertEqual(TEMPLATE["Conditions"]["Organization"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "MemberRoleName"}, ""]}]})

    def test_notices_may_go_to_the_configured_topic_only(self):
        statements = [(c, s) for c, s in policies() if "sns:Publish" in actions(s)]
        self.assertEqual([(c, s["Resource"]) for c, s in statements], [("Notifying", {"Ref": "NotifyTopicArn"})])

    def test_the_function_is_told_its_organization_and_notices(self):
        variables = FUNCTION["Environment"]["Variables"]
        self.assertEqual(variables["DOCTOR_MEMBER_ROLE_NAME"], {"Ref": "MemberRoleName"})
        self.assertEqual(variables["DOCTOR_EXTERNAL_ID"], {"Ref": "ExternalId"})
        self.assertEqual(variables["DOCTOR_NOTIFY_TOPIC_ARN"], {"Ref": "NotifyTopicArn"})
        self.assertEqual(variables["DOCTOR_NOTIFY_FORMAT"], {"Ref": "NotifyFormat"})


MEMBER = json.loads((ROOT / "infra" / "member.json").read_text())


class MemberTemplate(unittest.TestCase):
    """infra/member.json, for a StackSet: the role trusts the central function only, within the
    organization; it reads as the central stack does, and writes only under the same modes."""

    role = MEMBER["Resources"]["MemberRole"]

    def test_it_is_what_the_generator_writes_from_policy_json(self):
        import subprocess
        import sys
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "member-template"), "--check"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_only_the_central_function_of_the_organization_may_assume_it(self):
        (statement,) = self.role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(statement["Principal"], {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${CentralAccountId}:root"}})
        condition = statement["Condition"]
        self.assertEqual(condition["ArnLike"], {"aws:PrincipalArn": {"Fn::Sub": "arn:${AWS::Partition}:iam::${CentralAccountId}:role/${CentralRoleNamePattern}"}})
        self.assertEqual(condition["StringEquals"]["aws:PrincipalOrgID"], {"Ref": "OrganizationId"})
        self.assertEqual(condition["StringEquals"]["sts:ExternalId"], {"Fn::If": ["WithExternalId", {"Ref": "ExternalId"}, {"Ref": "AWS::NoValue"}]})

    def test_it_reads_as_the_central_stack_and_writes_only_under_its_modes(self):
        policies = self.role["Properties"]["Policies"]
        self.assertEqual([a for s in policies[0]["PolicyDocument"]["Statement"] for a in actions(s)],
                         [a for s in POLICY["statements"]["read"] for a in actions(s)])
        conditional = {p["Fn::If"][0]: p["Fn::If"][1] for p in policies[1:]}
        self.assertEqual(set(conditional), set(MODES))
        for condition, policy in conditional.items():
            with self.subTest(condition=condition):
                self.assertEqual([p["Fn::If"][2] for p in policies[1:] if p["Fn::If"][0] == condition], [{"Ref": "AWS::NoValue"}])
                self.assertEqual({a for s in policy["PolicyDocument"]["Statement"] for a in actions(s)} - IMPLIED.keys(), WRITES[condition])
        for condition in ("SafeWrites", "CostWrites", "ExposureWrites", "RedeployWrites"):
            self.assertIn({"Condition": "Applying"}, MEMBER["Conditions"][condition]["Fn::And"])

    def test_one_role_serves_every_region(self):
        text = json.dumps(self.role)
        self.assertNotIn("${AWS::Region}", text)
        self.assertEqual(self.role["Condition"], "RoleHere")
        self.assertEqual(MEMBER["Conditions"]["RoleHere"], {"Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "RoleRegion"}]})
        # A service name with any region is matched as a pattern.
        safe = next(p["Fn::If"][1] for p in self.role["Properties"]["Policies"][1:] if p["Fn::If"][0] == "SafeWrites")
        endpoint = next(s for s in safe["PolicyDocument"]["Statement"] if s["Sid"] == "SafeCreateS3GatewayEndpoint")
        self.assertEqual(endpoint["Condition"]["StringLike"], {"ec2:VpceServiceName": "com.amazonaws.*.s3"})

    def test_every_mode_on_fits_iams_inline_policy_quota(self):
        # IAM allows 10,240 characters (whitespace not counted) of inline policy per role.
        def substituted(value):
            if isinstance(value, dict):
                if set(value) == {"Fn::Sub"}:
                    return value["Fn::Sub"].replace("${AWS::Partition}", "aws-us-gov").replace("${AWS::AccountId}", "123456789012").replace("${FixRolePattern}", "role/" + "x" * 60)
                return {k: substituted(v) for k, v in value.items()}
            if isinstance(value, list):
                return [substituted(v) for v in value]
            return value
        documents = [(p["Fn::If"][1] if "Fn::If" in p else p)["PolicyDocument"] for p in self.role["Properties"]["Policies"]]
        size = sum(len(json.dumps(substituted(d), separators=(",", ":"))) for d in documents)
        self.assertLess(size, 10240)

    def test_each_region_forwards_the_same_events_to_the_central_bus(self):
        rule = MEMBER["Resources"]["ForwardRule"]
        self.assertEqual(rule["Condition"], "Forwarding")
        self.assertEqual(rule["Properties"]["EventPattern"], POLICY["eventPattern"])
        (target,) = rule["Properties"]["Targets"]
        self.assertEqual(target["Arn"], {"Ref": "CentralEventBusArn"})
        self.assertIn("RoleArn", target, "a bus that trusts an organization needs the sender's role")
        forward = MEMBER["Resources"]["ForwardRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        self.assertEqual(forward, [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": {"Ref": "CentralEventBusArn"}}])


if __name__ == "__main__":
    unittest.main()
