import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCognitoEmulator } from '../../../local/cognito/index';
import { rawRequest } from '../../support/raw-request';
import { ADMIN, CLIENT_ID, PASSWORD, startTestPool, type TestPool } from './harness';

let pool: TestPool;
beforeEach(async () => {
  pool = await startTestPool();
});
afterEach(async () => {
  await pool.stop();
});

const APP_ORIGIN = 'http://localhost:3000';
const post = (target: string, body: string, headers: Record<string, string> = {}) =>
  fetch(pool.emulator.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${target}`, ...headers },
    body,
  });

describe('HTTP protocol', () => {
  test('answers an error as JSON 1.1 with __type, message and x-amzn-ErrorType', async () => {
    const response = await post(
      'InitiateAuth',
      JSON.stringify({ ClientId: 'nope', AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: 'a@example.com' } }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException:');
    expect(await response.json()).toEqual({ __type: 'ResourceNotFoundException', message: 'User pool client nope does not exist.' });
  });

  test("refuses malformed JSON with SerializationException, without the parser's words", async () => {
    const response = await post('SignUp', '{"ClientId": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      __type: 'SerializationException',
      message: 'Malformed JSON request body.',
    });
  });

  test('answers a request target that is no path with 400 SerializationException, and serves the next request', async () => {
    const answer = await rawRequest(pool.emulator.endpoint, 'GET //:99999 HTTP/1.1');
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('SerializationException:');
    expect(JSON.parse(answer.body)).toEqual({ __type: 'SerializationException', message: 'The request target is not a path.' });
    expect((await fetch(`${pool.emulator.endpoint}/mailbox`)).status).toBe(200);
  });

  test('refuses a JSON body that is not an object', async () => {
    expect(await (await post('SignUp', '[1,2]')).json()).toEqual({
      __type: 'SerializationException',
      message: 'The request body must be a JSON object.',
    });
  });

  test('refuses a body over the size cap with 413', async () => {
    const response = await post('SignUp', JSON.stringify({ ClientId: CLIENT_ID, Username: 'x'.repeat(300 * 1024) }));
    expect(response.status).toBe(413);
    expect((await response.json()).__type).toBe('RequestEntityTooLargeException');
  });

  test('refuses an operation it does not serve with UnknownOperationException', async () => {
    const response = await post('AdminCreateUser', '{}');
    expect((await response.json()).__type).toBe('UnknownOperationException');
  });

  test('refuses a body that is not declared as JSON 1.1', async () => {
    const response = await post('SignUp', '{}', { 'content-type': 'text/plain' });
    expect((await response.json()).__type).toBe('SerializationException');
  });

  test('refuses a missing required member with the AWS validation message', async () => {
    const response = await post('SignUp', JSON.stringify({ ClientId: CLIENT_ID, Password: PASSWORD }));
    expect(await response.json()).toEqual({
      __type: 'InvalidParameterException',
      message: "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null",
    });
  });
});

describe('CORS for the app', () => {
  test('allows the preflight amplify sends from an allowed origin', async () => {
    const response = await fetch(pool.emulator.endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target,x-amz-user-agent,cache-control',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toContain('x-amz-user-agent');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  test('refuses the preflight from another origin', async () => {
    const response = await fetch(pool.emulator.endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
      },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('refuses a preflight asking for a header it does not accept', async () => {
    const response = await fetch(pool.emulator.endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-custom-thing',
      },
    });
    expect(response.status).toBe(403);
  });

  test('lets the app read answers and error types', async () => {
    const response = await post('InitiateAuth', JSON.stringify({ ClientId: 'nope', AuthFlow: 'CUSTOM_AUTH' }), { origin: APP_ORIGIN });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-amzn-errortype');
  });
});

describe('dev mailbox over HTTP', () => {
  test('lists all messages and the messages to one address', async () => {
    await post('SignUp', JSON.stringify({ ClientId: CLIENT_ID, Username: 'ada@example.com', Password: PASSWORD }));
    await post('SignUp', JSON.stringify({ ClientId: CLIENT_ID, Username: 'bob@example.com', Password: PASSWORD }));
    const all = await (await fetch(`${pool.emulator.endpoint}/mailbox`)).json();
    expect(all.messages.map((m: { to: string }) => m.to)).toEqual(['ada@example.com', 'bob@example.com']);
    const ada = await (await fetch(`${pool.emulator.endpoint}/mailbox/${encodeURIComponent('Ada@Example.com')}`)).json();
    expect(ada).toEqual({
      address: 'Ada@Example.com',
      messages: [
        expect.objectContaining({
          to: 'ada@example.com',
          subject: 'Your verification code',
          code: expect.stringMatching(/^\d{6}$/),
        }),
      ],
    });
  });
});

describe('configuration', () => {
  test.each([
    [
      'a session validity Cognito does not allow',
      { authSessionValiditySeconds: 60 },
      /authSessionValiditySeconds must be an integer from 180 to 900/,
    ],
    [
      'an auth flow the emulator does not implement',
      { explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'] },
      /ALLOW_USER_SRP_AUTH are not implemented/,
    ],
    ['a pool id of another region', { id: 'us-east-1_Pool' }, /must look like 'eu-west-1_/],
  ])('refuses to start with %s', async (_, userPool, message) => {
    await expect(startWith({ userPool })).rejects.toThrow(message);
  });

  test('refuses to listen on an address other than loopback', async () => {
    await expect(startWith({ host: '0.0.0.0' })).rejects.toThrow(/host '0.0.0.0' must be a loopback address/);
  });
});

/** Starts an emulator with one setting changed (and stops it again if it did start). */
async function startWith(change: { host?: string; userPool?: Record<string, unknown> }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'cognito-config-'));
  try {
    const emulator = await startCognitoEmulator({
      host: change.host ?? '127.0.0.1',
      port: 0,
      dataDir,
      region: 'eu-west-1',
      adminCredentials: ADMIN,
      triggers: async () => ({}),
      userPool: {
        id: 'eu-west-1_Pool',
        name: 'p',
        clientId: 'c',
        clientName: 'c',
        authSessionValiditySeconds: 180,
        accessTokenValiditySeconds: 3600,
        idTokenValiditySeconds: 3600,
        refreshTokenValiditySeconds: 86400,
        preventUserExistenceErrors: true,
        explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        allowedOrigins: [],
        ...change.userPool,
      },
    });
    await emulator.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('usernames that name members of Object.prototype', () => {
  test.each(['__proto__', 'constructor', 'toString'])(
    "treat '%s' as a name that matches nobody and leave the mailbox working",
    async (name) => {
      const resend = await post('ResendConfirmationCode', JSON.stringify({ ClientId: CLIENT_ID, Username: name }));
      expect(await resend.json()).toEqual({
        CodeDeliveryDetails: { Destination: `${name.charAt(0)}***@e***.com`, DeliveryMedium: 'EMAIL', AttributeName: 'email' },
      });
      const confirm = await post('ConfirmSignUp', JSON.stringify({ ClientId: CLIENT_ID, Username: name, ConfirmationCode: '123456' }));
      expect((await confirm.json()).__type).toBe('CodeMismatchException');
      expect(Object.prototype).not.toHaveProperty('confirmation');
      const mailbox = await fetch(`${pool.emulator.endpoint}/mailbox/${encodeURIComponent('ada@example.com')}`);
      expect(mailbox.status).toBe(200);
      expect(await mailbox.json()).toEqual({ address: 'ada@example.com', messages: [] });
    },
  );

  test('never finds a user by __proto__ when starting a sign-in', async () => {
    const response = await post(
      'InitiateAuth',
      JSON.stringify({ ClientId: CLIENT_ID, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: '__proto__' } }),
    );
    const started = await response.json();
    expect(response.status).toBe(200);
    expect(pool.calls[0]?.event.request).toMatchObject({ userNotFound: true, userAttributes: {} });
    expect(started.ChallengeName).toBe('CUSTOM_CHALLENGE');
  });
});

describe('the dev mailbox', () => {
  test('lists messages to an address while it holds a message without a recipient', async () => {
    pool.emulator.mailbox.deliver({ to: undefined as unknown as string, subject: 'broken', body: '', code: '' });
    await post('SignUp', JSON.stringify({ ClientId: CLIENT_ID, Username: 'ada@example.com', Password: PASSWORD }));
    const response = await fetch(`${pool.emulator.endpoint}/mailbox/${encodeURIComponent('ada@example.com')}`);
    expect(response.status).toBe(200);
    expect((await response.json()).messages).toHaveLength(1);
  });
});
