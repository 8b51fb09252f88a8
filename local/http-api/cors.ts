/**
 * An HTTP API's CorsConfiguration, applied as API Gateway applies it: a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered by the API itself, before any route, authorizer or function; other
 * answers to an allowed origin carry Access-Control-Allow-Origin, and the integration's own CORS headers are dropped.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { wildcard } from '../s3/cors';
import type { TemplateValue } from '../template/load-template';

export interface HttpApiCors {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
  allowCredentials: boolean;
}

function strings(value: TemplateValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Resolved CorsConfiguration of an `AWS::Serverless::HttpApi`; SAM's `true` allows every origin. */
export function httpApiCorsFromTemplate(configuration: TemplateValue | undefined): HttpApiCors | undefined {
  if (configuration === undefined || configuration === false) return undefined;
  const properties = configuration && typeof configuration === 'object' && !Array.isArray(configuration) ? configuration : {};
  return {
    allowOrigins: configuration === true ? ['*'] : strings(properties.AllowOrigins),
    allowMethods: strings(properties.AllowMethods).map((method) => method.toUpperCase()),
    allowHeaders: strings(properties.AllowHeaders).map((header) => header.toLowerCase()),
    exposeHeaders: strings(properties.ExposeHeaders),
    ...(properties.MaxAge !== undefined ? { maxAgeSeconds: Number(properties.MaxAge) } : {}),
    allowCredentials: properties.AllowCredentials === true || properties.AllowCredentials === 'true',
  };
}

export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

function allowedOrigin(cors: HttpApiCors, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  if (cors.allowOrigins.includes('*')) return '*';
  return cors.allowOrigins.some((pattern) => wildcard(pattern).test(origin)) ? origin : undefined;
}

/** The preflight answer's headers: none unless the origin, the method and every requested header are allowed. */
export function preflightHeaders(cors: HttpApiCors, headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const origin = allowedOrigin(cors, headers.origin);
  const method = String(headers['access-control-request-method']).toUpperCase();
  const requested = String(headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((header) => header.trim().toLowerCase())
    .filter(Boolean);
  const methodAllowed = cors.allowMethods.includes('*') || cors.allowMethods.includes(method);
  const headersAllowed = cors.allowHeaders.includes('*') || requested.every((header) => cors.allowHeaders.includes(header));
  if (!origin || !methodAllowed || !headersAllowed) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': cors.allowMethods.join(','),
    ...(cors.allowHeaders.length > 0 ? { 'access-control-allow-headers': cors.allowHeaders.join(',') } : {}),
    ...(cors.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(cors.maxAgeSeconds) } : {}),
    ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
  };
}

/** The CORS headers of an actual answer to `origin`. */
export function responseCorsHeaders(cors: HttpApiCors, origin: string | undefined): OutgoingHttpHeaders {
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return {};
  return {
    'access-control-allow-origin': allowed,
    ...(cors.exposeHeaders.length > 0 ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') } : {}),
    ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
  };
}
