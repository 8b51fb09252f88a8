/**
 * How the functions make their AWS clients: one of each per container (`fromEnvironment` in parts.ts), every call
 * with a connection and request timeout and a bounded number of attempts, so a Cognito trigger answers inside its
 * 5 s budget. Endpoints are never set here: the SDK reads AWS_ENDPOINT_URL_<SERVICE> itself, which is how the
 * local stack redirects the same code. One factory per client, so a bundle holds only the SDKs its function uses.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ClientSettings } from './config';
import { currentAbortSignal } from './deadline';

/** The AWS clients the functions use. */
export interface Clients {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  rekognition: RekognitionClient;
  ses: SESv2Client;
  textract: TextractClient;
  cognito: CognitoIdentityProviderClient;
}

export type ClientName = keyof Clients;

/** Makes one client with the container's settings. */
export type ClientFactory<C extends ClientName> = (settings: ClientSettings) => Clients[C];

function commonOptions(settings: ClientSettings) {
  return {
    maxAttempts: settings.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.callTimeoutMs,
      requestTimeout: settings.callTimeoutMs,
      // Without this the handler only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      socketTimeout: settings.callTimeoutMs,
    }),
  };
}

/** The options of every `send`: the signal that aborts the call when the invocation's deadline gives up on it. */
export function requestOptions(): { abortSignal?: AbortSignal } {
  const abortSignal = currentAbortSignal();
  return abortSignal ? { abortSignal } : {};
}

export const createRekognition: ClientFactory<'rekognition'> = (settings) => new RekognitionClient(commonOptions(settings));

export const createSes: ClientFactory<'ses'> = (settings) => new SESv2Client(commonOptions(settings));

export const createS3: ClientFactory<'s3'> = (settings) =>
  new S3Client({ ...commonOptions(settings), forcePathStyle: settings.forcePathStyle });

export const createDynamo: ClientFactory<'dynamo'> = (settings) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(commonOptions(settings)), { marshallOptions: { removeUndefinedValues: true } });

export const createTextract: ClientFactory<'textract'> = (settings) => new TextractClient(commonOptions(settings));

export const createCognito: ClientFactory<'cognito'> = (settings) => new CognitoIdentityProviderClient(commonOptions(settings));
