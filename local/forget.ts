/**
 * `npm run forget -- --email <address>`: an administrator purges one user (every face, photo and record, then the
 * Cognito user) and reads the counts. It runs the functions' own deletion routine (functions/lib/account-deletion.ts)
 * with the caller's clients:
 *   - by default against the running local stack (`--data-dir DIR` names its data folder, as `npm start` takes it);
 *   - with `--stack <name>` against a deployed stack, with the caller's AWS credentials and the stack's outputs.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { type AccountTargets, deleteAccount } from '../functions/lib/account-deletion';
import { DEFAULT_DATA_DIR, detectRunningStack } from './demo/stack-connection';

const USAGE = 'usage: npm run forget -- --email <address> [--data-dir DIR | --stack <name> [--region <region>]]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

interface ClientOptions {
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  endpoints?: { dynamodb: string; s3: string; rekognition: string; cognito: string };
}

function targetsFor(names: Omit<AccountTargets, 'dynamo' | 's3' | 'rekognition' | 'cognito'>, options: ClientOptions): AccountTargets {
  const { region, credentials, endpoints } = options;
  const common = { region, ...(credentials ? { credentials } : {}) };
  return {
    ...names,
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, endpoint: endpoints?.dynamodb })),
    s3: new S3Client({ ...common, endpoint: endpoints?.s3, forcePathStyle: endpoints !== undefined }),
    rekognition: new RekognitionClient({ ...common, endpoint: endpoints?.rekognition }),
    cognito: new CognitoIdentityProviderClient({ ...common, endpoint: endpoints?.cognito }),
  };
}

/** The running local stack's resources and endpoints, from the outputs file it keeps in its data folder. */
async function localTargets(dataDir: string): Promise<AccountTargets> {
  const detection = await detectRunningStack(dataDir);
  if (!detection.running)
    fail(`no local stack is running: ${detection.why}. Start it with npm start, or name a deployed one with --stack.`);
  const { outputs } = detection;
  const { dynamodb, s3, rekognition, cognito } = outputs.endpoints;
  if (!outputs.userPoolId || !rekognition || !cognito) fail('the running local stack has no user pool or no Rekognition');
  return targetsFor(
    { tableName: outputs.tableName, bucketName: outputs.bucketName, collectionId: outputs.collectionId, userPoolId: outputs.userPoolId },
    { region: outputs.region, credentials: outputs.credentials, endpoints: { dynamodb, s3, rekognition, cognito } },
  );
}

/** A deployed stack's resources, from its CloudFormation outputs, with the caller's credentials. */
async function deployedTargets(stackName: string, region: string | undefined): Promise<AccountTargets> {
  const cloudFormation = new CloudFormationClient(region ? { region } : {});
  const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries((Stacks[0]?.Outputs ?? []).map(({ OutputKey, OutputValue }) => [OutputKey, OutputValue]));
  const missing = ['Region', 'UserPoolId', 'TableName', 'BucketName', 'CollectionId'].filter((name) => !outputs[name]);
  if (missing.length > 0) fail(`stack ${stackName} has no output ${missing.join(', ')}: is it this project's stack?`);
  return targetsFor(
    {
      tableName: outputs.TableName!,
      bucketName: outputs.BucketName!,
      collectionId: outputs.CollectionId!,
      userPoolId: outputs.UserPoolId!,
    },
    { region: outputs.Region! },
  );
}

async function main(): Promise<void> {
  let values: { email?: string; 'data-dir'?: string; stack?: string; region?: string };
  try {
    ({ values } = parseArgs({
      options: { email: { type: 'string' }, 'data-dir': { type: 'string' }, stack: { type: 'string' }, region: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const email = values.email?.trim().toLowerCase();
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('--email must be the address the user signed up with');
  if (values.stack && values['data-dir']) fail('--stack and --data-dir name two different stacks: give one');
  const targets = values.stack
    ? await deployedTargets(values.stack, values.region)
    : await localTargets(values['data-dir'] ?? DEFAULT_DATA_DIR);

  let user: { sub: string; username: string };
  try {
    const found = await targets.cognito.send(new AdminGetUserCommand({ UserPoolId: targets.userPoolId, Username: email }));
    const sub = found.UserAttributes?.find(({ Name }) => Name === 'sub')?.Value;
    if (!sub || !found.Username) throw new Error(`AdminGetUser returned no sub for ${email}`);
    user = { sub, username: found.Username };
  } catch (error) {
    if ((error as Error).name !== 'UserNotFoundException') throw error;
    console.error(
      `No user ${email} in pool ${targets.userPoolId}. If it was deleted already, SweepDeletedUsersFunction removes what it left.`,
    );
    process.exit(1);
  }
  const deleted = await deleteAccount(targets, user);
  console.log(`Forgot ${email} (sub ${user.sub}) in pool ${targets.userPoolId}:`);
  console.log(`  faces deleted from ${targets.collectionId}: ${deleted.faces}`);
  console.log(`  objects deleted from ${targets.bucketName}: ${deleted.objects}`);
  console.log(`  items deleted from ${targets.tableName}: ${deleted.items}`);
  console.log(`  Cognito user deleted: ${deleted.user ? 'yes' : 'no (it was gone already)'}`);
}

main().catch((error: Error) => {
  console.error(`forget failed: ${error.name}: ${error.message}. Nothing is left half-done that a second run does not finish.`);
  process.exit(1);
});
