/**
 * The embedded stores are not an open door: dynalite and s3rver listen on loopback ports any
 * local process can reach, so each start of the stack makes credentials and both refuse requests
 * not signed with them. Another client — anonymous, with s3rver's well-known default key, with
 * this stack's key id but another secret, or with a presigned URL bent to another request — is
 * refused; the stack's own clients and its presigned URLs work.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../functions/adapters/dynamodb';
import { createS3Client } from '../../../functions/adapters/s3';
import { hashApiKey } from '../../../functions/domain/api-keys';
import { startEmbedded, type Embedded } from '../../support/embedded';

let env: Embedded;
beforeAll(async () => {
  env = await startEmbedded();
  await env.blobs.put('files/tenant-a/file-secret', 'tenant A’s training data');
});
afterAll(() => env?.stop());

const S3RVER_DEFAULT = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const s3With = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
  createS3Client({ region: env.config.region, s3Endpoint: env.config.s3Endpoint, credentials });
const docWith = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
  createDocumentClient({
    region: env.config.region,
    endpoint: env.config.dynamodbEndpoint,
    credentials,
    maxAttempts: 1,
  });
const getObject = (s3: S3Client) =>
  s3.send(new GetObjectCommand({ Bucket: env.config.bucket, Key: 'files/tenant-a/file-secret' }));

describe('embedded S3', () => {
  it('serves the stack’s own signed requests', async () => {
    expect(await (await getObject(env.clients.s3)).Body!.transformToString()).toBe(
      'tenant A’s training data',
    );
  });

  it('refuses anonymous requests: no object, no listing', async () => {
    const object = await fetch(`${env.config.s3Endpoint}/${env.config.bucket}/files/tenant-a/file-secret`);
    expect(object.status).toBe(403);
    expect(await object.text()).toMatch(/<Code>AccessDenied<\/Code>/);
    const listing = await fetch(`${env.config.s3Endpoint}/${env.config.bucket}?list-type=2`);
    expect(listing.status).toBe(403);
    const put = await fetch(`${env.config.s3Endpoint}/${env.config.bucket}/files/x`, {
      method: 'PUT',
      body: 'x',
    });
    expect(put.status).toBe(403);
  });

  it('refuses s3rver’s default key and a wrong secret for this stack’s key id', async () => {
    for (const [name, credentials, code] of [
      ['s3rver default', S3RVER_DEFAULT, 'InvalidAccessKeyId'],
      ['wrong secret', { ...env.config.credentials, secretAccessKey: 'guessed' }, 'SignatureDoesNotMatch'],
    ] as const) {
      const s3 = s3With(credentials);
      try {
        const err = await getObject(s3).catch(
          (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
        );
        expect(err, name).toBeInstanceOf(Error);
        expect((err as Error).name, name).toBe(code);
        expect((err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
        await expect(
          s3.send(new ListObjectsV2Command({ Bucket: env.config.bucket, Prefix: 'files/' })),
          name,
        ).rejects.toThrow();
        await expect(
          s3.send(
            new PutObjectCommand({ Bucket: env.config.bucket, Key: 'files/tenant-a/planted', Body: 'x' }),
          ),
          name,
        ).rejects.toThrow();
      } finally {
        s3.destroy();
      }
    }
    expect(await env.blobs.head('files/tenant-a/planted')).toBeUndefined();
  });

  it('a presigned part URL authorizes its own PUT only, until it expires', async () => {
    const key = 'uploads/tenant-a/upload_lockdown';
    const multipartId = await env.blobs.createMultipart(key, 'application/jsonl');
    const url = await env.blobs.presignPart(key, multipartId, 1, 60);
    expect((await fetch(url, { method: 'PUT', body: 'part one' })).status).toBe(200);
    // The same signature on another part number, another key, or a GET: refused.
    expect(
      (await fetch(url.replace('partNumber=1', 'partNumber=2'), { method: 'PUT', body: 'x' })).status,
    ).toBe(403);
    expect(
      (await fetch(url.replace('upload_lockdown', 'upload_other'), { method: 'PUT', body: 'x' })).status,
    ).toBe(403);
    expect((await fetch(url, { method: 'GET' })).status).toBe(403);

    const presigner = s3With(env.config.credentials);
    try {
      const short = await getSignedUrl(
        presigner,
        new UploadPartCommand({
          Bucket: env.config.bucket,
          Key: key,
          UploadId: multipartId,
          PartNumber: 3,
          Body: '',
        }),
        { expiresIn: 1 },
      );
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const expired = await fetch(short, { method: 'PUT', body: 'late' });
      expect(expired.status).toBe(403);
      expect(await expired.text()).toMatch(/expired/);
    } finally {
      presigner.destroy();
    }
    const parts = await env.blobs.listParts(key, multipartId);
    expect(parts.map((p) => p.partNumber)).toEqual([1]);
  });
});

describe('embedded DynamoDB', () => {
  it('refuses unsigned requests', async () => {
    const res = await fetch(env.config.dynamodbEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toMatch(/InvalidSignatureException/);
  });

  it('refuses another key, so nobody else can mint an API key or read the table', async () => {
    const forged = {
      pk: `APIKEY#${hashApiKey('tp_minted')}`,
      sk: 'APIKEY',
      keyHash: hashApiKey('tp_minted'),
      tenantId: 'tenant-a',
    };
    for (const credentials of [S3RVER_DEFAULT, { ...env.config.credentials, secretAccessKey: 'guessed' }]) {
      const doc = docWith(credentials);
      await expect(doc.put({ TableName: env.config.table, Item: forged })).rejects.toMatchObject({
        name: expect.stringMatching(/UnrecognizedClientException|InvalidSignatureException/),
      });
      await expect(doc.scan({ TableName: env.config.table })).rejects.toThrow();
    }
    const sdk = new DynamoDBClient({
      region: env.config.region,
      endpoint: env.config.dynamodbEndpoint,
      credentials: S3RVER_DEFAULT,
      maxAttempts: 1,
    });
    try {
      await expect(sdk.send(new ListTablesCommand({}))).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
      });
    } finally {
      sdk.destroy();
    }
    expect(await env.stores.apiKeys.getByHash(hashApiKey('tp_minted'))).toBeUndefined();
  });

  it('serves the stack’s own clients (aws4-signed and the AWS SDK’s)', async () => {
    expect((await env.clients.doc.scan({ TableName: env.config.table, Limit: 1 })).Items).toBeDefined();
    const sdk = new DynamoDBClient({
      region: env.config.region,
      endpoint: env.config.dynamodbEndpoint,
      credentials: env.config.credentials,
    });
    try {
      expect((await sdk.send(new ListTablesCommand({}))).TableNames).toContain(env.config.table);
    } finally {
      sdk.destroy();
    }
  });

  it('credentials are per start: another instance does not accept this one’s', async () => {
    const other = await startEmbedded();
    try {
      expect(other.config.credentials.secretAccessKey).not.toBe(env.config.credentials.secretAccessKey);
      const doc = docWith(env.config.credentials);
      const tables = createDocumentClient({
        region: other.config.region,
        endpoint: other.config.dynamodbEndpoint,
        credentials: env.config.credentials,
        maxAttempts: 1,
      });
      await expect(tables.scan({ TableName: other.config.table })).rejects.toThrow();
      expect((await doc.scan({ TableName: env.config.table, Limit: 1 })).Items).toBeDefined();
    } finally {
      await other.stop();
    }
  });
});
