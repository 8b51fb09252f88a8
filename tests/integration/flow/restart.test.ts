/**
 * The local stack keeps its state across a restart: sign up and enroll, stop the whole `npm start` process with
 * SIGTERM, start it again on the same data folder (DynamoDB Local, S3, the collection and the Cognito users all
 * read back from disk), and the user signs in with the right face.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startStackProcess, type StackProcess } from '../stack/stack-process';
import { enroll, fixture, flowUser, passLiveness } from './harness';
import { idCardOf } from '../../support/id-cards';

const ID_PHOTO = fixture('app-id-photo-angelina_jolie-img6.jpg');
const SAME_PERSON = fixture('app-selfie-angelina_jolie-img7.jpg');
const email = 'restart@example.com';

describe('the local stack across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-stack-restart-'));
  let before: StackProcess;
  let after: StackProcess | undefined;

  beforeAll(async () => {
    before = await startStackProcess([], { dataDir });
  }, 120000);

  afterAll(async () => {
    await before?.dispose();
    await after?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('enrolls a user, then stops on SIGTERM with exit code 0', async () => {
    const { live } = await enroll(flowUser(before, email), await idCardOf(before.rekognition, ID_PHOTO, email));
    expect(live.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    expect(await before.stop()).toBe(0);
  }, 60000);

  it('starts again on the same data folder with the same user pool and app client', async () => {
    after = await startStackProcess([], { dataDir });
    expect(after.outputs.userPoolId).toBe(before.outputs.userPoolId);
    expect(after.outputs.userPoolClientId).toBe(before.outputs.userPoolClientId);
  }, 120000);

  it('signs the enrolled user in with the right face, straight to liveness, with tokens the pool signed', async () => {
    const stack = after!;
    const user = flowUser(stack, email);
    const live = await user.startSignIn();
    expect(live.ChallengeParameters?.step).toBe('FACE_LIVENESS');
    // With the one retry the app offers: the local anti-spoof model now and then scores a genuine video under 90.
    const done = await passLiveness(stack, user, live, SAME_PERSON);
    const { endpoints, userPoolId } = stack.outputs;
    const { payload } = await jwtVerify(done.AuthenticationResult!.IdToken!, createRemoteJWKSet(new URL(endpoints.jwks!)), {
      issuer: `${endpoints.cognito}/${userPoolId}`,
      audience: stack.outputs.userPoolClientId!,
    });
    expect(payload).toMatchObject({ email, token_use: 'id' });
  }, 120000);
});
