import { readFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { InitiateAuthCommand, RespondToAuthChallengeCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DescribeCollectionCommand, ListFacesCommand } from '@aws-sdk/client-rekognition';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { AnalyzeIDCommand, TextractClient } from '@aws-sdk/client-textract';
import { mailboxCode } from '../../../local/demo/face-login-client';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/template/local-environment';
import { startStackProcess, waitUntil, type StackProcess } from './stack-process';

/** A photographed ID card (the generator's, from samples/): the stack checks that an enrollment photo shows a document. */
const ID_CARD = new URL('../../../samples/angelina_jolie/id-card.jpg', import.meta.url);

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  let stack: StackProcess;
  const email = 'ada@example.com';
  let uploadChallenge: Record<string, string>;

  beforeAll(async () => {
    stack = await startStackProcess(['--app-port', '0']);
  }, 120000);

  afterAll(() => stack?.dispose());

  it('prints every endpoint, the Amplify configuration and its startup time in one block', () => {
    const { endpoints, userPoolId, userPoolClientId } = stack.outputs;
    const printed = stack.output();
    for (const url of [
      endpoints.dynamodb,
      endpoints.s3,
      endpoints.rekognition!,
      endpoints.textract!,
      endpoints.cognito!,
      endpoints.mailbox!,
      endpoints.sesv2!,
    ])
      expect(printed).toContain(url);
    expect(printed).toContain(`"userPoolId": "${userPoolId}"`);
    expect(printed).toContain(`"userPoolClientId": "${userPoolClientId}"`);
    expect(printed).toMatch(/local stack ready in \d+\.\d s/);
  });

  it('serves the web app with a config.json for this stack', async () => {
    const appUrl = /Web app\s+(http:\/\/localhost:\d+)/.exec(stack.output())![1]!;
    const config = await (await fetch(`${appUrl}/config.json`)).json();
    expect(config).toMatchObject({
      userPoolId: stack.outputs.userPoolId,
      userPoolClientId: stack.outputs.userPoolClientId,
      userPoolEndpoint: stack.outputs.endpoints.cognito,
      liveness: { endpointOverride: stack.outputs.endpoints.liveness },
    });
    expect((await fetch(appUrl)).headers.get('content-security-policy')).toContain(new URL(stack.outputs.endpoints.s3).origin);
  });

  it('answers Textract AnalyzeID at the endpoint in stack-outputs.json', async () => {
    const textract = new TextractClient({
      endpoint: stack.outputs.endpoints.textract,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const answer = await textract.send(new AnalyzeIDCommand({ DocumentPages: [{ Bytes: readFileSync(ID_CARD) }] }));
    textract.destroy();
    expect(answer.DocumentMetadata).toEqual({ Pages: 1 });
    const fields = answer.IdentityDocuments?.[0]?.IdentityDocumentFields ?? [];
    expect(fields).toContainEqual(
      expect.objectContaining({ Type: { Text: 'ID_TYPE' }, ValueDetection: expect.objectContaining({ Text: 'PASSPORT' }) }),
    );
  });

  it('creates the face collection by running InitCollectionFunction with a CloudFormation Create request', async () => {
    const collection = await stack.rekognition.send(new DescribeCollectionCommand({ CollectionId: stack.outputs.collectionId }));
    expect(collection.FaceCount).toBe(0);
    expect(stack.output()).toMatch(/\[InitCollectionFunction\] .*"message":"collection created"/);
  });

  it('runs sign-up through PreSignUp, mails the sign-in code through the dev mailbox, then asks for the ID photo', async () => {
    const ClientId = stack.outputs.userPoolClientId!;
    await stack.cognito.send(
      new SignUpCommand({
        ClientId,
        Username: email,
        Password: 'Local-Stack-Test-Password-1!',
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    const emailCode = await stack.cognito.send(
      new InitiateAuthCommand({ ClientId, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: email } }),
    );
    expect(emailCode.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(emailCode.ChallengeParameters?.step).toBe('EMAIL_CODE');
    const code = await mailboxCode(stack.outputs.endpoints.mailbox!, email);
    const challenge = await stack.cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId,
        ChallengeName: 'CUSTOM_CHALLENGE',
        Session: emailCode.Session!,
        ChallengeResponses: { USERNAME: email, ANSWER: code },
      }),
    );
    expect(challenge.ChallengeParameters).toMatchObject({
      step: 'ENROLL_ID_PHOTO',
      uploadUrl: `${stack.outputs.endpoints.s3}/${stack.outputs.bucketName}`,
    });
    uploadChallenge = challenge.ChallengeParameters!;
  });

  it('delivers the uploaded ID card photo to the indexer, which indexes the face under the user', async () => {
    const { uploadUrl, uploadFields } = uploadChallenge;
    const form = new FormData();
    for (const [name, value] of Object.entries(JSON.parse(uploadFields!) as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob([readFileSync(ID_CARD)], { type: 'image/jpeg' }), 'id.jpg');
    expect((await fetch(uploadUrl!, { method: 'POST', body: form })).status).toBe(204);
    // The event is delivered asynchronously, as S3 does; the indexer's REPORT line says it has finished.
    await waitUntil(
      () => /\[IndexFaceFunction\] REPORT RequestId/.test(stack.output()),
      30_000,
      () => 'the IndexFaceFunction REPORT line',
    );
    const { Faces } = await stack.rekognition.send(new ListFacesCommand({ CollectionId: stack.outputs.collectionId }));
    expect(Faces).toHaveLength(1);
    expect(Faces![0]!.ExternalImageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves SES v2 SendEmail at the sesv2 endpoint, into the mailbox the stack lists', async () => {
    const { region, credentials, endpoints } = stack.outputs;
    const ses = new SESv2Client({ endpoint: endpoints.sesv2!, region, credentials });
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'no-reply@example.com',
        Destination: { ToAddresses: ['mail@example.com'] },
        Content: { Simple: { Subject: { Data: 'Your sign-in code' }, Body: { Text: { Data: 'Your sign-in code is 314159' } } } },
      }),
    );
    ses.destroy();
    expect(await mailboxCode(endpoints.mailbox!, 'mail@example.com')).toBe('314159');
  });

  it('stops every part on SIGTERM, the DynamoDB Local JVM included, and exits cleanly', async () => {
    expect(await accepting(stack.dynamodbPort)).toBe(true);
    expect(await stack.stop()).toBe(0);
    expect(await accepting(stack.dynamodbPort)).toBe(false);
    expect(await accepting(Number(new URL(stack.outputs.endpoints.s3).port))).toBe(false);
    expect(existsSync(join(stack.dataDir, 'stack-outputs.json'))).toBe(false);
  });
});
