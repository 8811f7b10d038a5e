/**
 * The environment variables the Lambdas share, one schema each (the names: docs/ARCHITECTURE.md,
 * "Storage: table, bucket, environment").
 *
 * zod/mini rather than zod: config is parsed at every cold start, before any request, and
 * zod/mini tree-shakes to the few checks used here (~12 KB) where importing zod's classic API
 * loads all of it (~190 KB, about 15 ms here: `npm run bench:coldstart`). Same engine, same rules.
 */
import * as z from 'zod/mini';

const nonEmpty = (what: string, pattern: RegExp, rule: string) =>
  z
    .string({ error: `required: ${what}` })
    .check(z.trim(), z.minLength(1, `required: ${what}`), z.regex(pattern, rule));

/** DynamoDB table names: 3–255 of [A-Za-z0-9_.-]. */
export const TableName = nonEmpty(
  'the DynamoDB table name',
  /^[A-Za-z0-9_.-]{3,255}$/,
  'must be a DynamoDB table name (3-255 letters, digits, _ . -)',
);

/** S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens. */
export const BucketName = nonEmpty(
  'the S3 bucket name',
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  'must be an S3 bucket name (3-63 lower-case letters, digits, . -)',
);

/** Set by the Lambda runtime itself, never by the stack. */
export const Region = nonEmpty(
  'the AWS region',
  /^[a-z]{2}(-[a-z]+)+-\d$/,
  'must be an AWS region, e.g. eu-west-1',
);

const arn = (service: string, resource: string) =>
  nonEmpty(
    `the ${service} ARN`,
    new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}`),
    `must be an ARN of the form arn:aws:${service}:<region>:<account>:${resource}…`,
  );

export const SecretArn = arn('secretsmanager', 'secret:');
export const JobQueueArn = arn('batch', 'job-queue/');
export const JobDefinitionArn = arn('batch', 'job-definition/');

/** Only the embedded stack sets endpoints; on AWS the SDK's defaults apply. */
export const Endpoint = z.optional(z.url('must be a URL, e.g. http://127.0.0.1:4567'));

/** "true"/"1" or "false"/"0"/unset. */
export const Flag = z.pipe(
  z.optional(z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' })),
  z.transform((v) => v === 'true' || v === '1'),
);

/** A size in bytes: a positive whole number (the stack sets it from the function's memory and disk). */
export const Bytes = z.pipe(
  z
    .string({ error: 'required: a size in bytes' })
    .check(z.regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number of bytes')),
  z.transform((v) => Number(v)),
);
