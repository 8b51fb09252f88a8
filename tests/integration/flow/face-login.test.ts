/**
 * The whole flow through the real SDK clients against `npm start`: sign-up (confirmed at once), the email code from
 * the dev mailbox, enrollment of a photographed ID card by presigned POST, Face Liveness over the wss stream, CompareFaces in
 * Verify, tokens checked against the JWKS, refresh, sign-out; then a second sign-in that goes straight to liveness and
 * refuses another person.
 * A liveness session streams a few seconds of real-time video and scores it on the CPU, hence the longer timeouts.
 */
import {
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startStackProcess, type StackProcess } from '../stack/stack-process';
import { answerEnrollment, fixture, flowUser, passLiveness, streamLiveness } from './harness';
import { idCardOf } from '../../support/id-cards';

const ID_PHOTO = fixture('app-id-photo-angelina_jolie-img6.jpg');
const SAME_PERSON = fixture('app-selfie-angelina_jolie-img7.jpg');
const OTHER_PERSON = fixture('app-selfie-jennifer_aniston-img3.jpg');

describe('face login through the local stack', () => {
  let stack: StackProcess;
  let clientId: string;
  let tokens: AuthenticationResultType;
  let enroll: Awaited<ReturnType<ReturnType<typeof flowUser>['answer']>>;
  let idCard: Buffer;
  const email = 'grace@example.com';

  beforeAll(async () => {
    stack = await startStackProcess();
    clientId = stack.outputs.userPoolClientId!;
    idCard = await idCardOf(stack.rekognition, ID_PHOTO, email);
  }, 120000);

  afterAll(() => stack?.dispose());

  const liveness = (sessionId: string, selfie: Buffer) => streamLiveness(stack, sessionId, selfie);
  const startSignIn = () => flowUser(stack, email).startSignIn();
  const answer = (session: string, response: string) => flowUser(stack, email).answer(session, response);

  it('signs up with an email alone: the pool confirms the user at once and sends no code yet', async () => {
    await expect(flowUser(stack, email).signUp()).resolves.toMatchObject({ UserConfirmed: true });
    const mailbox = (await (await fetch(`${stack.outputs.endpoints.mailbox}/${email}`)).json()) as { messages: unknown[] };
    expect(mailbox.messages).toEqual([]);
  });

  it('asks first for the code emailed to the address, masked, and takes it from the mailbox', async () => {
    const emailCode = await startSignIn();
    expect(emailCode.ChallengeParameters).toMatchObject({ step: 'EMAIL_CODE', destination: expect.stringContaining('@'), codeLength: '6' });
    expect(emailCode.ChallengeParameters!.destination).not.toMatch(/grace|example/);
    const code = await flowUser(stack, email).mailboxCode();
    expect(code).toMatch(/^\d{6}$/);
    enroll = await answer(emailCode.Session!, code);
    expect(enroll.ChallengeParameters).toMatchObject({ step: 'ENROLL_ID_PHOTO', contentTypes: 'image/jpeg' });
  });

  it('enrolls a photo of an ID card, passes liveness as the same person and receives tokens signed by the pool', async () => {
    const { live } = await answerEnrollment(flowUser(stack, email), enroll, idCard);
    expect(live.ChallengeParameters).toMatchObject({ step: 'FACE_LIVENESS', region: stack.outputs.region });
    const done = await passLiveness(stack, flowUser(stack, email), live, SAME_PERSON);
    expect(done.AuthenticationResult?.IdToken).toBeDefined();
    tokens = done.AuthenticationResult!;
    const { endpoints, userPoolId } = stack.outputs;
    const { payload } = await jwtVerify(tokens.IdToken!, createRemoteJWKSet(new URL(endpoints.jwks!)), {
      issuer: `${endpoints.cognito}/${userPoolId}`,
      audience: clientId,
    });
    // The email code proved the address, and verify marked it verified in the pool (sign-up left it unverified).
    expect(payload).toMatchObject({ email, email_verified: true, token_use: 'id' });
  }, 120000);

  it('refreshes the tokens with the refresh token', async () => {
    const refreshed = await stack.cognito.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! },
      }),
    );
    const user = await stack.cognito.send(new GetUserCommand({ AccessToken: refreshed.AuthenticationResult!.AccessToken! }));
    expect(user.UserAttributes).toContainEqual({ Name: 'email', Value: email });
  });

  it('signs out globally, after which the refresh token no longer works', async () => {
    await stack.cognito.send(new GlobalSignOutCommand({ AccessToken: tokens.AccessToken! }));
    await expect(
      stack.cognito.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  it('goes straight to liveness once enrolled, and refuses another person with a fresh liveness session', async () => {
    const live = await startSignIn();
    expect(live.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    const sessionId = live.ChallengeParameters!.sessionId!;
    // A live person, just not the one on the ID photo: liveness passes, CompareFaces does not.
    expect((await liveness(sessionId, OTHER_PERSON)).exceptions).toEqual([]);
    const retry = await answer(live.Session!, sessionId);
    expect(stack.output()).toMatch(/\[VerifyAuthChallengeFunction\] .*"message":"liveness check failed".*"failure":"NO_MATCH"/);
    expect(retry.AuthenticationResult).toBeUndefined();
    expect(retry.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    expect(retry.ChallengeParameters?.sessionId).not.toBe(sessionId);
  }, 120000);
});
