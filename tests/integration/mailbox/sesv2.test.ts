import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { SendEmailCommand, SESv2Client, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { createMailbox, type Mailbox } from '../../../local/mailbox/index';
import { SEND_EMAIL_PATH, startSesEndpoint, type SesEndpoint } from '../../../local/mailbox/ses';
import { credentialsOf } from '../../../local/aws/sigv4';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/template/local-environment';
import { rawRequest } from '../../support/raw-request';

let ses: SesEndpoint;
let mailbox: Mailbox;
let client: SESv2Client;

beforeAll(async () => {
  mailbox = createMailbox(() => undefined);
  ses = await startSesEndpoint({
    host: '127.0.0.1',
    port: 0,
    region: LOCAL_REGION,
    credentials: credentialsOf(LOCAL_CREDENTIALS),
    mailbox,
    maxBodyBytes: 64 * 1024,
    log: () => undefined,
  });
  client = clientWith(LOCAL_CREDENTIALS);
});
afterAll(async () => {
  client.destroy();
  await ses.close();
});

function clientWith(credentials: { accessKeyId: string; secretAccessKey: string }, region = LOCAL_REGION) {
  return new SESv2Client({ endpoint: ses.endpoint, region, credentials, maxAttempts: 1 });
}

const email = (to: string, subject: string, text?: string, html?: string): SendEmailCommandInput => ({
  FromEmailAddress: 'no-reply@example.com',
  Destination: { ToAddresses: [to] },
  Content: {
    Simple: {
      Subject: { Data: subject },
      Body: { ...(text !== undefined ? { Text: { Data: text } } : {}), ...(html !== undefined ? { Html: { Data: html } } : {}) },
    },
  },
});

/** A raw POST signed as the SDK would sign it, for bodies the SDK cannot produce. */
async function signedPost(body: string) {
  const { hostname, port } = new URL(ses.endpoint);
  const signer = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, service: 'ses', sha256: Sha256 });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: SEND_EMAIL_PATH,
      headers: { host: `${hostname}:${port}`, 'content-type': 'application/json' },
      body,
    }),
  );
  return fetch(`${ses.endpoint}${SEND_EMAIL_PATH}`, { method: 'POST', headers: signed.headers, body });
}

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${ses.endpoint}${SEND_EMAIL_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('SES v2 SendEmail into the dev mailbox', () => {
  test('stores a message sent with the SDK and answers its MessageId', async () => {
    const sent = await client.send(
      new SendEmailCommand(email('ada@example.com', 'Your sign-in code', 'Your sign-in code is 123456', '<p>123456</p>')),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f]{16}-[0-9a-f-]{36}-000000$/);
    expect(mailbox.to('ada@example.com')).toEqual([
      expect.objectContaining({
        to: 'ada@example.com',
        subject: 'Your sign-in code',
        body: 'Your sign-in code is 123456',
        code: '123456',
      }),
    ]);
  });

  test('takes the code from the subject before the text', async () => {
    await client.send(new SendEmailCommand(email('subject@example.com', 'Code 9876543', 'Your code is 123456')));
    expect(mailbox.to('subject@example.com')[0]?.code).toBe('9876543');
  });

  test('takes only a run of 6 to 10 digits as the code', async () => {
    await client.send(new SendEmailCommand(email('runs@example.com', 'Order 12345', 'Call 12345678901 or use 4242424242')));
    expect(mailbox.to('runs@example.com')[0]?.code).toBe('4242424242');
  });

  test('stores an empty code for a message without one', async () => {
    await client.send(new SendEmailCommand(email('nocode@example.com', 'Welcome', undefined, '<b>Hello</b>')));
    expect(mailbox.to('nocode@example.com')[0]).toMatchObject({ code: '', body: '<b>Hello</b>' });
  });

  test('delivers one message to each recipient', async () => {
    await client.send(
      new SendEmailCommand({
        ...email('one@example.com', 'Hi', 'text'),
        Destination: { ToAddresses: ['one@example.com', 'two@example.com'], BccAddresses: ['three@example.com'] },
      }),
    );
    for (const to of ['one@example.com', 'two@example.com', 'three@example.com']) expect(mailbox.to(to)).toHaveLength(1);
  });
});

describe('SES v2 refusals', () => {
  test.each([
    ['no recipient', { ...email('x@example.com', 's', 't'), Destination: { ToAddresses: [] } }],
    ['a recipient that is not an address', { ...email('x@example.com', 's', 't'), Destination: { ToAddresses: ['not an address'] } }],
    ['no sender', { ...email('x@example.com', 's', 't'), FromEmailAddress: undefined }],
    ['a body with neither text nor html', email('x@example.com', 's')],
    ['raw content', { ...email('x@example.com', 's', 't'), Content: { Raw: { Data: Buffer.from('From: a@b.c\r\n\r\nhi') } } }],
  ] as Array<[string, SendEmailCommandInput]>)('refuses %s with BadRequestException', async (_, input) => {
    await expect(client.send(new SendEmailCommand(input))).rejects.toMatchObject({
      name: 'BadRequestException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  test('answers a signed body that is not JSON with 400 BadRequestException and a message', async () => {
    const response = await signedPost('{"FromEmailAddress":');
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(await response.json()).toEqual({ message: 'The request body is not valid JSON.' });
  });

  test('refuses a Simple message without a body', async () => {
    const input = { ...email('x@example.com', 's', 't'), Content: { Simple: { Subject: { Data: 's' } } } } as SendEmailCommandInput;
    await expect(client.send(new SendEmailCommand(input))).rejects.toMatchObject({
      name: 'BadRequestException',
      message: 'Content.Simple.Body must be a JSON object.',
    });
  });

  test('refuses a body over the size limit with MessageRejected', async () => {
    const big = email('big@example.com', 'big', 'x'.repeat(70 * 1024));
    await expect(client.send(new SendEmailCommand(big))).rejects.toMatchObject({ name: 'MessageRejected' });
    expect(mailbox.to('big@example.com')).toEqual([]);
  });

  test('refuses an unsigned request with MissingAuthenticationTokenException', async () => {
    const response = await post(JSON.stringify(email('anon@example.com', 'code 123456', 't')));
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(mailbox.to('anon@example.com')).toEqual([]);
  });

  test('refuses a request signed with the wrong secret', async () => {
    const forged = clientWith({ accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: 'guessed' });
    await expect(forged.send(new SendEmailCommand(email('forged@example.com', 's', 't')))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    forged.destroy();
    expect(mailbox.to('forged@example.com')).toEqual([]);
  });

  test('refuses an unknown access key', async () => {
    const stranger = clientWith({ accessKeyId: 'AKIDSTRANGER', secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey });
    await expect(stranger.send(new SendEmailCommand(email('x@example.com', 's', 't')))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    stranger.destroy();
  });

  test('refuses a signature scoped to another region', async () => {
    const elsewhere = clientWith(LOCAL_CREDENTIALS, 'eu-west-1');
    await expect(elsewhere.send(new SendEmailCommand(email('x@example.com', 's', 't')))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    elsewhere.destroy();
  });

  test('answers 404 for any other operation', async () => {
    const response = await fetch(`${ses.endpoint}/v2/email/identities`, { method: 'GET' });
    expect(response.status).toBe(404);
  });

  test('answers a request target that is no path with 400 BadRequestException, and serves the next request', async () => {
    const answer = await rawRequest(ses.endpoint, 'GET //:99999 HTTP/1.1');
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(JSON.parse(answer.body)).toEqual({ message: 'The request target is not a path.' });
    await client.send(new SendEmailCommand(email('after@example.com', 'Still here', 'text')));
    expect(mailbox.to('after@example.com')).toHaveLength(1);
  });
});
