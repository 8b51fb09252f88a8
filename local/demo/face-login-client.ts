/**
 * The client side of the face login, as the web app does it but from Node and through the real SDK clients: sign up
 * with a random password nobody sees, confirm with the code from the dev mailbox, start CUSTOM_AUTH, upload the ID
 * photo through the presigned POST, stream a liveness session with the Node Face Liveness client, answer. The demo
 * and the load test (scripts/bench-stack.ts) drive the stack with it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  CompareFacesCommand,
  DeleteFacesCommand,
  GetFaceLivenessSessionResultsCommand,
  ListFacesCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
} from '@aws-sdk/client-rekognition';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import sharp from 'sharp';
import { locateFace, runLivenessSession, type LivenessClientResult, type VideoSource } from '../rekognition/liveness/client';
import type { PhotoFace } from '../rekognition/liveness/synthetic-video';
import type { StackOutputs } from './stack-connection';

/** One step of the sign-in: either the next challenge or the tokens. */
export interface SignInStep {
  session?: string;
  /** `challengeMetadata`'s step: ENROLL_ID_PHOTO or FACE_LIVENESS. */
  step?: string;
  parameters: Record<string, string>;
  tokens?: AuthenticationResultType;
}

const MAILBOX_WAIT_MS = 5000;

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

  /** SignUp with a random password that is never shown or stored, as the app does. */
  async signUp(email: string): Promise<string> {
    const password = `Fl-${randomBytes(18).toString('base64url')}-9a!`;
    const result = await this.cognito.send(
      new SignUpCommand({ ClientId: this.clientId, Username: email, Password: password, UserAttributes: [{ Name: 'email', Value: email }] }),
    );
    return result.UserSub!;
  }

  /** The newest code the dev mailbox holds for `email` (the emulator delivers it during SignUp; waits briefly). */
  async mailboxCode(email: string): Promise<string> {
    const deadline = Date.now() + MAILBOX_WAIT_MS;
    for (;;) {
      const response = await fetch(`${this.outputs.endpoints.mailbox}/${encodeURIComponent(email)}`);
      if (!response.ok) throw new Error(`the mailbox answered ${response.status}`);
      const { messages } = (await response.json()) as { messages: Array<{ code: string }> };
      const code = messages.at(-1)?.code;
      if (code) return code;
      if (Date.now() > deadline) throw new Error(`no message for ${email} in the mailbox after ${MAILBOX_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async confirm(email: string, code: string): Promise<void> {
    await this.cognito.send(new ConfirmSignUpCommand({ ClientId: this.clientId, Username: email, ConfirmationCode: code }));
  }

  async initiate(email: string): Promise<SignInStep> {
    const result = await this.cognito.send(new InitiateAuthCommand({ ClientId: this.clientId, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: email } }));
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

  /** Posts the photo with the presigned fields of an ENROLL_ID_PHOTO challenge; resolves with the HTTP status. */
  async uploadIdPhoto(challenge: SignInStep, photo: Buffer): Promise<number> {
    const { uploadUrl, uploadFields } = challenge.parameters;
    if (challenge.step !== 'ENROLL_ID_PHOTO' || !uploadUrl || !uploadFields) throw new Error(`not an ENROLL_ID_PHOTO challenge: ${challenge.step}`);
    const fields = JSON.parse(uploadFields) as Record<string, string>;
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(photo)], { type: fields['Content-Type'] ?? 'image/jpeg' }), 'id-photo');
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
    const result = await this.rekognition.send(new CompareFacesCommand({ SourceImage: { Bytes: source }, TargetImage: { Bytes: target }, SimilarityThreshold: 0 }));
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
        new SearchFacesByImageCommand({ CollectionId: this.outputs.collectionId, Image: { Bytes: photo }, FaceMatchThreshold: 90, MaxFaces: 5 }),
      );
      return (result.FaceMatches ?? []).map((match) => match.Face?.ExternalImageId ?? '?');
    } catch (error) {
      if ((error as Error).name === 'InvalidParameterException') return [];
      throw error;
    }
  }

  /** Removes a user and the faces indexed for it, so its photo can be enrolled again by a later run. */
  async removeUser(email: string): Promise<number> {
    const user = await this.cognito.send(new AdminGetUserCommand({ UserPoolId: this.outputs.userPoolId!, Username: email }));
    const sub = user.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    const faceIds: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.rekognition.send(new ListFacesCommand({ CollectionId: this.outputs.collectionId, ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const face of page.Faces ?? []) if (sub && face.ExternalImageId === sub && face.FaceId) faceIds.push(face.FaceId);
      nextToken = page.NextToken;
    } while (nextToken);
    if (faceIds.length > 0) await this.rekognition.send(new DeleteFacesCommand({ CollectionId: this.outputs.collectionId, FaceIds: faceIds }));
    await this.cognito.send(new AdminDeleteUserCommand({ UserPoolId: this.outputs.userPoolId!, Username: email }));
    return faceIds.length;
  }

  destroy(): void {
    this.cognito.destroy();
    this.rekognition.destroy();
  }
}

function signInStep(result: { Session?: string; ChallengeParameters?: Record<string, string>; AuthenticationResult?: AuthenticationResultType }): SignInStep {
  const parameters = result.ChallengeParameters ?? {};
  return {
    ...(result.Session ? { session: result.Session } : {}),
    ...(parameters.step ? { step: parameters.step } : {}),
    parameters,
    ...(result.AuthenticationResult ? { tokens: result.AuthenticationResult } : {}),
  };
}

/**
 * Reads a photo for upload: JPEG as is, PNG converted to JPEG (the first enrolment challenge follows InitiateAuth,
 * whose ClientMetadata cannot ask for PNG, so its policy pins image/jpeg). Anything else is refused by name.
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
