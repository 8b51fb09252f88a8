/** Reading a request body with a size cap, for the local AWS endpoints. */
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(
    readonly limit: number,
    readonly size: number,
  ) {
    super(`request body of at least ${size} bytes exceeds the ${limit}-byte limit`);
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
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new BodyTooLargeError(maxBytes, size);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
