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
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadClientSettings } from './config';

const settings = loadClientSettings(process.env);

function commonOptions(timeoutMs = settings.callTimeoutMs) {
  return {
    maxAttempts: settings.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // Without this the handler only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    }),
  };
}

let rekognitionClient: RekognitionClient | undefined;
let s3Client: S3Client | undefined;
let documentClient: DynamoDBDocumentClient | undefined;
let textractClient: TextractClient | undefined;

export function rekognition(): RekognitionClient {
  rekognitionClient ??= new RekognitionClient(commonOptions());
  return rekognitionClient;
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
  textractClient ??= new TextractClient(commonOptions(settings.documentCheckTimeoutMs));
  return textractClient;
}
