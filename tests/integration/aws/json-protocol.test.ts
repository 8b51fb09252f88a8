/** The AWS JSON 1.1 protocol Cognito, Rekognition and Textract share, on the shared listener. */
import { AwsError } from '../../../local/aws/errors';
import { createJsonProtocolListener } from '../../../local/aws/json-protocol';
import { type Listener, startListener } from '../../../local/aws/listener';
import { credentialsOf, jsonServiceAuthenticator } from '../../../local/aws/sigv4';
import { rawRequest } from '../../support/raw-request';

let listener: Listener;

beforeAll(async () => {
  const authenticate = jsonServiceAuthenticator({
    service: 'rekognition',
    region: 'us-east-1',
    credentials: credentialsOf({ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }),
    now: Date.now,
    status: 400,
    log: () => undefined,
  });
  listener = await startListener(
    createJsonProtocolListener({
      targetPrefix: 'TestService.',
      operations: { Echo: async (input) => input },
      maxRequestBytes: 1024,
      errorBody: (error) => ({ message: error.message }),
      authenticate: async (request, body) => {
        await authenticate(request, body);
      },
      internalError: () => new AwsError('InternalServerError', 'Internal server error', 500),
      logError: () => undefined,
    }),
    { host: '127.0.0.1', port: 0 },
  );
});

afterAll(async () => {
  await listener.close();
});

it('answers a request target that is no path with 400 SerializationException, and serves the next request', async () => {
  const answer = await rawRequest(listener.endpoint, 'POST //:99999 HTTP/1.1', {
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TestService.Echo' },
  });
  expect(answer.status).toBe(400);
  expect(answer.headers['x-amzn-errortype']).toBe('SerializationException');
  expect(JSON.parse(answer.body)).toEqual({ __type: 'SerializationException', message: 'The request target is not a path.' });
  const next = await fetch(`${listener.endpoint}/`, { method: 'POST', headers: { 'x-amz-target': 'TestService.Echo' }, body: '{}' });
  expect(next.status).toBe(400);
  expect(next.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
});
