/**
 * The store against the real engine: DynamoDB Local with the table template.yaml declares, and a document client
 * configured as the functions configure theirs. Each test works on its own users, so tests share one table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { ensureTables } from '../../../local/dynamodb/tables';
import { LocalDeployment } from '../../../local/template/deployment';
import { loadTemplate } from '../../../local/template/load-template';
import { freePort, LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/template/local-environment';
import { readStackWiring } from '../../../local/template/wiring';
import { Store } from '../../../functions/lib/store';

export interface StoreEngine {
  /** A store on a table of its own, created from the template under `stackName`. */
  storeOn(stackName: string): Promise<Store>;
  /** A document client whose reads each wait until `readers` reads were answered: every read then precedes every write. */
  clientWithReadBarrier(readers: number): DynamoDBDocumentClient;
  stop(): Promise<void>;
}

function documentClient(dynamodb: DynamoDbLocal): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamodb.client, { marshallOptions: { removeUndefinedValues: true } });
}

export async function startStoreEngine(): Promise<StoreEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'store-ddb-'));
  const dynamodb = await startDynamoDbLocal({ port: await freePort(), dataDir });
  const wiring = readStackWiring(loadTemplate());
  return {
    async storeOn(stackName) {
      const deployment = new LocalDeployment(wiring, { stackName, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID });
      const [table] = await ensureTables(dynamodb.client, deployment, wiring.tables);
      return new Store({ dynamo: documentClient(dynamodb) }, table!.tableName);
    },
    clientWithReadBarrier(readers) {
      let read = 0;
      let release: () => void = () => undefined;
      const allRead = new Promise<void>((resolve) => (release = resolve));
      const client = DynamoDBDocumentClient.from(localDynamoDbClient(dynamodb.endpoint));
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (context.commandName === 'GetItemCommand') {
            read += 1;
            if (read >= readers) release();
            await allRead;
          }
          return result;
        },
        { step: 'initialize', name: 'readBarrier' },
      );
      return client;
    },
    async stop() {
      await dynamodb.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
