/**
 * Creates an API key in a deployed Tuneplane table and prints it (once: only its hash is stored).
 *
 *   AWS_REGION=<region> npx tsx infra/aws/create-api-key.ts --table <TableName> [--tenant default] [--name "first key"]
 *
 * Uses the default AWS credential chain, with dynamodb:PutItem on the table.
 */
import { parseArgs } from 'node:util';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { createApiKey } from '../../functions/domain/api-keys';
import { systemClock } from '../../functions/ports/clock';

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    tenant: { type: 'string', default: 'default' },
    name: { type: 'string', default: 'created with infra/aws/create-api-key.ts' },
    region: { type: 'string', default: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION },
    // Only to try it against the embedded stack (dynalite).
    'dynamodb-endpoint': { type: 'string', default: process.env.TUNEPLANE_DYNAMODB_ENDPOINT },
  },
});
if (!values.table || !values.region) {
  console.error(
    'usage: AWS_REGION=<region> tsx infra/aws/create-api-key.ts --table <TableName> [--tenant t] [--name n]',
  );
  process.exit(2);
}
const clients = createAwsClients({ region: values.region, dynamodbEndpoint: values['dynamodb-endpoint'] });
try {
  const stores = createDynamoStores(clients.doc, values.table);
  const { key } = await createApiKey(
    { apiKeys: stores.apiKeys, clock: systemClock },
    { tenantId: values.tenant, name: values.name },
  );
  console.log(key);
} finally {
  clients.destroy();
}
