/**
 * The DynamoDB document client (functions/adapters/dynamodb/document-client.ts):
 * against dynalite over HTTP for the protocol, and against a loopback server playing a throttled
 * or failing DynamoDB for retries, errors and signing.
 */
import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDocumentClient,
  DynamoDBError,
  defaultCredentials,
} from '../../../functions/adapters/dynamodb/document-client';
import { startEmbedded, type Embedded } from '../../support/embedded';

let env: Embedded;
beforeAll(async () => {
  env = await startEmbedded();
});
afterAll(() => env?.stop());

describe('against dynalite', () => {
  const table = () => env.config.table;

  it('round-trips plain values, drops undefined attributes, and reads back what it wrote', async () => {
    const doc = env.clients.doc;
    const item = {
      pk: 'DOC#1',
      sk: 'A',
      n: 1.5,
      big: 2 ** 40,
      s: 'x',
      b: false,
      nil: null,
      gone: undefined,
      list: [1, 'two', { three: 3 }],
      map: { nested: { deep: [true] } },
      bytes: new Uint8Array([1, 2, 3]),
    };
    await doc.put({ TableName: table(), Item: item });
    const { Item } = await doc.get({
      TableName: table(),
      Key: { pk: 'DOC#1', sk: 'A' },
      ConsistentRead: true,
    });
    const { gone: _gone, ...expected } = item;
    expect(Item).toEqual(expected);
    expect(Item).not.toHaveProperty('gone');
    expect((await doc.get({ TableName: table(), Key: { pk: 'DOC#none', sk: 'A' } })).Item).toBeUndefined();
  });

  it('names a failed condition ConditionalCheckFailedException, as the SDK does, and leaves the item alone', async () => {
    const doc = env.clients.doc;
    await doc.put({ TableName: table(), Item: { pk: 'DOC#2', sk: 'A', v: 1 } });
    const err = await doc
      .put({
        TableName: table(),
        Item: { pk: 'DOC#2', sk: 'A', v: 2 },
        ConditionExpression: 'attribute_not_exists(pk)',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DynamoDBError);
    expect(err).toMatchObject({ name: 'ConditionalCheckFailedException', statusCode: 400 });
    expect((await doc.get({ TableName: table(), Key: { pk: 'DOC#2', sk: 'A' } })).Item?.v).toBe(1);
  });

  it('updates with ALL_NEW, deletes, and pages a query with LastEvaluatedKey', async () => {
    const doc = env.clients.doc;
    for (let i = 0; i < 5; i++) await doc.put({ TableName: table(), Item: { pk: 'DOC#3', sk: `S${i}`, i } });
    const updated = await doc.update({
      TableName: table(),
      Key: { pk: 'DOC#3', sk: 'S0' },
      UpdateExpression: 'SET i = i + :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated.Attributes).toEqual({ pk: 'DOC#3', sk: 'S0', i: 1 });
    await doc.delete({ TableName: table(), Key: { pk: 'DOC#3', sk: 'S4' } });
    const seen: number[] = [];
    let start: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const res = await doc.query({
        TableName: table(),
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'DOC#3' },
        Limit: 2,
        ExclusiveStartKey: start,
      });
      seen.push(...(res.Items ?? []).map((x) => x.i as number));
      start = res.LastEvaluatedKey;
      pages++;
    } while (start);
    expect(seen).toEqual([1, 1, 2, 3]);
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it('refuses a class instance instead of storing it half', async () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    await expect(
      env.clients.doc.put({ TableName: table(), Item: { pk: 'DOC#4', sk: 'A', price: new Money(5) } }),
    ).rejects.toThrow();
    expect(
      (await env.clients.doc.get({ TableName: table(), Key: { pk: 'DOC#4', sk: 'A' } })).Item,
    ).toBeUndefined();
  });
});

/** A DynamoDB stand-in that answers from a script, one entry per request, and records them. */
async function scriptedDynamo(script: ((req: IncomingMessage, body: string, res: ServerResponse) => void)[]) {
  const requests: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ headers: req.headers, body });
    const step = script[Math.min(requests.length - 1, script.length - 1)];
    step(req, body, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => server.close(),
  };
}
const answer = (status: number, body: object) => (_q: IncomingMessage, _b: string, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
};
const throttled = answer(400, {
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'Rate exceeded',
});
const found = answer(200, { Item: { pk: { S: 'K' }, n: { N: '7' } } });
const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'session-token' };

/** The hash the SDK's signer is built with (its own lives in @smithy/hash-node). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', Buffer.from(secret as ArrayBuffer)) : createHash('sha256');
  }
  update(data: string | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    );
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

describe('against a scripted DynamoDB', () => {
  it('signs each call for DynamoDB in the region, with the session token and the operation as target', async () => {
    const ddb = await scriptedDynamo([found]);
    try {
      const doc = createDocumentClient({ region: 'eu-west-1', endpoint: ddb.endpoint, credentials: creds });
      expect((await doc.get({ TableName: 'T', Key: { pk: 'K' } })).Item).toEqual({ pk: 'K', n: 7 });
      const { headers, body } = ddb.requests[0];
      expect(headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
      expect(headers['x-amz-security-token']).toBe('session-token');
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[^,]*x-amz-target/,
      );
      expect(JSON.parse(body)).toEqual({ TableName: 'T', Key: { pk: { S: 'K' } } });
    } finally {
      ddb.close();
    }
  });

  it("signs exactly as the AWS SDK's own SigV4 signer does for the same request", async () => {
    const ddb = await scriptedDynamo([found]);
    try {
      const doc = createDocumentClient({ region: 'eu-west-1', endpoint: ddb.endpoint, credentials: creds });
      await doc.get({ TableName: 'T', Key: { pk: 'K' }, ConsistentRead: true });
      const { headers, body } = ddb.requests[0];
      expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(headers['transfer-encoding']).toBeUndefined();
      const amzDate = headers['x-amz-date'] as string;
      const signingDate = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const signedNames = /SignedHeaders=([^,]+)/.exec(headers.authorization as string)![1].split(';');
      const reference = await new SignatureV4({
        service: 'dynamodb',
        region: 'eu-west-1',
        credentials: creds,
        sha256: NodeSha256,
        applyChecksum: false, // no x-amz-content-sha256 header: DynamoDB does not require one (S3 does)
      }).sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: Number(new URL(ddb.endpoint).port),
          path: '/',
          query: {},
          headers: Object.fromEntries(
            signedNames.filter((h) => h !== 'x-amz-date').map((h) => [h, String(headers[h])]),
          ),
          body,
        },
        { signingDate },
      );
      expect(headers.authorization).toBe(reference.headers.authorization);
    } finally {
      ddb.close();
    }
  });

  it('retries throttling and 5xx, then succeeds', async () => {
    const ddb = await scriptedDynamo([throttled, answer(500, { message: 'oops' }), found]);
    try {
      const doc = createDocumentClient({ region: 'eu-west-1', endpoint: ddb.endpoint, credentials: creds });
      expect((await doc.get({ TableName: 'T', Key: { pk: 'K' } })).Item?.n).toBe(7);
      expect(ddb.requests).toHaveLength(3);
    } finally {
      ddb.close();
    }
  });

  it('gives up after maxAttempts with the last error, and never retries a client error', async () => {
    const ddb = await scriptedDynamo([throttled]);
    try {
      const doc = createDocumentClient({
        region: 'eu-west-1',
        endpoint: ddb.endpoint,
        credentials: creds,
        maxAttempts: 2,
      });
      await expect(doc.get({ TableName: 'T', Key: { pk: 'K' } })).rejects.toMatchObject({
        name: 'ProvisionedThroughputExceededException',
        message: 'Rate exceeded',
      });
      expect(ddb.requests).toHaveLength(2);
    } finally {
      ddb.close();
    }
    const bad = await scriptedDynamo([
      answer(400, {
        __type: 'com.amazon.coral.validate#ValidationException',
        message: 'One or more parameter values were invalid',
      }),
    ]);
    try {
      const doc = createDocumentClient({ region: 'eu-west-1', endpoint: bad.endpoint, credentials: creds });
      await expect(doc.put({ TableName: 'T', Item: { pk: 'K' } })).rejects.toMatchObject({
        name: 'ValidationException',
      });
      expect(bad.requests).toHaveLength(1);
    } finally {
      bad.close();
    }
  });

  it('retries a connection dropped mid-call, then succeeds', async () => {
    const ddb = await scriptedDynamo([(_q, _b, res) => res.socket?.destroy(), found]);
    try {
      const doc = createDocumentClient({ region: 'eu-west-1', endpoint: ddb.endpoint, credentials: creds });
      expect((await doc.get({ TableName: 'T', Key: { pk: 'K' } })).Item?.n).toBe(7);
      expect(ddb.requests).toHaveLength(2);
    } finally {
      ddb.close();
    }
  });

  it('retries a refused connection, then reports it', async () => {
    const ddb = await scriptedDynamo([found]);
    ddb.close();
    const doc = createDocumentClient({
      region: 'eu-west-1',
      endpoint: ddb.endpoint,
      credentials: creds,
      maxAttempts: 2,
    });
    await expect(doc.get({ TableName: 'T', Key: { pk: 'K' } })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('asks a credentials provider again once its credentials near expiry', async () => {
    const ddb = await scriptedDynamo([found]);
    let calls = 0;
    try {
      const doc = createDocumentClient({
        region: 'eu-west-1',
        endpoint: ddb.endpoint,
        credentials: async () => ({
          ...creds,
          accessKeyId: `AKID${++calls}`,
          expiration: new Date(Date.now() + 60_000),
        }),
      });
      await doc.get({ TableName: 'T', Key: { pk: 'K' } });
      await doc.get({ TableName: 'T', Key: { pk: 'K' } });
      expect(calls).toBe(2); // expiring within the refresh margin: fetched each time
      expect(ddb.requests[1].headers.authorization).toContain('Credential=AKID2/');
    } finally {
      ddb.close();
    }
  });
});

describe('defaultCredentials', () => {
  it("takes Lambda's role credentials from the environment without loading the SDK's chain", () => {
    expect(
      defaultCredentials({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' }),
    ).toEqual({ accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: 't' });
    expect(typeof defaultCredentials({})).toBe('function');
  });
});
