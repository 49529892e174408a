// EcsPullDoctor: the ecs-pull-doctor Lambda function, its EventBridge rule and its permissions.
// The rule's pattern and every permission come from ../../policy.json, which the SAM template
// matches too (tests/infra checks that), so the two deployments cannot drift apart.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { Duration, Fn } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export type FixMode = 'off' | 'dry-run' | 'apply';
export type RunbookMode = 'never' | 'inconclusive' | 'always';
export type Risk = 'safe' | 'cost' | 'exposure';

export interface EcsPullDoctorProps {
  /** The built function: `cargo lambda build --release --arm64` writes it to target/lambda/ecs-pull-doctor-lambda. */
  readonly code: lambda.Code;
  /** off, dry-run (report the exact calls) or apply. Write permissions exist only with apply. Default off. */
  readonly fixMode?: FixMode;
  /** The risk classes apply may use. Default: safe. */
  readonly allowFix?: Risk[];
  /**
   * The roles IAM fixes may change, as the part of their ARN after the account: `role/ecs/*`,
   * `role/*-execution`. Default `role/*`, every role of the account.
   */
  readonly fixRolePattern?: string;
  /** After an applied fix to a service's task, force a new deployment of the service. Default false. */
  readonly redeploy?: boolean;
  /** When to start AWSSupport-TroubleshootECSTaskFailedToStart. Default inconclusive. */
  readonly runbookMode?: RunbookMode;
  /** The runbook's AutomationAssumeRole; the function may pass it to SSM only. */
  readonly runbookAutomationRoleArn?: string;
  /** The runbook's LambdaRoleArn; the function may pass it to SSM only. */
  readonly runbookLambdaRoleArn?: string;
  /** Repeats for one service and cause within it are reported, not acted on again. Default 15 minutes. */
  readonly stormWindow?: Duration;
  readonly logRetention?: logs.RetentionDays;
  /** The function's log filter (RUST_LOG). Default info. */
  readonly logLevel?: string;
  /** Default 2: a storm of stopped tasks must not take the account's concurrency. */
  readonly reservedConcurrency?: number;
  /** Where reports go (an SNS topic or an EventBridge bus destination). Failed invocations go to a queue. */
  readonly onSuccess?: lambda.IDestination;
  /**
   * A schedule for a sweep: a pre-flight check of every service of `sweepClusters`, whose report lists
   * the services whose next task would fail. Its report goes to `onSuccess`. Default: no sweep.
   */
  readonly sweepSchedule?: events.Schedule;
  /** The clusters a scheduled sweep covers. Default: every cluster of the region. */
  readonly sweepClusters?: string[];
  /**
   * Organization mode: the function reads (and fixes) each task's account through the role of
   * infra/member.json there. Default: this account only.
   */
  readonly organization?: OrganizationProps;
  /** Each task start failure's notice goes to this topic, as a chat message or an email. Default: none. */
  readonly notices?: { readonly topic: sns.ITopic; readonly format?: 'chat' | 'email' };
}

export interface OrganizationProps {
  /** The member role's name (infra/member.json's RoleName). */
  readonly memberRoleName: string;
  /** The sts:ExternalId the member roles require, if they do. */
  readonly externalId?: string;
  /**
   * The organization (o-...): its accounts may put events on the bus this creates, and only its roles
   * may be assumed. Without it, no bus is created (feed the function by other means).
   */
  readonly organizationId?: string;
}

interface PolicyFile {
  eventPattern: { source: string[]; 'detail-type': string[]; detail: Record<string, unknown> };
  statements: Record<'read' | 'safe' | 'cost' | 'exposure' | 'redeploy' | 'runbook', unknown[]>;
}

export const POLICY: PolicyFile = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'policy.json'), 'utf8'));

/** Strings with ${...} become Fn::Sub, as in the SAM template; `variables` stand for its parameters. */
function substituted(value: unknown, variables: Record<string, string>): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const used = Object.fromEntries(Object.entries(variables).filter(([name]) => value.includes(`\${${name}}`)));
    return Object.keys(used).length ? Fn.sub(value, used) : Fn.sub(value);
  }
  if (Array.isArray(value)) return value.map((v) => substituted(v, variables));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituted(v, variables)]));
  }
  return value;
}

function statements(list: unknown[], variables: Record<string, string>): iam.PolicyStatement[] {
  return list.map((statement) => iam.PolicyStatement.fromJson(substituted(statement, variables)));
}

export class EcsPullDoctor extends Construct {
  readonly function: lambda.Function;
  readonly rule: events.Rule;
  /** The sweep's schedule, when one was asked for. */
  readonly sweepRule?: events.Rule;
  readonly failures: sqs.Queue;
  /** Organization mode's bus, which the member accounts' rules put their events on. */
  readonly bus?: events.EventBus;

  constructor(scope: Construct, id: string, props: EcsPullDoctorProps) {
    super(scope, id);
    const fixMode = props.fixMode ?? 'off';
    const allowFix = props.allowFix ?? ['safe'];
    const runbookMode = props.runbookMode ?? 'inconclusive';
    const applying = fixMode === 'apply';

    this.failures = new sqs.Queue(this, 'Failures', { retentionPeriod: Duration.days(14), enforceSSL: true });
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: props.code,
      memorySize: 256,
      timeout: Duration.seconds(60),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 2,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH }),
      onFailure: new destinations.SqsDestination(this.failures),
      onSuccess: props.onSuccess,
      environment: {
        RUST_LOG: props.logLevel ?? 'info',
        DOCTOR_FIX: fixMode,
        // Empty means no fix class; dry-run plans what apply would do with these classes.
        DOCTOR_ALLOW_FIX: allowFix.join(','),
        DOCTOR_REDEPLOY: String(applying && (props.redeploy ?? false)),
        DOCTOR_RUNBOOK: runbookMode,
        DOCTOR_RUNBOOK_ASSUME_ROLE: props.runbookAutomationRoleArn ?? '',
        DOCTOR_RUNBOOK_LAMBDA_ROLE: props.runbookLambdaRoleArn ?? '',
        DOCTOR_STORM_WINDOW_SECONDS: String((props.stormWindow ?? Duration.minutes(15)).toSeconds()),
        DOCTOR_MEMBER_ROLE_NAME: props.organization?.memberRoleName ?? '',
        DOCTOR_EXTERNAL_ID: props.organization?.externalId ?? '',
        DOCTOR_NOTIFY_TOPIC_ARN: props.notices?.topic.topicArn ?? '',
        DOCTOR_NOTIFY_FORMAT: props.notices?.format ?? 'chat',
      },
    });
    if (props.notices) props.notices.topic.grantPublish(this.function);
    if (props.organization) this.bus = this.organizationMode(props.organization);

    // Each write exists only when its mode is on.
    const enabled: Record<keyof PolicyFile['statements'], boolean> = {
      read: true,
      safe: applying && allowFix.includes('safe'),
      cost: applying && allowFix.includes('cost'),
      exposure: applying && allowFix.includes('exposure'),
      redeploy: applying && (props.redeploy ?? false),
      runbook: runbookMode !== 'never',
    };
    for (const [mode, on] of Object.entries(enabled) as [keyof PolicyFile['statements'], boolean][]) {
      const variables = { FixRolePattern: props.fixRolePattern ?? 'role/*' };
      if (on) statements(POLICY.statements[mode], variables).forEach((s) => this.function.addToRolePolicy(s));
    }
    for (const role of [props.runbookAutomationRoleArn, props.runbookLambdaRoleArn]) {
      if (role && runbookMode !== 'never') {
        this.function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['iam:PassRole'],
            resources: [role],
            conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
          }),
        );
      }
    }

    const pattern = POLICY.eventPattern;
    this.rule = new events.Rule(this, 'TaskFailedToStart', {
      description: 'ECS tasks that stopped because they could not pull their image or initialise their resources',
      eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
    });
    this.rule.addTarget(new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }));

    // Invoked asynchronously like the rule above, so its report goes to the same destination.
    if (props.sweepSchedule) {
      this.sweepRule = new events.Rule(this, 'Sweep', {
        description: "ecs-pull-doctor's scheduled sweep of services whose next task would fail",
        schedule: props.sweepSchedule,
      });
      const clusters = props.sweepClusters && props.sweepClusters.length > 0 ? props.sweepClusters : '*';
      this.sweepRule.addTarget(new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ sweep: { clusters } }) }));
    }
  }

  /** sts:AssumeRole on the member role's name only; the organization's bus and its rule. */
  private organizationMode(organization: OrganizationProps): events.EventBus | undefined {
    if (!/^[A-Za-z0-9+=,.@_-]{1,64}$/.test(organization.memberRoleName)) {
      throw new Error(`memberRoleName '${organization.memberRoleName}' is not a role name`);
    }
    const orgId = organization.organizationId;
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberRole',
        actions: ['sts:AssumeRole'],
        resources: [Fn.sub(`arn:\${AWS::Partition}:iam::*:role/${organization.memberRoleName}`)],
        conditions: orgId ? { StringEquals: { 'aws:ResourceOrgID': orgId } } : undefined,
      }),
    );
    if (!orgId) return undefined;
    const bus = new events.EventBus(this, 'OrganizationBus');
    // Everyone, but only within the organization.
    new events.CfnEventBusPolicy(this, 'OrganizationBusPolicy', {
      eventBusName: bus.eventBusName,
      statementId: 'OrganizationMembersPutTaskEvents',
      statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: bus.eventBusArn,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': orgId } },
      },
    });
    const pattern = POLICY.eventPattern;
    const rule = new events.Rule(this, 'MemberTaskFailedToStart', {
      description: "ecs-pull-doctor's member task start failures, from the organization's bus",
      eventBus: bus,
      eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
    });
    rule.addTarget(new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }));
    return bus;
  }
}
