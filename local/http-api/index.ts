/**
 * A local API Gateway HTTP API: one listener per `AWS::Serverless::HttpApi` of the template, with its routes, JWT
 * authorizers and CORS, invoking each route's function with the payload format 2.0 event.
 *
 *   const api = await startHttpApi({ host: '127.0.0.1', port: 0, apiId: 'abcde12345', region, accountId, routes, cors,
 *     invoke: (logicalId, event) => runner.invoke(logicalId, event), log });
 *   // api.endpoint, e.g. http://127.0.0.1:43117; then await api.close();
 *
 * Gateway answers, as API Gateway gives them: 404 `Not Found` (no route), 401 `Unauthorized` (token missing or
 * invalid; the function is not invoked), 403 `Forbidden` (no required scope), 413 `Request Entity Too Large` (over
 * 10 MB) or `Request Too Long` (an event over Lambda's 6 MB), 500 `Internal Server Error` (the function failed, or
 * its result is malformed), 503 `Service Unavailable` (no result within the route's TimeoutInMillis). Why is logged,
 * never answered.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, RequestAbortedError } from '../aws/body';
import { systemClock, type Clock } from '../aws/clock';
import { sendJson, startListener, type Listener } from '../aws/listener';
import type { LambdaErrorPayload } from '../lambda/runner';
import { isPreflight, preflightHeaders, responseCorsHeaders, type HttpApiCors } from './cors';
import { JwtVerifier, type JwtAuthorizer, type JwtContext } from './jwt-authorizer';
import { answerFromResult, apiGatewayEvent, apiGatewayRequestId, type HttpAnswer } from './payload';
import { RouteTable } from './routes';

export type { HttpApiCors } from './cors';
export type { JwtAuthorizer } from './jwt-authorizer';

export interface HttpApiRoute {
  /** `POST /account/id-photo`, `ANY /{proxy+}` or `$default`. */
  routeKey: string;
  functionLogicalId: string;
  authorizer?: JwtAuthorizer;
  /** Scopes the token must hold one of; empty for none. */
  authorizationScopes: string[];
  timeoutMs: number;
}

export interface HttpApiOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  apiId: string;
  accountId: string;
  routes: HttpApiRoute[];
  cors?: HttpApiCors;
  /** Runs the route's function (the Lambda runner's invoke). */
  invoke(functionLogicalId: string, event: unknown): Promise<{ payload?: unknown; error?: LambdaErrorPayload }>;
  /** Why a request was refused or failed. */
  log(line: string): void;
  /** For token expiry and the event's time. */
  clock?: Clock;
  /** API Gateway's payload limit. */
  maxBodyBytes?: number;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Lambda's limit for a synchronous invocation's event. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;

class GatewayRefusal {
  constructor(
    readonly status: number,
    readonly message: string,
    /** For the log. */
    readonly reason: string,
  ) {}
}

function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startHttpApi(options: HttpApiOptions): Promise<Listener> {
  const clock = options.clock ?? systemClock;
  const routes = new RouteTable(options.routes);
  const verifier = new JwtVerifier(clock);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  /** The function's answer, or the refusal API Gateway makes instead. */
  async function integrate(req: IncomingMessage, requestId: string): Promise<HttpAnswer> {
    const url = req.url ?? '/';
    const question = url.indexOf('?');
    const rawPath = question < 0 ? url : url.slice(0, question);
    const rawQueryString = question < 0 ? '' : url.slice(question + 1);
    let match: ReturnType<typeof routes.match>;
    try {
      match = rawPath.startsWith('/') ? routes.match(req.method ?? '', rawPath) : undefined;
    } catch {
      throw new GatewayRefusal(400, 'Bad Request', `malformed escape in the path ${rawPath}`);
    }
    if (!match) throw new GatewayRefusal(404, 'Not Found', `no route for ${req.method} ${rawPath}`);
    const { route, pathParameters } = match;
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new GatewayRefusal(413, 'Request Entity Too Large', error.message);
      throw error;
    }
    let jwt: JwtContext | undefined;
    if (route.authorizer) {
      const token = JwtVerifier.token(route.authorizer.identitySource, req.headers, new URLSearchParams(rawQueryString));
      const verdict = await verifier.authorize(route.authorizer, token, route.authorizationScopes);
      if ('status' in verdict) {
        throw new GatewayRefusal(verdict.status, verdict.status === 401 ? 'Unauthorized' : 'Forbidden', verdict.reason);
      }
      jwt = verdict;
    }
    const event = apiGatewayEvent({
      req,
      rawPath,
      rawQueryString,
      body,
      routeKey: route.routeKey,
      pathParameters,
      apiId: options.apiId,
      accountId: options.accountId,
      requestId,
      nowMs: clock(),
      ...(jwt ? { jwt } : {}),
    });
    const eventBytes = Buffer.byteLength(JSON.stringify(event));
    if (eventBytes > MAX_EVENT_BYTES) {
      throw new GatewayRefusal(413, 'Request Too Long', `the event of ${eventBytes} bytes exceeds Lambda's ${MAX_EVENT_BYTES}`);
    }
    const outcome = await within(options.invoke(route.functionLogicalId, event), route.timeoutMs);
    if (outcome === 'timeout') {
      throw new GatewayRefusal(503, 'Service Unavailable', `${route.functionLogicalId} gave no result within ${route.timeoutMs} ms`);
    }
    if (outcome.error) {
      const { errorType, errorMessage } = outcome.error;
      throw new GatewayRefusal(500, 'Internal Server Error', `${route.functionLogicalId} failed: ${errorType}: ${errorMessage}`);
    }
    const answer = answerFromResult(outcome.payload);
    if ('malformed' in answer) {
      throw new GatewayRefusal(500, 'Internal Server Error', `${route.functionLogicalId} returned a malformed result: ${answer.malformed}`);
    }
    return answer;
  }

  /** The function's answer; the integration's own CORS headers give way to the API's. */
  function send(res: ServerResponse, answer: HttpAnswer, extraHeaders: OutgoingHttpHeaders): void {
    const headers = Object.fromEntries(
      Object.entries(answer.headers).filter(([name]) => !(options.cors && name.startsWith('access-control-'))),
    );
    res.writeHead(answer.status, { ...headers, ...extraHeaders, 'content-length': answer.body.length });
    res.end(answer.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = apiGatewayRequestId();
    const idHeader = { 'apigw-requestid': requestId };
    if (options.cors && isPreflight(req.method, req.headers)) {
      res.writeHead(204, { ...preflightHeaders(options.cors, req.headers), ...idHeader });
      res.end();
      return;
    }
    const headers = { ...(options.cors ? responseCorsHeaders(options.cors, req.headers.origin) : {}), ...idHeader };
    try {
      send(res, await integrate(req, requestId), headers);
    } catch (error) {
      // A client that hung up mid-body gets no answer.
      if (error instanceof RequestAbortedError) return;
      const refusal =
        error instanceof GatewayRefusal
          ? error
          : new GatewayRefusal(500, 'Internal Server Error', `the local HTTP API failed: ${(error as Error).stack ?? String(error)}`);
      // The path only: a query string may carry a token (an authorizer's $request.querystring source).
      options.log(`${req.method} ${(req.url ?? '').split('?')[0]} ${refusal.status} (request ${requestId}): ${refusal.reason}`);
      sendJson(res, refusal.status, { message: refusal.message }, headers);
    }
  }

  return startListener((req, res) => void handle(req, res), { host: options.host, port: options.port });
}
