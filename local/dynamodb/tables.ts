/**
 * Creates the template's `AWS::DynamoDB::Table`s in DynamoDB Local, idempotently on every start: key schema,
 * attribute definitions, billing mode, secondary indexes, streams, and TTL via UpdateTimeToLive. A table that
 * already exists with another key schema is refused (the data folder predates a template change: use --reset).
 * Note: DynamoDB Local records the TTL setting but never deletes expired items; code must not rely on expiry
 * having happened (the functions compare `expiresAt` themselves, as they must on AWS, where deletion lags too).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import type { LocalDeployment } from '../template/deployment';
import type { TemplateValue } from '../template/load-template';
import type { ResourceWiring } from '../template/wiring';

export interface LocalTable {
  logicalId: string;
  tableName: string;
  ttlAttribute?: string;
  created: boolean;
}

type Properties = Record<string, TemplateValue>;

/** The CreateTable request CloudFormation would make for these properties (what DynamoDB Local supports of it). */
export function createTableInput(properties: Properties): CreateTableCommandInput {
  const payPerRequest = properties.BillingMode === 'PAY_PER_REQUEST';
  const withoutThroughput = (indexes: TemplateValue | undefined) =>
    Array.isArray(indexes)
      ? indexes.map((index) => {
          const { ProvisionedThroughput, ...rest } = index as Properties;
          return payPerRequest ? rest : { ...rest, ProvisionedThroughput };
        })
      : undefined;
  const input = {
    TableName: properties.TableName,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: payPerRequest ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    ProvisionedThroughput: payPerRequest ? undefined : properties.ProvisionedThroughput,
    GlobalSecondaryIndexes: withoutThroughput(properties.GlobalSecondaryIndexes),
    LocalSecondaryIndexes: properties.LocalSecondaryIndexes,
    StreamSpecification: properties.StreamSpecification,
  };
  return JSON.parse(JSON.stringify(input)) as CreateTableCommandInput;
}

function sameKeySchema(left: KeySchemaElement[] = [], right: KeySchemaElement[] = []): boolean {
  const text = (schema: KeySchemaElement[]) => JSON.stringify(schema.map(({ AttributeName, KeyType }) => [AttributeName, KeyType]));
  return text(left) === text(right);
}

async function ensureTable(client: DynamoDBClient, logicalId: string, properties: Properties): Promise<LocalTable> {
  const input = createTableInput(properties);
  const tableName = input.TableName as string;
  let created = false;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!sameKeySchema(Table?.KeySchema, input.KeySchema)) {
      throw new Error(
        `table ${tableName} (${logicalId}) exists in DynamoDB Local with key schema ${JSON.stringify(Table?.KeySchema)}, ` +
          `but template.yaml says ${JSON.stringify(input.KeySchema)}; start with --reset to recreate it`,
      );
    }
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(input));
    created = true;
  }
  const ttl = properties.TimeToLiveSpecification as Properties | undefined;
  if (ttl?.Enabled === true || ttl?.Enabled === 'true') {
    const attribute = String(ttl.AttributeName);
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const current = TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' ? TimeToLiveDescription.AttributeName : undefined;
    if (current !== attribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
        }),
      );
    }
    return { logicalId, tableName, ttlAttribute: attribute, created };
  }
  return { logicalId, tableName, created };
}

export async function ensureTables(client: DynamoDBClient, deployment: LocalDeployment, tables: ResourceWiring[]): Promise<LocalTable[]> {
  const result: LocalTable[] = [];
  for (const table of tables) {
    const properties = deployment.resolve(table.properties) as Properties;
    result.push(await ensureTable(client, table.logicalId, { ...properties, TableName: deployment.ref(table.logicalId) }));
  }
  return result;
}
