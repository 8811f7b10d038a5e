/**
 * How another process of the same user reaches the embedded stack's stores: each start writes
 * `<dataDir>/stores.json` (the endpoints and this start's store credentials) readable by its owner
 * only (0600), and removes it at stop. `tuneplane admin` reads it while `npm start` runs; with no
 * stack running it starts the stores itself on the data directory, under the same lock, and stops
 * them when done. Either way nobody has to find a random port, and a process that cannot read the
 * file cannot sign a request the stores accept (store-gate.ts).
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createAwsClients, type AwsClients } from '../../functions/adapters/aws-clients';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import { createTable } from '../../functions/adapters/dynamodb/create-table';
import { systemClock } from '../../functions/ports/clock';
import type { Stores } from '../../functions/ports/store';
import type { LocalConfig } from './config';
import { lockDataDir } from './data-dir-lock';
import { startEmbeddedServices, type EmbeddedServices } from './services';
import type { StoreCredentials } from './sigv4';

export interface StoreAccess {
  pid: number;
  region: string;
  table: string;
  bucket: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  credentials: StoreCredentials;
}

const FILE = 'stores.json';

export async function writeStoreAccess(dataDir: string, access: StoreAccess): Promise<void> {
  const file = path.join(dataDir, FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  // Created 0600 before any secret is in it, then renamed into place: never readable by others.
  await writeFile(tmp, JSON.stringify(access, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeStoreAccess(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, FILE), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running stack's access, or undefined when no stack runs on this data directory. */
export async function readStoreAccess(dataDir: string): Promise<StoreAccess | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const access = JSON.parse(text) as StoreAccess;
  // Left behind by a stack that was killed: its stores are gone with it.
  return alive(access.pid) ? access : undefined;
}

export interface OpenedStores {
  stores: Stores;
  /** Whether a running stack's stores were used (false: started here, on the data directory). */
  running: boolean;
  close(): Promise<void>;
}

/**
 * The stores of the stack on `config.dataDir`: the running stack's when `npm start` runs, or
 * started here (without the API or workers) when it does not.
 */
export async function openLocalStores(
  config: Pick<LocalConfig, 'dataDir' | 'table' | 'bucket' | 'region'>,
): Promise<OpenedStores> {
  const running = await readStoreAccess(config.dataDir);
  if (running) {
    const clients = createAwsClients(running);
    return {
      stores: createDynamoStores(clients.doc, running.table, systemClock),
      running: true,
      close: async () => clients.destroy(),
    };
  }
  const unlock = await lockDataDir(config.dataDir);
  let services: EmbeddedServices | undefined;
  let clients: AwsClients | undefined;
  const close = async () => {
    clients?.destroy();
    await services?.close();
    await unlock();
  };
  try {
    services = await startEmbeddedServices({
      dynamoDir: path.join(config.dataDir, 'dynamodb'),
      s3Dir: path.join(config.dataDir, 's3'),
      bucket: config.bucket,
    });
    const where = { region: config.region, ...services };
    clients = createAwsClients(where);
    await createTable(where, config.table);
    return { stores: createDynamoStores(clients.doc, config.table, systemClock), running: false, close };
  } catch (err) {
    await close();
    throw err;
  }
}
