// Deploys EcsPullDoctor from the built artifact. Settings come from CDK context, e.g.
//   npx aws-cdk@2 deploy -c fixMode=apply -c allowFix=safe,cost -c runbookMode=inconclusive
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

import { EcsPullDoctor, FixMode, Risk, RunbookMode } from '../lib/ecs-pull-doctor';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key);
const stack = new Stack(app, context('stackName') ?? 'EcsPullDoctor');
new EcsPullDoctor(stack, 'Doctor', {
  code: lambda.Code.fromAsset(context('artifact') ?? '../../target/lambda/ecs-pull-doctor-lambda'),
  fixMode: context('fixMode') as FixMode | undefined,
  allowFix: context('allowFix')?.split(',') as Risk[] | undefined,
  redeploy: context('redeploy') === 'true',
  runbookMode: context('runbookMode') as RunbookMode | undefined,
  runbookAutomationRoleArn: context('runbookAutomationRoleArn'),
  runbookLambdaRoleArn: context('runbookLambdaRoleArn'),
  logLevel: context('logLevel'),
});
