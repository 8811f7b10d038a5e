/**
 * The embedded stand-ins for AWS: dynalite (DynamoDB protocol) and s3rver (S3 protocol), each on
 * a loopback port, with data on disk. Used by `npm start` and by the tests (test/support).
 *
 * Each start makes its own credentials, and both stores refuse any request not signed with them
 * (store-gate.ts): another process on the machine reaching the ports gets 400/403. The stack, its
 * runner processes and the admin command sign with them; presigned part URLs carry a signature
 * made with them, valid until it expires or the stack restarts.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { multipartExtensions } from './s3rver-multipart';
import type { StoreCredentials } from './sigv4';
import { gateDynalite, newStoreCredentials, s3Gate } from './store-gate';

const require = createRequire(import.meta.url);

/**
 * The bucket's CORS rule, as the AWS bucket's (infra/aws/constructs/storage.ts): a browser (the
 * dashboard) PUTs upload parts to presigned URLs on this other origin.
 */
const UPLOAD_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface EmbeddedServicesOptions {
  /** LevelDB directory for dynalite. */
  dynamoDir: string;
  /** s3rver's data directory. */
  s3Dir: string;
  bucket: string;
  /** 0 (default) picks a free port. */
  dynamoPort?: number;
  s3Port?: number;
  host?: string;
  /** The credentials requests must be signed with; fresh random ones by default. */
  credentials?: StoreCredentials;
}

export interface EmbeddedServices {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  /** The only credentials either store accepts. */
  credentials: StoreCredentials;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) =>
      err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(err) : resolve(),
    );
    // Keep-alive sockets of SDK clients would hold `close` open indefinitely.
    server.closeAllConnections?.();
  });
}

export async function startEmbeddedServices(opts: EmbeddedServicesOptions): Promise<EmbeddedServices> {
  const host = opts.host ?? '127.0.0.1';
  await mkdir(opts.dynamoDir, { recursive: true });
  await mkdir(opts.s3Dir, { recursive: true });

  const credentials = opts.credentials ?? newStoreCredentials();
  const dynalite = require('dynalite') as (o: Record<string, unknown>) => Server;
  const dynamo = dynalite({ path: opts.dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  gateDynalite(dynamo, credentials);
  const dynamoPort = await listen(dynamo, opts.dynamoPort ?? 0, host);

  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => {
    middleware: unknown[];
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  const s3 = new S3rver({
    address: host,
    port: opts.s3Port ?? 0,
    silent: true,
    directory: opts.s3Dir,
    configureBuckets: [{ name: opts.bucket, configs: [UPLOAD_CORS] }],
    vhostBuckets: false,
  });
  // Just before s3rver's router (its last middleware).
  s3.middleware.splice(s3.middleware.length - 1, 0, multipartExtensions(opts.s3Dir));
  // Before everything: nothing unsigned gets further.
  s3.middleware.unshift(s3Gate(credentials));
  // s3rver looks the signing key up in its own registry (it only checks signatures we already did).
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
  };
  DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  let s3Address: AddressInfo;
  try {
    s3Address = await s3.run();
  } catch (err) {
    await closeServer(dynamo);
    throw err;
  }
  const s3Server = (s3 as unknown as { httpServer: Server }).httpServer;

  let closed: Promise<void> | undefined;
  return {
    dynamodbEndpoint: `http://${host}:${dynamoPort}`,
    s3Endpoint: `http://${host}:${s3Address.port}`,
    credentials,
    close() {
      closed ??= Promise.all([closeServer(s3Server), closeServer(dynamo)]).then(() => undefined);
      return closed;
    },
  };
}
