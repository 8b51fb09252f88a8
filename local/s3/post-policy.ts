/**
 * Enforces a browser-based POST upload as S3 does: the SigV4 signature over the base64 policy, the policy's
 * expiration, every condition (exact match, starts-with, content-length-range, bucket), and that every form field
 * is covered by a condition. Refusals carry S3's codes and messages.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
import { timingSafeEqual } from 'node:crypto';
import { signString } from '../aws/sigv4';
import type { FormField, FormFile, MultipartForm } from './multipart';
import { S3Error } from './s3-error';

export interface PostPolicyContext {
  bucket: string;
  region: string;
  /** Access key id -> secret access key. */
  credentials: Record<string, string>;
  now: Date;
}

export interface AcceptedPost {
  key: string;
  /** The fields a policy condition checked, under their lower-case names, in the form's order. */
  fields: FormField[];
  file: FormFile;
}

type Condition =
  | { kind: 'eq' | 'starts-with'; field: string; value: string; text: string }
  | { kind: 'content-length-range'; min: number; max: number; text: string };

/** Fields S3 never requires a condition for. */
const UNCONDITIONED_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

function denied(reason: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${reason}`, 403);
}

function invalidPolicy(reason: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${reason}`, 400);
}

function conditionText(parts: Array<string | number>): string {
  return `[${parts.map((part) => JSON.stringify(part)).join(', ')}]`;
}

function parseCondition(raw: unknown): Condition {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const entries = Object.entries(raw);
    const [field, value] = entries[0] ?? [];
    if (entries.length !== 1 || typeof field !== 'string' || typeof value !== 'string') {
      throw invalidPolicy(`Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.`);
    }
    return { kind: 'eq', field: field.toLowerCase(), value, text: conditionText(['eq', `$${field}`, value]) };
  }
  if (!Array.isArray(raw) || raw.length !== 3) throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
  const [operator, left, right] = raw as unknown[];
  const name = typeof operator === 'string' ? operator.toLowerCase() : '';
  if (name === 'content-length-range') {
    const min = Number(left);
    const max = Number(right);
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
      throw invalidPolicy(`Invalid content-length-range: ${JSON.stringify(raw)}`);
    }
    return { kind: 'content-length-range', min, max, text: conditionText(['content-length-range', min, max]) };
  }
  if ((name === 'eq' || name === 'starts-with') && typeof left === 'string' && left.startsWith('$') && typeof right === 'string') {
    return { kind: name, field: left.slice(1).toLowerCase(), value: right, text: conditionText([name, left, right]) };
  }
  throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
}

function parsePolicy(encoded: string): { expiration: Date; conditions: Condition[] } {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (!document || typeof document !== 'object') throw invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  const expires = new Date(expiration);
  if (Number.isNaN(expires.getTime())) throw invalidPolicy(`Invalid 'expiration' value: '${expiration}'`);
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy missing conditions.');
  return { expiration: expires, conditions: conditions.map(parseCondition) };
}

async function verifySignature(fields: Map<string, string>, context: PostPolicyContext, policy: string): Promise<void> {
  const algorithm = fields.get('x-amz-algorithm');
  const credential = fields.get('x-amz-credential');
  const date = fields.get('x-amz-date');
  const signature = fields.get('x-amz-signature');
  if (fields.has('awsaccesskeyid') || fields.has('signature')) {
    throw new S3Error(
      'InvalidArgument',
      'Signature Version 2 POST uploads are not supported by the local stack; sign with SigV4 (AWS4-HMAC-SHA256).',
      400,
    );
  }
  for (const [name, value] of [
    ['x-amz-algorithm', algorithm],
    ['x-amz-credential', credential],
    ['x-amz-date', date],
    ['x-amz-signature', signature],
  ]) {
    if (!value) throw new S3Error('InvalidRequest', `Bucket POST must contain a field named '${name}'.`, 400);
  }
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    throw new S3Error(
      'InvalidRequest',
      `The authorization mechanism you have provided (${algorithm}) is not supported. Please use AWS4-HMAC-SHA256.`,
      400,
    );
  }
  const [accessKeyId, shortDate = '', region, service, terminator, ...rest] = (credential as string).split('/');
  if (!accessKeyId || !/^\d{8}$/.test(shortDate) || service !== 's3' || terminator !== 'aws4_request' || rest.length > 0) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `Error parsing the X-Amz-Credential parameter; the credential is malformed: ${credential}`,
      400,
    );
  }
  if (region !== context.region) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `Error parsing the X-Amz-Credential parameter; the region '${region}' is wrong; expecting '${context.region}'`,
      400,
    );
  }
  if (!(date as string).startsWith(shortDate)) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `Invalid credential date "${shortDate}". This date is not the same as X-Amz-Date: "${(date as string).slice(0, 8)}".`,
      400,
    );
  }
  const secret = Object.hasOwn(context.credentials, accessKeyId) ? context.credentials[accessKeyId] : undefined;
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, {
      AWSAccessKeyId: accessKeyId,
    });
  }
  const expected = Buffer.from(
    await signString(policy, { accessKeyId, secretAccessKey: secret }, { shortDate, region, service: 's3' }),
    'hex',
  );
  const provided = Buffer.from(signature as string, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      403,
    );
  }
}

/** Checks a parsed POST form for `bucket`; returns the key, the checked fields and the file to store, or throws S3's refusal. */
export async function verifyPostPolicy(form: MultipartForm, context: PostPolicyContext): Promise<AcceptedPost> {
  const fields = new Map<string, string>();
  for (const { name, value } of form.fields) fields.set(name.toLowerCase(), value);
  const key = fields.get('key');
  if (key === undefined)
    throw new S3Error(
      'InvalidArgument',
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      400,
      { ArgumentName: 'key' },
    );
  if (key.includes('${filename}'))
    throw new S3Error('NotImplemented', 'The local stack does not substitute ${filename} in POST keys.', 501);
  if (!form.file)
    throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', 400, {
      ArgumentName: 'file',
      ArgumentValue: '0',
    });
  const policy = fields.get('policy');
  // The bucket blocks public access: an upload without a signed policy is never anonymous-writable.
  if (policy === undefined) throw new S3Error('AccessDenied', 'Access Denied', 403);
  await verifySignature(fields, context, policy);
  const { expiration, conditions } = parsePolicy(policy);
  if (context.now.getTime() > expiration.getTime()) throw denied('Policy expired.');

  const size = form.file.data.length;
  const covered = new Set<string>();
  for (const condition of conditions) {
    if (condition.kind === 'content-length-range') {
      if (size > condition.max) {
        throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
          ProposedSize: size,
          MaxSizeAllowed: condition.max,
        });
      }
      if (size < condition.min) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, {
          ProposedSize: size,
          MinSizeAllowed: condition.min,
        });
      }
      continue;
    }
    covered.add(condition.field);
    const actual = condition.field === 'bucket' ? context.bucket : fields.get(condition.field);
    if (actual === undefined) throw denied(`Policy Condition failed: ${condition.text}`);
    // For Content-Type, starts-with applies to each value of a comma-separated list.
    const values =
      condition.kind === 'starts-with' && condition.field === 'content-type' ? actual.split(',').map((value) => value.trim()) : [actual];
    const holds = values.every((value) => (condition.kind === 'eq' ? value === condition.value : value.startsWith(condition.value)));
    if (!holds) throw denied(`Policy Condition failed: ${condition.text}`);
  }
  const extra = [...fields.keys()].filter((name) => !UNCONDITIONED_FIELDS.has(name) && !name.startsWith('x-ignore-') && !covered.has(name));
  if (extra.length > 0) throw denied(`Extra input fields: ${extra.join(', ')}`);
  if (fields.has('bucket') && fields.get('bucket') !== context.bucket)
    throw denied(`Policy Condition failed: ${conditionText(['eq', '$bucket', context.bucket])}`);
  const checked = [...fields].filter(([name]) => covered.has(name)).map(([name, value]) => ({ name, value }));
  return { key, fields: checked, file: form.file };
}
