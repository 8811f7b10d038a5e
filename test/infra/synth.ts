/**
 * Synthesizes the Tuneplane stack the way `cdk synth` does (cdk.json's feature flags, cdk-nag's
 * AwsSolutions checks) into a temporary directory. Bundling the five Lambdas takes seconds, so
 * each test file synthesizes once (beforeAll) and shares the result.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { repoRoot } from '../../infra/aws/paths';
import { TuneplaneStack } from '../../infra/aws/stack';

export interface Synthesized {
  stack: TuneplaneStack;
  template: Template;
  annotations: Annotations;
  outdir: string;
  /** Logical id of a construct's CloudFormation resource. */
  logicalId(construct: IConstruct): string;
  /** Logical ids of the four functions, by handler name. */
  functions: Record<'api' | 'batch-events' | 'reconciler' | 'webhook-delivery' | 'inference', string>;
  cleanup(): void;
}

export function synthesize(): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'tuneplane-cdk-'));
  const context = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')).context;
  const app = new App({ context, outdir });
  // A concrete region, as `cdk synth` supplies one (CDK_DEFAULT_REGION), so ARNs render as they will deploy.
  const stack = new TuneplaneStack(app, 'TuneplaneTest', {
    alarmEmail: 'ops@example.com',
    env: { region: REGION },
  });
  Aspects.of(app).add(new AwsSolutionsChecks());
  const template = Template.fromStack(stack);
  const annotations = Annotations.fromStack(stack);
  const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnFunction);
  return {
    stack,
    template,
    annotations,
    outdir,
    logicalId,
    functions: {
      api: logicalId(stack.api.handler),
      'batch-events': logicalId(stack.jobEvents.batchEventsFunction),
      reconciler: logicalId(stack.jobEvents.reconcilerFunction),
      'webhook-delivery': logicalId(stack.webhooks.deliveryFunction),
      inference: logicalId(stack.inference.handler),
    },
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

/**
 * What CloudFormation would put in place of an intrinsic, per its documented `Ref` return value
 * of each resource type (a name for tables and buckets, an ARN for queues, job definitions and
 * secrets). Unknown shapes throw, so a new kind of value gets a deliberate answer here.
 */
export function resolveIntrinsic(value: Json, resources: Resources): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, Json>;
  if (typeof v.Ref === 'string') {
    if (v.Ref === 'AWS::Region') return REGION;
    if (v.Ref === 'AWS::AccountId') return ACCOUNT;
    if (v.Ref === 'AWS::Partition') return 'aws';
    const type = resources[v.Ref]?.Type;
    const id = v.Ref;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return `TuneplaneTest-${id}-1A2B3C4D5E6F`;
      case 'AWS::S3::Bucket':
        return `tuneplanetest-${id.toLowerCase().slice(0, 30)}-1a2b3c4d5e6f`;
      case 'AWS::Batch::JobQueue':
        return `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${id}-abc`;
      case 'AWS::Batch::JobDefinition':
        return `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${id}-abc:1`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
      default:
        throw new Error(`no Ref value known for ${id} (${type})`);
    }
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    const type = resources[id]?.Type;
    if (type === 'AWS::Batch::JobQueue' && attribute === 'JobQueueArn')
      return `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${id}-abc`;
    if (type === 'AWS::Batch::JobDefinition' && attribute === 'JobDefinitionArn')
      return resolveIntrinsic({ Ref: id }, resources);
    throw new Error(`no GetAtt value known for ${id}.${attribute} (${type})`);
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, Json[]];
    return parts.map((p) => resolveIntrinsic(p, resources)).join(sep);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** A function's environment as the Lambda runtime would see it (plus the region the runtime sets itself). */
export function runtimeEnvironment(template: Template, functionLogicalId: string): Record<string, string> {
  const resources = template.toJSON().Resources as Resources;
  const vars = ((resources[functionLogicalId].Properties?.Environment as { Variables?: Record<string, Json> })
    ?.Variables ?? {}) as Record<string, Json>;
  const env: Record<string, string> = { AWS_REGION: REGION };
  for (const [k, v] of Object.entries(vars)) env[k] = resolveIntrinsic(v, resources);
  return env;
}

/** Every IAM statement attached (inline) to a role, by role logical id. */
export function statementsOfRole(
  template: Template,
  roleLogicalId: string,
): { Effect: string; Action: string | string[]; Resource: Json; Condition?: Json }[] {
  const resources = template.toJSON().Resources as Resources;
  const out: { Effect: string; Action: string | string[]; Resource: Json; Condition?: Json }[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties?.Roles ?? []) as { Ref?: string }[];
    if (!roles.some((x) => x.Ref === roleLogicalId)) continue;
    out.push(...((r.Properties?.PolicyDocument as { Statement: typeof out }).Statement ?? []));
  }
  return out;
}

export const actionsOf = (statements: { Action: string | string[] }[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

export { REGION, ACCOUNT };
