/**
 * S3's error responses: `<Error><Code/><Message/>...<RequestId/><HostId/></Error>` with the status S3 uses,
 * for the refusals the local S3 gate answers itself. The refusal is the shared AwsError, its `type` S3's Code.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../aws/errors';

export class S3Error extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    /** Extra elements S3 adds for this error, e.g. ProposedSize and MaxSizeAllowed for EntityTooLarge. */
    readonly details: Record<string, string | number> = {},
  ) {
    super(code, message, status);
  }
}

/** S3's refusal of a request target it cannot read as a path, or of a malformed escape in it. */
export const invalidUri = (): S3Error => new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400);

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (character) => XML_ENTITIES[character] as string);
}

export function s3ErrorXml(error: S3Error, requestId = randomBytes(8).toString('hex').toUpperCase()): string {
  const elements = {
    Code: error.type,
    Message: error.message,
    ...error.details,
    RequestId: requestId,
    HostId: randomBytes(24).toString('base64'),
  };
  const body = Object.entries(elements)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${body}</Error>`;
}
