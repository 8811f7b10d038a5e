/** `cdk deploy` entry (cdk.json): one stack, with cdk-nag's AwsSolutions checks on every synth. */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TuneplaneStack } from './stack';

const app = new App();
const stackName = app.node.tryGetContext('stackName') ?? 'Tuneplane';
new TuneplaneStack(app, stackName, {
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  retainData: app.node.tryGetContext('retainData') !== 'false',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Tuneplane: serverless model tuning API',
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
