/**
 * The attack catalogue of issue 9, each tried through the public APIs only (Cognito API, presigned POST, liveness
 * stream) against `npm start`, as a stranger would. Each test failed on the flow before the fix. The stack locks a
 * user after 3 failed checks (LockoutFailures=3) so the lockout cases stay short; everything else is the default.
 * The local liveness stand-in now and then scores a genuine photo-made video low: a genuine sign-in gets the one
 * retry the flow offers, as a user would (a failure below the lockout limit).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startStackProcess, type StackProcess } from '../stack/stack-process';
import {
  answerEnrollment,
  enroll,
  fixture,
  flowUser,
  passLiveness,
  printedLine,
  stackTable,
  startEnrollment,
  streamLiveness,
  uploadIdPhoto,
  type FlowUser,
} from './harness';
import { idCardOf } from '../../support/id-cards';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** One person of samples/ per test, so that no enrollment meets another test's confirmed face. */
const sample = (person: string, photo: 'id-card' | 'selfie') =>
  readFileSync(new URL(`../../../samples/${person}/${photo}.jpg`, import.meta.url));
const ANGELINA_PUBLIC_PHOTO = fixture('liveness-id-photo-angelina_jolie-img2.jpg');
const JENNIFER = sample('jennifer_aniston', 'selfie');
const SCARLETT = sample('scarlett_johansson', 'selfie');

type Answer = Awaited<ReturnType<FlowUser['startSignIn']>>;

/** Cognito's own words for a refused sign-in; no other text may reach a caller. */
const PUBLIC_REFUSALS = new Set(['Incorrect username or password.', 'Invalid session for the user.', 'Request refused.']);

describe('attacks on the sign-in through the public APIs', () => {
  let stack: StackProcess;
  let table: ReturnType<typeof stackTable>;
  /** Every error message any caller received in this suite: none may carry internal text. */
  const callerMessages: string[] = [];

  /** Runs a call that must be refused and keeps the message the caller saw. */
  async function refused(call: Promise<unknown>, name = 'NotAuthorizedException'): Promise<void> {
    const error = (await call.then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error | undefined;
    expect(error?.name).toBe(name);
    callerMessages.push(error!.message);
  }

  /** A wrong email code: any 6 digits other than the one in the mailbox. */
  async function wrongCode(user: FlowUser): Promise<string> {
    const code = await user.mailboxCode();
    return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  }

  /** A new sign-in of an enrolled user, streaming `selfie` into its liveness session and answering it. */
  async function liveSignIn(user: FlowUser, selfie: Buffer): Promise<{ challenge: Answer; answer: Answer | undefined }> {
    const challenge = await user.startSignIn();
    expect(challenge.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    expect((await streamLiveness(stack, challenge.ChallengeParameters!.sessionId!, selfie)).exceptions).toEqual([]);
    try {
      return { challenge, answer: await user.answer(challenge.Session!, challenge.ChallengeParameters!.sessionId!) };
    } catch (error) {
      callerMessages.push((error as Error).message);
      if ((error as Error).name !== 'NotAuthorizedException') throw error;
      return { challenge, answer: undefined };
    }
  }

  /** Signs up and enrolls, then passes the first live match, which confirms the enrollment. */
  async function enrollAndConfirm(user: FlowUser, idPhoto: Buffer, selfie: Buffer): Promise<string> {
    const { live, sub } = await enroll(user, idPhoto);
    expect((await passLiveness(stack, user, live, selfie)).AuthenticationResult?.IdToken).toEqual(expect.any(String));
    return sub;
  }

  const item = (sub: string, sk: string) => table.item(sub, sk);

  const failureCount = async (sub: string) =>
    (
      await table.client.send(
        new QueryCommand({
          TableName: stack.outputs.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :failure)',
          ExpressionAttributeValues: { ':pk': `USER#${sub}`, ':failure': 'FAILURE#' },
          ConsistentRead: true,
        }),
      )
    ).Items?.length ?? 0;

  beforeAll(async () => {
    stack = await startStackProcess(['--parameter', 'LockoutFailures=3']);
    table = stackTable(stack);
  }, 120000);

  afterAll(() => {
    table?.destroy();
    return stack?.dispose();
  });

  describe('1. enrollment takeover', () => {
    test('a stranger who knows only the email of a user who has not enrolled gets an email code, never an upload policy', async () => {
      const victim = flowUser(stack, 'takeover-victim@example.com');
      await victim.signUp();
      const stranger = await victim.startSignIn();
      // Cognito adds USERNAME to every challenge's parameters; the rest is ours.
      const { USERNAME: _username, ...parameters } = stranger.ChallengeParameters!;
      expect(parameters).toEqual({ step: 'EMAIL_CODE', destination: 't***@e***.com', codeLength: '6' });
      // A wrong guess answers with another email code step, never an upload; the third ends the sign-in.
      const second = await victim.answer(stranger.Session!, await wrongCode(victim));
      expect(second.ChallengeParameters?.step).toBe('EMAIL_CODE');
      expect(second.ChallengeParameters?.uploadUrl).toBeUndefined();
      const third = await victim.answer(second.Session!, await wrongCode(victim));
      expect(third.ChallengeParameters?.step).toBe('EMAIL_CODE');
      await refused(victim.answer(third.Session!, await wrongCode(victim)));
    }, 60000);

    test('the owner of the email enrolls with the code only they receive, and signs in with their face', async () => {
      const owner = flowUser(stack, 'takeover-owner@example.com');
      const sub = await enrollAndConfirm(owner, sample('elon_musk', 'id-card'), sample('elon_musk', 'selfie'));
      expect(await item(sub, 'ACTIVE_ENROLLMENT')).toMatchObject({ state: 'CONFIRMED' });
    }, 120000);
  });

  describe('2. a held upload policy', () => {
    test("an earlier sign-in's policy cannot replace the enrolled face; a second post to the used key changes nothing", async () => {
      const user = flowUser(stack, 'held-policy@example.com');
      await user.signUp();
      const held = await startEnrollment(user);
      // The user (or someone who got this policy) keeps it; the user enrolls through a second sign-in.
      const { live, enrollChallenge: used } = await answerEnrollment(
        user,
        await startEnrollment(user),
        sample('george_clooney', 'id-card'),
      );
      expect(live.ChallengeParameters?.step).toBe('FACE_LIVENESS');
      expect((await passLiveness(stack, user, live, sample('george_clooney', 'selfie'))).AuthenticationResult).toBeDefined();
      const sub = JSON.parse(used.ChallengeParameters!.uploadFields!).key.split('/')[1] as string;
      const enrolled = await item(sub, 'ACTIVE_ENROLLMENT');

      const since = stack.output().length;
      expect((await uploadIdPhoto(held.ChallengeParameters!, sample('scarlett_johansson', 'id-card'))).status).toBe(204);
      await printedLine(stack, since, /"message":"enrollment decided".*"status":"REJECTED".*"reason":"ALREADY_ENROLLED"/, 30000);
      const again = stack.output().length;
      expect((await uploadIdPhoto(used.ChallengeParameters!, sample('scarlett_johansson', 'id-card'))).status).toBe(204);
      await printedLine(stack, again, /\[IndexFaceFunction\]/, 30000);

      expect(await item(sub, 'ACTIVE_ENROLLMENT')).toEqual(enrolled);
      const impostor = await liveSignIn(user, SCARLETT);
      expect(impostor.answer?.AuthenticationResult).toBeUndefined();
      expect(
        (await passLiveness(stack, user, await user.startSignIn(), sample('george_clooney', 'selfie'))).AuthenticationResult,
      ).toBeDefined();
    }, 180000);

    test('the upload policy expires after about two minutes', async () => {
      const user = flowUser(stack, 'policy-lifetime@example.com');
      await user.signUp();
      const challenge = await startEnrollment(user);
      const policy = JSON.parse(Buffer.from(JSON.parse(challenge.ChallengeParameters!.uploadFields!).Policy, 'base64').toString()) as {
        expiration: string;
      };
      const lifetimeSeconds = (Date.parse(policy.expiration) - Date.now()) / 1000;
      expect(lifetimeSeconds).toBeGreaterThan(90);
      expect(lifetimeSeconds).toBeLessThanOrEqual(120);
    }, 60000);
  });

  describe('3. face squatting', () => {
    test("a forged ID card with someone's public photo, enrolled on a stranger's account, blocks nobody", async () => {
      const squatter = flowUser(stack, 'squatter@example.com');
      const { live } = await enroll(squatter, await idCardOf(stack.rekognition, ANGELINA_PUBLIC_PHOTO, squatter.email));
      // The squatter cannot confirm it with their own face.
      expect((await streamLiveness(stack, live.ChallengeParameters!.sessionId!, JENNIFER)).exceptions).toEqual([]);
      const refusedMatch = await squatter.answer(live.Session!, live.ChallengeParameters!.sessionId!);
      expect(refusedMatch.AuthenticationResult).toBeUndefined();

      const owner = flowUser(stack, 'squatted-owner@example.com');
      const sub = await enrollAndConfirm(owner, sample('angelina_jolie', 'id-card'), sample('angelina_jolie', 'selfie'));
      expect(await item(sub, 'ACTIVE_ENROLLMENT')).toMatchObject({ state: 'CONFIRMED' });
    }, 180000);
  });

  describe('4. existence leaks', () => {
    let enrolledChallenge: Answer;

    beforeAll(async () => {
      const enrolled = flowUser(stack, 'leak-enrolled@example.com');
      await enrollAndConfirm(enrolled, sample('leonardo_dicaprio', 'id-card'), sample('leonardo_dicaprio', 'selfie'));
      enrolledChallenge = await enrolled.startSignIn();
    }, 120000);

    test("an unknown email gets a liveness challenge shaped exactly like an enrolled user's", async () => {
      const unknown = await flowUser(stack, 'nobody-here@example.com').startSignIn();
      expect(Object.keys(unknown.ChallengeParameters!).sort()).toEqual(Object.keys(enrolledChallenge.ChallengeParameters!).sort());
      expect(unknown.ChallengeParameters!.step).toBe('FACE_LIVENESS');
      expect(unknown.ChallengeParameters!.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(unknown.ChallengeParameters!.region).toBe(enrolledChallenge.ChallengeParameters!.region);
    }, 60000);

    test("an unknown email's liveness session streams like a real one and is refused like a real mismatch", async () => {
      const stranger = flowUser(stack, 'nobody-streams@example.com');
      const unknown = await stranger.startSignIn();
      const stream = await streamLiveness(stack, unknown.ChallengeParameters!.sessionId!, SCARLETT);
      expect(stream.exceptions).toEqual([]);
      expect(stream.disconnected).toBe(true);
      const next = await stranger.answer(unknown.Session!, unknown.ChallengeParameters!.sessionId!);
      // A real user whose face did not match gets a fresh liveness challenge in the same session: so does this.
      expect(next.ChallengeParameters?.step).toBe('FACE_LIVENESS');
      expect(next.AuthenticationResult).toBeUndefined();
    }, 60000);

    test('an unknown email is locked out after failed streamed checks, exactly as an enrolled user is', async () => {
      const stranger = flowUser(stack, 'nobody-locked@example.com');
      const first = await stranger.startSignIn();
      await streamLiveness(stack, first.ChallengeParameters!.sessionId!, SCARLETT);
      const second = await stranger.answer(first.Session!, first.ChallengeParameters!.sessionId!);
      await streamLiveness(stack, second.ChallengeParameters!.sessionId!, SCARLETT);
      const third = await stranger.answer(second.Session!, second.ChallengeParameters!.sessionId!);
      await streamLiveness(stack, third.ChallengeParameters!.sessionId!, SCARLETT);
      await refused(stranger.answer(third.Session!, third.ChallengeParameters!.sessionId!));
      // A new auth session is refused at once: the pseudo-identity is locked, as a real user would be.
      await refused(stranger.startSignIn());
    }, 90000);
  });

  describe('5. lockout as a weapon', () => {
    let user: FlowUser;
    let sub: string;

    beforeAll(async () => {
      user = flowUser(stack, 'lockout-target@example.com');
      sub = await enrollAndConfirm(user, sample('mark_zuckerberg', 'id-card'), sample('mark_zuckerberg', 'selfie'));
    }, 120000);

    test('plain wrong strings end the auth session after three but never lock the user', async () => {
      const failuresBefore = await failureCount(sub);
      for (let session = 0; session < 3; session += 1) {
        let challenge = await user.startSignIn();
        challenge = await user.answer(challenge.Session!, 'not-the-session-id');
        challenge = await user.answer(challenge.Session!, crypto.randomUUID());
        await refused(user.answer(challenge.Session!, 'uploaded'));
      }
      expect(await item(sub, 'LOCKOUT')).toBeUndefined();
      expect(await failureCount(sub)).toBe(failuresBefore);
      expect(
        (await passLiveness(stack, user, await user.startSignIn(), sample('mark_zuckerberg', 'selfie'))).AuthenticationResult,
      ).toBeDefined();
    }, 120000);

    test('nothing is written while a user is locked, so more attempts never extend the lock', async () => {
      // Another person's face until the lock: three failed checks, fewer if a genuine retry already failed one.
      for (let attempt = 0; attempt < 3 && !(await item(sub, 'LOCKOUT')); attempt += 1) await liveSignIn(user, JENNIFER);
      const lock = await item(sub, 'LOCKOUT');
      expect(lock?.lockedUntil).toEqual(expect.any(Number));
      const failures = await failureCount(sub);
      for (let attempt = 0; attempt < 4; attempt += 1) await refused(user.startSignIn());
      expect(await item(sub, 'LOCKOUT')).toEqual(lock);
      expect(await failureCount(sub)).toBe(failures);
    }, 120000);
  });

  describe('6. internal text', () => {
    test('junk client metadata changes nothing: the next challenge comes as usual', async () => {
      const user = flowUser(stack, 'metadata-junk@example.com');
      await user.signUp();
      const first = await user.startSignIn();
      const next = await user.answer(first.Session!, await user.mailboxCode(), {
        contentType: 'image/gif',
        livenessPassed: 'true',
        step: 'x'.repeat(500),
      });
      expect(next.ChallengeParameters?.step).toBe('ENROLL_ID_PHOTO');
      expect(next.ChallengeParameters?.contentTypes).toBe('image/jpeg');
    }, 60000);

    test('no refusal any caller received in these attacks carries internal text', () => {
      expect(callerMessages.length).toBeGreaterThan(5);
      for (const message of callerMessages) {
        expect(message).not.toMatch(/Function|Exception|Error|at |\.ts|\.mjs|dynamo|rekognition|s3/i);
        const trigger = /^\w+ failed with error (.*)\.$/.exec(message);
        if (trigger) expect(PUBLIC_REFUSALS).toContain(`${trigger[1]}.`);
      }
    });
  });

  describe('8. guesses sent at once', () => {
    test('wrong email codes answered at once from many auth sessions are checked no more often than the lockout allows', async () => {
      const user = flowUser(stack, 'guessed-at-once@example.com');
      const sub = (await user.signUp()).UserSub!;
      const sessions: Answer[] = [];
      for (let session = 0; session < 8; session += 1) sessions.push(await user.startSignIn());
      // One guess per session, all at once: each auth session allows three, so sessions multiply the guesses.
      const answers = await Promise.allSettled(sessions.map((session) => user.answer(session.Session!, '000000')));
      expect(answers.every((answer) => answer.status === 'rejected' || !answer.value.AuthenticationResult)).toBe(true);
      expect(await failureCount(sub)).toBeLessThanOrEqual(3);
      expect(await item(sub, 'LOCKOUT')).toMatchObject({ lockedUntil: expect.any(Number) });
    }, 120000);
  });

  describe("7. Cognito's retry of a slow verify", () => {
    const run = promisify(execFile);

    /** Invokes the verify function as Cognito does, through `npm run invoke` against this stack. */
    async function invokeVerify(eventFile: string): Promise<boolean> {
      const port = (url: string | undefined) => new URL(url!).port;
      const { endpoints } = stack.outputs;
      const { stdout } = await run(
        join(ROOT, 'node_modules/.bin/tsx'),
        [
          'local/invoke.ts',
          'VerifyAuthChallengeFunction',
          eventFile,
          '--parameter',
          'LockoutFailures=3',
          '--dynamodb-port',
          port(endpoints.dynamodb),
          '--s3-port',
          port(endpoints.s3),
          '--rekognition-port',
          port(endpoints.rekognition),
          '--textract-port',
          port(endpoints.textract),
        ],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      );
      const verdict = /"answerCorrect":\s*(true|false)/.exec(stdout);
      if (!verdict) throw new Error(`no answer in the invocation's output:\n${stdout}`);
      return verdict[1] === 'true';
    }

    test('a liveness answer invoked again while the first run decides gets the first verdict; the session is consumed once', async () => {
      const user = flowUser(stack, 'retried-verify@example.com');
      const sub = await enrollAndConfirm(user, sample('katy_perry', 'id-card'), sample('katy_perry', 'selfie'));
      const challenge = await user.startSignIn();
      const sessionId = challenge.ChallengeParameters!.sessionId!;
      await streamLiveness(stack, sessionId, sample('katy_perry', 'selfie'));
      const folder = mkdtempSync(join(tmpdir(), 'verify-retry-'));
      try {
        const eventFile = join(folder, 'event.json');
        writeFileSync(
          eventFile,
          JSON.stringify({
            version: '1',
            region: stack.outputs.region,
            userPoolId: stack.outputs.userPoolId,
            userName: sub,
            callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: stack.outputs.userPoolClientId },
            triggerSource: 'VerifyAuthChallengeResponse_Authentication',
            request: {
              userAttributes: { sub, email: 'retried-verify@example.com', email_verified: 'false' },
              privateChallengeParameters: { step: 'FACE_LIVENESS', sessionId },
              challengeAnswer: sessionId,
              userNotFound: false,
            },
            response: { answerCorrect: null },
          }),
        );
        const [first, retry] = await Promise.all([invokeVerify(eventFile), invokeVerify(eventFile)]);
        // Normally true (the genuine face); the stand-in liveness may score a photo-made video low. Either way the
        // verdict is the first one, the session was consumed once and a failure was counted at most once.
        expect(retry).toBe(first);
        expect(await invokeVerify(eventFile)).toBe(first);
        expect(await failureCount(sub)).toBe(first ? 0 : 1);
        expect(await item(sub, `LIVENESS#${sessionId}`)).toMatchObject({ used: true });
        expect(await item(sub, `VERDICT#LIVENESS#${sessionId}`)).toMatchObject({ passed: first });
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }, 180000);
  });
});
