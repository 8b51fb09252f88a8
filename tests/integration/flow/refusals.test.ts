/**
 * Every way a client can try to sign in without being the enrolled person, through the real SDK clients against
 * `npm start`: each must end without tokens, and the stack's log names the refusal. Template defaults apply
 * (MaxAttempts 3, LockoutFailures 5 in 180 s). Wrong strings never count toward the lockout; the lockout itself and
 * the attacks on it are in attacks.test.ts. Only two tests stream liveness video (a few seconds of real-time video each).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetFaceLivenessSessionResultsCommand, ListFacesCommand } from '@aws-sdk/client-rekognition';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { startStackProcess, type StackProcess } from '../stack/stack-process';
import {
  enroll,
  fixture,
  flowUser,
  printedLine,
  stackTable,
  startEnrollment,
  streamLiveness,
  streamVideo,
  subOfEnrollChallenge,
  uploadIdPhoto,
  type FlowUser,
} from './harness';
import { idCardOf, passportPrinting } from '../../support/id-cards';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ANGELINA_ID_PHOTO = fixture('app-id-photo-angelina_jolie-img6.jpg');
const ANGELINA_SELFIE = fixture('app-selfie-angelina_jolie-img7.jpg');
const JACK = fixture('server-jack-dorsey-a.jpg');
const SCARLETT = fixture('server-scarlett-johansson.jpg');
const NO_FACE = fixture('app-no-face-img4-left-strip.jpg');
const GROUP = fixture('engine-group-selfie.jpg');

type Challenge = Awaited<ReturnType<FlowUser['startSignIn']>>;

describe('refused sign-ins through the local stack', () => {
  let stack: StackProcess;
  const angelina = { sub: '', live: undefined as unknown as Challenge };
  const jack = { sub: '' };
  const scarlett = { sub: '', live: undefined as unknown as Challenge, enrollChallenge: undefined as unknown as Challenge };
  let angelinaUser: FlowUser;
  let jackUser: FlowUser;
  let scarlettUser: FlowUser;
  let angelinaSessionId: string;
  let jackCard: Buffer;

  beforeAll(async () => {
    stack = await startStackProcess();
    angelinaUser = flowUser(stack, 'angelina@example.com');
    jackUser = flowUser(stack, 'jack@example.com');
    scarlettUser = flowUser(stack, 'scarlett@example.com');
    // One after the other: each enrollment answer indexes a face on the CPU within the 4 s answer budget.
    Object.assign(angelina, await enroll(angelinaUser, await idCardOf(stack.rekognition, ANGELINA_ID_PHOTO, angelinaUser.email)));
    jackCard = await idCardOf(stack.rekognition, JACK, jackUser.email);
    Object.assign(jack, await enroll(jackUser, jackCard));
    Object.assign(scarlett, await enroll(scarlettUser, await idCardOf(stack.rekognition, SCARLETT, scarlettUser.email)));
  }, 180000);

  afterAll(() => stack?.dispose());

  /** The answer got no tokens and the same auth session goes on with a fresh liveness challenge. */
  function expectRetry(response: Challenge, refusedSessionId: string) {
    expect(response.AuthenticationResult).toBeUndefined();
    expect(response.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    expect(response.ChallengeParameters?.sessionId).not.toBe(refusedSessionId);
  }

  const livenessFailure = (sub: string, failure: string) =>
    new RegExp(`\\[VerifyAuthChallengeFunction\\] .*"message":"liveness check failed".*"sub":"${sub}".*"failure":"${failure}"`);
  const answerRefused = (sub: string, why: string) =>
    new RegExp(`\\[VerifyAuthChallengeFunction\\] .*"message":"answer refused".*"sub":"${sub}".*"why":"${why}"`);

  it("refuses another user's liveness session id, which its owner can still use", async () => {
    // The local liveness stand-in now and then scores a genuine video low: the owner answers that session (refused)
    // and streams the fresh one the flow offers, as a user would, so that the session below is a good one.
    for (let attempt = 1; ; attempt += 1) {
      angelinaSessionId = angelina.live.ChallengeParameters!.sessionId!;
      expect((await streamLiveness(stack, angelinaSessionId, ANGELINA_SELFIE)).exceptions).toEqual([]);
      const verdict = await stack.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: angelinaSessionId }));
      if ((verdict.Status === 'SUCCEEDED' && (verdict.Confidence ?? 0) >= 90) || attempt === 2) break;
      angelina.live = await angelinaUser.answer(angelina.live.Session!, angelinaSessionId);
    }
    const since = stack.output().length;
    const jackChallenge = await jackUser.startSignIn();
    expectRetry(await jackUser.answer(jackChallenge.Session!, angelinaSessionId), angelinaSessionId);
    await printedLine(stack, since, answerRefused(jack.sub, 'the answer is not the issued session id'));
    // The session was good: its owner signs in with it, so the refusal above was about whose session it is.
    const done = await angelinaUser.answer(angelina.live.Session!, angelinaSessionId);
    expect(done.AuthenticationResult?.IdToken).toBeDefined();
  }, 120000);

  it('refuses a liveness session id that already produced tokens, answered again in a new auth session', async () => {
    const since = stack.output().length;
    const challenge = await angelinaUser.startSignIn();
    expectRetry(await angelinaUser.answer(challenge.Session!, angelinaSessionId), angelinaSessionId);
    await printedLine(stack, since, answerRefused(angelina.sub, 'the answer is not the issued session id'));
  });

  it('refuses a session id the server never issued', async () => {
    const since = stack.output().length;
    const challenge = await jackUser.startSignIn();
    const neverIssued = crypto.randomUUID();
    expectRetry(await jackUser.answer(challenge.Session!, neverIssued), neverIssued);
    await printedLine(stack, since, answerRefused(jack.sub, 'the answer is not the issued session id'));
  });

  it('refuses the issued session id when no video was streamed into it', async () => {
    const since = stack.output().length;
    const challenge = await jackUser.startSignIn();
    const sessionId = challenge.ChallengeParameters!.sessionId!;
    expectRetry(await jackUser.answer(challenge.Session!, sessionId), sessionId);
    await printedLine(stack, since, livenessFailure(jack.sub, 'NOT_STREAMED'));
  });

  it("refuses a still photo held up to the camera, and the stack's log says which liveness check failed", async () => {
    const since = stack.output().length;
    const challenge = await jackUser.startSignIn();
    const sessionId = challenge.ChallengeParameters!.sessionId!;
    const still = await sharp(JACK).resize(640, 480, { fit: 'contain', background: '#777' }).jpeg().toBuffer();
    await streamVideo(stack, sessionId, { kind: 'images', images: Array(10).fill(still), fps: 2 });
    expectRetry(await jackUser.answer(challenge.Session!, sessionId), sessionId);
    await printedLine(stack, since, livenessFailure(jack.sub, 'NOT_SUCCEEDED'));
    const decision = await printedLine(stack, since, new RegExp(`\\[liveness\\] .*"event":"liveness-result".*"sessionId":"${sessionId}"`));
    expect(JSON.parse(decision.slice(decision.indexOf('{')))).toMatchObject({
      status: 'FAILED',
      reasons: [expect.stringContaining('the face did not move closer')],
    });
  });

  it('ignores client metadata that claims the answer is correct', async () => {
    const since = stack.output().length;
    const challenge = await jackUser.startSignIn();
    const claims = { answerCorrect: 'true', challengeResult: 'true', livenessPassed: 'true', issueTokens: 'true' };
    expectRetry(await jackUser.answer(challenge.Session!, 'not-the-session-id', claims), 'not-the-session-id');
    await printedLine(stack, since, answerRefused(jack.sub, 'the answer is not the issued session id'));
  });

  it('gives no tokens after enrollment alone, and refuses the enrollment answer given to the liveness challenge', async () => {
    expect(scarlett.live.AuthenticationResult).toBeUndefined();
    const sessionId = scarlett.live.ChallengeParameters!.sessionId!;
    const since = stack.output().length;
    expectRetry(await scarlettUser.answer(scarlett.live.Session!, 'uploaded'), sessionId);
    await printedLine(stack, since, answerRefused(scarlett.sub, 'the answer is not the issued session id'));
  });

  it('refuses a second answer to an enrollment challenge already answered', async () => {
    await expect(scarlettUser.answer(scarlett.enrollChallenge.Session!, 'uploaded')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });

  it('ends the auth session at the third wrong answer, after which the session is refused', async () => {
    const first = await scarlettUser.startSignIn();
    const second = await scarlettUser.answer(first.Session!, 'wrong-1');
    const third = await scarlettUser.answer(second.Session!, 'wrong-2');
    expect(third.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    await expect(scarlettUser.answer(third.Session!, 'wrong-3')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
    await expect(scarlettUser.answer(third.Session!, third.ChallengeParameters!.sessionId!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });

  it('gives a user that does not exist a liveness challenge shaped like a real one, which never succeeds', async () => {
    const ghost = flowUser(stack, 'nobody@example.com');
    const decoy = await ghost.startSignIn();
    const real = await jackUser.startSignIn();
    expect(decoy.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(Object.keys(decoy.ChallengeParameters!).sort()).toEqual(Object.keys(real.ChallengeParameters!).sort());
    expect(decoy.ChallengeParameters).toMatchObject({ step: 'FACE_LIVENESS', region: stack.outputs.region });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(real.ChallengeParameters!.sessionId).toMatch(uuid);
    expect(decoy.ChallengeParameters!.sessionId).toMatch(uuid);
    const decoySessionId = decoy.ChallengeParameters!.sessionId!;
    const retry = await ghost.answer(decoy.Session!, decoySessionId);
    expectRetry(retry, decoySessionId);
    const last = await ghost.answer(retry.Session!, retry.ChallengeParameters!.sessionId!);
    // The same refusal a real user's third wrong answer gets.
    await expect(ghost.answer(last.Session!, last.ChallengeParameters!.sessionId!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });

  it('asks again for the email code after a wrong one, and takes the code it sent, sending no other', async () => {
    const user = flowUser(stack, 'retrycode@example.com');
    await user.signUp();
    const first = await user.startSignIn();
    const code = await user.mailboxCode();
    const again = await user.answer(first.Session!, code === '000000' ? '111111' : '000000');
    expect(again.ChallengeParameters?.step).toBe('EMAIL_CODE');
    const next = await user.answer(again.Session!, code);
    expect(next.ChallengeParameters?.step).toBe('ENROLL_ID_PHOTO');
    expect(await user.mailedCodes()).toEqual([code]);
  });

  it('mails one code to sign-ins started while it is outstanding, and takes it once: the other sign-in gets a new one', async () => {
    const user = flowUser(stack, 'one-code@example.com');
    await user.signUp();
    const sessions = [await user.startSignIn(), await user.startSignIn(), await user.startSignIn()];
    const code = await user.mailboxCode();
    expect(await user.mailedCodes()).toEqual([code]);
    expect((await user.answer(sessions[0]!.Session!, code)).ChallengeParameters?.step).toBe('ENROLL_ID_PHOTO');
    const replayed = await user.answer(sessions[1]!.Session!, code);
    expect(replayed.AuthenticationResult).toBeUndefined();
    expect(replayed.ChallengeParameters?.step).toBe('EMAIL_CODE');
    const codes = await user.mailedCodes();
    expect(codes).toHaveLength(2);
    expect((await user.answer(replayed.Session!, codes[1]!)).ChallengeParameters?.step).toBe('ENROLL_ID_PHOTO');
  });

  it('ends the sign-in at the third wrong email code', async () => {
    const user = flowUser(stack, 'wrongcode@example.com');
    await user.signUp();
    const first = await user.startSignIn();
    expect(first.ChallengeParameters?.step).toBe('EMAIL_CODE');
    const wrong = (await user.mailboxCode()) === '000000' ? '111111' : '000000';
    const second = await user.answer(first.Session!, wrong);
    expect(second.AuthenticationResult).toBeUndefined();
    const third = await user.answer(second.Session!, wrong);
    expect(third.ChallengeParameters?.step).toBe('EMAIL_CODE');
    await expect(user.answer(third.Session!, wrong)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  describe('enrollment', () => {
    /** Signs up a fresh user, proves its email and returns its ENROLL_ID_PHOTO challenge and sub. */
    async function enrollChallenge(email: string) {
      const user = flowUser(stack, email);
      await user.signUp();
      const challenge = await startEnrollment(user);
      return { user, challenge, sub: subOfEnrollChallenge(challenge.ChallengeParameters!) };
    }

    /** Answers `uploaded`: refused, the same auth session asks for an ID photo again. */
    async function expectEnrollmentRefused(user: FlowUser, challenge: Challenge, logged: RegExp) {
      const since = stack.output().length;
      const retry = await user.answer(challenge.Session!, 'uploaded');
      expect(retry.AuthenticationResult).toBeUndefined();
      expect(retry.ChallengeParameters?.step).toBe('ENROLL_ID_PHOTO');
      await printedLine(stack, since, logged);
    }

    const rejected = (sub: string, reason: string) =>
      new RegExp(
        '\\[VerifyAuthChallengeFunction\\] .*"message":"enrollment answer checked".*' +
          `"sub":"${sub}".*"status":"REJECTED".*"reason":"${reason}"`,
      );
    const photoMissing = (sub: string) =>
      new RegExp(
        '\\[VerifyAuthChallengeFunction\\] \\{"level":"INFO","message":"answer refused".*' +
          `"sub":"${sub}".*"why":"no photo was uploaded at the issued key"`,
      );

    it("refuses an upload to another sub's key at the S3 POST gate, and the enrollment answer", async () => {
      const { user, challenge, sub } = await enrollChallenge('tamper@example.com');
      const otherKey = `enrollment/${crypto.randomUUID()}/${crypto.randomUUID()}.jpg`;
      const upload = await uploadIdPhoto(challenge.ChallengeParameters!, ANGELINA_ID_PHOTO, { key: otherKey });
      expect(upload).toMatchObject({ status: 403, body: expect.stringContaining('AccessDenied') });
      const { endpoints, region, credentials, bucketName } = stack.outputs;
      const s3 = new S3Client({ endpoint: endpoints.s3, region, credentials, forcePathStyle: true });
      try {
        // Nothing was stored: S3 answers a role without s3:ListBucket 403 for a missing key.
        await expect(s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: otherKey }))).rejects.toMatchObject({
          $metadata: { httpStatusCode: 403 },
        });
      } finally {
        s3.destroy();
      }
      await expectEnrollmentRefused(user, challenge, photoMissing(sub));
    });

    it('refuses a photo of an ID document with no face on it', async () => {
      const { user, challenge, sub } = await enrollChallenge('noface@example.com');
      const card = await passportPrinting(NO_FACE, 'noface@example.com');
      expect((await uploadIdPhoto(challenge.ChallengeParameters!, card)).status).toBe(204);
      await expectEnrollmentRefused(user, challenge, rejected(sub, 'NO_FACE'));
    });

    it('refuses a plain photo of a face that shows no identity document', async () => {
      const { user, challenge, sub } = await enrollChallenge('selfie-only@example.com');
      expect((await uploadIdPhoto(challenge.ChallengeParameters!, ANGELINA_ID_PHOTO)).status).toBe(204);
      await expectEnrollmentRefused(user, challenge, rejected(sub, 'NOT_A_DOCUMENT'));
    });

    it('refuses a photo of an ID document with several faces on it', async () => {
      const { user, challenge, sub } = await enrollChallenge('group@example.com');
      const card = await passportPrinting(GROUP, 'group@example.com');
      expect((await uploadIdPhoto(challenge.ChallengeParameters!, card)).status).toBe(204);
      await expectEnrollmentRefused(user, challenge, rejected(sub, 'MULTIPLE_FACES'));
    });

    it('refuses an empty ID photo at the S3 POST gate, and the enrollment answer', async () => {
      const { user, challenge, sub } = await enrollChallenge('empty@example.com');
      expect(await uploadIdPhoto(challenge.ChallengeParameters!, Buffer.alloc(0))).toMatchObject({
        status: 400,
        body: expect.stringContaining('EntityTooSmall'),
      });
      await expectEnrollmentRefused(user, challenge, photoMissing(sub));
    });

    it('refuses an ID photo over 5 MB at the S3 POST gate, and the enrollment answer', async () => {
      const { user, challenge, sub } = await enrollChallenge('large@example.com');
      const maxBytes = Number(challenge.ChallengeParameters!.maxBytes);
      expect(maxBytes).toBe(5 * 1024 * 1024);
      const oversized = Buffer.concat([ANGELINA_ID_PHOTO, Buffer.alloc(maxBytes + 1 - ANGELINA_ID_PHOTO.length)]);
      expect(await uploadIdPhoto(challenge.ChallengeParameters!, oversized)).toMatchObject({
        status: 400,
        body: expect.stringContaining('EntityTooLarge'),
      });
      await expectEnrollmentRefused(user, challenge, photoMissing(sub));
    });

    it('refuses a text file sent as image/jpeg', async () => {
      const { user, challenge, sub } = await enrollChallenge('text@example.com');
      expect((await uploadIdPhoto(challenge.ChallengeParameters!, Buffer.from('this is not a photo\n'))).status).toBe(204);
      await expectEnrollmentRefused(user, challenge, rejected(sub, 'NOT_AN_IMAGE'));
    });
  });

  it('changes nothing when the S3 event of an accepted enrollment is delivered again', async () => {
    const { endpoints, region, collectionId, bucketName } = stack.outputs;
    const table = stackTable(stack);
    const active = async () => (await table.item(jack.sub, 'ACTIVE_ENROLLMENT'))!;
    const enrollment = (key: string) => table.item(jack.sub, `ENROLLMENT#${key}`);
    const faces = async () =>
      (await stack.rekognition.send(new ListFacesCommand({ CollectionId: collectionId, MaxResults: 100 }))).Faces ?? [];
    const eventDir = mkdtempSync(join(tmpdir(), 's3-event-'));
    try {
      const activeBefore = await active();
      const enrollmentBefore = await enrollment(activeBefore.key as string);
      expect(enrollmentBefore).toMatchObject({ status: 'ACCEPTED', faceId: activeBefore.faceId });
      const facesBefore = await faces();
      expect(facesBefore.filter((face) => face.ExternalImageId === jack.sub).map((face) => face.FaceId)).toEqual([activeBefore.faceId]);

      const event = {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: region,
            eventTime: new Date().toISOString(),
            eventName: 'ObjectCreated:Post',
            s3: {
              s3SchemaVersion: '1.0',
              bucket: { name: bucketName, arn: `arn:aws:s3:::${bucketName}` },
              object: { key: activeBefore.key, size: jackCard.length },
            },
          },
        ],
      };
      const eventFile = join(eventDir, 'event.json');
      writeFileSync(eventFile, JSON.stringify(event));
      const port = (url: string | undefined) => new URL(url!).port;
      const { stdout } = await promisify(execFile)(
        join(ROOT, 'node_modules/.bin/tsx'),
        [
          'local/invoke.ts',
          'IndexFaceFunction',
          eventFile,
          '--dynamodb-port',
          port(endpoints.dynamodb),
          '--s3-port',
          port(endpoints.s3),
          '--rekognition-port',
          port(endpoints.rekognition),
          '--textract-port',
          port(endpoints.textract),
        ],
        { cwd: ROOT },
      );
      expect(stdout).toContain('using the running local stack');
      expect(stdout).toContain('IndexFaceFunction returned');
      expect(stdout).not.toContain('S3 record refused');

      expect(await active()).toEqual(activeBefore);
      expect(await enrollment(activeBefore.key as string)).toEqual(enrollmentBefore);
      expect(await faces()).toEqual(facesBefore);
      // And the user still goes straight to liveness.
      expect((await jackUser.startSignIn()).ChallengeParameters?.step).toBe('FACE_LIVENESS');
    } finally {
      table.destroy();
      rmSync(eventDir, { recursive: true, force: true });
    }
  }, 60000);
});
