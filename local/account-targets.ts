/**
 * Where an administrator's purge of one user works: the clients and resource names of the running local stack
 * (from its outputs) or of a deployed stack (from its CloudFormation outputs, with the caller's credentials), and
 * the purge itself, looked up by email. `npm run forget` and the demo use it; the deletion is the functions' own.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AccountDeletion, type AccountTargets, deleteAccount } from '../functions/lib/account-deletion';
import type { StackOutputs } from './demo/stack-connection';

type Names = Omit<AccountTargets, 'dynamo' | 's3' | 'rekognition' | 'cognito'>;

interface ClientOptions {
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  endpoints?: { dynamodb: string; s3: string; rekognition: string; cognito: string };
}

function targetsFor(names: Names, { region, credentials, endpoints }: ClientOptions): AccountTargets {
  const common = { region, ...(credentials ? { credentials } : {}) };
  return {
    ...names,
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, endpoint: endpoints?.dynamodb })),
    s3: new S3Client({ ...common, endpoint: endpoints?.s3, forcePathStyle: endpoints !== undefined }),
    rekognition: new RekognitionClient({ ...common, endpoint: endpoints?.rekognition }),
    cognito: new CognitoIdentityProviderClient({ ...common, endpoint: endpoints?.cognito }),
  };
}

/** The running local stack's resources, through its endpoints with the local credentials. */
export function localAccountTargets(outputs: StackOutputs): AccountTargets {
  const { dynamodb, s3, rekognition, cognito } = outputs.endpoints;
  if (!outputs.userPoolId || !rekognition || !cognito) throw new Error('the local stack runs without a user pool or without Rekognition');
  return targetsFor(
    { tableName: outputs.tableName, bucketName: outputs.bucketName, collectionId: outputs.collectionId, userPoolId: outputs.userPoolId },
    { region: outputs.region, credentials: outputs.credentials, endpoints: { dynamodb, s3, rekognition, cognito } },
  );
}

/** A deployed stack's resources, from its CloudFormation outputs, with the caller's credentials. */
export async function deployedAccountTargets(stackName: string, region: string | undefined): Promise<AccountTargets> {
  const cloudFormation = new CloudFormationClient(region ? { region } : {});
  const { Stacks = [] } = await cloudFormation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .finally(() => cloudFormation.destroy());
  const outputs = Object.fromEntries((Stacks[0]?.Outputs ?? []).map(({ OutputKey, OutputValue }) => [OutputKey, OutputValue]));
  const missing = ['Region', 'UserPoolId', 'TableName', 'BucketName', 'CollectionId'].filter((name) => !outputs[name]);
  if (missing.length > 0) throw new Error(`stack ${stackName} has no output ${missing.join(', ')}: is it this project's stack?`);
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

export class UnknownUserError extends Error {
  override name = 'UnknownUserError';
}

/** Purges the user who signed up with `email`: every face, photo and record, then the Cognito user. */
export async function forgetUser(targets: AccountTargets, email: string): Promise<AccountDeletion & { sub: string }> {
  let user: { sub: string; username: string };
  try {
    const found = await targets.cognito.send(new AdminGetUserCommand({ UserPoolId: targets.userPoolId, Username: email }));
    const sub = found.UserAttributes?.find(({ Name }) => Name === 'sub')?.Value;
    if (!sub || !found.Username) throw new Error(`AdminGetUser returned no sub for ${email}`);
    user = { sub, username: found.Username };
  } catch (error) {
    if ((error as Error).name === 'UserNotFoundException') throw new UnknownUserError(`No user ${email} in pool ${targets.userPoolId}.`);
    throw error;
  }
  return { ...(await deleteAccount(targets, user)), sub: user.sub };
}

export function destroyTargets(targets: AccountTargets): void {
  for (const client of [targets.dynamo, targets.s3, targets.rekognition, targets.cognito]) client.destroy();
}
