/** The DynamoDB single-table adapter: every store of `ports/store.ts` on one table. */
import { systemClock, type Clock } from '../../ports/clock';
import type { Stores } from '../../ports/store';
import { DynamoApiKeyStore } from './api-keys';
import { DynamoCheckpointStore } from './checkpoints';
import type { DocumentClient } from './document-client';
import { DynamoJobEventStore } from './events';
import { DynamoFileStore } from './files';
import { DynamoIdempotencyStore } from './idempotency';
import { DynamoJobStore } from './jobs';
import { DynamoModelStore } from './models';
import { DynamoOutboxStore } from './outbox';
import { DynamoTenantStore } from './tenants';
import type { TableContext } from './table';
import { DynamoUploadStore } from './uploads';

export function createDynamoStores(doc: DocumentClient, table: string, clock: Clock = systemClock): Stores {
  const ctx: TableContext = { doc, table, clock };
  return {
    apiKeys: new DynamoApiKeyStore(ctx),
    tenants: new DynamoTenantStore(ctx),
    files: new DynamoFileStore(ctx),
    uploads: new DynamoUploadStore(ctx),
    jobs: new DynamoJobStore(ctx),
    events: new DynamoJobEventStore(ctx),
    checkpoints: new DynamoCheckpointStore(ctx),
    models: new DynamoModelStore(ctx),
    idempotency: new DynamoIdempotencyStore(ctx),
    outbox: new DynamoOutboxStore(ctx),
  };
}

export {
  createDocumentClient,
  documentClientFor,
  DynamoDBError,
  type DocumentClient,
} from './document-client';
export type { TableContext } from './table';
export { DynamoSweepStore } from './sweeps';
export { DynamoEvalStore } from './evals';
export {
  DynamoApiKeyStore,
  DynamoCheckpointStore,
  DynamoFileStore,
  DynamoIdempotencyStore,
  DynamoJobEventStore,
  DynamoJobStore,
  DynamoModelStore,
  DynamoOutboxStore,
  DynamoTenantStore,
  DynamoUploadStore,
};
