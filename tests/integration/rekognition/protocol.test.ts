/** The JSON 1.1 protocol: authentication, targets, bodies and error shapes, as Rekognition and the SDK expect them. */
import {
  CreateCollectionCommand,
  DeleteFacesCommand,
  DescribeCollectionCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-rekognition';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { request as httpRequest } from 'node:http';
import { startServer, temporaryDirectory, type RunningServer } from './harness';

/** A key the server has never heard of: standalone, it checks the signature's form, scope and date, not the key. */
const STRANGER = { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'anything' };

let server: RunningServer;
let removeDataDir: () => Promise<void>;

beforeAll(async () => {
  const dataDir = await temporaryDirectory('rekognition-protocol-');
  removeDataDir = dataDir.remove;
  server = await startServer({ dataDir: dataDir.path });
});

afterAll(async () => {
  await server.stop();
  await removeDataDir();
});

/** The headers of `body` signed for Rekognition with a stranger's key at `signingDate`, then `headers` over them. */
async function signedHeaders(headers: Record<string, string>, body: string, signingDate = new Date()): Promise<Record<string, string>> {
  const { hostname, port } = new URL(server.endpoint);
  const signer = new SignatureV4({ credentials: STRANGER, region: 'us-east-1', service: 'rekognition', sha256: Sha256 });
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    headers: { host: `${hostname}:${port}`, ...headers },
    body,
  });
  return (await signer.sign(request, { signingDate })).headers;
}

async function post(target: string | undefined, body: string, headers: Record<string, string> = {}) {
  const signed = await signedHeaders({ 'content-type': 'application/x-amz-json-1.1', ...(target ? { 'x-amz-target': target } : {}) }, body);
  const response = await fetch(server.endpoint, { method: 'POST', headers: { ...signed, ...headers }, body });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('the Rekognition JSON protocol', () => {
  it('refuses a request without an Authorization header with MissingAuthenticationTokenException', async () => {
    const answer = await post('RekognitionService.ListCollections', '{}', { authorization: '' });
    expect(answer).toEqual({
      status: 403,
      errorType: 'MissingAuthenticationTokenException',
      body: { __type: 'MissingAuthenticationTokenException', Message: 'Missing Authentication Token' },
    });
  });

  it('refuses an Authorization header that is not a SigV4 signature with IncompleteSignatureException', async () => {
    const answer = await post('RekognitionService.ListCollections', '{}', { authorization: 'Bearer token' });
    expect(answer.status).toBe(403);
    expect(answer.body.__type).toBe('IncompleteSignatureException');
  });

  it('refuses a signature whose date is an hour old with InvalidSignatureException', async () => {
    const body = '{}';
    const headers = await signedHeaders(
      { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'RekognitionService.ListCollections' },
      body,
      new Date(Date.now() - 3600_000),
    );
    const response = await fetch(server.endpoint, { method: 'POST', headers, body });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { __type: string }).__type).toBe('InvalidSignatureException');
  });

  it('answers a well-formed SigV4 request signed with any key when started without credentials', async () => {
    const answer = await post('RekognitionService.ListCollections', '{}');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ CollectionIds: [], FaceModelVersions: [] });
  });

  it('answers an operation it does not serve with UnknownOperationException', async () => {
    const answer = await post('RekognitionService.DetectLabels', '{}');
    expect(answer.status).toBe(400);
    expect(answer.body.__type).toBe('UnknownOperationException');
    expect(answer.errorType).toBe('UnknownOperationException');
  });

  it('answers a request without X-Amz-Target with UnknownOperationException', async () => {
    const answer = await post(undefined, '{}');
    expect(answer.body.__type).toBe('UnknownOperationException');
  });

  it('refuses a body that is not JSON with SerializationException', async () => {
    const answer = await post('RekognitionService.ListCollections', '{"MaxResults": ');
    expect(answer.status).toBe(400);
    expect(answer.body.__type).toBe('SerializationException');
  });

  it('refuses a JSON body that is not an object with SerializationException', async () => {
    const answer = await post('RekognitionService.ListCollections', '[1, 2]');
    expect(answer.body.__type).toBe('SerializationException');
  });

  it('refuses a member of the wrong JSON type with SerializationException naming it', async () => {
    const answer = await post('RekognitionService.ListCollections', '{"MaxResults": "ten"}');
    expect(answer.body).toEqual({ __type: 'SerializationException', Message: 'maxResults must be an integer' });
  });

  it('refuses a content type other than JSON with SerializationException', async () => {
    const answer = await post('RekognitionService.ListCollections', '{}', { 'content-type': 'text/plain' });
    expect(answer.body.__type).toBe('SerializationException');
  });

  it('refuses a body over 16 MB with RequestEntityTooLargeException without reading it all', async () => {
    // Declare 17 MB but send only the first kilobyte: the answer must come from the declared length alone. (Sending the
    // whole body races the server's hang-up, so the client may see EPIPE before it reads the 413.)
    const headers = await signedHeaders(
      { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'RekognitionService.DetectFaces' },
      '',
    );
    const answer = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const pending = httpRequest(server.endpoint, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(17 * 1024 * 1024) },
      });
      pending.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          pending.destroy();
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          });
        });
      });
      pending.on('error', (error) => reject(error));
      pending.write(Buffer.alloc(1024, 0x20));
    });
    expect(answer.status).toBe(413);
    expect(answer.body.__type).toBe('RequestEntityTooLargeException');
  });

  it('writes Rekognition exceptions with Code, Logref and Message, which the SDK raises as their own class', async () => {
    const raw = await post('RekognitionService.DescribeCollection', '{"CollectionId": "absent"}');
    expect(raw.body).toEqual({
      __type: 'ResourceNotFoundException',
      Code: 'ResourceNotFoundException',
      Logref: expect.any(String),
      Message: 'The collection id: absent does not exist',
    });
    const raised = server.client.send(new DescribeCollectionCommand({ CollectionId: 'absent' }));
    await expect(raised).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(raised).rejects.toMatchObject({ message: 'The collection id: absent does not exist' });
  });

  it('refuses a missing required member with ValidationException worded as AWS words it', async () => {
    const raised = server.client.send(new CreateCollectionCommand({} as never));
    await expect(raised).rejects.toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value null at 'collectionId' failed to satisfy constraint: Member must not be null",
    });
  });

  it('reports every broken constraint of a request in one ValidationException', async () => {
    const raised = server.client.send(new DeleteFacesCommand({ CollectionId: 'has space', FaceIds: ['not-a-face-id'] }));
    await expect(raised).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "2 validation errors detected: Value 'has space' at 'collectionId' failed to satisfy constraint: Member must satisfy " +
        "regular expression pattern: [a-zA-Z0-9_.\\-]+; Value 'not-a-face-id' at 'faceIds.1.member' failed to satisfy " +
        'constraint: Member must satisfy regular expression pattern: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    });
  });
});
