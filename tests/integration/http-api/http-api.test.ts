import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { STACK_OUTPUTS_FILE, startLocalStack, type LocalStack } from '../../../local/stack';
import { freePort, LOCAL_CREDENTIALS } from '../../../local/template/local-environment';
import { localAppConfig } from '../../../local/web/local-app';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const APP_ORIGIN = 'http://localhost:3000';

/** The payload format 2.0 event, as the fixture function echoes it. */
// biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the function echoed
type Echo = { echo: Record<string, any> };

describe('the local HTTP API of the template', () => {
  let stack: LocalStack;
  let dataDir: string;
  let api: string;
  let accessToken: string;
  let claims: JWTPayload;
  let signingKey: { kid: string; privateJwk: JWK };
  const functionLines: string[] = [];
  const stackLines: string[] = [];
  const invocations = () => functionLines.filter((line) => line.startsWith('[AccountFunction] START RequestId')).length;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'http-api-'));
    stack = await startLocalStack({
      dataDir,
      templatePath: join(FIXTURES, 'template.yaml'),
      distDir: FIXTURES,
      build: false,
      warm: false,
      ports: { dynamodb: await freePort(), s3: 0, rekognition: 0, liveness: 0, textract: 0, cognito: 0, ses: 0, httpApi: 0 },
      services: { rekognition: false, s3Events: false },
      log: (line) => stackLines.push(line),
      functionLog: (logicalId, line) => functionLines.push(`[${logicalId}] ${line}`),
    });
    api = stack.httpApis.AccountApi!;
    const cognito = new CognitoIdentityProviderClient({
      endpoint: stack.endpoints.cognito!,
      region: stack.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const ClientId = stack.userPool!.clientId;
    const email = 'grace@example.com';
    await cognito.send(
      new SignUpCommand({ ClientId, Username: email, Password: 'Http-Api-1!', UserAttributes: [{ Name: 'email', Value: email }] }),
    );
    const challenge = await cognito.send(
      new InitiateAuthCommand({ ClientId, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: email } }),
    );
    const signedIn = await cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId,
        ChallengeName: 'CUSTOM_CHALLENGE',
        Session: challenge.Session!,
        ChallengeResponses: { USERNAME: email, ANSWER: 'open sesame' },
      }),
    );
    cognito.destroy();
    accessToken = signedIn.AuthenticationResult!.AccessToken!;
    claims = decodeJwt(accessToken);
    signingKey = JSON.parse(readFileSync(join(dataDir, 'cognito', 'signing-key.json'), 'utf8')) as typeof signingKey;
  }, 120000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A token signed with the pool's own key (or `key`), with the claims of the real one changed by `changes`. */
  async function forged(changes: JWTPayload, key?: CryptoKey): Promise<string> {
    const signWith = key ?? ((await importJWK(signingKey.privateJwk, 'RS256')) as CryptoKey);
    return new SignJWT({ ...claims, ...changes }).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(signWith);
  }

  const call = (path: string, init: RequestInit & { token?: string } = {}) => {
    const { token, headers, ...rest } = init;
    return fetch(`${api}${path}`, { ...rest, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  };

  it('passes a request with a valid access token to the function as the payload format 2.0 event', async () => {
    const response = await call('/account/id-photo?size=2&size=3&kind=passport', {
      method: 'POST',
      token: accessToken,
      headers: { 'content-type': 'application/json', cookie: 'theme=dark; lang=en', 'X-Custom': 'yes' },
      body: JSON.stringify({ contentType: 'image/jpeg' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { echo } = (await response.json()) as Echo;
    expect(echo).toMatchObject({
      version: '2.0',
      routeKey: 'POST /account/id-photo',
      rawPath: '/account/id-photo',
      rawQueryString: 'size=2&size=3&kind=passport',
      cookies: ['theme=dark', 'lang=en'],
      queryStringParameters: { size: '2,3', kind: 'passport' },
      body: '{"contentType":"image/jpeg"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        routeKey: 'POST /account/id-photo',
        stage: '$default',
        http: { method: 'POST', path: '/account/id-photo', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(echo.headers).toMatchObject({ 'content-type': 'application/json', 'x-custom': 'yes' });
    expect(echo.headers.cookie).toBeUndefined();
    expect(echo.pathParameters).toBeUndefined();
    expect(echo.requestContext.requestId).toBe(response.headers.get('apigw-requestid'));
    expect(echo.requestContext.timeEpoch).toBeGreaterThan(Date.now() - 60000);
  });

  it("gives the function the token's claims as strings, with no scopes when the route requires none", async () => {
    const response = await call('/account', { method: 'DELETE', token: accessToken });
    const { echo } = (await response.json()) as Echo;
    expect(echo.requestContext.authorizer.jwt).toEqual({
      claims: Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, String(value)])),
      scopes: null,
    });
    expect(echo.requestContext.authorizer.jwt.claims).toMatchObject({ sub: claims.sub, token_use: 'access', exp: String(claims.exp) });
  });

  it('accepts the bare token in the Authorization header as well as a Bearer one', async () => {
    const response = await call('/account', { method: 'DELETE', headers: { authorization: accessToken } });
    expect(response.status).toBe(200);
  });

  it.each([
    ['no token', async () => undefined],
    ['a token that is not a JWT', async () => 'not-a-jwt'],
    ['a token signed by another key under the same kid', async () => forged({}, (await generateKeyPair('RS256')).privateKey)],
    ['an expired token', async () => forged({ exp: Math.floor(Date.now() / 1000) - 1 })],
    ['a token not valid yet', async () => forged({ nbf: Math.floor(Date.now() / 1000) + 600 })],
    ['a token for another app client', async () => forged({ client_id: 'someotherclient' })],
    ['a token whose aud is another client, even with the right client_id', async () => forged({ aud: 'someotherclient' })],
    [
      'a token of the deployed issuer name, not the local pool',
      async () => forged({ iss: `https://cognito-idp.us-east-1.amazonaws.com/${stack.userPool!.id}` }),
    ],
  ])('refuses %s with 401 Unauthorized without invoking the function', async (_case, token) => {
    const before = invocations();
    const response = await call('/account', { method: 'DELETE', token: await token() });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(invocations()).toBe(before);
  });

  it('gives the decoded path parameters of the route', async () => {
    const { echo } = (await (await call('/account/id-photo/upload%20one', { token: accessToken })).json()) as Echo;
    expect(echo.routeKey).toBe('GET /account/id-photo/{uploadId}');
    expect(echo.pathParameters).toEqual({ uploadId: 'upload one' });
  });

  it('picks the most specific route: a literal path over a greedy {proxy+}, which takes the rest of the path', async () => {
    const readme = (await (await call('/files/readme', { token: accessToken })).json()) as Echo;
    const nested = (await (await call('/files/docs/guide.md', { token: accessToken })).json()) as Echo;
    expect(readme.echo.routeKey).toBe('GET /files/readme');
    expect(nested.echo.routeKey).toBe('GET /files/{proxy+}');
    expect(nested.echo.pathParameters).toEqual({ proxy: 'docs/guide.md' });
  });

  it('answers a path or method no route has with 404 Not Found', async () => {
    for (const [path, method] of [
      ['/nowhere', 'GET'],
      ['/account', 'POST'],
    ] as const) {
      const response = await call(path, { method, token: accessToken });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('refuses a path with a malformed escape with 400 Bad Request', async () => {
    const response = await call('/files/%zz', { token: accessToken });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'Bad Request' });
  });

  it('answers a CORS preflight from the CorsConfiguration, without the authorizer or the function', async () => {
    const before = invocations();
    const response = await call('/account', {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
    });
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'access-control-allow-origin': APP_ORIGIN,
      'access-control-allow-methods': 'GET,POST,DELETE',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-max-age': '600',
    });
    expect(invocations()).toBe(before);
  });

  it('gives a preflight from an origin the configuration does not allow no CORS headers', async () => {
    const response = await call('/account', {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'DELETE' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("allows an allowed origin on the answer and drops the function's own CORS headers", async () => {
    const response = await call('/answer', { headers: { origin: APP_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect((await call('/answer')).headers.get('access-control-allow-origin')).toBeNull();
    const refused = await call('/nowhere', { headers: { origin: APP_ORIGIN } });
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it("answers with a structured result's status, headers, cookies and base64-decoded body, on a route without authorizer", async () => {
    const response = await call('/answer', { method: 'PUT' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('structured');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it('base64-encodes a binary request body', async () => {
    const bytes = Buffer.from([255, 216, 255, 0]);
    const response = await call('/account/id-photo', {
      method: 'POST',
      token: accessToken,
      headers: { 'content-type': 'image/jpeg' },
      body: bytes,
    });
    const { echo } = (await response.json()) as Echo;
    expect(echo).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
  });

  it('refuses a body over API Gateway’s 10 MB with 413 without invoking the function', async () => {
    const before = invocations();
    const response = await call('/account/id-photo', {
      method: 'POST',
      token: accessToken,
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(invocations()).toBe(before);
  });

  it('answers a function error with 500 Internal Server Error and nothing of the error, which only the log tells', async () => {
    const response = await call('/fail', { token: accessToken });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
    const requestId = response.headers.get('apigw-requestid')!;
    expect(stackLines.find((line) => line.includes(requestId))).toContain('AccountFunction failed: Error: database password is hunter2');
  });

  it("answers 503 Service Unavailable when the function outlives the route's TimeoutInMillis", async () => {
    const response = await call('/slow', { token: accessToken });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Service Unavailable' });
  });

  it("writes the API's URL, as the AccountApiUrl output resolves locally, to the stack outputs and the app's config", () => {
    const outputs = JSON.parse(readFileSync(join(dataDir, STACK_OUTPUTS_FILE), 'utf8'));
    expect(outputs).toMatchObject({ accountApiUrl: api, httpApis: { AccountApi: api } });
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(localAppConfig({ ...stack, endpoints: { ...stack.endpoints, liveness: 'wss://localhost:1' } })).toMatchObject({
      accountApiUrl: api,
      freshSignInMinutes: 5,
    });
  });
});
