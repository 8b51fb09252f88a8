/**
 * The whole story in a browser against the whole local stack (local/stack.ts): sign up with an email alone, type the
 * code the sign-in sends (read from the dev mailbox), enroll a photo of an ID card, sign in through the Face Liveness
 * component with a camera video of the same person, see the signed-in page; then a different person's video is
 * refused, a photo with no face and a plain photo of a face (no document) are refused at enrollment, and a PNG photo
 * of an ID card (re-encoded to JPEG by the app, as the upload policy pins image/jpeg) enrolls and signs in after a
 * wrong code was refused, then replaces the ID photo with a new card and deletes the account. Screenshots of every
 * screen go to test-artifacts/browser/.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { Page, Request } from 'playwright-core';
import sharp from 'sharp';
import { mailboxCode } from '../../local/demo/face-login-client';
import { locateFace } from '../../local/rekognition/liveness-client/client';
import type { LivenessSession } from '../../local/rekognition/liveness/sessions';
import { freePort, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/template/local-environment';
import { launchBrowser, openPage, type PageRecord, type TestBrowser } from './browser';
import {
  ARTIFACT_DIR,
  codeFieldCleared,
  enterEmailCode,
  ROOT,
  requireBuiltApp,
  screenshot,
  signUpAndProveEmail,
  submitSignUp,
} from './app-server';
import { startStackProcess, type StackProcess } from './stack-process';
import { idCardOf } from '../support/id-cards';
import { ID_CARD, makeCameraVideo, NO_FACE_PHOTO, PLAIN_PHOTO, SELFIE_OTHER_PERSON, SELFIE_SAME_PERSON } from './camera-video';

// Liveness streams a few seconds of video and the stack scores it on the CPU.
const LIVENESS_TIMEOUT_MS = 120_000;
/** Each scenario: sign-up, upload, indexing, a liveness stream and its scoring. */
const SCENARIO_TIMEOUT_MS = 300_000;

let workDir: string;
let stack: StackProcess;
let sameVideo: string;
let otherVideo: string;
/** samples/jennifer_aniston/id-card.jpg as a PNG: the person of otherVideo, enrolled from a PNG file. */
let otherPersonPngIdCard: string;
/** A new ID card of the person of otherVideo, which replaces the enrolled one. */
let otherPersonNewIdCard: string;
const email = `face.${Date.now()}@example.com`;

beforeAll(async () => {
  await requireBuiltApp();
  await mkdir(ARTIFACT_DIR, { recursive: true });
  workDir = await mkdtemp(join(tmpdir(), 'face-login-browser-'));
  const ports = {
    dynamodb: await freePort(),
    s3: await freePort(),
    rekognition: await freePort(),
    liveness: await freePort(),
    textract: await freePort(),
    cognito: await freePort(),
    ses: await freePort(),
    httpApi: await freePort(),
  };
  // Every session gets the centred oval, the one the camera videos move into (see camera-video.ts).
  stack = await startStackProcess(
    { dataDir: join(workDir, 'data'), appPort: await freePort(), ports, livenessOvalPlacement: 'centred' },
    SCENARIO_TIMEOUT_MS,
  );
  // Where each selfie's face is, as the stack's own DetectFaces finds it.
  const rekognition = new RekognitionClient({ endpoint: stack.rekognitionEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const cameraVideo = async (photoFile: string, outFile: string) => {
    const photo = await readFile(photoFile);
    return makeCameraVideo(photo, await locateFace(rekognition, photo), join(workDir, outFile));
  };
  otherPersonPngIdCard = join(workDir, 'jennifer-id-card.png');
  await sharp(join(ROOT, 'samples', 'jennifer_aniston', 'id-card.jpg'))
    .png()
    .toFile(otherPersonPngIdCard);
  try {
    [sameVideo, otherVideo] = await Promise.all([
      cameraVideo(SELFIE_SAME_PERSON, 'same-person.y4m'),
      cameraVideo(SELFIE_OTHER_PERSON, 'other-person.y4m'),
    ]);
    otherPersonNewIdCard = join(workDir, 'jennifer-new-id-card.jpg');
    await writeFile(otherPersonNewIdCard, await idCardOf(rekognition, await readFile(SELFIE_OTHER_PERSON), 'jennifer-renewed'));
  } finally {
    rekognition.destroy();
  }
}, SCENARIO_TIMEOUT_MS);

/**
 * Each liveness session's verdict as the stack stored it (best effort): the scoring's reasons, or why the stream
 * itself failed (cut off, refused, timed out).
 */
async function livenessVerdicts(): Promise<(Pick<LivenessSession, 'sessionId' | 'status' | 'failure'> & { reasons?: string[] })[]> {
  const dir = join(workDir, 'data', 'rekognition', 'liveness', 'sessions');
  const files = await readdir(dir).catch(() => []);
  return Promise.all(
    files
      .filter((name) => name.endsWith('.json'))
      .map(async (name) => {
        const { sessionId, status, failure, result } = JSON.parse(await readFile(join(dir, name), 'utf8')) as LivenessSession;
        return { sessionId, status, failure, reasons: result?.reasons };
      }),
  );
}

afterAll(async () => {
  // The stack's and the functions' log, and the liveness verdicts, for reading after a failure.
  if (stack) await writeFile(join(ARTIFACT_DIR, 'stack-output.log'), stack.output());
  if (workDir) await writeFile(join(ARTIFACT_DIR, 'liveness-verdicts.json'), JSON.stringify(await livenessVerdicts(), null, 2));
  await stack?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, SCENARIO_TIMEOUT_MS);

function expectCleanRun(record: PageRecord) {
  expect(record.blocked).toEqual([]);
  expect(record.pageErrors).toEqual([]);
  expect(record.consoleErrors).toEqual([]);
}

/** From the sign-in screen with `address` typed: start sign-in. */
async function continueSignIn(page: Page, address: string) {
  await page.getByLabel('Email').fill(address);
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** On the video-check screen: start the liveness component and follow it to its colour flashes. */
async function runVideoCheck(page: Page, screenshotPrefix: string) {
  await page.getByRole('heading', { name: 'Video check' }).waitFor();
  await page.getByRole('button', { name: 'Start video check' }).click();
  await page.getByText('Move closer').or(page.getByText('Center your face')).first().waitFor({ timeout: LIVENESS_TIMEOUT_MS });
  await screenshot(page, `${screenshotPrefix}-oval`);
  // The face fills the oval and the screen flashes its colours (or the check ended before that: the notice says why).
  await page.getByText('Hold still').or(page.getByTestId('notice')).first().waitFor({ timeout: LIVENESS_TIMEOUT_MS });
  await screenshot(page, `${screenshotPrefix}-hold-still`);
}

/** After a video check: the signed-in page, or the text of the notice the app showed instead. */
async function outcomeOfVideoCheck(page: Page): Promise<string> {
  const signedIn = page.getByRole('heading', { name: 'You are signed in' });
  const notice = page.getByTestId('notice');
  await signedIn.or(notice).first().waitFor({ timeout: LIVENESS_TIMEOUT_MS });
  return (await signedIn.count()) > 0 ? 'signed in' : ((await notice.textContent()) ?? '');
}

/** The parts of the presigned POST the app sent: its Content-Type field and the first bytes of its file. */
function uploadedParts(request: Request): { contentType?: string; fileStart: Buffer } {
  const body = request.postDataBuffer() ?? Buffer.alloc(0);
  const text = body.toString('latin1');
  const contentType = /name="Content-Type"\r\n\r\n([^\r]*)\r\n/.exec(text)?.[1];
  const filePart = text.indexOf('name="file"');
  const fileStart = body.subarray(text.indexOf('\r\n\r\n', filePart) + 4).subarray(0, 3);
  return { contentType, fileStart };
}

async function withBrowser<T>(cameraVideo: string, use: (browser: TestBrowser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser({ cameraVideo });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

describe('face login in a browser on the local stack', () => {
  it(
    'signs up, enrolls a photo of an ID card and signs in with a live video of the same person',
    async () => {
      await withBrowser(sameVideo, async ({ browser }) => {
        const { page, record } = await openPage(browser);
        await page.goto(stack.appUrl);
        await submitSignUp(page, email);
        await page.getByRole('heading', { name: 'Check your email' }).waitFor();
        // Sign-up asked for nothing but the email; the code went to the address, which the screen shows masked.
        await expect(page.locator('input[type=password]').count()).resolves.toBe(0);
        await expect(page.getByTestId('code-destination').textContent()).resolves.not.toContain(email.split('@')[0]);
        await screenshot(page, '09-email-code');
        await enterEmailCode(page, email, stack.mailboxUrl);

        await page.getByRole('heading', { name: 'Register your ID photo' }).waitFor();
        await screenshot(page, '10-enroll');
        // The camera path gives a preview too; the enrolled photo is then chosen as a file, which replaces it.
        await page.getByRole('button', { name: 'Use the camera' }).click();
        await page.waitForFunction(() => (document.querySelector('video.camera') as HTMLVideoElement | null)?.readyState === 4);
        await screenshot(page, '10-enroll-camera');
        // click() waits for the button, which stays disabled until the camera delivers frames.
        await page.getByRole('button', { name: 'Take photo' }).click();
        await page.getByRole('img', { name: 'Preview of the ID photo you chose' }).waitFor();
        await page.getByLabel('ID photo file').setInputFiles(ID_CARD);
        await page.getByRole('img', { name: 'Preview of the ID photo you chose' }).waitFor();
        await screenshot(page, '11-enroll-preview');
        await page.getByRole('button', { name: 'Use this photo' }).click();

        await page.getByRole('heading', { name: 'Video check' }).waitFor();
        await screenshot(page, '12-video-check-start');
        const failuresBefore = stack.livenessFailures().length;
        await runVideoCheck(page, '13-video-check');
        const outcome = await outcomeOfVideoCheck(page);
        await screenshot(page, '14-signed-in');
        // On a refusal, the server's reason shows in the failure message.
        expect({ outcome, refusals: stack.livenessFailures().slice(failuresBefore) }).toEqual({ outcome: 'signed in', refusals: [] });
        await expect(page.getByTestId('signed-in-email').textContent()).resolves.toBe(email);

        // Amplify keeps the session across a reload.
        await page.reload();
        await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
        expectCleanRun(record);
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "refuses a different person's video and offers a fresh check",
    async () => {
      await withBrowser(otherVideo, async ({ browser }) => {
        const { page, record } = await openPage(browser);
        await page.goto(stack.appUrl);
        await continueSignIn(page, email);
        const failuresBefore = stack.livenessFailures().length;
        await runVideoCheck(page, '20-other-person');
        const outcome = await outcomeOfVideoCheck(page);
        await screenshot(page, '21-other-person-refused');
        expect(outcome).toContain('We could not confirm that it is you.');
        // Refused because the face is not the enrolled one, not because the liveness check itself failed.
        expect(stack.livenessFailures().slice(failuresBefore)).toEqual(['NO_MATCH']);
        // The fresh check connects first, then offers its start button.
        const startAgain = page.getByRole('button', { name: 'Start video check' });
        await startAgain.waitFor({ timeout: LIVENESS_TIMEOUT_MS });
        await screenshot(page, '22-other-person-fresh-check');
        await expect(startAgain.count()).resolves.toBe(1);
        await expect(page.getByRole('heading', { name: 'You are signed in' }).count()).resolves.toBe(0);
        expect(record.blocked).toEqual([]);
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'refuses an ID photo with no face, then a plain photo of a face that is no document, and asks for another',
    async () => {
      await withBrowser(sameVideo, async ({ browser }) => {
        const { page, record } = await openPage(browser);
        await page.goto(stack.appUrl);
        const newcomer = `noface.${Date.now()}@example.com`;
        await signUpAndProveEmail(page, newcomer, stack.mailboxUrl);
        // The caller learns nothing of why (the stack's log says it: NOT_A_DOCUMENT for both, checked before the faces).
        const refused = async (photo: string, shot: string) => {
          await page.getByLabel('ID photo file').setInputFiles(photo);
          const answered = page.waitForResponse(
            (response) => /RespondToAuthChallenge$/.test(response.request().headers()['x-amz-target'] ?? ''),
            {
              timeout: 60_000,
            },
          );
          await page.getByRole('button', { name: 'Use this photo' }).click();
          await answered;
          await page.getByRole('alert').waitFor({ timeout: 60_000 });
          await expect(page.getByRole('alert').textContent()).resolves.toContain('We could not use that photo.');
          await expect(page.getByRole('heading', { name: 'Register your ID photo' }).count()).resolves.toBe(1);
          await screenshot(page, shot);
        };
        await refused(NO_FACE_PHOTO, '30-no-face-refused');
        await refused(PLAIN_PHOTO, '31-not-a-document-refused');
        expectCleanRun(record);
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'enrolls from a PNG photo of an ID card sent as a JPEG, signs in after a wrong email code, replaces the card, deletes the account',
    async () => {
      await withBrowser(otherVideo, async ({ browser }) => {
        const { page, record } = await openPage(browser);
        await page.goto(stack.appUrl);
        const newcomer = `png.${Date.now()}@example.com`;
        await submitSignUp(page, newcomer);
        await page.getByRole('heading', { name: 'Check your email' }).waitFor();
        const code = await mailboxCode(stack.mailboxUrl, newcomer);
        await enterEmailCode(page, newcomer, stack.mailboxUrl, code === '000000' ? '111111' : '000000');
        const refusal = page.getByRole('alert');
        await refusal.waitFor();
        await expect(refusal.textContent()).resolves.toContain('That code was not accepted.');
        await expect(refusal.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
        await screenshot(page, '40-wrong-code');
        await codeFieldCleared(page);
        await enterEmailCode(page, newcomer, stack.mailboxUrl);

        await page.getByLabel('ID photo file').setInputFiles(otherPersonPngIdCard);
        await page.getByRole('img', { name: 'Preview of the ID photo you chose' }).waitFor();
        const upload = page.waitForRequest(
          (request) => request.method() === 'POST' && (request.headers()['content-type'] ?? '').startsWith('multipart/form-data'),
        );
        await page.getByRole('button', { name: 'Use this photo' }).click();
        const sent = uploadedParts(await upload);
        expect({ contentType: sent.contentType, jpegMagic: sent.fileStart.toString('hex') }).toEqual({
          contentType: 'image/jpeg',
          jpegMagic: 'ffd8ff',
        });

        const failuresBefore = stack.livenessFailures().length;
        await runVideoCheck(page, '41-png-video-check');
        const outcome = await outcomeOfVideoCheck(page);
        await screenshot(page, '42-png-signed-in');
        expect({ outcome, refusals: stack.livenessFailures().slice(failuresBefore) }).toEqual({ outcome: 'signed in', refusals: [] });
        await expect(page.getByTestId('signed-in-email').textContent()).resolves.toBe(newcomer);
        expectCleanRun(record);

        // With that fresh face sign-in, the account API of the stack: replace the ID photo, then delete the account.
        await page.getByRole('button', { name: 'Replace my ID photo' }).click();
        await page.locator('input[name="id-photo"]').setInputFiles(otherPersonNewIdCard);
        await page.getByRole('button', { name: 'Use this photo' }).click();
        const accepted = page.getByRole('status');
        await accepted.waitFor({ timeout: 60_000 });
        await expect(accepted.textContent()).resolves.toContain('Your new ID photo is registered');
        await page.getByRole('button', { name: 'Back to my account' }).click();
        await page.getByRole('button', { name: 'Delete my account' }).click();
        await page.getByLabel('To confirm, type your email address').fill(newcomer);
        await page.getByRole('button', { name: 'Delete my account and face data' }).click();
        await page.getByRole('heading', { name: 'Your account and its face data were deleted' }).waitFor({ timeout: 60_000 });
        const counts = await page.getByTestId('deleted-counts').locator('dd').allTextContents();
        expect(counts.map(Number)).toEqual([1, expect.any(Number), expect.any(Number)]);
        await screenshot(page, '43-png-account-deleted');
        // The user is gone from the pool: the same address now meets the unknown-email path, a video check.
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await continueSignIn(page, newcomer);
        await page.getByRole('heading', { name: 'Video check' }).waitFor();
        expectCleanRun(record);
      });
    },
    SCENARIO_TIMEOUT_MS,
  );
});
