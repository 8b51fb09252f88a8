/**
 * Serves the built web app (dist/app, from `npm run build:app`) and its runtime `/config.json`, with a strict
 * Content-Security-Policy: scripts, styles, the model and the wasm only from this origin, network calls only to
 * the endpoints the config names (plus `connectSources`, e.g. the S3 origin the upload URLs point at).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseAppConfig, type AppConfig } from '../../app/src/config';
import { requestTarget } from '../aws/request-reader';

export interface AppServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  distDir: string;
  config: AppConfig;
  /** Further origins the page may call (the S3 endpoint of the presigned uploads). */
  connectSources?: string[];
}

export interface AppServer {
  url: string;
  server: Server;
  contentSecurityPolicy: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '': 'text/plain; charset=utf-8',
};

/** The streaming SDK takes the liveness endpoint as https:// and opens a wss:// socket to the same host. */
function livenessOrigin(url: string): string {
  return `wss://${new URL(url).host}`;
}

/** The policy for this config: everything 'self', plus exactly the endpoints the app is told to call. */
export function contentSecurityPolicy(config: AppConfig, connectSources: string[] = []): string {
  const connect = new Set(["'self'"]);
  for (const url of [config.userPoolEndpoint, config.accountApiUrl, ...connectSources]) {
    if (url) connect.add(new URL(url).origin);
  }
  if (config.liveness.endpointOverride) connect.add(livenessOrigin(config.liveness.endpointOverride));
  if (!config.userPoolEndpoint) connect.add(`https://cognito-idp.${config.region}.amazonaws.com`);
  if (config.identityPoolId) connect.add(`https://cognito-identity.${config.region}.amazonaws.com`);
  if (!config.liveness.endpointOverride) connect.add(`wss://streaming-rekognition.${config.region}.amazonaws.com`);
  return [
    "default-src 'none'",
    // tfjs-backend-wasm compiles its module at run time; nothing else may evaluate code.
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src ${[...connect].join(' ')}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  // HEAD gets the headers of the GET, without the body.
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Maps a URL path inside distDir, or undefined when it would leave it. */
function fileFor(distDir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = normalize(join(distDir, decoded === '/' ? 'index.html' : decoded));
  return file.startsWith(distDir + sep) ? file : undefined;
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const distDir = resolve(options.distDir);
  // Refuse a bad config here rather than serve an app that cannot start.
  const config = parseAppConfig(JSON.parse(JSON.stringify(options.config)));
  const indexStat = await stat(join(distDir, 'index.html')).catch(() => undefined);
  if (!indexStat?.isFile()) throw new Error(`${distDir}/index.html is missing: run \`npm run build:app\` first`);

  const policy = contentSecurityPolicy(config, options.connectSources);
  const configBody = JSON.stringify(config, null, 2);
  const securityHeaders = {
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { ...securityHeaders, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }, 'method not allowed\n');
    }
    const pathname = requestTarget(req.url)?.pathname;
    if (pathname === undefined) {
      return send(res, 400, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' }, 'bad request\n');
    }
    if (pathname === '/config.json') {
      return send(res, 200, { ...securityHeaders, 'Content-Type': CONTENT_TYPES['.json']!, 'Cache-Control': 'no-store' }, configBody);
    }
    const file = fileFor(distDir, pathname);
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile()) {
      return send(res, 404, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' }, 'not found\n');
    }
    const body = await readFile(file);
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    send(res, 200, { ...securityHeaders, 'Content-Type': type, 'Cache-Control': 'no-cache' }, body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { 'Content-Type': 'text/plain' }, 'internal error\n');
      console.error('app server:', error);
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, options.host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    server,
    contentSecurityPolicy: policy,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        server.closeAllConnections();
        server.close((error) => (error ? rejectClose(error) : resolveClose()));
      }),
  };
}
