/**
 * `npm run demo`: the whole face login on the local stack, step by step in the terminal, through the real SDK
 * clients. Uses a running `npm start` (found by its stack-outputs.json and a live JWKS) or starts its own stack in a
 * temporary folder. Sign-up (confirmed at once), CUSTOM_AUTH: the email code from the dev mailbox, the ID photo
 * enrollment by presigned POST (a plain selfie is refused as NOT_A_DOCUMENT, a photo of an ID card accepted), a Face
 * Liveness session streamed from a "moving closer" video of another photo of the same person, tokens checked
 * against the JWKS; then the refusals: another person, an unknown email (the decoy walks an enrolled user's path),
 * three wrong answers (which end a sign-in but never lock), and the lockout by five failed
 * face checks that refuses even the right face. At the end people own their face data: an administrator forgets the
 * locked user, and a second user, with a fresh face sign-in, replaces the ID photo (someone else's face is refused)
 * and deletes the account. Exits 1 as soon as a step does not behave as described, 2 on a bad command line.
 *
 *   npm run demo -- [--id-photo PATH] [--selfie PATH] [--other-person PATH] [--other-id-photo PATH] [--data-dir DIR]
 *                   [--own-stack]
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { VideoSource } from './rekognition/liveness-client/client';
import { DEMO_USAGE, parseDemoArguments, UsageError, type DemoArguments } from './demo/arguments';
import { FaceLoginClient, readPhoto, type SignInStep } from './demo/face-login-client';
import { detectRunningStack, startOwnStack, type StackConnection } from './demo/stack-connection';
import { loadTemplate } from './template/load-template';

// Lambda runs the functions on Node 22; on an older host the SDK's upgrade notice would only clutter the walk-through.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const started = performance.now();

class StepFailure extends Error {
  override name = 'StepFailure';
}

let stepNumber = 0;
/** Runs one step, printing its number, what it does, its outcome and its duration; a thrown error ends the demo. */
async function step<T>(title: string, run: () => Promise<{ value: T; outcome: string }>): Promise<T> {
  stepNumber += 1;
  const label = `${String(stepNumber).padStart(2)}. ${title}`;
  const stepStart = performance.now();
  const print = (outcome: string) =>
    console.log(`${label.padEnd(62)} ${`${Math.round(performance.now() - stepStart)} ms`.padStart(8)}  ${outcome}`);
  try {
    const { value, outcome } = await run();
    print(outcome);
    return value;
  } catch (error) {
    print('FAILED');
    throw error instanceof StepFailure ? error : new StepFailure(`${(error as Error).name}: ${(error as Error).message}`);
  }
}

const note = (text: string) => console.log(`      ${text}`);
const ensure = (condition: unknown, why: string): void => {
  if (!condition) throw new StepFailure(why);
};

/** Runs `call` and requires it to fail with NotAuthorizedException, as Cognito ends a failed authentication. */
async function expectNotAuthorized(call: () => Promise<unknown>, why: string): Promise<string> {
  try {
    await call();
  } catch (error) {
    if ((error as Error).name === 'NotAuthorizedException') return (error as Error).message;
    throw error;
  }
  throw new StepFailure(`${why}, but it succeeded`);
}

/** The template's defaults for the limits the demo walks into (a running stack may have been started with others). */
function templateLimits() {
  const parameters = loadTemplate().Parameters as Record<string, { Default?: unknown }>;
  const number = (name: string) => Number(parameters[name]?.Default);
  return {
    livenessThreshold: number('LivenessThreshold'),
    similarityThreshold: number('SimilarityThreshold'),
    maxAttempts: number('MaxAttempts'),
    lockoutFailures: number('LockoutFailures'),
    lockoutWindowSeconds: number('LockoutWindowSeconds'),
    lockoutMinutes: number('LockoutMinutes'),
    freshSignInMinutes: number('FreshSignInMinutes'),
  };
}

async function connect(args: DemoArguments): Promise<StackConnection> {
  return step('find a running local stack, or start one', async () => {
    if (!args.ownStack) {
      const found = await detectRunningStack(args.dataDir);
      if (found.running) {
        return {
          value: { outputs: found.outputs, owned: false, startupMs: 0, stop: async () => undefined },
          outcome: `using the running stack (Cognito ${found.outputs.endpoints.cognito})`,
        };
      }
      note(`no running stack: ${found.why}`);
    }
    const own = await startOwnStack();
    return { value: own, outcome: `started its own stack (Cognito ${own.outputs.endpoints.cognito}; log ${own.logFile})` };
  });
}

async function walkThrough(args: DemoArguments, stack: StackConnection): Promise<void> {
  const client = new FaceLoginClient(stack.outputs);
  const limits = templateLimits();
  const email = `demo-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  let signedUp = false;
  let failedChecks = 0;
  try {
    const photos = await step('read the photos; find and compare the faces', async () => {
      const idPhoto = await readPhoto(args.idPhoto, '--id-photo');
      const selfie = await readPhoto(args.selfie, '--selfie');
      const otherPerson = await readPhoto(args.otherPerson, '--other-person');
      const owners = await client.enrolledOwnersOf(idPhoto);
      ensure(
        owners.length === 0,
        `the ID photo's face is already enrolled in ${stack.outputs.collectionId} (user sub ${owners.join(', ')}); ` +
          'with DUPLICATE_FACE_POLICY=REJECT it cannot enroll a second account: pass --id-photo with another person, or use --own-stack',
      );
      const video = async (photo: Buffer, what: string): Promise<VideoSource> => ({
        kind: 'moving-closer',
        photo,
        face: await client.faceOf(photo, what),
      });
      const value = { idPhoto, selfie, same: await video(selfie, args.selfie), other: await video(otherPerson, args.otherPerson) };
      // What Verify's CompareFaces will find, checked up front so a wrong choice of photos is named, not met later.
      const same = await client.similarity(idPhoto, selfie);
      const other = await client.similarity(idPhoto, otherPerson);
      ensure(
        same >= limits.similarityThreshold,
        `--selfie matches the ID photo only at Similarity ${same.toFixed(1)}, under ${limits.similarityThreshold}: not the same person?`,
      );
      ensure(
        other < limits.similarityThreshold,
        `--other-person matches the ID photo at Similarity ${other.toFixed(1)}: pick someone else`,
      );
      return { value, outcome: `ID photo not enrolled yet; CompareFaces: selfie ${same.toFixed(1)}, other person ${other.toFixed(1)}` };
    });

    /** Streams a liveness session and shows the server's verdict on it (the client itself is only told "done"). */
    const liveness = (challenge: SignInStep, source: VideoSource, who: string) =>
      step(`liveness session streamed: ${who}`, async () => {
        const sessionId = challenge.parameters.sessionId!;
        const result = await client.streamLiveness(sessionId, source);
        ensure(
          result.exceptions.length === 0,
          `the stream was refused: ${result.exceptions.map((e) => `${e.exception}: ${e.message}`).join('; ')}`,
        );
        ensure(result.disconnected, `the server closed the stream (${result.closeCode}) without a DisconnectionEvent`);
        const verdict = await client.livenessResult(sessionId);
        return {
          value: verdict,
          outcome: `${result.challengeType}; server side: ${verdict.status}, confidence ${verdict.confidence?.toFixed(1) ?? '-'}`,
        };
      });

    const sub = await step('sign up with email and a random password (never shown)', async () => {
      const { sub: userSub, confirmed } = await client.signUp(email);
      signedUp = true;
      ensure(confirmed, 'SignUp did not confirm the user: is the PreSignUp trigger wired?');
      return { value: userSub, outcome: `${email}, user ${userSub}, confirmed by PreSignUp (no code yet)` };
    });

    const emailCode = await step('sign in: InitiateAuth CUSTOM_AUTH', async () => {
      const next = await client.initiate(email);
      ensure(next.step === 'EMAIL_CODE', `expected the EMAIL_CODE challenge, got ${next.step ?? 'none'}`);
      return { value: next, outcome: `EMAIL_CODE: a ${next.parameters.codeLength}-digit code sent to ${next.parameters.destination}` };
    });
    const enroll = await step('answer the code from the dev mailbox: the email is proven', async () => {
      const { next, answer } = await client.answerStep(email, emailCode, {});
      ensure(
        next.step === 'ENROLL_ID_PHOTO',
        `the code ${answer} was not accepted: expected ENROLL_ID_PHOTO, got ${next.step ?? 'nothing'}`,
      );
      return {
        value: next,
        outcome: `code ${answer} accepted; ENROLL_ID_PHOTO (${next.parameters.contentTypes}, max ${next.parameters.maxBytes} bytes)`,
      };
    });
    const uploadKey = (challenge: SignInStep) => (JSON.parse(challenge.parameters.uploadFields!) as Record<string, string>).key!;
    const enrollCard = await step('upload a plain selfie, not an ID document: refused', async () => {
      const { next } = await client.answerStep(email, enroll, { idPhoto: photos.selfie });
      ensure(next.step === 'ENROLL_ID_PHOTO', `expected the selfie refused and a new upload offered, got ${next.step ?? 'nothing'}`);
      const decision = await client.enrollmentDecision(sub, uploadKey(enroll));
      ensure(
        decision?.status === 'REJECTED' && decision.reason === 'NOT_A_DOCUMENT',
        `expected the decision REJECTED NOT_A_DOCUMENT, got ${JSON.stringify(decision)}`,
      );
      return { value: next, outcome: 'NOT_A_DOCUMENT in the decision record (the caller is told nothing); a new upload is offered' };
    });
    const live = await step('upload the photo of the ID card (presigned POST), answer "uploaded"', async () => {
      const key = uploadKey(enrollCard);
      const { next } = await client.answerStep(email, enrollCard, { idPhoto: photos.idPhoto });
      ensure(
        next.step === 'FACE_LIVENESS',
        `the enrollment was not accepted: expected FACE_LIVENESS, got ${next.step ?? (next.tokens ? 'tokens' : 'nothing')}`,
      );
      return { value: next, outcome: `key ${key} indexed; FACE_LIVENESS session ${next.parameters.sessionId}` };
    });
    const passes = (verdict: { status: string; confidence?: number }) =>
      verdict.status === 'SUCCEEDED' && (verdict.confidence ?? 0) >= limits.livenessThreshold;
    const scored = (verdict: { status: string; confidence?: number }) =>
      `${verdict.status}, confidence ${verdict.confidence?.toFixed(1) ?? '-'}`;

    // The local liveness score is a stand-in model's and varies with the random oval and colours; a rare low score
    // gets the retry the flow offers a real user (a fresh liveness session), and counts as a failed check.
    let challenge = live;
    let tokens: NonNullable<SignInStep['tokens']> | undefined;
    for (let attempt = 1; !tokens; attempt += 1) {
      const verdict = await liveness(
        challenge,
        photos.same,
        attempt === 1 ? 'the same person, moving closer' : `the same person, attempt ${attempt}`,
      );
      const answered = await step(
        `answer the session id: liveness >= ${limits.livenessThreshold}, match >= ${limits.similarityThreshold}`,
        async () => {
          const next = await client.answer(email, challenge.session!, challenge.parameters.sessionId!);
          if (next.tokens?.IdToken)
            return { value: next, outcome: `tokens issued (ID, access, refresh; expires in ${next.tokens.ExpiresIn} s)` };
          ensure(!passes(verdict), `refused although liveness passed (${scored(verdict)}): CompareFaces found no match with the ID photo`);
          ensure(next.step === 'FACE_LIVENESS', `refused, liveness ${scored(verdict)}, and no retry was offered`);
          failedChecks += 1;
          return {
            value: next,
            outcome: `refused: liveness ${scored(verdict)} is under ${limits.livenessThreshold}; the flow offers a retry`,
          };
        },
      );
      if (answered.tokens) tokens = answered.tokens;
      else challenge = answered;
    }
    const idToken = tokens.IdToken!;
    await step('verify the ID token against the JWKS (jose, issuer, audience)', async () => {
      const claims = await client.verifyIdToken(idToken);
      ensure(claims.sub === sub && claims.email === email, `the token is for ${String(claims.sub)} / ${String(claims.email)}`);
      return {
        value: claims,
        outcome: `RS256 signature valid, kid ${JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString()).kid}`,
      };
    }).then((claims) => {
      const shown = ['sub', 'email', 'email_verified', 'iss', 'aud', 'token_use', 'auth_time', 'exp'];
      for (const name of shown) if (name in claims) note(`${name.padEnd(15)}${JSON.stringify(claims[name])}`);
    });

    // Another person: a live face, but not the one on the ID photo.
    const impostor = await step('sign in again: enrolled users go straight to liveness', async () => {
      const next = await client.initiate(email);
      ensure(next.step === 'FACE_LIVENESS', `expected FACE_LIVENESS, got ${next.step ?? 'none'}`);
      return { value: next, outcome: `FACE_LIVENESS session ${next.parameters.sessionId}` };
    });
    const impostorVerdict = await liveness(impostor, photos.other, 'another person, moving closer');
    await step('answer: a different person is refused', async () => {
      const next = await client.answer(email, impostor.session!, impostor.parameters.sessionId!);
      ensure(!next.tokens, 'tokens were issued for a different person');
      ensure(
        next.step === 'FACE_LIVENESS' && next.parameters.sessionId !== impostor.parameters.sessionId,
        'expected a retry with a fresh liveness session',
      );
      failedChecks += 1;
      return { value: next, outcome: `refused; retry offered with a fresh session (failed checks: ${failedChecks})` };
    });
    note(
      passes(impostorVerdict)
        ? `A live person, so liveness passed; but CompareFaces finds no match >= ${limits.similarityThreshold} ` +
            'with the enrolled ID photo (step 2).'
        : `Liveness scored under ${limits.livenessThreshold} this time, which alone refuses; CompareFaces would too (step 2).`,
    );

    // An email with no account walks an enrolled user's path: a real liveness session that can never pass.
    await step('an unknown email: the same path, a real session, refused', async () => {
      const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
      const run = await client.signIn(unknown, { video: photos.same });
      const [first] = run.answered;
      if (first?.step !== 'FACE_LIVENESS')
        throw new StepFailure(`expected FACE_LIVENESS as for an enrolled user, got ${first?.step ?? run.outcome}`);
      ensure(
        run.outcome === 'refused' && run.last?.parameters.sessionId !== first.answer,
        `expected a refusal with a fresh session, got ${run.outcome}`,
      );
      const verdict = await client.livenessResult(first.answer);
      return { value: undefined, outcome: `FACE_LIVENESS, stream accepted (server side: ${verdict.status}); refused, retry offered` };
    });

    // A sign-in whose liveness passes now, answered only after the lock: the right face, refused.
    let beforeLock = await step('open one more sign-in while still unlocked', async () => {
      const next = await client.initiate(email);
      ensure(next.step === 'FACE_LIVENESS', `expected FACE_LIVENESS, got ${next.step ?? 'none'}`);
      return { value: next, outcome: `FACE_LIVENESS session ${next.parameters.sessionId} (kept for later)` };
    });
    for (let attempt = 1; ; attempt += 1) {
      const verdict = await liveness(beforeLock, photos.same, `the right person${attempt > 1 ? `, attempt ${attempt}` : ''}, kept`);
      if (passes(verdict)) break;
      // Not answered, so not a failed check: open the next sign-in and stream again.
      ensure(attempt < limits.maxAttempts, `liveness of the right person scored under ${limits.livenessThreshold} ${attempt} times`);
      beforeLock = await client.initiate(email);
      ensure(beforeLock.step === 'FACE_LIVENESS', `expected FACE_LIVENESS, got ${beforeLock.step ?? 'none'}`);
    }

    await step(`${limits.maxAttempts} wrong answers in one sign-in end it (plain wrong strings never lock)`, async () => {
      let current = await client.initiate(email);
      for (let wrong = 1; wrong < limits.maxAttempts; wrong += 1) {
        current = await client.answer(email, current.session!, `not-${current.parameters.sessionId}`);
        ensure(current.step === 'FACE_LIVENESS', `a wrong answer should get another challenge, got ${current.step ?? 'nothing'}`);
      }
      const last = current;
      const message = await expectNotAuthorized(
        () => client.answer(email, last.session!, 'not-the-session-id'),
        `wrong answer ${limits.maxAttempts} should end the sign-in`,
      );
      return { value: undefined, outcome: `NotAuthorizedException "${message}" (failed checks still: ${failedChecks})` };
    });
    await step(`fail face checks until ${limits.lockoutFailures} in ${limits.lockoutWindowSeconds} s: the user is locked`, async () => {
      // Only checks that reached Rekognition count: each streams the other person and answers.
      let current = await client.initiate(email);
      let inSession = 0;
      let outcome = '';
      while (failedChecks < limits.lockoutFailures) {
        const ends = failedChecks + 1 >= limits.lockoutFailures || inSession + 1 >= limits.maxAttempts;
        const fail = () => client.answerStep(email, current, { video: photos.other });
        if (ends) {
          const refusal = await expectNotAuthorized(fail, `failed check ${failedChecks + 1} should end the sign-in`);
          outcome = `NotAuthorizedException "${refusal}"`;
          failedChecks += 1;
          if (failedChecks < limits.lockoutFailures) [current, inSession] = [await client.initiate(email), 0];
        } else {
          const { next } = await fail();
          ensure(next.step === 'FACE_LIVENESS', `a failed check should get another challenge, got ${next.step ?? 'nothing'}`);
          [current, inSession, failedChecks] = [next, inSession + 1, failedChecks + 1];
        }
      }
      const dynamodb = new DynamoDBClient({
        endpoint: stack.outputs.endpoints.dynamodb,
        region: stack.outputs.region,
        credentials: stack.outputs.credentials,
      });
      const lockout = await dynamodb
        .send(new GetItemCommand({ TableName: stack.outputs.tableName, Key: { pk: { S: `USER#${sub}` }, sk: { S: 'LOCKOUT' } } }))
        .finally(() => dynamodb.destroy());
      const lockedUntil = Number(lockout.Item?.lockedUntil?.N);
      ensure(lockedUntil * 1000 > Date.now(), 'no LOCKOUT item in the table after the failed checks');
      const lockedUntilUtc = new Date(lockedUntil * 1000).toISOString().slice(11, 19);
      return {
        value: undefined,
        outcome: `${outcome}; LOCKOUT until ${lockedUntilUtc} UTC (failed checks: ${failedChecks})`,
      };
    });
    note(
      `Why: ${limits.lockoutFailures} failed checks within ${limits.lockoutWindowSeconds} s ` +
        `lock the account for ${limits.lockoutMinutes} minutes, as AWS's`,
    );
    note('Face Liveness guidance recommends. Someone trying photos, screens or masks one after another must not');
    note('get to keep trying until one passes, so while the lock lasts even the right face is refused.');
    await step('answer the kept sign-in: refused, though it passed', async () => {
      const message = await expectNotAuthorized(
        () => client.answer(email, beforeLock.session!, beforeLock.parameters.sessionId!),
        'a locked user must be refused even with the right face',
      );
      return { value: undefined, outcome: `NotAuthorizedException "${message}" (Verify checks the lock first)` };
    });
    await step('a new sign-in is refused at once', async () => {
      const message = await expectNotAuthorized(() => client.initiate(email), 'InitiateAuth for a locked user should fail');
      return { value: undefined, outcome: `NotAuthorizedException "${message}" (Define ends it before any challenge)` };
    });

    await step('an administrator forgets the locked user (npm run forget): every face, photo and record, then the user', async () => {
      const deleted = await client.forget(email);
      signedUp = false;
      return { value: undefined, outcome: counted(deleted) };
    });
    await ownFaceData(client, args, photos, limits.freshSignInMinutes);
  } finally {
    if (signedUp) {
      // The demo stopped early: remove its user and face data, so the same ID photo can be enrolled next time.
      await step('clean up: forget the demo user', async () => ({ value: undefined, outcome: counted(await client.forget(email)) })).catch(
        () => undefined,
      );
    }
    client.destroy();
  }
}

const counted = (deleted: { faces: number; objects: number; items: number; user: boolean }) =>
  `${deleted.faces} face(s), ${deleted.objects} object(s), ${deleted.items} item(s)${deleted.user ? ', the user' : ''} deleted`;

/**
 * People own their face data: a second user, the other person, signs in with their face and then, with that fresh
 * sign-in, replaces the ID photo (someone else's face is refused, their own accepted) and deletes the account.
 */
async function ownFaceData(
  client: FaceLoginClient,
  args: DemoArguments,
  photos: { idPhoto: Buffer; same: VideoSource; other: VideoSource },
  freshSignInMinutes: number,
): Promise<void> {
  const email = `demo-${Date.now()}-${randomBytes(3).toString('hex')}-owner@example.com`;
  const otherIdPhoto = await readPhoto(args.otherIdPhoto, '--other-id-photo');
  let signedUp = false;
  try {
    const tokens = await step('another person signs up, enrolls and signs in with their face', async () => {
      await client.signUp(email);
      signedUp = true;
      const run = await client.signIn(email, { idPhoto: otherIdPhoto, video: photos.other });
      ensure(run.outcome === 'tokens' && run.last?.tokens, `the sign-in ended ${run.outcome}`);
      return { value: run.last!.tokens!, outcome: `tokens issued after ${run.answered.map((answered) => answered.step).join(', ')}` };
    });
    const accessToken = tokens.AccessToken!;
    note(`For ${freshSignInMinutes} minutes after a face sign-in, its access token may replace the ID photo or delete the account.`);
    await step('replace the ID photo with a photo of someone else: refused, and counted toward lockout', async () => {
      const decision = await client.replaceIdPhoto(accessToken, photos.idPhoto);
      ensure(
        decision.status === 'REJECTED' && decision.reason === 'NO_MATCH',
        `expected REJECTED NO_MATCH, got ${JSON.stringify(decision)}`,
      );
      return { value: undefined, outcome: 'REJECTED NO_MATCH: the new face is not the live face of this sign-in; the old photo stays' };
    });
    await step('replace the ID photo with a new photo of their own ID card: accepted', async () => {
      const decision = await client.replaceIdPhoto(accessToken, otherIdPhoto);
      ensure(decision.status === 'ACCEPTED', `expected ACCEPTED, got ${JSON.stringify(decision)}`);
      return { value: undefined, outcome: 'ACCEPTED: the new photo is the enrollment; the old face and pinned photo are deleted' };
    });
    await step('delete the account (DELETE /account): every face, photo and record, then the user', async () => {
      const { status, body } = await client.account('DELETE', '/account', accessToken);
      ensure(status === 200, `the account API answered ${status}`);
      signedUp = false;
      return { value: undefined, outcome: counted(body.deleted as Parameters<typeof counted>[0]) };
    });
    await step('the deleted user is gone: a new sign-in meets the unknown-email path', async () => {
      const next = await client.initiate(email);
      ensure(next.step === 'FACE_LIVENESS', `expected the decoy's FACE_LIVENESS, got ${next.step ?? 'nothing'}`);
      return { value: undefined, outcome: 'FACE_LIVENESS, as for any address without an account: nothing of the user is left to match' };
    });
  } finally {
    if (signedUp) await client.forget(email).catch(() => undefined);
  }
}

async function main(): Promise<number> {
  let args: DemoArguments;
  try {
    args = parseDemoArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${DEMO_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(DEMO_USAGE);
    return 0;
  }
  console.log('cognito-face-login demo: passwordless face login on the local stack\n');
  let stack: StackConnection | undefined;
  let exitCode = 0;
  // Ctrl-C: the terminal stops the demo's own stack too (same process group); remove its temporary folder as well.
  let interrupted = false;
  // on, not once: tsx relays the terminal's Ctrl-C a second time, and a second SIGINT without a handler kills at once.
  process.on('SIGINT', () => {
    if (interrupted) return;
    interrupted = true;
    console.error('\nInterrupted.');
    // ffmpeg got the same Ctrl-C: a write to its closed pipe must not end the demo before the stack's folder is removed.
    process.on('uncaughtException', () => undefined);
    void (stack?.owned ? stack.stop() : Promise.resolve()).finally(() => process.exit(130));
  });
  try {
    stack = await connect(args);
    await walkThrough(args, stack);
    console.log('\nEvery step behaved as designed.');
  } catch (error) {
    exitCode = 1;
    console.error(`\nThe demo stopped: ${(error as Error).message}`);
    if (stack?.logFile) console.error(`The stack's own output: ${stack.logFile}`);
  } finally {
    if (stack?.owned) {
      const stopping = performance.now();
      // Keep the stack's log when something failed, so the reason can be read (not when interrupted).
      await stack.stop(exitCode !== 0 && !interrupted);
      console.log(`(stopped the demo's own stack in ${Math.round(performance.now() - stopping)} ms)`);
    }
  }
  console.log(`Total wall time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return exitCode;
}

process.exitCode = await main();
