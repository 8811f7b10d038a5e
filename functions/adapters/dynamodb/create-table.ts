/**
 * The table's shape, and its creation where nothing else creates it: the embedded stack and the
 * tests (on AWS the CDK stack owns the table). Kept apart from the stores so that the Lambda
 * bundles, which never create tables, carry none of the AWS SDK's DynamoDB client.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';

/** What the CDK stack must create too (same names, same schema). */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  timeToLiveAttribute: 'expiresAt',
} as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, globalSecondaryIndexes } = TABLE_SCHEMA;
  const attrs = [
    partitionKey,
    sortKey,
    ...globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attrs.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: globalSecondaryIndexes.map((g) => ({
      IndexName: g.indexName,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' },
        { AttributeName: g.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

/**
 * Creates the table if it does not exist and waits until it is ACTIVE (embedded stack, tests).
 * TTL is not enabled here: dynalite has none, and on AWS the CDK stack owns the table.
 */
export async function createTable(
  where: {
    region: string;
    dynamodbEndpoint?: string;
    /** The embedded stack's credentials (the default chain when absent). */
    credentials?: { accessKeyId: string; secretAccessKey: string };
  },
  tableName: string,
): Promise<void> {
  const client = new DynamoDBClient({
    region: where.region,
    ...(where.dynamodbEndpoint ? { endpoint: where.dynamodbEndpoint } : {}),
    ...(where.credentials ? { credentials: where.credentials } : {}),
  });
  try {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    const status = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
    if (status !== 'ACTIVE') {
      await waitUntilTableExists(
        { client, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.5 },
        { TableName: tableName },
      );
    }
  } finally {
    client.destroy();
  }
}
