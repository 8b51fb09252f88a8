/**
 * What the flow tests share: face fixtures, and a client of a started local stack that signs users up, walks the
 * custom-auth challenges with the real Cognito SDK client (the email code read from the dev mailbox, as the demo's
 * client reads it), uploads ID photos by presigned POST and streams liveness video with the Node liveness client.
 */
import { readFileSync } from 'node:fs';
import { InitiateAuthCommand, RespondToAuthChallengeCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DetectFacesCommand } from '@aws-sdk/client-rekognition';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mailboxCode } from '../../../local/demo/face-login-client';
import { runLivenessSession, type VideoSource } from '../../../local/rekognition/liveness-client/client';
import { waitUntil, type StackProcess } from '../stack/stack-process';

export const fixture = (name: string) => readFileSync(new URL(`../../fixtures/faces/${name}`, import.meta.url));

/** The stack's table as its operator reads it, to check what a flow wrote; never part of the flow itself. */
export function stackTable(stack: StackProcess) {
  const { endpoints, region, credentials, tableName } = stack.outputs;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials }));
  return {
    client,
    /** One item of a user, read consistently. */
    item: async (sub: string, sk: string) =>
      (await client.send(new GetCommand({ TableName: tableName, Key: { pk: `USER#${sub}`, sk }, ConsistentRead: true }))).Item,
    destroy: () => client.destroy(),
  };
}

/** Streams a "moving closer" clip made from `selfie` into the liveness session `sessionId`. */
export async function streamLiveness(stack: StackProcess, sessionId: string, selfie: Buffer) {
  const { FaceDetails } = await stack.rekognition.send(new DetectFacesCommand({ Image: { Bytes: selfie } }));
  const box = FaceDetails![0]!.BoundingBox!;
  const face = { left: box.Left!, top: box.Top!, width: box.Width!, height: box.Height! };
  return streamVideo(stack, sessionId, { kind: 'moving-closer', photo: selfie, face });
}

/** Streams `source` into the liveness session `sessionId`, as the app would. */
export function streamVideo(stack: StackProcess, sessionId: string, source: VideoSource) {
  return runLivenessSession({
    endpoint: stack.outputs.endpoints.liveness!,
    ca: readFileSync(stack.outputs.livenessCertificatePath!, 'utf8'),
    region: stack.outputs.region,
    credentials: { accessKeyId: 'LOCALDEVELOPMENT', secretAccessKey: 'local-development-not-a-secret' },
    sessionId,
    source,
  });
}

/** Posts `body` with the presigned POST of an ENROLL_ID_PHOTO challenge; `fieldOverrides` tamper with its fields. */
export async function uploadIdPhoto(challenge: Record<string, string>, body: Buffer, fieldOverrides: Record<string, string> = {}) {
  const fields = { ...(JSON.parse(challenge.uploadFields!) as Record<string, string>), ...fieldOverrides };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(body)], { type: fields['Content-Type'] }), 'id.jpg');
  const response = await fetch(challenge.uploadUrl!, { method: 'POST', body: form });
  return { status: response.status, body: await response.text() };
}

/** The user's sub, read from the enrollment key `enrollment/<sub>/<uuid>.<ext>` of an ENROLL_ID_PHOTO challenge. */
export const subOfEnrollChallenge = (challenge: Record<string, string>) =>
  (JSON.parse(challenge.uploadFields!) as Record<string, string>).key!.split('/')[1]!;

/** One user of the stack's pool, signing in by email with CUSTOM_AUTH. */
export function flowUser(stack: StackProcess, email: string) {
  const clientId = stack.outputs.userPoolClientId!;
  return {
    email,
    /** SignUp as the app does it; PreSignUp confirms it at once. */
    signUp: () =>
      stack.cognito.send(
        new SignUpCommand({
          ClientId: clientId,
          Username: email,
          Password: `Fl0w-${crypto.randomUUID()}!`,
          UserAttributes: [{ Name: 'email', Value: email }],
        }),
      ),
    startSignIn: () =>
      stack.cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: email } })),
    /** The newest code the dev mailbox holds for this user. */
    mailboxCode: () => mailboxCode(stack.outputs.endpoints.mailbox!, email),
    /** Every code mailed to this user, oldest first. */
    mailedCodes: async () => {
      const response = await fetch(`${stack.outputs.endpoints.mailbox!}/${encodeURIComponent(email)}`);
      return ((await response.json()) as { messages: Array<{ code?: string }> }).messages.map((message) => message.code);
    },
    answer: (session: string, response: string, clientMetadata?: Record<string, string>) =>
      stack.cognito.send(
        new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: 'CUSTOM_CHALLENGE',
          Session: session,
          ChallengeResponses: { USERNAME: email, ANSWER: response },
          ...(clientMetadata ? { ClientMetadata: clientMetadata } : {}),
        }),
      ),
  };
}

export type FlowUser = ReturnType<typeof flowUser>;
type FlowAnswer = Awaited<ReturnType<FlowUser['startSignIn']>>;

/**
 * Streams the genuine face into a liveness challenge and answers it, with one retry in the same auth session, as the
 * app offers a fresh check: the local liveness stand-in now and then scores a genuine photo-made video low (its
 * anti-spoof model is a weak signal), a failure below the lockout limit.
 */
export async function passLiveness(stack: StackProcess, user: FlowUser, challenge: FlowAnswer, selfie: Buffer): Promise<FlowAnswer> {
  let current = challenge;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    expect((await streamLiveness(stack, current.ChallengeParameters!.sessionId!, selfie)).exceptions).toEqual([]);
    const next = await user.answer(current.Session!, current.ChallengeParameters!.sessionId!);
    if (next.AuthenticationResult || next.ChallengeParameters?.step !== 'FACE_LIVENESS') return next;
    current = next;
  }
  return current;
}

/** Starts a sign-in of a user with no enrollment and answers its EMAIL_CODE step: returns the ENROLL_ID_PHOTO challenge. */
export async function startEnrollment(user: FlowUser) {
  const emailCode = await user.startSignIn();
  if (emailCode.ChallengeParameters?.step !== 'EMAIL_CODE')
    throw new Error(`expected EMAIL_CODE, got ${emailCode.ChallengeParameters?.step}`);
  const challenge = await user.answer(emailCode.Session!, await user.mailboxCode());
  if (challenge.ChallengeParameters?.step !== 'ENROLL_ID_PHOTO')
    throw new Error(`expected ENROLL_ID_PHOTO after the email code, got ${challenge.ChallengeParameters?.step}`);
  return challenge;
}

/** Signs up `user`, proves the email, and enrolls `idPhoto` (answerEnrollment). */
export async function enroll(user: FlowUser, idPhoto: Buffer) {
  await user.signUp();
  return answerEnrollment(user, await startEnrollment(user), idPhoto);
}

/**
 * Uploads `idPhoto` at an ENROLL_ID_PHOTO challenge and answers it: the FACE_LIVENESS challenge that follows (throws
 * when the enrollment was refused), the enrollment challenge answered last and the user's sub. On a busy machine
 * verify can give up on the card's document check (OCR queued past its AWS call timeout): the app then asks for the
 * photo again, and the same card is read at once the second time (the local AnalyzeID keeps the reading).
 */
export async function answerEnrollment(user: FlowUser, challenge: Awaited<ReturnType<FlowUser['answer']>>, idPhoto: Buffer) {
  let enrollChallenge = challenge;
  for (let attempt = 1; ; attempt += 1) {
    const parameters = enrollChallenge.ChallengeParameters!;
    const upload = await uploadIdPhoto(parameters, idPhoto);
    if (upload.status !== 204) throw new Error(`the upload was refused with ${upload.status}: ${upload.body}`);
    const next = await user.answer(enrollChallenge.Session!, 'uploaded');
    if (next.ChallengeParameters?.step === 'FACE_LIVENESS') return { live: next, enrollChallenge, sub: subOfEnrollChallenge(parameters) };
    if (attempt === 2 || next.ChallengeParameters?.step !== 'ENROLL_ID_PHOTO') throw new Error(`enrollment of ${user.email} was refused`);
    enrollChallenge = next;
  }
}

/** Waits until the stack has printed a line matching `pattern` after `since` characters of its output. */
export async function printedLine(stack: StackProcess, since: number, pattern: RegExp, waitMs = 10000): Promise<string> {
  const find = () =>
    stack
      .output()
      .slice(since)
      .split('\n')
      .find((candidate) => pattern.test(candidate));
  await waitUntil(
    () => find() !== undefined,
    waitMs,
    () => `a line matching ${pattern}; the stack printed:\n${stack.output().slice(since)}`,
  );
  return find()!;
}
