/**
 * Answers a CloudFormation custom resource request by PUTting the result to its presigned ResponseURL.
 * Without this answer a stack waits an hour for the resource, so every outcome must reach it.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export interface CustomResourceResult {
  status: 'SUCCESS' | 'FAILED';
  physicalResourceId: string;
  reason?: string;
  data?: Record<string, string>;
}

export async function sendCustomResourceResponse(
  event: CloudFormationCustomResourceEvent,
  result: CustomResourceResult,
  logStreamName: string,
): Promise<void> {
  const body = JSON.stringify({
    Status: result.status,
    Reason: result.reason ?? `See CloudWatch log stream ${logStreamName}`,
    PhysicalResourceId: result.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: result.data ?? {},
  });
  // The URL is presigned without a content type, so none may be sent.
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
  });
  if (!response.ok) throw new Error(`CloudFormation response was refused with HTTP ${response.status}`);
}
