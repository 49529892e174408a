// The construct synthesised and checked with the CDK assertions library: the rule's pattern, and the
// write permissions present only when their mode is enabled.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';

import { EcsPullDoctor, EcsPullDoctorProps, POLICY } from '../lib/ecs-pull-doctor';

// A stand-in for the built bootstrap: the tests synthesise, they do not run the function.
const artifact = mkdtempSync(path.join(tmpdir(), 'doctor-'));
writeFileSync(path.join(artifact, 'bootstrap'), '');

function synth(props: Partial<EcsPullDoctorProps> = {}): Template {
  const stack = new Stack(new App(), 'Test');
  new EcsPullDoctor(stack, 'Doctor', { code: lambda.Code.fromAsset(artifact), ...props });
  return Template.fromStack(stack);
}

/** Every IAM action the function's role is granted, with the statements that grant it. */
function granted(template: Template): Map<string, Record<string, unknown>[]> {
  const actions = new Map<string, Record<string, unknown>[]>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]) {
      for (const action of ([] as string[]).concat(statement.Action as string | string[])) {
        actions.set(action, [...(actions.get(action) ?? []), statement]);
      }
    }
  }
  return actions;
}

function actionsOf(mode: keyof typeof POLICY.statements): string[] {
  return POLICY.statements[mode].flatMap((s) => ([] as string[]).concat((s as { Action: string | string[] }).Action));
}

const WRITES = ['safe', 'cost', 'exposure', 'redeploy'] as const;
const isWrite = (action: string) =>
  WRITES.some((mode) => actionsOf(mode).includes(action)) || action === 'iam:PassRole' || action === 'ssm:StartAutomationExecution';

test('the rule matches stopped tasks by the shared pattern and targets the function', () => {
  const template = synth();
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'], detail: POLICY.eventPattern.detail },
    Targets: Match.arrayWith([Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } })]),
  });
});

test('the function: provided.al2023 on arm64, reserved concurrency, failures to a queue', () => {
  const template = synth();
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'provided.al2023',
    Architectures: ['arm64'],
    Handler: 'bootstrap',
    ReservedConcurrentExecutions: 2,
    Environment: { Variables: Match.objectLike({ DOCTOR_FIX: 'off', DOCTOR_RUNBOOK: 'inconclusive' }) },
  });
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
  });
  template.resourceCountIs('AWS::SQS::Queue', 1);
});

test('by default the role only reads, and may start the runbook', () => {
  const actions = [...granted(synth()).keys()];
  for (const action of actionsOf('read')) assert.ok(actions.includes(action), action);
  assert.deepEqual(actions.filter(isWrite), ['ssm:StartAutomationExecution']);
});

test('allowed fix classes grant nothing unless the fix mode is apply', () => {
  const actions = [...granted(synth({ fixMode: 'dry-run', allowFix: ['safe', 'cost', 'exposure'], redeploy: true, runbookMode: 'never' })).keys()];
  assert.deepEqual(actions.filter(isWrite), []);
});

test('apply grants exactly the allowed classes', () => {
  const safe = granted(synth({ fixMode: 'apply', runbookMode: 'never' }));
  for (const action of actionsOf('safe')) assert.ok(safe.has(action), action);
  for (const action of ['ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupEgress', 'ecs:UpdateService']) {
    assert.ok(!safe.has(action), `${action} without cost, exposure or redeploy`);
  }
  const everything = granted(synth({ fixMode: 'apply', allowFix: ['safe', 'cost', 'exposure'], redeploy: true }));
  for (const mode of WRITES) for (const action of actionsOf(mode)) assert.ok(everything.has(action), action);
});

test('AttachRolePolicy is limited to AmazonECSTaskExecutionRolePolicy', () => {
  const [statement] = granted(synth({ fixMode: 'apply' })).get('iam:AttachRolePolicy')!;
  assert.deepEqual(statement.Condition, {
    ArnEquals: { 'iam:PolicyARN': { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy' } },
  });
});

/** The resources of every statement granting `action`, as synthesised. */
function resourcesOf(actions: Map<string, Record<string, unknown>[]>, action: string): unknown[] {
  return (actions.get(action) ?? []).flatMap((s) => ([] as unknown[]).concat(s.Resource));
}

test('IAM writes reach only the roles of the configured pattern', () => {
  const everything = granted(synth({ fixMode: 'apply', fixRolePattern: 'role/ecs/*' }));
  for (const action of ['iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole']) {
    assert.deepEqual(resourcesOf(everything, action), [
      { 'Fn::Sub': ['arn:${AWS::Partition}:iam::${AWS::AccountId}:${FixRolePattern}', { FixRolePattern: 'role/ecs/*' }] },
    ], action);
  }
  const byDefault = granted(synth({ fixMode: 'apply' }));
  assert.deepEqual(resourcesOf(byDefault, 'iam:UpdateAssumeRolePolicy'), [
    { 'Fn::Sub': ['arn:${AWS::Partition}:iam::${AWS::AccountId}:${FixRolePattern}', { FixRolePattern: 'role/*' }] },
  ]);
});

test('no write is granted on * but the two IAM leaves no narrower choice for', () => {
  const everything = granted(synth({ fixMode: 'apply', allowFix: ['safe', 'cost', 'exposure'], redeploy: true }));
  const onEverything = [...everything.entries()]
    .filter(([action]) => isWrite(action) || action === 'ssm:DescribeAutomationExecutions')
    .filter(([, statements]) => statements.some((s) => s.Resource === '*'))
    .map(([action]) => action)
    .sort();
  assert.deepEqual(onEverything, ['route53:AssociateVPCWithHostedZone', 'ssm:DescribeAutomationExecutions']);
  for (const statement of everything.get('ec2:CreateTags')!) {
    assert.deepEqual(statement.Condition, { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['ecs-pull-doctor:fix'] } }, 'only the doctor\'s tag');
  }
});

test('the allow-list reaches the function even without apply, so a dry-run plans what apply would do', () => {
  synth({ fixMode: 'dry-run', allowFix: ['safe', 'cost'] }).hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ DOCTOR_ALLOW_FIX: 'safe,cost' }) },
  });
  synth({ allowFix: [] }).hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ DOCTOR_ALLOW_FIX: '' }) },
  });
});

test('PassRole only for the runbook roles, only to SSM, only when the runbook may run', () => {
  const role = 'arn:aws:iam::111122223333:role/automation';
  assert.ok(!granted(synth()).has('iam:PassRole'), 'no role configured');
  const passed = granted(synth({ runbookAutomationRoleArn: role })).get('iam:PassRole')!;
  assert.deepEqual(passed.map((s) => [s.Resource, s.Condition]), [[role, { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } }]]);
  assert.ok(!granted(synth({ runbookAutomationRoleArn: role, runbookMode: 'never' })).has('iam:PassRole'));
  assert.ok(!granted(synth({ runbookMode: 'never' })).has('ssm:StartAutomationExecution'));
});

test('a sweep is scheduled only when asked for, with a payload the function takes', () => {
  synth().resourceCountIs('AWS::Events::Rule', 1);
  const every = synth({ sweepSchedule: events.Schedule.rate(Duration.days(1)) });
  every.resourceCountIs('AWS::Events::Rule', 2);
  every.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(1 day)',
    Targets: Match.arrayWith([Match.objectLike({ Input: JSON.stringify({ sweep: { clusters: '*' } }) })]),
  });
  const named = synth({ sweepSchedule: events.Schedule.expression('cron(0 3 * * ? *)'), sweepClusters: ['prod', 'staging'] });
  named.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'cron(0 3 * * ? *)',
    Targets: Match.arrayWith([Match.objectLike({ Input: JSON.stringify({ sweep: { clusters: ['prod', 'staging'] } }) })]),
  });
  named.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', SourceArn: Match.anyValue() });
});

test('a single-account deployment has no bus, no assume-role and no topic', () => {
  const template = synth();
  template.resourceCountIs('AWS::Events::EventBus', 0);
  assert.equal(granted(template).has('sts:AssumeRole'), false);
  assert.equal(granted(template).has('sns:Publish'), false);
  template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DOCTOR_MEMBER_ROLE_NAME: '' }) } });
});

test('organization mode: a bus only the organization may put on, its rule, and the member role only', () => {
  const template = synth({ organization: { memberRoleName: 'ecs-pull-doctor-member', externalId: 'x-1', organizationId: 'o-abcdefghij' } });
  template.hasResourceProperties('AWS::Events::EventBusPolicy', {
    Statement: {
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
    },
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventBusName: Match.anyValue(),
    EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'], detail: POLICY.eventPattern.detail },
  });
  const assume = granted(template).get('sts:AssumeRole') ?? [];
  assert.equal(assume.length, 1);
  assert.deepEqual(assume[0].Resource, { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/ecs-pull-doctor-member' });
  assert.deepEqual(assume[0].Condition, { StringEquals: { 'aws:ResourceOrgID': 'o-abcdefghij' } });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ DOCTOR_MEMBER_ROLE_NAME: 'ecs-pull-doctor-member', DOCTOR_EXTERNAL_ID: 'x-1' }) },
  });
  assert.throws(() => synth({ organization: { memberRoleName: 'path/role' } }), /not a role name/);
});

test('notices may be published to their topic only', () => {
  const stack = new Stack(new App(), 'Notices');
  const topic = new sns.Topic(stack, 'Chat');
  new EcsPullDoctor(stack, 'Doctor', { code: lambda.Code.fromAsset(artifact), notices: { topic, format: 'email' } });
  const template = Template.fromStack(stack);
  const publish = granted(template).get('sns:Publish') ?? [];
  assert.equal(publish.length, 1);
  assert.deepEqual(publish[0].Resource, { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ DOCTOR_NOTIFY_FORMAT: 'email', DOCTOR_NOTIFY_TOPIC_ARN: { Ref: Match.anyValue() } }) },
  });
});
