/**
 * What `npm run demo` decides before it signs anyone in: its command line, whether a local stack is running, and which
 * photos it accepts. The walk-through itself is the path tests/integration/flow/face-login.test.ts covers through the
 * same SDK calls; running it here would add minutes of real-time liveness video on two cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseDemoArguments, UsageError } from '../../../local/demo/arguments';
import { mailboxCode, readPhoto } from '../../../local/demo/face-login-client';
import { detectRunningStack } from '../../../local/demo/stack-connection';
import { freePort } from '../../../local/template/local-environment';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'demo-setup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stack-outputs.json as `npm start` writes it, pointing at `cognito`. */
function writeOutputs(cognito: string): void {
  const outputs = {
    region: 'us-east-1',
    endpoints: {
      cognito,
      jwks: `${cognito}/us-east-1_demo/.well-known/jwks.json`,
      liveness: 'https://127.0.0.1:1',
      mailbox: `${cognito}/mailbox`,
    },
    userPoolId: 'us-east-1_demo',
    userPoolClientId: 'democlient',
    livenessCertificatePath: join(dir, 'cert.pem'),
  };
  writeFileSync(join(dir, 'stack-outputs.json'), JSON.stringify(outputs));
}

describe('the demo command line', () => {
  it('uses the shipped sample ID cards and photos when no photo is given', () => {
    const args = parseDemoArguments([]);
    expect(args.idPhoto).toMatch(/samples\/angelina_jolie\/id-card\.jpg$/);
    expect(args.selfie).toMatch(/samples\/angelina_jolie\/selfie\.jpg$/);
    expect(args.otherPerson).toMatch(/samples\/jennifer_aniston\/selfie\.jpg$/);
    expect(args.otherIdPhoto).toMatch(/samples\/jennifer_aniston\/id-card\.jpg$/);
    expect(args.ownStack).toBe(false);
  });

  it('refuses an unknown option', () => {
    expect(() => parseDemoArguments(['--selfy', 'x.jpg'])).toThrow(UsageError);
  });

  it('refuses a photo path that does not exist, naming the option and the path', () => {
    expect(() => parseDemoArguments(['--selfie', join(dir, 'missing.jpg')])).toThrow(
      `--selfie: ${join(dir, 'missing.jpg')} does not exist`,
    );
  });

  it('refuses the same photo as the selfie and as the other person', () => {
    const photo = join(dir, 'same.jpg');
    writeFileSync(photo, 'x');
    expect(() => parseDemoArguments(['--selfie', photo, '--other-person', photo])).toThrow('--other-person must be a different photo');
  });
});

describe('finding a running stack', () => {
  it('reports no stack when the data folder has no stack-outputs.json', async () => {
    await expect(detectRunningStack(dir)).resolves.toEqual({ running: false, why: expect.stringContaining('no stack-outputs.json') });
  });

  it('does not take a stack-outputs.json left by a stack that is gone for a running stack', async () => {
    writeOutputs(`http://127.0.0.1:${await freePort()}`);
    await expect(detectRunningStack(dir)).resolves.toEqual({
      running: false,
      why: expect.stringContaining('left from a stack that is gone'),
    });
  });

  it('finds a stack whose Cognito endpoint serves the JWKS', async () => {
    const server: Server = createServer((req, res) => {
      const jwks = req.url === '/us-east-1_demo/.well-known/jwks.json';
      res.writeHead(jwks ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks ? { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] } : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address() as { port: number };
      writeOutputs(`http://127.0.0.1:${address.port}`);
      const found = await detectRunningStack(dir);
      expect(found).toMatchObject({ running: true, outputs: { userPoolClientId: 'democlient' } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not take an endpoint that answers without keys for a running stack', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      writeOutputs(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      await expect(detectRunningStack(dir)).resolves.toEqual({ running: false, why: expect.stringContaining('without keys') });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the photos the demo uploads', () => {
  it('converts a PNG ID photo to JPEG, the one type the upload policy takes', async () => {
    const png = join(dir, 'id.png');
    writeFileSync(
      png,
      await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 1 } } })
        .png()
        .toBuffer(),
    );
    const bytes = await readPhoto(png, '--id-photo');
    expect((await sharp(bytes).metadata()).format).toBe('jpeg');
  });

  it('refuses a file that is neither JPEG nor PNG, naming it', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a photo');
    await expect(readPhoto(text, '--id-photo')).rejects.toThrow(`--id-photo ${text} is neither a JPEG nor a PNG`);
  });
});

describe('reading the email code from the dev mailbox', () => {
  /** A mailbox that answers `messages` for one address, the way the stack's serves GET /mailbox/<email>. */
  async function mailbox(
    address: string,
    messages: () => Array<{ code: string }>,
  ): Promise<{ url: string; close: () => Promise<unknown> }> {
    const server: Server = createServer((req, res) => {
      const mine = req.url === `/mailbox/${encodeURIComponent(address)}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messages: mine ? messages() : [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mailbox`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  it('takes the code of the newest message to the address', async () => {
    const box = await mailbox('ada@example.com', () => [{ code: '111111' }, { code: '222222' }]);
    try {
      await expect(mailboxCode(box.url, 'ada@example.com')).resolves.toBe('222222');
    } finally {
      await box.close();
    }
  });

  it('waits for a message that is still on its way', async () => {
    const arrivesAt = Date.now() + 300;
    const box = await mailbox('late@example.com', () => (Date.now() >= arrivesAt ? [{ code: '333333' }] : []));
    try {
      await expect(mailboxCode(box.url, 'late@example.com')).resolves.toBe('333333');
    } finally {
      await box.close();
    }
  });

  it('names the address when no code arrives in time', async () => {
    const box = await mailbox('ada@example.com', () => [{ code: '111111' }]);
    try {
      await expect(mailboxCode(box.url, 'nobody@example.com', 200)).rejects.toThrow(
        'no message with a code for nobody@example.com in the mailbox after 200 ms',
      );
    } finally {
      await box.close();
    }
  });
});
