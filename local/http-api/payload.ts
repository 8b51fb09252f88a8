/**
 * Payload format 2.0 of HTTP API Lambda integrations: the event API Gateway sends the function, and how it reads the
 * function's result back into an HTTP answer.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { JwtContext } from './jwt-authorizer';

export interface RequestFacts {
  req: IncomingMessage;
  rawPath: string;
  rawQueryString: string;
  body: Buffer;
  routeKey: string;
  pathParameters: Record<string, string>;
  apiId: string;
  accountId: string;
  requestId: string;
  nowMs: number;
  /** Present on a route with a JWT authorizer. */
  jwt?: JwtContext;
}

/** Bodies of these types reach the function as text; any other body is base64-encoded, as API Gateway does. */
const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml)\b|application\/[\w.+-]+\+(json|xml)\b)/i;

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
export function apiGatewayRequestId(): string {
  return randomBytes(11).toString('base64');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the CLF time of `requestContext.time`. */
function clfTime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

/** Repeated headers and query parameters are joined with commas; cookies travel apart from the headers. */
function requestHeaders(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    const name = req.rawHeaders[index]!.toLowerCase();
    const value = req.rawHeaders[index + 1]!;
    if (name === 'cookie')
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

export function apiGatewayEvent(facts: RequestFacts) {
  const { req, rawPath, rawQueryString, body, nowMs } = facts;
  const { headers, cookies } = requestHeaders(req);
  const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const host = (headers.host ?? '').replace(/:\d+$/, '');
  Object.assign(headers, {
    'x-forwarded-for': sourceIp,
    'x-forwarded-port': String(req.socket.localPort ?? ''),
    'x-forwarded-proto': 'http',
    'x-amzn-trace-id': `Root=1-${Math.floor(nowMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
  });
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(',');
  const binary = body.length > 0 && !TEXT_TYPE.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey: facts.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString !== '' ? { queryStringParameters } : {}),
    requestContext: {
      accountId: facts.accountId,
      apiId: facts.apiId,
      ...(facts.jwt ? { authorizer: { jwt: facts.jwt } } : {}),
      domainName: host,
      domainPrefix: host.split('.')[0] ?? '',
      http: {
        method: req.method ?? '',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: facts.requestId,
      routeKey: facts.routeKey,
      stage: '$default',
      time: clfTime(nowMs),
      timeEpoch: nowMs,
    },
    ...(body.length > 0 ? { body: body.toString(binary ? 'base64' : 'utf8') } : {}),
    ...(Object.keys(facts.pathParameters).length > 0 ? { pathParameters: facts.pathParameters } : {}),
    isBase64Encoded: binary,
  };
}

export interface HttpAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The answer a function's result makes: a result with `statusCode` is taken as `{ statusCode, headers, cookies,
 * body, isBase64Encoded }`; any other result is a 200 JSON body (a string as it is, anything else as JSON). Returns
 * the reason instead when the result is malformed, which API Gateway answers with a 500.
 */
export function answerFromResult(result: unknown): HttpAnswer | { malformed: string } {
  if (!isObject(result) || result.statusCode === undefined) {
    const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
  }
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { malformed: `statusCode ${JSON.stringify(statusCode)} is not an HTTP status` };
  }
  if (!isObject(headers) || Object.values(headers).some((value) => isObject(value) || Array.isArray(value))) {
    return { malformed: 'headers must map names to single values' };
  }
  if (!Array.isArray(cookies) || cookies.some((cookie) => typeof cookie !== 'string')) {
    return { malformed: 'cookies must be a list of strings' };
  }
  if (typeof body !== 'string') return { malformed: `body must be a string, got ${typeof body}` };
  const answerHeaders: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) answerHeaders[name.toLowerCase()] = String(value);
  if (cookies.length > 0) answerHeaders['set-cookie'] = cookies as string[];
  return { status: statusCode, headers: answerHeaders, body: Buffer.from(body, isBase64Encoded === true ? 'base64' : 'utf8') };
}
