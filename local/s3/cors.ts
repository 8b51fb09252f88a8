/**
 * A bucket's CORS rules (template.yaml `CorsConfiguration.CorsRules`) evaluated as S3 evaluates them: the first
 * rule whose origin, method and (for preflights) every requested header match decides; `*` is a wildcard in
 * origins and headers.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */
import type { TemplateValue } from '../template/load-template';
import { S3Error } from './s3-error';

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAgeSeconds?: number;
}

/** A pattern where `*` stands for any text, matched without regard to case. */
export function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
}

function strings(value: TemplateValue | undefined): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Reads resolved `CorsConfiguration` properties of an `AWS::S3::Bucket`. */
export function corsRulesFromTemplate(corsConfiguration: TemplateValue | undefined): CorsRule[] {
  const rules =
    corsConfiguration && typeof corsConfiguration === 'object' && !Array.isArray(corsConfiguration)
      ? corsConfiguration.CorsRules
      : undefined;
  return (Array.isArray(rules) ? rules : []).map((rule) => {
    const properties = (rule ?? {}) as Record<string, TemplateValue>;
    return {
      allowedOrigins: strings(properties.AllowedOrigins),
      allowedMethods: strings(properties.AllowedMethods).map((method) => method.toUpperCase()),
      allowedHeaders: strings(properties.AllowedHeaders),
      exposedHeaders: strings(properties.ExposedHeaders),
      ...(properties.MaxAge !== undefined ? { maxAgeSeconds: Number(properties.MaxAge) } : {}),
    };
  });
}

function matchingRule(rules: CorsRule[], origin: string, method: string, requestedHeaders: string[]): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedOrigins.some((pattern) => wildcard(pattern).test(origin)) &&
      rule.allowedMethods.includes(method.toUpperCase()) &&
      requestedHeaders.every((header) => rule.allowedHeaders.some((pattern) => wildcard(pattern).test(header))),
  );
}

function allowOrigin(rule: CorsRule, origin: string): string {
  return rule.allowedOrigins.includes('*') ? '*' : origin;
}

/** The headers answering a preflight (OPTIONS) request, or S3's 403 CORSResponse refusal. */
export function preflightHeaders(
  rules: CorsRule[],
  origin: string | undefined,
  method: string | undefined,
  requestHeaders: string | undefined,
): Record<string, string> {
  if (!origin) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.', 400);
  if (!method) throw new S3Error('BadRequest', 'Invalid Access-Control-Request-Method: null', 400);
  const requested = (requestHeaders ?? '')
    .split(',')
    .map((header) => header.trim().toLowerCase())
    .filter(Boolean);
  if (rules.length === 0) throw new S3Error('CORSResponse', 'CORS is not enabled for this bucket.', 403);
  const rule = matchingRule(rules, origin, method, requested);
  if (!rule) {
    throw new S3Error(
      'CORSResponse',
      'This CORS request is not allowed. This is usually because the evalution of Origin, request method / ' +
        "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      403,
    );
  }
  return {
    'access-control-allow-origin': allowOrigin(rule, origin),
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(requested.length > 0 ? { 'access-control-allow-headers': requested.join(', ') } : {}),
    ...(rule.exposedHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposedHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

/** The headers S3 adds to an actual cross-origin request that a rule allows (none when no rule does). */
export function corsResponseHeaders(rules: CorsRule[], origin: string | undefined, method: string): Record<string, string> {
  if (!origin) return {};
  const rule = matchingRule(rules, origin, method, []);
  if (!rule) return {};
  return {
    'access-control-allow-origin': allowOrigin(rule, origin),
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(rule.exposedHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposedHeaders.join(', ') } : {}),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}
