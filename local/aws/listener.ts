/**
 * The HTTP part every local AWS endpoint shares: a listener on a loopback host and port, and JSON answers with the
 * headers AWS sends (`x-amzn-RequestId`, and `x-amzn-ErrorType` on a refusal). Protocols build on it: the JSON 1.1
 * dispatcher (json-protocol.ts), SES's REST-JSON, the Cognito emulator's extra routes.
 *
 *   const listener = await startListener((req, res) => sendJson(res, 200, { ok: true }), { host: '127.0.0.1', port: 0 });
 *   // listener.endpoint, e.g. http://127.0.0.1:43117; then await listener.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type OutgoingHttpHeaders, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsError } from './errors';

export interface ListenerAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * On close, let requests in progress finish (a long image analysis) instead of dropping every connection at once.
   * Idle keep-alive connections are closed either way.
   */
  finishRequestsOnClose?: boolean;
}

export interface Listener {
  /** `http://<host>:<port>`, the host as given (bracketed if IPv6). */
  endpoint: string;
  port: number;
  /** Idempotent: a stack's shutdown and a failed start may both close it. */
  close(): Promise<void>;
}

/** How long an idle keep-alive connection stays open. */
export const IDLE_CONNECTION_MS = 65_000;

export async function startListener(handler: RequestListener, address: ListenerAddress): Promise<Listener> {
  const server = createServer(handler);
  // The SDK's agent reuses idle sockets with no timeout of its own. With Node's 5 s default the server closed them, and
  // a call made as it did failed with "socket hang up" (a test's call 5 s after the previous one, a liveness stream
  // apart). Longer than any pause in a flow, as AWS's own endpoints keep idle connections.
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  server.headersTimeout = IDLE_CONNECTION_MS + 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if (address.finishRequestsOnClose) server.closeIdleConnections();
        else server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A JSON answer; `headers` add to or override the defaults (JSON content type, a new request id). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    ...headers,
    'content-length': payload.length,
  });
  res.end(payload);
}

/**
 * A refusal as AWS's JSON protocols write it: the exception name in `x-amzn-ErrorType` (the SDK reads it from there
 * or from the body's `__type`), the status of the error, and the body the protocol gives it (SES: `{ message }`).
 */
export function sendJsonError(
  res: ServerResponse,
  error: AwsError,
  body: Record<string, unknown> = { message: error.message },
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(res, error.status, body, { 'x-amzn-errortype': error.type, ...headers });
}
