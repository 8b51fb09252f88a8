/** The web app's own server, on a stand-in build (an index.html): its answers to requests no browser sends. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppServer, startAppServer } from '../../../local/web/serve-app';
import { rawRequest } from '../../support/raw-request';

let distDir: string;
let app: AppServer;

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'serve-app-'));
  await writeFile(join(distDir, 'index.html'), '<!doctype html><title>app</title>');
  app = await startAppServer({
    host: '127.0.0.1',
    port: 0,
    distDir,
    config: {
      region: 'us-east-1',
      userPoolId: 'us-east-1_AppTest1',
      userPoolClientId: 'apptestclient',
      userPoolEndpoint: 'http://127.0.0.1:4566',
      mailboxUrl: 'http://127.0.0.1:4566/mailbox',
      lockoutMinutes: 30,
      liveness: { endpointOverride: 'wss://localhost:4581', faceModelUrl: '/models/blazeface/model.json', binaryPath: '/tfjs-wasm/' },
    },
  });
});

afterAll(async () => {
  await app?.close();
  await rm(distDir, { recursive: true, force: true });
});

it('answers a request target that is no path with 400, and serves the next request', async () => {
  const answer = await rawRequest(app.url, 'GET //:99999 HTTP/1.1');
  expect(answer.status).toBe(400);
  expect(answer.body).toBe('bad request\n');
  expect((await fetch(app.url)).status).toBe(200);
});
