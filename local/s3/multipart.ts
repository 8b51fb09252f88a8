/**
 * Reads a multipart/form-data body (a browser form POST to S3) into its fields, in order, and the `file` part, and
 * writes the form the gate forwards to s3rver. s3rver reads field names in their letter case, the policy check in
 * any; so a form that names a field twice in any letter case, or has any part after the file (S3 ignores those,
 * s3rver reads a later `file`), is refused as malformed rather than read one way here and another there.
 */
import { randomBytes } from 'node:crypto';
import { S3Error } from './s3-error';

export interface FormField {
  name: string;
  value: string;
}

export interface FormFile {
  filename: string;
  contentType: string | undefined;
  data: Buffer;
}

export interface MultipartForm {
  fields: FormField[];
  file: FormFile | undefined;
}

function malformed(reason: string): S3Error {
  return new S3Error('MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data. (${reason})`, 400);
}

export function multipartBoundary(contentType: string | undefined): string {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
      Condition: 'Bucket POST must be of the enclosure-type multipart/form-data',
    });
  }
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw malformed('no boundary in Content-Type');
  return boundary;
}

function headerParameter(header: string, name: string): string | undefined {
  const match =
    new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header) ?? new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  return match?.[1]?.replace(/\\(.)/g, '$1');
}

export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const delimiter = Buffer.from(`--${boundary}`);
  const form: MultipartForm = { fields: [], file: undefined };
  const names = new Set<string>();
  let position = body.indexOf(delimiter);
  if (position < 0) throw malformed('the boundary never occurs');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') return form;
    if (form.file) throw malformed('a part follows the file');
    if (body.subarray(position, position + 2).toString() !== '\r\n') throw malformed('a boundary is not followed by CRLF');
    const headersEnd = body.indexOf('\r\n\r\n', position + 2);
    if (headersEnd < 0) throw malformed('a part has no end of headers');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) throw malformed('the closing boundary is missing');
    const headers = body
      .subarray(position + 2, headersEnd)
      .toString('utf8')
      .split('\r\n');
    const content = body.subarray(headersEnd + 4, next);
    const disposition = headers.find((line) => /^content-disposition:/i.test(line));
    const name = disposition ? headerParameter(disposition, 'name') : undefined;
    if (!disposition || name === undefined) throw malformed('a part has no Content-Disposition name');
    if (names.has(name.toLowerCase())) throw malformed(`the field ${name} is named twice`);
    names.add(name.toLowerCase());
    if (name.toLowerCase() === 'file') {
      const contentType = headers.find((line) => /^content-type:/i.test(line))?.replace(/^content-type:\s*/i, '');
      form.file = { filename: headerParameter(disposition, 'filename') ?? '', contentType, data: content };
    } else {
      form.fields.push({ name, value: content.toString('utf8') });
    }
    position = next + 2;
  }
}

/**
 * The form s3rver is sent: `fields` under the names given, then the file as the one `file` part, in a body of the
 * gate's own making (a fresh boundary, no part the check did not read).
 */
export function buildMultipart(fields: FormField[], data: Buffer): { body: Buffer; contentType: string } {
  const values = fields.map(({ value }) => Buffer.from(value, 'utf8'));
  let boundary: string;
  do boundary = `----local-s3-gate-${randomBytes(16).toString('hex')}`;
  while ([data, ...values].some((content) => content.includes(boundary)));
  const part = (disposition: string, content: Buffer, contentType = '') =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\n${contentType}\r\n`),
      content,
      Buffer.from('\r\n'),
    ]);
  const body = Buffer.concat([
    ...fields.map(({ name }, index) => part(`name="${name}"`, values[index] as Buffer)),
    part('name="file"; filename="file"', data, 'Content-Type: application/octet-stream\r\n'),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
