/** Reading a request body with a size cap, for the local AWS endpoints. */
import type { IncomingMessage } from 'node:http';
import { AwsError } from './errors';

/** Named as AWS's JSON services name it; S3 and SES answer their own exceptions for it. */
export class BodyTooLargeError extends AwsError {
  constructor(
    readonly limit: number,
    readonly size: number,
  ) {
    super('RequestEntityTooLargeException', `Request body of at least ${size} bytes exceeds the ${limit}-byte limit.`, 413);
  }
}

/** The client hung up before its body ended. */
export class RequestAbortedError extends AwsError {
  constructor() {
    super('RequestAbortedException', 'The client closed the request before its body ended.');
  }
}

/** The whole body; refuses as soon as the declared or received size passes `maxBytes`, without buffering the rest. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    throw new BodyTooLargeError(maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        req.resume();
        throw new BodyTooLargeError(maxBytes, size);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError || req.complete) throw error;
    throw new RequestAbortedError();
  }
  return Buffer.concat(chunks);
}
