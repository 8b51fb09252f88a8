/**
 * The client side of the face login, as the web app does it but from Node and through the real SDK clients: sign up
 * with a random password nobody sees (PreSignUp confirms it at once), start CUSTOM_AUTH, and answer each step:
 * EMAIL_CODE with the code from the dev mailbox, ENROLL_ID_PHOTO by uploading a JPEG through the presigned POST,
 * FACE_LIVENESS by streaming a session with the Node Face Liveness client. The demo, the load test
 * (scripts/bench-stack.ts) and the flow tests drive the stack with it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  CompareFacesCommand,
  GetFaceLivenessSessionResultsCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
} from '@aws-sdk/client-rekognition';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import sharp from 'sharp';
import { locateFace, runLivenessSession, type LivenessClientResult, type VideoSource } from '../rekognition/liveness-client/client';
import type { PhotoFace } from '../rekognition/liveness-client/synthetic-video';
import type { StackOutputs } from './stack-connection';
import type { AccountDeletion } from '../../functions/lib/account-deletion';
import { type EnrollmentRecord, getEnrollment, Store } from '../../functions/lib/store';
import { destroyTargets, forgetUser, localAccountTargets } from '../account-targets';

/** One step of the sign-in: either the next challenge or the tokens. */
export interface SignInStep {
  session?: string;
  /** `challengeMetadata`'s step: EMAIL_CODE, ENROLL_ID_PHOTO or FACE_LIVENESS. */
  step?: string;
  parameters: Record<string, string>;
  tokens?: AuthenticationResultType;
}

/** What the client answers the steps with (the email code comes from the dev mailbox). */
export interface StepAnswers {
  /** The JPEG to upload at ENROLL_ID_PHOTO (readPhoto converts a PNG). */
  idPhoto?: Buffer;
  /** The "camera" streamed into each FACE_LIVENESS session. */
  video?: VideoSource;
}

/** One answered step. */
export interface AnsweredStep {
  next: SignInStep;
  /** What was sent as ANSWER: the code, `uploaded`, or the liveness session id. */
  answer: string;
  /** RespondToAuthChallenge alone. */
  respondMs: number;
  /** FACE_LIVENESS: the stream's result and how long it took. */
  stream?: LivenessClientResult;
  streamMs?: number;
}

/** A sign-in walked by FaceLoginClient.signIn. */
export interface SignInRun {
  /** tokens; refused: a step came back (its answer was refused) and the sign-in stops there; ended: NotAuthorizedException. */
  outcome: 'tokens' | 'refused' | 'ended' | 'reached';
  initiateMs: number;
  answered: Array<AnsweredStep & { step: string }>;
  /** The step the walk stopped at (the tokens, the refused step's retry, or `until`); absent when ended. */
  last?: SignInStep;
}

const MAILBOX_WAIT_MS = 5000;
/** How long a replacement photo may take to be decided (the indexer runs on the S3 event). */
const DECISION_WAIT_MS = 60_000;

/**
 * The code of the newest message the dev mailbox (`GET <mailboxUrl>/<email>`) holds for `email`. The stack delivers
 * it before InitiateAuth or RespondToAuthChallenge answers; the wait covers a slow machine.
 */
export async function mailboxCode(mailboxUrl: string, email: string, waitMs = MAILBOX_WAIT_MS): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const response = await fetch(`${mailboxUrl}/${encodeURIComponent(email)}`);
    if (!response.ok) throw new Error(`the mailbox answered ${response.status}`);
    const { messages } = (await response.json()) as { messages: Array<{ code: string }> };
    const code = messages.at(-1)?.code;
    if (code) return code;
    if (Date.now() > deadline) throw new Error(`no message with a code for ${email} in the mailbox after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export class FaceLoginClient {
  readonly cognito: CognitoIdentityProviderClient;
  readonly rekognition: RekognitionClient;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly certificate: string;

  constructor(readonly outputs: StackOutputs) {
    const { region, endpoints, credentials } = outputs;
    // Loopback calls that take longer than this are a stack fault, not something to wait out.
    this.cognito = new CognitoIdentityProviderClient({ endpoint: endpoints.cognito!, region, credentials, maxAttempts: 1 });
    this.rekognition = new RekognitionClient({ endpoint: endpoints.rekognition!, region, credentials, maxAttempts: 1 });
    this.jwks = createRemoteJWKSet(new URL(endpoints.jwks!));
    this.certificate = readFileSync(outputs.livenessCertificatePath!, 'utf8');
  }

  private get clientId(): string {
    return this.outputs.userPoolClientId!;
  }

  /** SignUp with a random password that is never shown or stored, as the app does; PreSignUp confirms it at once. */
  async signUp(email: string): Promise<{ sub: string; confirmed: boolean }> {
    const password = `Fl-${randomBytes(18).toString('base64url')}-9a!`;
    const result = await this.cognito.send(
      new SignUpCommand({
        ClientId: this.clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    return { sub: result.UserSub!, confirmed: result.UserConfirmed === true };
  }

  mailboxCode(email: string): Promise<string> {
    return mailboxCode(this.outputs.endpoints.mailbox!, email);
  }

  async initiate(email: string): Promise<SignInStep> {
    const result = await this.cognito.send(
      new InitiateAuthCommand({ ClientId: this.clientId, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: email } }),
    );
    return signInStep(result);
  }

  async answer(email: string, session: string, answer: string): Promise<SignInStep> {
    const result = await this.cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId: this.clientId,
        ChallengeName: 'CUSTOM_CHALLENGE',
        Session: session,
        ChallengeResponses: { USERNAME: email, ANSWER: answer },
      }),
    );
    return signInStep(result);
  }

  /**
   * Answers one challenge as the app does: EMAIL_CODE with the newest code in the dev mailbox, ENROLL_ID_PHOTO by
   * uploading `answers.idPhoto` and answering `uploaded`, FACE_LIVENESS by streaming `answers.video` into the session
   * and answering its id. A refused stream throws; a refused answer is the same step again in `next`.
   */
  async answerStep(email: string, current: SignInStep, answers: StepAnswers): Promise<AnsweredStep> {
    const session = current.session;
    if (!session) throw new Error(`no auth session to answer ${current.step ?? 'a step'} in`);
    const respond = async (answer: string) => {
      const started = performance.now();
      const next = await this.answer(email, session, answer);
      return { next, answer, respondMs: performance.now() - started };
    };
    switch (current.step) {
      case 'EMAIL_CODE':
        return respond(await this.mailboxCode(email));
      case 'ENROLL_ID_PHOTO':
        if (!answers.idPhoto) throw new Error(`${email} was asked for an ID photo and has none to upload`);
        await this.uploadIdPhoto(current, answers.idPhoto);
        return respond('uploaded');
      case 'FACE_LIVENESS': {
        if (!answers.video) throw new Error(`${email} was asked for a video check and has no video to stream`);
        const sessionId = current.parameters.sessionId!;
        const started = performance.now();
        const stream = await this.streamLiveness(sessionId, answers.video);
        const streamMs = performance.now() - started;
        if (stream.exceptions.length > 0)
          throw new Error(`the stream was refused: ${stream.exceptions.map((e) => `${e.exception}: ${e.message}`).join('; ')}`);
        if (!stream.disconnected) throw new Error(`the server closed the stream (${stream.closeCode}) without a DisconnectionEvent`);
        return { ...(await respond(sessionId)), stream, streamMs };
      }
      default:
        throw new Error(`unexpected step ${current.step ?? '(none)'}`);
    }
  }

  /**
   * A whole sign-in: InitiateAuth, then each step answered in turn (answerStep) until tokens come, a step comes back
   * refused, or the step `until` is reached (not answered). An unknown email walks the decoy path with the same code:
   * the pool answers it as it answers an enrolled user, so the caller cannot tell them apart either.
   */
  async signIn(email: string, answers: StepAnswers, until?: string): Promise<SignInRun> {
    const started = performance.now();
    let current = await this.initiate(email);
    const run: SignInRun = { outcome: 'reached', initiateMs: performance.now() - started, answered: [] };
    for (;;) {
      if (current.tokens) return { ...run, outcome: 'tokens', last: current };
      if (current.step === until) return { ...run, last: current };
      let answered: AnsweredStep;
      try {
        answered = await this.answerStep(email, current, answers);
      } catch (error) {
        if ((error as Error).name === 'NotAuthorizedException') return { ...run, outcome: 'ended' };
        throw error;
      }
      run.answered.push({ step: current.step!, ...answered });
      if (answered.next.step === current.step) return { ...run, outcome: 'refused', last: answered.next };
      current = answered.next;
    }
  }

  /**
   * Posts the JPEG with the presigned fields of an ENROLL_ID_PHOTO challenge (the policy pins image/jpeg); resolves
   * with the HTTP status.
   */
  async uploadIdPhoto(challenge: SignInStep, photo: Buffer): Promise<number> {
    const { uploadUrl, uploadFields } = challenge.parameters;
    if (challenge.step !== 'ENROLL_ID_PHOTO' || !uploadUrl || !uploadFields)
      throw new Error(`not an ENROLL_ID_PHOTO challenge: ${challenge.step}`);
    const fields = JSON.parse(uploadFields) as Record<string, string>;
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) if (name.toLowerCase() !== 'content-type') form.append(name, value);
    form.append('Content-Type', 'image/jpeg');
    form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'id-photo.jpg');
    const response = await fetch(uploadUrl, { method: 'POST', body: form });
    if (response.status >= 300) throw new Error(`the upload was refused (${response.status}): ${(await response.text()).slice(0, 300)}`);
    return response.status;
  }

  /** Where the largest face is in a photo, which the "moving closer" video needs; refuses a photo without one. */
  async faceOf(photo: Buffer, what: string): Promise<PhotoFace> {
    try {
      return await locateFace(this.rekognition, photo);
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}`);
    }
  }

  /** Streams one liveness session with the Node Face Liveness client. */
  streamLiveness(sessionId: string, source: VideoSource): Promise<LivenessClientResult> {
    const { endpoints, region, credentials } = this.outputs;
    return runLivenessSession({ endpoint: endpoints.liveness!, ca: this.certificate, region, credentials, sessionId, source });
  }

  /** CompareFaces of the largest faces in two photos, as Verify runs it (an operator's check): the best Similarity, 0 if none. */
  async similarity(source: Buffer, target: Buffer): Promise<number> {
    const result = await this.rekognition.send(
      new CompareFacesCommand({ SourceImage: { Bytes: source }, TargetImage: { Bytes: target }, SimilarityThreshold: 0 }),
    );
    return Math.max(0, ...(result.FaceMatches ?? []).map((match) => match.Similarity ?? 0));
  }

  /** What the server decided about a session (an operator's view: the app never sees scores). */
  async livenessResult(sessionId: string): Promise<{ status: string; confidence?: number }> {
    const result = await this.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId }));
    return { status: result.Status ?? 'UNKNOWN', ...(result.Confidence !== undefined ? { confidence: result.Confidence } : {}) };
  }

  /** Verifies an ID token against the pool's JWKS, issuer and audience, as a resource server would. */
  async verifyIdToken(idToken: string): Promise<JWTPayload> {
    const { endpoints, userPoolId } = this.outputs;
    const { payload } = await jwtVerify(idToken, this.jwks, { issuer: `${endpoints.cognito}/${userPoolId}`, audience: this.clientId });
    if (payload.token_use !== 'id') throw new Error(`token_use is ${String(payload.token_use)}, not id`);
    return payload;
  }

  /** The users (subs) that already have this face in the collection at Similarity >= 90. */
  async enrolledOwnersOf(photo: Buffer): Promise<string[]> {
    try {
      const result = await this.rekognition.send(
        new SearchFacesByImageCommand({
          CollectionId: this.outputs.collectionId,
          Image: { Bytes: photo },
          FaceMatchThreshold: 90,
          MaxFaces: 5,
        }),
      );
      return (result.FaceMatches ?? []).map((match) => match.Face?.ExternalImageId ?? '?');
    } catch (error) {
      if ((error as Error).name === 'InvalidParameterException') return [];
      throw error;
    }
  }

  /** Purges a user as an administrator would (`npm run forget`): every face, photo and record, then the user. */
  async forget(email: string): Promise<AccountDeletion> {
    const targets = localAccountTargets(this.outputs);
    try {
      return await forgetUser(targets, email);
    } finally {
      destroyTargets(targets);
    }
  }

  /**
   * The stack's decision on an enrollment upload, as an operator reads it in the table (the functions' own store
   * code): a caller whose photo was refused is told nothing, the record says why.
   */
  async enrollmentDecision(sub: string, key: string): Promise<EnrollmentRecord | undefined> {
    const targets = localAccountTargets(this.outputs);
    try {
      return await getEnrollment(new Store(targets, targets.tableName), sub, key);
    } finally {
      destroyTargets(targets);
    }
  }

  /** A call to the account API with the user's access token: the HTTP status and the JSON answer. */
  async account(method: string, path: string, accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const base = this.outputs.accountApiUrl;
    if (!base) throw new Error('the local stack serves no account API (no AccountApiUrl output)');
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${accessToken}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Replaces the ID photo from a fresh sign-in: asks for the upload, posts the JPEG, and waits for the decision. */
  async replaceIdPhoto(accessToken: string, photo: Buffer): Promise<{ status: string; reason?: string }> {
    const issued = await this.account('POST', '/account/id-photo', accessToken);
    if (issued.status !== 200) throw new Error(`the account API refused the replacement upload (${issued.status})`);
    const { uploadId, upload } = issued.body as { uploadId: string; upload: { url: string; fields: Record<string, string> } };
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'id-photo.jpg');
    const posted = await fetch(upload.url, { method: 'POST', body: form });
    if (posted.status >= 300) throw new Error(`the upload was refused (${posted.status})`);
    const deadline = Date.now() + DECISION_WAIT_MS;
    for (;;) {
      const { status, body } = await this.account('GET', `/account/id-photo/${uploadId}`, accessToken);
      if (status !== 200) throw new Error(`the account API refused the status of ${uploadId} (${status})`);
      if (body.status !== 'PENDING') return body as { status: string; reason?: string };
      if (Date.now() > deadline) throw new Error(`no decision on ${uploadId} after ${DECISION_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  destroy(): void {
    this.cognito.destroy();
    this.rekognition.destroy();
  }
}

function signInStep(result: {
  Session?: string;
  ChallengeParameters?: Record<string, string>;
  AuthenticationResult?: AuthenticationResultType;
}): SignInStep {
  const parameters = result.ChallengeParameters ?? {};
  return {
    ...(result.Session ? { session: result.Session } : {}),
    ...(parameters.step ? { step: parameters.step } : {}),
    parameters,
    ...(result.AuthenticationResult ? { tokens: result.AuthenticationResult } : {}),
  };
}

/**
 * Reads a photo for upload: JPEG as is, PNG converted to JPEG (the upload policy pins image/jpeg, as the app
 * re-encodes every photo). Anything else is refused by name.
 */
export async function readPhoto(path: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${what} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return bytes;
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return sharp(bytes).rotate().flatten({ background: '#ffffff' }).jpeg({ quality: 92 }).toBuffer();
  }
  throw new Error(`${what} ${path} is neither a JPEG nor a PNG`);
}
