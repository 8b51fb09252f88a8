/**
 * The built web app in headless Chromium, served by startAppServer, against the local Cognito emulator:
 * what it shows, where it sends the user, that it stays on this machine and keeps to its Content-Security-Policy.
 * The emulator calls stand-ins for the triggers (stand-in-stack.ts) that go as far as ENROLL_ID_PHOTO; sign-in past
 * it needs the whole local stack and the real functions: see face-login.test.ts.
 */
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import type { Page } from 'playwright-core';
import { startAppServer } from '../../local/web/serve-app';
import { launchBrowser, openPage, type PageRecord, type TestBrowser } from './browser';
import { freePort } from '../../local/template/local-environment';
import { codeFieldCleared, DIST_DIR, enterEmailCode, requireBuiltApp, screenshot, submitSignUp } from './app-server';
import { appConfig, POOL_ID, startStandInStack, type StandInStack } from './stand-in-stack';

let stack: StandInStack;
let app: StandInStack['app'];
let cognito: StandInStack['cognito'];
let dataDir: string;
let browser: TestBrowser;

beforeAll(async () => {
  await requireBuiltApp();
  stack = await startStandInStack({ afterEmailCode: 'ENROLL_ID_PHOTO' });
  ({ app, cognito, dataDir } = stack);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function open(options?: Parameters<typeof openPage>[1]): Promise<{ page: Page; record: PageRecord; close: () => Promise<void> }> {
  const { context, page, record } = await openPage(browser.browser, options);
  await page.goto(app.url);
  return { page, record, close: () => context.close() };
}

function expectCleanRun(record: PageRecord) {
  expect(record.blocked).toEqual([]);
  expect(record.pageErrors).toEqual([]);
  expect(record.consoleErrors).toEqual([]);
}

let emailCounter = 0;
function newEmail(): string {
  emailCounter += 1;
  return `person${emailCounter}.${Date.now()}@example.com`;
}

describe('the app server', () => {
  it('serves the app with a Content-Security-Policy that allows only itself and the configured endpoints', async () => {
    const response = await fetch(app.url);
    expect(response.status).toBe(200);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).toContain(`connect-src 'self' ${cognito.endpoint} wss://localhost:4581`);
    expect(policy).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the runtime config it was given at /config.json', async () => {
    const response = await fetch(`${app.url}/config.json`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ userPoolId: POOL_ID, userPoolEndpoint: cognito.endpoint });
  });

  it('serves the face model and the tfjs wasm binaries itself, with their content types', async () => {
    const model = await fetch(`${app.url}/models/blazeface/model.json`);
    expect(model.status).toBe(200);
    expect(((await model.json()) as { format: string }).format).toBe('graph-model');
    const weights = await fetch(`${app.url}/models/blazeface/group1-shard1of1.bin`);
    expect((await weights.arrayBuffer()).byteLength).toBe(401768);
    for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
      const wasm = await fetch(`${app.url}/tfjs-wasm/${file}`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      // Every wasm module starts with "\0asm".
      expect(Buffer.from(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    }
  });

  it('refuses a path that climbs out of the build folder', async () => {
    // node:http sends the path as written (fetch would normalise the dots away).
    for (const path of ['/../../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json']) {
      const status = await new Promise<number | undefined>((resolve, reject) =>
        httpGet(`${app.url}${path}`, { path }, (response) => {
          response.resume();
          resolve(response.statusCode);
        }).on('error', reject),
      );
      expect(status).toBe(404);
    }
  });

  it('refuses methods other than GET and HEAD', async () => {
    const response = await fetch(app.url, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
  });

  it('refuses to start with an invalid config', async () => {
    const config = { ...appConfig(cognito.endpoint), userPoolId: 'not-a-pool' };
    await expect(startAppServer({ host: '127.0.0.1', port: 0, distDir: DIST_DIR, config })).rejects.toThrow(
      'config.userPoolId must look like',
    );
  });

  it('refuses to start without a built app', async () => {
    await expect(
      startAppServer({ host: '127.0.0.1', port: 0, distDir: join(dataDir, 'missing'), config: appConfig(cognito.endpoint) }),
    ).rejects.toThrow('run `npm run build:app` first');
  });
});

describe('the web app in a browser', () => {
  it('opens on the sign-in screen with focus on its heading, nothing fetched from outside the machine', async () => {
    const { page, record, close } = await open();
    const heading = page.getByRole('heading', { level: 1, name: 'Sign in with your face' });
    await heading.waitFor();
    await expect(heading.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await expect(page.getByLabel('Email').count()).resolves.toBe(1);
    await screenshot(page, '01-sign-in');
    expectCleanRun(record);
    await close();
  });

  it('signs a new user up with an email alone and asks for the code the sign-in sent to it, never for a password', async () => {
    const { page, record, close } = await open();
    const email = newEmail();
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await screenshot(page, '02-sign-up');
    await page.getByRole('button', { name: 'I already have an account: sign in' }).click();
    await submitSignUp(page, email);

    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await expect(page.locator('input[type=password]').count()).resolves.toBe(0);
    await expect(page.getByTestId('code-destination').textContent()).resolves.toBe('p***@e***.com');
    const mailboxLink = page.getByRole('link', { name: 'development mailbox' });
    await expect(mailboxLink.getAttribute('href')).resolves.toBe(`${cognito.endpoint}/mailbox/${encodeURIComponent(email)}`);
    await screenshot(page, '03-email-code');

    await enterEmailCode(page, email, `${cognito.endpoint}/mailbox`);
    await page.getByRole('heading', { name: 'Register your ID photo' }).waitFor();
    await screenshot(page, '04-email-proven');
    expectCleanRun(record);
    await close();
  });

  it('refuses a wrong email code without saying why, moves focus to the message and takes the next try', async () => {
    const { page, close } = await open();
    const email = newEmail();
    await submitSignUp(page, email);
    await enterEmailCode(page, email, `${cognito.endpoint}/mailbox`, 'abcdef');
    const notice = page.getByRole('alert');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toBe(
      'That code was not accepted. Check the newest email from us and type its code. After 3 wrong codes, sign-in starts again.',
    );
    await expect(notice.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await codeFieldCleared(page);
    await screenshot(page, '05-wrong-code');
    await enterEmailCode(page, email, `${cognito.endpoint}/mailbox`);
    await page.getByRole('heading', { name: 'Register your ID photo' }).waitFor();
    await close();
  });

  it('ends the sign-in after three wrong codes and says to start again', async () => {
    const { page, close } = await open();
    const email = newEmail();
    await submitSignUp(page, email);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await enterEmailCode(page, email, `${cognito.endpoint}/mailbox`, 'abcdef');
      if (attempt < 3) await codeFieldCleared(page);
    }
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('This sign-in has ended');
    await close();
  });

  it('goes on to sign in, with a code to the address, when the email already has an account', async () => {
    const { page, close } = await open();
    const email = newEmail();
    await submitSignUp(page, email);
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await page.goto(app.url);
    await submitSignUp(page, email);
    await enterEmailCode(page, email, `${cognito.endpoint}/mailbox`);
    await page.getByRole('heading', { name: 'Register your ID photo' }).waitFor();
    await close();
  });

  it('fits a phone-sized screen without sideways scrolling', async () => {
    const { page, record, close } = await open({ viewport: { width: 360, height: 740 }, isMobile: true });
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, '06-sign-in-phone');
    expectCleanRun(record);
    await close();
  });

  it('can be driven by keyboard alone from the heading to the sign-up form', async () => {
    const { page, close } = await open();
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    await page.keyboard.press('Tab'); // email field
    await page.keyboard.press('Tab'); // Continue
    await page.keyboard.press('Tab'); // Create an account
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => (document.activeElement as HTMLInputElement).name)).resolves.toBe('email');
    await close();
  });

  it('says the service cannot be reached when Cognito does not answer', async () => {
    const closedPort = await freePort();
    const offline = await startAppServer({
      host: '127.0.0.1',
      port: 0,
      distDir: DIST_DIR,
      config: appConfig(`http://127.0.0.1:${closedPort}`),
    });
    const { context, page } = await openPage(browser.browser);
    await page.goto(offline.url);
    await submitSignUp(page, newEmail());
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'The service could not be reached. Check your connection and try again.',
    );
    await context.close();
    await offline.close();
  });
});
