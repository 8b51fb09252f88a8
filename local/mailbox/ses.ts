/**
 * Amazon SES v2 `SendEmail` into the dev mailbox, so the functions' @aws-sdk/client-sesv2 calls work offline with
 * `AWS_ENDPOINT_URL_SESV2` pointing here:
 *
 *   const ses = await startSesEndpoint({ host: '127.0.0.1', port: 4579, region, credentials, mailbox });
 *   // POST `${ses.endpoint}/v2/email/outbound-emails` (REST-JSON, SigV4 for service `ses`) -> { MessageId }
 *   await ses.close();
 *
 * Simple content only (Subject, Body.Text and/or Body.Html); one mailbox message per recipient (To, Cc, Bcc),
 * whose `code` is the first run of 6 to 10 digits in the subject, else in the text ("" if none). Refusals use
 * SES's shapes: `x-amzn-ErrorType` and `{ "message" }`, BadRequestException (400) for a malformed request,
 * MessageRejected (400) over 10 MB, the SigV4 exceptions (403) for a missing or wrong signature.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBody } from '../aws/body';
import type { Clock } from '../aws/clock';
import { AwsError } from '../aws/errors';
import { sendJson, sendJsonError, startListener } from '../aws/listener';
import { requestTarget } from '../aws/request-reader';
import { jsonServiceAuthenticator } from '../aws/sigv4';
import type { Mailbox } from './index';

export interface SesEndpointOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  region: string;
  /** Access key id -> secret: the identities whose signatures are accepted. */
  credentials: Readonly<Record<string, string>>;
  mailbox: Mailbox;
  /** SES's limit on a message: 10 MB. */
  maxBodyBytes?: number;
  now?: Clock;
  log?: (line: string) => void;
}

export interface SesEndpoint {
  endpoint: string;
  close(): Promise<void>;
}

export const SEND_EMAIL_PATH = '/v2/email/outbound-emails';
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** SES's total of To, Cc and Bcc addresses per message. */
const MAX_RECIPIENTS = 50;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const CODE = /(?<!\d)\d{6,10}(?!\d)/;

const badRequest = (message: string) => new AwsError('BadRequestException', message);

export async function startSesEndpoint(options: SesEndpointOptions): Promise<SesEndpoint> {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_MESSAGE_BYTES;

  const checkSignature = jsonServiceAuthenticator({
    service: 'ses',
    region: options.region,
    credentials: options.credentials,
    now,
    status: 403,
    log: (reason) => log(`[ses] SendEmail refused: ${reason}`),
  });

  const sendEmail = async (req: IncomingMessage): Promise<{ MessageId: string }> => {
    const body = await readBody(req, maxBodyBytes).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError)
        throw new AwsError('MessageRejected', `Message length is more than ${maxBodyBytes} bytes long.`);
      throw error;
    });
    await checkSignature(req, body);
    const message = parseSendEmail(body);
    const messageId = `${now().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;
    for (const to of message.recipients) {
      options.mailbox.deliver({ to, subject: message.subject, body: message.body, code: message.code });
    }
    return { MessageId: messageId };
  };

  const route = async (req: IncomingMessage): Promise<{ MessageId: string }> => {
    const path = requestTarget(req.url)?.pathname;
    if (path === undefined) throw badRequest('The request target is not a path.');
    if (req.method === 'POST' && path === SEND_EMAIL_PATH) return sendEmail(req);
    throw new AwsError('UnknownOperationException', `No operation for ${req.method} ${path}; this endpoint serves SendEmail only.`, 404);
  };

  const listener = await startListener(
    (req, res) => {
      route(req).then(
        (output) => sendJson(res, 200, output),
        (error: unknown) => {
          if (error instanceof AwsError) {
            if (error.status !== 403) log(`[ses] refused: ${error.type}: ${error.message}`);
            return sendJsonError(res, error);
          }
          console.error('[ses] internal error', error);
          sendJsonError(res, new AwsError('InternalFailure', 'Internal error', 500));
        },
      );
    },
    { host: options.host, port: options.port },
  );
  return { endpoint: listener.endpoint, close: listener.close };
}

interface ParsedEmail {
  recipients: string[];
  subject: string;
  body: string;
  code: string;
}

/** The SendEmail request as SES checks it, or BadRequestException naming the first problem. */
export function parseSendEmail(body: Buffer): ParsedEmail {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  const input = record(request, 'The request body');
  const from = input.FromEmailAddress;
  if (typeof from !== 'string' || !EMAIL.test(from)) throw badRequest('FromEmailAddress must be an email address.');
  const destination = record(input.Destination ?? {}, 'Destination');
  const recipients = ['ToAddresses', 'CcAddresses', 'BccAddresses'].flatMap((member) =>
    addresses(destination[member], `Destination.${member}`),
  );
  if (recipients.length === 0) throw badRequest('Destination must name at least one recipient.');
  if (recipients.length > MAX_RECIPIENTS) throw badRequest(`Destination has more than ${MAX_RECIPIENTS} recipients.`);
  const content = record(input.Content, 'Content');
  if (content.Simple === undefined) throw badRequest('Content must be Simple: the local mailbox does not render Raw or Template content.');
  const simple = record(content.Simple, 'Content.Simple');
  const subject = textContent(simple.Subject, 'Content.Simple.Subject');
  const messageBody = record(simple.Body, 'Content.Simple.Body');
  const text = messageBody.Text === undefined ? undefined : textContent(messageBody.Text, 'Content.Simple.Body.Text');
  const html = messageBody.Html === undefined ? undefined : textContent(messageBody.Html, 'Content.Simple.Body.Html');
  if (text === undefined && html === undefined) throw badRequest('Content.Simple.Body must have Text or Html.');
  const code = CODE.exec(subject)?.[0] ?? (text === undefined ? undefined : CODE.exec(text)?.[0]) ?? '';
  return { recipients, subject, body: text ?? html ?? '', code };
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${what} must be a JSON object.`);
  return value as Record<string, unknown>;
}

function addresses(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((address) => typeof address === 'string' && EMAIL.test(address))) {
    throw badRequest(`${what} must be a list of email addresses.`);
  }
  return value as string[];
}

function textContent(value: unknown, what: string): string {
  const data = record(value, what).Data;
  if (typeof data !== 'string') throw badRequest(`${what}.Data must be a string.`);
  return data;
}
