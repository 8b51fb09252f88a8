/**
 * The account actions of the signed-in screen in headless Chromium: replace the ID photo, delete the account. The
 * stand-in triggers sign a user in after the email code (a real session from the Cognito emulator), and the account
 * API and the S3 upload are answered in the page, to the account API contract, so the screens are tested without the
 * backend; the real API is tested end to end on the local stack.
 */
import { join } from 'node:path';
import type { Page, Request, Route } from 'playwright-core';
import { freePort } from '../../local/template/local-environment';
import { launchBrowser, openPage, type PageRecord, type TestBrowser } from './browser';
import { ROOT, requireBuiltApp, screenshot, signUpAndProveEmail } from './app-server';
import { startStandInStack, type StandInStack } from './stand-in-stack';

const FRESH_SIGN_IN_MINUTES = 5;
const ID_PHOTO = join(ROOT, 'samples', 'george_clooney', 'id-card.jpg');
const UPLOAD_ID = '0b7e6a52-3f0c-4d7e-9a51-6c1f2e8d9a10';
const UPLOAD_KEY = `enrollment/sub/${UPLOAD_ID}.jpg`;

let stack: StandInStack;
let browser: TestBrowser;
/** Nothing listens at either: the page answers every call (see accountApi). */
let apiUrl: string;
let bucketUrl: string;

beforeAll(async () => {
  await requireBuiltApp();
  apiUrl = `http://127.0.0.1:${await freePort()}`;
  bucketUrl = `http://127.0.0.1:${await freePort()}/face-bucket`;
  stack = await startStandInStack({
    afterEmailCode: 'TOKENS',
    accountApi: { accountApiUrl: apiUrl, freshSignInMinutes: FRESH_SIGN_IN_MINUTES },
    connectSources: [bucketUrl],
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

interface Answer {
  status: number;
  body?: unknown;
}

/** What the fake account API answers: the POST, each GET of the photo status in turn, the DELETE. */
interface ApiScript {
  issue?: Answer;
  statuses?: Answer[];
  deletion?: Answer;
}

/** The calls the page made, as "METHOD path", and whether each carried the user's access token. */
interface ApiRecord {
  calls: string[];
  withoutAccessToken: string[];
  uploads: { key: string | undefined; contentType: string | undefined; jpeg: boolean }[];
}

function tokenUse(request: Request): string | undefined {
  const [scheme, token] = (request.headers().authorization ?? '').split(' ');
  if (scheme !== 'Bearer' || !token) return undefined;
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { token_use?: string };
  return payload.token_use;
}

/** The value of a multipart field: the part with that name, up to its boundary. */
function multipartField(body: Buffer, name: string): string | undefined {
  const text = body.toString('latin1');
  const match = new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)\\r\\n`).exec(text);
  return match?.[1];
}

/** Answers the account API and the presigned S3 POST in `page`, as the contract says they answer. */
async function accountApi(page: Page, script: ApiScript): Promise<ApiRecord> {
  const record: ApiRecord = { calls: [], withoutAccessToken: [], uploads: [] };
  const appOrigin = new URL(stack.app.url).origin;
  const cors = {
    'Access-Control-Allow-Origin': appOrigin,
    'Access-Control-Allow-Headers': 'authorization',
    'Access-Control-Allow-Methods': 'GET, POST, DELETE',
  };
  const statuses = [...(script.statuses ?? [])];
  const reply = (route: Route, answer: Answer | undefined) =>
    route.fulfill({
      status: answer?.status ?? 500,
      headers: cors,
      contentType: 'application/json',
      body: JSON.stringify(answer?.body ?? { message: 'Internal Server Error' }),
    });

  await page.route(`${apiUrl}/**`, async (route) => {
    const request = route.request();
    if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    const call = `${request.method()} ${new URL(request.url()).pathname}`;
    record.calls.push(call);
    if (tokenUse(request) !== 'access') record.withoutAccessToken.push(call);
    if (call === 'POST /account/id-photo') return reply(route, script.issue);
    if (call === `GET /account/id-photo/${UPLOAD_ID}`) return reply(route, statuses.shift());
    if (call === 'DELETE /account') return reply(route, script.deletion);
    return reply(route, { status: 404, body: { message: 'Not Found' } });
  });
  await page.route(bucketUrl, async (route) => {
    const body = route.request().postDataBuffer() ?? Buffer.alloc(0);
    const jpeg = body.includes(Buffer.from([0xff, 0xd8, 0xff]));
    record.uploads.push({ key: multipartField(body, 'key'), contentType: multipartField(body, 'Content-Type'), jpeg });
    return route.fulfill({ status: 204, headers: { 'Access-Control-Allow-Origin': appOrigin } });
  });
  return record;
}

/** The POST's answer: an upload to the fake bucket. */
function issued(): Answer {
  return {
    status: 200,
    body: { uploadId: UPLOAD_ID, upload: { url: bucketUrl, fields: { key: UPLOAD_KEY, Policy: 'cG9saWN5' } }, maxBytes: 5242880 },
  };
}
const REFUSED: Answer = { status: 403, body: { message: 'Request refused.' } };

let emailCounter = 0;

/** A new user, signed in on a new page (the stand-in triggers issue tokens after the email code). */
async function signedIn(): Promise<{ page: Page; record: PageRecord; email: string; close: () => Promise<void> }> {
  const { context, page, record } = await openPage(browser.browser);
  emailCounter += 1;
  const email = `account${emailCounter}.${Date.now()}@example.com`;
  await page.goto(stack.app.url);
  await signUpAndProveEmail(page, email, `${stack.cognito.endpoint}/mailbox`, 'You are signed in');
  return { page, record, email, close: () => context.close() };
}

async function hasFocus(page: Page, selector: Parameters<Page['getByRole']>): Promise<boolean> {
  return page.getByRole(...selector).evaluate((element) => element === document.activeElement);
}

/** Amplify keeps its tokens in localStorage: a signed-out page holds none, and a reload lands on sign-in. */
async function expectSignedOut(page: Page): Promise<void> {
  const tokenKeys = await page.evaluate(() => Object.keys(localStorage).filter((key) => /accessToken|idToken|refreshToken/.test(key)));
  expect(tokenKeys).toEqual([]);
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
}

async function openReplace(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Replace my ID photo' }).click();
  await page.getByRole('heading', { name: 'Replace my ID photo' }).waitFor();
}

async function sendIdPhoto(page: Page): Promise<void> {
  await page.locator('input[name="id-photo"]').setInputFiles(ID_PHOTO);
  await page.getByRole('button', { name: 'Use this photo' }).click();
}

function expectNothingLeftTheMachine(record: PageRecord) {
  expect(record.blocked).toEqual([]);
  expect(record.pageErrors).toEqual([]);
}

describe('the account actions of the signed-in screen', () => {
  it('are allowed to call the account API by the Content-Security-Policy', async () => {
    const policy = (await fetch(stack.app.url)).headers.get('content-security-policy') ?? '';
    expect(policy).toContain(`connect-src 'self' ${stack.cognito.endpoint} ${apiUrl} `);
  });

  it('offers to replace the ID photo and to delete the account, with the fresh sign-in window', async () => {
    const { page, record, close } = await signedIn();
    await expect(page.getByRole('button', { name: 'Replace my ID photo' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Delete my account' }).count()).resolves.toBe(1);
    await expect(page.getByText(`Within ${FRESH_SIGN_IN_MINUTES} minutes of a face sign-in`).count()).resolves.toBe(1);
    await screenshot(page, 'account-actions');
    expectNothingLeftTheMachine(record);
    expect(record.consoleErrors).toEqual([]);
    await close();
  });
});

describe('replacing the ID photo', () => {
  it('uploads the photo as a JPEG with the presigned fields, polls its status and says it is accepted', async () => {
    const { page, record, close } = await signedIn();
    const api = await accountApi(page, {
      issue: issued(),
      statuses: [
        { status: 200, body: { status: 'PENDING' } },
        { status: 200, body: { status: 'ACCEPTED' } },
      ],
    });
    await openReplace(page);
    await expect(hasFocus(page, ['heading', { name: 'Replace my ID photo' }])).resolves.toBe(true);
    await sendIdPhoto(page);
    const notice = page.getByRole('status');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toContain('Your new ID photo is registered');
    expect(api.calls).toEqual(['POST /account/id-photo', `GET /account/id-photo/${UPLOAD_ID}`, `GET /account/id-photo/${UPLOAD_ID}`]);
    expect(api.withoutAccessToken).toEqual([]);
    expect(api.uploads).toEqual([{ key: UPLOAD_KEY, contentType: 'image/jpeg', jpeg: true }]);
    await screenshot(page, 'replace-id-photo-accepted');
    await page.getByRole('button', { name: 'Back to my account' }).click();
    await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
    expectNothingLeftTheMachine(record);
    await close();
  });

  it('explains a photo refused because its face does not match the sign-in, and takes another', async () => {
    const { page, record, close } = await signedIn();
    const api = await accountApi(page, {
      issue: issued(),
      statuses: [
        { status: 200, body: { status: 'REJECTED', reason: 'NO_MATCH' } },
        { status: 200, body: { status: 'ACCEPTED' } },
      ],
    });
    await openReplace(page);
    await sendIdPhoto(page);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe(
      'The face on the document does not match the face of your video check. Use your own ID document. ' +
        'Your current ID photo stays registered.',
    );
    await expect(alert.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await screenshot(page, 'replace-id-photo-refused');
    // The upload was used; a second try gets a new one.
    await sendIdPhoto(page);
    await page.getByRole('status').waitFor();
    expect(api.calls.filter((call) => call === 'POST /account/id-photo')).toHaveLength(2);
    expectNothingLeftTheMachine(record);
    await close();
  });

  it('asks for a fresh face sign-in when the API refuses (403) before any photo is taken, and signs out to sign in', async () => {
    const { page, record, email, close } = await signedIn();
    await accountApi(page, { issue: REFUSED });
    await openReplace(page);
    const notice = page.getByTestId('notice');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toBe(
      `This needs a recent face sign-in. Sign in again with your face, then replace your ID photo within ${FRESH_SIGN_IN_MINUTES} minutes.`,
    );
    await expect(page.getByRole('button', { name: 'Use the camera' }).count()).resolves.toBe(0);
    await screenshot(page, 'replace-id-photo-sign-in-again');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(email);
    await expectSignedOut(page);
    expectNothingLeftTheMachine(record);
    await close();
  });
});

describe('deleting the account', () => {
  async function openDelete(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Delete my account' }).waitFor();
  }

  const deleteButton = (page: Page) => page.getByRole('button', { name: 'Delete my account and face data' });

  it('does nothing until the user has typed their own email address', async () => {
    const { page, record, email, close } = await signedIn();
    const api = await accountApi(page, { deletion: { status: 200, body: { deleted: { faces: 1, objects: 1, items: 1, user: true } } } });
    await openDelete(page);
    await expect(deleteButton(page).isDisabled()).resolves.toBe(true);
    await deleteButton(page).click({ force: true });
    await page.getByLabel('To confirm, type your email address').fill(`other.${email}`);
    await expect(deleteButton(page).isDisabled()).resolves.toBe(true);
    await page.getByLabel('To confirm, type your email address').press('Enter');
    await page.getByLabel('To confirm, type your email address').fill(email);
    await expect(deleteButton(page).isEnabled()).resolves.toBe(true);
    // The button fades from its disabled colour.
    await deleteButton(page).evaluate((button) => Promise.all(button.getAnimations().map((animation) => animation.finished)));
    await screenshot(page, 'delete-account');
    expect(api.calls).toEqual([]);
    await page.getByRole('button', { name: 'Keep my account' }).click();
    await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
    expectNothingLeftTheMachine(record);
    await close();
  });

  it('deletes the account once confirmed, shows what was deleted and leaves the user signed out', async () => {
    const { page, record, email, close } = await signedIn();
    const api = await accountApi(page, { deletion: { status: 200, body: { deleted: { faces: 2, objects: 5, items: 7, user: true } } } });
    await openDelete(page);
    await page.getByLabel('To confirm, type your email address').fill(email);
    await deleteButton(page).click();
    const heading = page.getByRole('heading', { name: 'Your account and its face data were deleted' });
    await heading.waitFor();
    await expect(heading.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await expect(page.getByTestId('deleted-counts').locator('dt, dd').allTextContents()).resolves.toEqual([
      'Faces removed from the face collection',
      '2',
      'Photos and video check images deleted',
      '5',
      'Records deleted',
      '7',
    ]);
    expect(api.calls).toEqual(['DELETE /account']);
    expect(api.withoutAccessToken).toEqual([]);
    await screenshot(page, 'account-deleted');
    await expectSignedOut(page);
    expectNothingLeftTheMachine(record);
    await close();
  });

  it('asks for a fresh face sign-in when the API refuses (403)', async () => {
    const { page, record, email, close } = await signedIn();
    await accountApi(page, { deletion: REFUSED });
    await openDelete(page);
    await page.getByLabel('To confirm, type your email address').fill(email);
    await deleteButton(page).click();
    const notice = page.getByTestId('notice');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toBe(
      `This needs a recent face sign-in. Sign in again with your face, then delete your account within ${FRESH_SIGN_IN_MINUTES} minutes.`,
    );
    await expect(page.getByRole('button', { name: 'Sign in again' }).count()).resolves.toBe(1);
    expectNothingLeftTheMachine(record);
    await close();
  });

  it('says the deletion did not work, never with the server text, when the API fails', async () => {
    const { page, record, email, close } = await signedIn();
    await accountApi(page, { deletion: { status: 500, body: { message: 'ConditionalCheckFailed on table face-table' } } });
    await openDelete(page);
    await page.getByLabel('To confirm, type your email address').fill(email);
    await deleteButton(page).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe(
      'That did not work, because of a problem on our side or with the connection. Try again in a few minutes.',
    );
    await expect(deleteButton(page).isEnabled()).resolves.toBe(true);
    expectNothingLeftTheMachine(record);
    await close();
  });
});
