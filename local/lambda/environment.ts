/**
 * The process.env a function's container gets: what Lambda's runtime sets (name, memory, region, log group, task
 * root), the local stack's dummy credentials, the standard AWS SDK endpoint variables pointing at the local
 * stand-ins, over the function's own template environment. Nothing else of the host leaks in.
 */
import { dirname } from 'node:path';
import { LOCAL_CREDENTIALS } from '../template/local-environment';
import type { LambdaFunctionSpec } from './runner';

export interface LocalEndpoints {
  s3: string;
  dynamodb: string;
  rekognition?: string;
  textract?: string;
  /** SES v2 SendEmail into the dev mailbox. */
  sesv2?: string;
  /** The Cognito emulator, for the functions that manage users (ListUsers, AdminDeleteUser). */
  cognito?: string;
}

export function lambdaEnvironment(
  spec: Omit<LambdaFunctionSpec, 'environment'>,
  region: string,
  endpoints: LocalEndpoints,
  templateEnvironment: Record<string, string>,
): Record<string, string> {
  return {
    ...templateEnvironment,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    _HANDLER: `index.${spec.handlerExport}`,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    LAMBDA_TASK_ROOT: dirname(spec.bundlePath),
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    // s3rver understands neither the flexible checksums nor aws-chunked bodies newer SDKs send by default.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.rekognition ? { AWS_ENDPOINT_URL_REKOGNITION: endpoints.rekognition } : {}),
    ...(endpoints.textract ? { AWS_ENDPOINT_URL_TEXTRACT: endpoints.textract } : {}),
    ...(endpoints.sesv2 ? { AWS_ENDPOINT_URL_SESV2: endpoints.sesv2 } : {}),
    ...(endpoints.cognito ? { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoints.cognito } : {}),
    // An S3-compatible server on one host:port needs path-style URLs, whatever the template's default says.
    S3_FORCE_PATH_STYLE: 'true',
    // The functions run on Node 22 on Lambda; a Node 20 host would otherwise get the SDK's upgrade notice in every log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
