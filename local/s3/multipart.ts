/**
 * Reads a multipart/form-data body (a browser form POST to S3) into its fields, in order, and the `file` part.
 * S3 ignores every part after the file, so they are not returned.
 */
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
  let position = body.indexOf(delimiter);
  if (position < 0) throw malformed('the boundary never occurs');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') return form;
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
    if (name.toLowerCase() === 'file') {
      const contentType = headers.find((line) => /^content-type:/i.test(line))?.replace(/^content-type:\s*/i, '');
      form.file = { filename: (disposition && headerParameter(disposition, 'filename')) ?? '', contentType, data: content };
      return form;
    }
    form.fields.push({ name, value: content.toString('utf8') });
    position = next + 2;
  }
}
