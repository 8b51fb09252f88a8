/**
 * AWS clients, created once per container. Every call gets a connection and request timeout and a bounded
 * number of attempts so a Cognito trigger answers inside its 5 s budget. Endpoints are never set here: the
 * SDK reads AWS_ENDPOINT_URL_<SERVICE> itself, which is how the local stack redirects the same code.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadClientSettings } from './config';
import { currentAbortSignal } from './deadline';

const settings = loadClientSettings(process.env);

function commonOptions() {
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

let rekognitionClient: RekognitionClient | undefined;
let sesClient: SESv2Client | undefined;
let s3Client: S3Client | undefined;
let documentClient: DynamoDBDocumentClient | undefined;
let textractClient: TextractClient | undefined;

export function rekognition(): RekognitionClient {
  rekognitionClient ??= new RekognitionClient(commonOptions());
  return rekognitionClient;
}

export function ses(): SESv2Client {
  sesClient ??= new SESv2Client(commonOptions());
  return sesClient;
}

export function s3(): S3Client {
  s3Client ??= new S3Client({ ...commonOptions(), forcePathStyle: settings.forcePathStyle });
  return s3Client;
}

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient(commonOptions()), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function textract(): TextractClient {
  textractClient ??= new TextractClient(commonOptions());
  return textractClient;
}
