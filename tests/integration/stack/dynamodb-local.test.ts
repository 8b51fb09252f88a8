import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, requireJava, type DynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { ensureTables } from '../../../local/dynamodb/tables';
import { LocalDeployment } from '../../../local/template/deployment';
import { loadTemplate } from '../../../local/template/load-template';
import { freePort, LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/template/local-environment';
import { readStackWiring } from '../../../local/template/wiring';

describe('DynamoDB Local with the template tables', () => {
  const deployment = new LocalDeployment(readStackWiring(loadTemplate()), {
    stackName: 'ddb-test',
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
  });
  const tableName = deployment.ref('FaceLoginTable');
  let dataDir: string;
  let port: number;
  let dynamodb: DynamoDbLocal | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-ddb-'));
    port = await freePort();
  });

  afterAll(async () => {
    await dynamodb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds Java 17 or newer before starting', () => {
    expect(requireJava()).toBeGreaterThanOrEqual(17);
  });

  it('refuses to start with a message that says how to install Java when there is none', () => {
    expect(() => requireJava({ ...process.env, PATH: '/nonexistent' })).toThrow(
      /DynamoDB Local needs Java 17 or newer, and `java` is not on PATH .*Install a JRE/,
    );
  });

  it('creates the table from template.yaml with its key schema and TTL', async () => {
    dynamodb = await startDynamoDbLocal({ port, dataDir });
    const [table] = await ensureTables(dynamodb.client, deployment, deployment.wiring.tables);
    expect(table).toEqual({ logicalId: 'FaceLoginTable', tableName, ttlAttribute: 'expiresAt', created: true });
    const { Table } = await dynamodb.client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const { TimeToLiveDescription } = await dynamodb.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('keeps items across a restart, and creating the tables again changes nothing', async () => {
    await dynamodb!.client.send(
      new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'USER#1' }, sk: { S: 'ENROLLMENT' }, status: { S: 'ACCEPTED' } } }),
    );
    await dynamodb!.stop();
    dynamodb = await startDynamoDbLocal({ port, dataDir });
    const [table] = await ensureTables(dynamodb.client, deployment, deployment.wiring.tables);
    expect(table?.created).toBe(false);
    const { Item } = await dynamodb.client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'USER#1' }, sk: { S: 'ENROLLMENT' } } }),
    );
    expect(Item?.status).toEqual({ S: 'ACCEPTED' });
  });

  it('refuses a port that is already taken instead of talking to whatever holds it', async () => {
    await expect(startDynamoDbLocal({ port, dataDir: join(dataDir, 'other') })).rejects.toThrow(`port ${port} is already in use`);
  });
});
