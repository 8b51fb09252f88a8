/**
 * Local S3: s3rver (an S3-compatible server storing objects under the data folder) on an internal port, behind a
 * gate on the public port that does what s3rver does not: enforces browser POST uploads' policies and their SigV4
 * signatures, refuses every other request without a valid SigV4 signature (header or presigned query; s3rver
 * would serve it anonymously), answers CORS for the buckets' rules from the template, and refuses reading a missing
 * object with 403 AccessDenied, as S3 answers a role without s3:ListBucket (the stack grants none), instead of
 * s3rver's 404, refuses keys s3rver would store elsewhere than their place (see store-path), and passes a bucket's
 * requests on one at a time (see forwardInTurn). What passes is forwarded unchanged (Host included), except a POST
 * upload's form: s3rver gets one the gate writes from the fields the policy checked and the file.
 */
import { EventEmitter } from 'node:events';
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { startListener } from '../aws/listener';
import { requestTarget } from '../aws/request-reader';
import { freePort, LOCAL_HOST } from '../template/local-environment';
import { corsResponseHeaders, preflightHeaders, type CorsRule } from './cors';
import { buildMultipart, multipartBoundary, parseMultipart } from './multipart';
import { verifyPostPolicy } from './post-policy';
import { authenticateS3Request, readS3Body } from './request-auth';
import { invalidUri, S3Error, s3ErrorXml } from './s3-error';
import { checkPostKey, checkStorePaths } from './store-path';

export interface LocalBucket {
  name: string;
  cors: CorsRule[];
}

export interface LocalS3Options {
  port: number;
  /** s3rver's object store folder. */
  dataDir: string;
  buckets: LocalBucket[];
  region: string;
  /** Access key id -> secret: the only identities whose signatures (header, presigned query, POST policy) pass. */
  credentials: Record<string, string>;
  /** Largest body the gate reads: POST uploads, and signed bodies it checks the hash of (enrollment photos are at most 5 MB). */
  maxPostBytes?: number;
  log?: (line: string) => void;
}

/** An object creation as s3rver reports it, before it is shaped into an S3 event notification. */
export interface S3ObjectCreated {
  eventName: string;
  bucket: string;
  /** The raw key (not encoded). */
  key: string;
  size: number;
  eTag?: string;
  sourceIp: string;
  time: Date;
}

export interface LocalS3 {
  endpoint: string;
  port: number;
  /** Emits 'objectCreated' with an S3ObjectCreated. */
  events: EventEmitter;
  stop(): Promise<void>;
}

interface S3rverEvent {
  Records: Array<{
    eventName: string;
    eventTime: string;
    requestParameters: { sourceIPAddress: string };
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
  }>;
}

interface S3rverInstance extends EventEmitter {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
const s3rverAccounts = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };

const DEFAULT_MAX_POST_BYTES = 64 * 1024 * 1024;
/** s3rver answers loopback requests in milliseconds; one that has not answered by then is failed, not waited for. */
const UPSTREAM_TIMEOUT_MS = 30_000;

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  mkdirSync(options.dataDir, { recursive: true });
  for (const [id, secret] of Object.entries(options.credentials)) s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(id, secret);
  const internalPort = await freePort();
  const s3rver = new S3rver({
    address: LOCAL_HOST,
    port: internalPort,
    directory: options.dataDir,
    silent: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map(({ name }) => ({ name })),
  });
  await s3rver.run();
  const events = new EventEmitter();
  s3rver.on('event', (event: S3rverEvent) => {
    for (const record of event.Records) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      const created: S3ObjectCreated = {
        eventName: record.eventName,
        bucket: record.s3.bucket.name,
        key: record.s3.object.key,
        size: record.s3.object.size ?? 0,
        ...(record.s3.object.eTag ? { eTag: record.s3.object.eTag } : {}),
        sourceIp: record.requestParameters.sourceIPAddress,
        time: new Date(record.eventTime),
      };
      events.emit('objectCreated', created);
    }
  });

  const corsByBucket = new Map(options.buckets.map((bucket) => [bucket.name, bucket.cors]));
  const maxPostBytes = options.maxPostBytes ?? DEFAULT_MAX_POST_BYTES;

  /**
   * Sends the request on to s3rver (with `body`, and `headers` if given instead of the caller's) and its answer back.
   * The answer is read whole before it is sent on, so that the exchange with s3rver ends when s3rver is done, however
   * slowly the caller reads; the promise settles then.
   */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    extraHeaders: Record<string, string>,
    body: Buffer,
    { isObjectRead = false, headers = req.headers }: { isObjectRead?: boolean; headers?: IncomingHttpHeaders } = {},
  ): Promise<void> =>
    new Promise((resolve) => {
      const fail = (error: Error) => {
        refuseInternal(res, `local S3 store unavailable: ${error.message}`, extraHeaders);
        resolve();
      };
      const upstream = request({ host: LOCAL_HOST, port: internalPort, method: req.method, path: req.url, headers }, (upstreamResponse) => {
        const chunks: Buffer[] = [];
        upstreamResponse.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstreamResponse.on('error', fail);
        upstreamResponse.on('end', () => {
          if (isObjectRead && upstreamResponse.statusCode === 404) {
            refuse(res, new S3Error('AccessDenied', 'Access Denied', 403), extraHeaders, req.method === 'HEAD');
          } else {
            res.writeHead(upstreamResponse.statusCode ?? 502, { ...upstreamResponse.headers, ...extraHeaders });
            res.end(Buffer.concat(chunks));
          }
          resolve();
        });
      });
      upstream.setTimeout(UPSTREAM_TIMEOUT_MS, () => upstream.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
      upstream.on('error', fail);
      upstream.end(body);
    });

  /**
   * s3rver keeps objects as files in folders: a delete removes each folder it leaves empty, and a write into that
   * folder at that moment failed (a 500, or an error event that ended the process); a read of an object while a write
   * replaced it never got an answer. S3 takes all of these at once. So a bucket's requests reach s3rver one at a time,
   * each until s3rver has answered it.
   */
  const requestsInTurn = new Map<string, Promise<unknown>>();
  const forwardInTurn = (bucket: string, ...args: Parameters<typeof forward>): Promise<void> => {
    const [, res] = args;
    // A caller that hung up while it waited is skipped.
    const turn = (requestsInTurn.get(bucket) ?? Promise.resolve()).then(() => (res.destroyed ? undefined : forward(...args)));
    // The next request waits for this one to end, however it ends.
    const ended = turn.catch(() => undefined);
    requestsInTurn.set(bucket, ended);
    void ended.then(() => requestsInTurn.get(bucket) === ended && requestsInTurn.delete(bucket));
    return turn;
  };

  /** S3's error answer; a HEAD gets the status alone, as S3 sends no body to a HEAD. */
  const refuse = (res: ServerResponse, error: S3Error, extraHeaders: Record<string, string>, statusOnly = false) => {
    if (res.headersSent) return res.destroy();
    if (statusOnly) {
      res.writeHead(error.status, { connection: 'close', ...extraHeaders });
      return res.end();
    }
    res.writeHead(error.status, { 'content-type': 'application/xml', connection: 'close', ...extraHeaders });
    res.end(s3ErrorXml(error));
  };

  /** S3's words for a failure of its own; why goes to the log only. */
  const refuseInternal = (res: ServerResponse, why: string, extraHeaders: Record<string, string>) => {
    options.log?.(`internal error: ${why}`);
    refuse(res, new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500), extraHeaders);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestTarget(req.url);
    if (!url) throw invalidUri();
    const bucket = decodeBucketName(url.pathname);
    const rules = corsByBucket.get(bucket) ?? [];
    const origin = req.headers.origin;
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      const headers = preflightHeaders(
        rules,
        origin,
        req.headers['access-control-request-method'] as string | undefined,
        req.headers['access-control-request-headers'] as string | undefined,
      );
      res.writeHead(200, headers);
      return res.end();
    }
    const cors = corsResponseHeaders(rules, origin, method);
    const isBrowserPost = method === 'POST' && bucket !== '' && /^\/[^/]+\/?$/.test(url.pathname) && url.search === '';
    // A missing key of one of the stack's buckets; a missing bucket stays s3rver's 404 NoSuchBucket, as on S3.
    const isObjectRead = (method === 'GET' || method === 'HEAD') && corsByBucket.has(bucket) && /^\/[^/]+\/./.test(url.pathname);
    if (!isBrowserPost) {
      try {
        const { body } = await authenticateS3Request(req, {
          region: options.region,
          credentials: options.credentials,
          now: Date.now(),
          maxBodyBytes: maxPostBytes,
        });
        checkStorePaths(req, url, bucket, body);
        return await forwardInTurn(bucket, req, res, cors, body, { isObjectRead });
      } catch (error) {
        if (!(error instanceof S3Error)) throw error;
        options.log?.(`${method} ${url.pathname} refused: ${error.type}: ${error.message}`);
        return refuse(res, error, cors, method === 'HEAD');
      }
    }
    try {
      const boundary = multipartBoundary(req.headers['content-type']);
      const body = await readS3Body(req, maxPostBytes);
      const accepted = await verifyPostPolicy(parseMultipart(body, boundary), {
        bucket,
        region: options.region,
        credentials: options.credentials,
        now: new Date(),
      });
      checkPostKey(req, bucket, accepted.key);
      options.log?.(`POST s3://${bucket}/${accepted.key} (${accepted.file.data.length} bytes) accepted by its policy`);
      const checked = buildMultipart(accepted.fields, accepted.file.data);
      const { 'transfer-encoding': _chunked, ...headers } = req.headers;
      await forwardInTurn(bucket, req, res, cors, checked.body, {
        headers: { ...headers, 'content-type': checked.contentType, 'content-length': String(checked.body.length) },
      });
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      options.log?.(`POST s3://${bucket} refused: ${error.type}: ${error.message}`);
      refuse(res, error, cors);
    }
  };

  // The shared listener: idle keep-alive connections stay open as long as the SDK may reuse them.
  const gate = await startListener(
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof S3Error) refuse(res, error, {});
        else refuseInternal(res, String(error), {});
      });
    },
    { host: LOCAL_HOST, port: options.port },
  ).catch(async (error: unknown) => {
    await s3rver.close();
    throw error;
  });
  return {
    endpoint: gate.endpoint,
    port: gate.port,
    events,
    stop: async () => {
      await gate.close();
      await s3rver.close();
    },
  };
}

/** The path's first segment, decoded; a malformed escape is S3's InvalidURI, not a failure of the gate. */
function decodeBucketName(pathname: string): string {
  try {
    return decodeURIComponent(pathname.split('/')[1] ?? '');
  } catch {
    throw invalidUri();
  }
}
