/**
 * People own their face data, tried on `npm start` through the public APIs: the account API (HTTP API with the
 * JWT authorizer on the pool) replaces the ID photo only with the live face of the sign-in and deletes an account
 * with every face, photo and record; the scheduled sweep purges what a user deleted outside the API left behind;
 * `npm run forget` purges one user for an administrator. After each purge every store is checked empty.
 */
import { execFile } from 'node:child_process';
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AdminDeleteUserCommand, AdminGetUserCommand, type AuthenticationResultType } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IndexFacesCommand, ListFacesCommand } from '@aws-sdk/client-rekognition';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isAttemptLimitItem } from '../../../functions/lib/purge';
import { enroll, type FlowUser, flowUser, passLiveness, printedLine } from '../flow/harness';
import { idCardOf } from '../../support/id-cards';
import { startStackProcess, type StackProcess } from '../stack/stack-process';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const sample = (person: string, file: string) => readFileSync(join(ROOT, 'samples', person, file));
const ADA = { idPhoto: sample('angelina_jolie', 'id-card.jpg'), selfie: sample('angelina_jolie', 'selfie.jpg') };
/** Someone else's ID card: a real document, with another face. */
const STRANGER_PHOTO = sample('jennifer_aniston', 'id-card.jpg');
/** Another account's confirmed face, which a replacement must never let Ada ask about. */
const BEA = { idPhoto: sample('katy_perry', 'id-card.jpg'), selfie: sample('katy_perry', 'selfie.jpg') };
const run = promisify(execFile);

let stack: StackProcess;
let s3: S3Client;
let table: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startStackProcess();
  const { endpoints, region, credentials } = stack.outputs;
  s3 = new S3Client({ endpoint: endpoints.s3, region, credentials, forcePathStyle: true });
  table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials }));
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  table?.destroy();
  await stack?.dispose();
});

/** Signs up and enrolls `user` with `idPhoto`, passing liveness with `selfie`: the tokens of that fresh sign-in. */
async function enrolled(user: FlowUser, idPhoto: Buffer, selfie: Buffer): Promise<{ sub: string; tokens: AuthenticationResultType }> {
  const { live, sub } = await enroll(user, idPhoto);
  // With the one retry the app offers: the local anti-spoof model now and then scores a genuine video under 90.
  const done = await passLiveness(stack, user, live, selfie);
  if (!done.AuthenticationResult) throw new Error(`${user.email} was not signed in after liveness`);
  return { sub, tokens: done.AuthenticationResult };
}

/** A request to the account API with the user's access token (or the given Authorization header). */
async function account(method: string, path: string, token: string | undefined): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.outputs.accountApiUrl}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function uploadReplacement(accessToken: string, photo: Buffer): Promise<string> {
  const issued = await account('POST', '/account/id-photo', accessToken);
  expect(issued.status).toBe(200);
  const { uploadId, upload } = issued.body as { uploadId: string; upload: { url: string; fields: Record<string, string> } };
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'id.jpg');
  expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBe(204);
  return uploadId;
}

/** Polls the status of a replacement until it is decided. */
async function decision(accessToken: string, uploadId: string): Promise<{ status: string; reason?: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status, body } = await account('GET', `/account/id-photo/${uploadId}`, accessToken);
    expect(status).toBe(200);
    const answer = body as { status: string; reason?: string };
    if (answer.status !== 'PENDING') return answer;
    if (Date.now() > deadline) throw new Error(`replacement ${uploadId} still PENDING after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const activeEnrollment = async (sub: string) =>
  (await table.send(new GetCommand({ TableName: stack.outputs.tableName, Key: { pk: `USER#${sub}`, sk: 'ACTIVE_ENROLLMENT' } }))).Item;

async function facesOf(sub: string): Promise<string[]> {
  const faces: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.rekognition.send(new ListFacesCommand({ CollectionId: stack.outputs.collectionId, NextToken: nextToken }));
    faces.push(...(page.Faces ?? []).filter((face) => face.ExternalImageId === sub).map((face) => face.FaceId!));
    nextToken = page.NextToken;
  } while (nextToken);
  return faces;
}

const objectsUnder = async (prefix: string) =>
  (await s3.send(new ListObjectsV2Command({ Bucket: stack.outputs.bucketName, Prefix: prefix }))).Contents?.map((object) => object.Key) ??
  [];

/** What every store holds of this sub: faces, objects under each user prefix, items, and whether the pool has it. */
async function storedOf(sub: string, email: string) {
  const items = await table.send(
    new QueryCommand({
      TableName: stack.outputs.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `USER#${sub}` },
    }),
  );
  const inPool = await stack.cognito
    .send(new AdminGetUserCommand({ UserPoolId: stack.outputs.userPoolId!, Username: email }))
    .then(() => true)
    .catch((error: Error) => {
      if (error.name === 'UserNotFoundException') return false;
      throw error;
    });
  return {
    faces: await facesOf(sub),
    uploads: await objectsUnder(`enrollment/${sub}/`),
    idPhotos: await objectsUnder(`id-photos/${sub}/`),
    livenessImages: await objectsUnder(`liveness/${sub}/`),
    items: items.Items ?? [],
    inPool,
  };
}

const NOTHING = { faces: [], uploads: [], idPhotos: [], livenessImages: [], items: [], inPool: false };

describe('the account API', () => {
  const ada = () => flowUser(stack, 'ada@example.com');
  let sub: string;
  let tokens: AuthenticationResultType;
  let heldUpload: { upload: { url: string; fields: Record<string, string> } };

  beforeAll(async () => {
    ({ sub, tokens } = await enrolled(ada(), ADA.idPhoto, ADA.selfie));
    await enrolled(flowUser(stack, 'bea@example.com'), BEA.idPhoto, BEA.selfie);
  }, 180_000);

  test('answers 401 to a request without a token, and never reaches the function', async () => {
    expect(await account('DELETE', '/account', undefined)).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    expect((await storedOf(sub, 'ada@example.com')).inPool).toBe(true);
  });

  test('refuses an ID token, which the authorizer lets through: only access tokens act on the account', async () => {
    expect(await account('POST', '/account/id-photo', tokens.IdToken)).toEqual({ status: 403, body: { message: 'Request refused.' } });
  });

  test("refuses a replacement photo of another account's confirmed face as NO_MATCH, not DUPLICATE_FACE, and counts it", async () => {
    const before = await activeEnrollment(sub);
    const uploadId = await uploadReplacement(tokens.AccessToken!, BEA.idPhoto);
    expect(await decision(tokens.AccessToken!, uploadId)).toEqual({ status: 'REJECTED', reason: 'NO_MATCH' });
    expect(await activeEnrollment(sub)).toMatchObject({ faceId: before!.faceId, photoKey: before!.photoKey, state: 'CONFIRMED' });
    const { items } = await storedOf(sub, 'ada@example.com');
    expect(items.filter((item) => String(item.sk).startsWith('FAILURE#'))).toHaveLength(1);
  }, 90_000);

  test('refuses a replacement that is a plain photo of the same face, not a document, as NOT_A_DOCUMENT', async () => {
    const before = await activeEnrollment(sub);
    const uploadId = await uploadReplacement(tokens.AccessToken!, ADA.selfie);
    expect(await decision(tokens.AccessToken!, uploadId)).toEqual({ status: 'REJECTED', reason: 'NOT_A_DOCUMENT' });
    expect(await activeEnrollment(sub)).toEqual(before);
  }, 90_000);

  test('replaces the ID photo with a new ID card of the same face, and deletes the old face and pinned photo', async () => {
    const before = await activeEnrollment(sub);
    const uploadId = await uploadReplacement(tokens.AccessToken!, await idCardOf(stack.rekognition, ADA.selfie, 'ada-renewed'));
    expect(await decision(tokens.AccessToken!, uploadId)).toEqual({ status: 'ACCEPTED' });
    const after = await activeEnrollment(sub);
    expect(after).toMatchObject({ key: `enrollment/${sub}/${uploadId}.jpg`, state: 'CONFIRMED' });
    expect(after!.faceId).not.toBe(before!.faceId);
    // The indexer deletes the old face, pinned photo and upload right after the swap, in the same run.
    const deadline = Date.now() + 10_000;
    let stored = await storedOf(sub, 'ada@example.com');
    while (stored.faces.length + stored.idPhotos.length + stored.uploads.length > 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await storedOf(sub, 'ada@example.com');
    }
    expect(stored.faces).toEqual([after!.faceId]);
    expect(stored.idPhotos).toEqual([after!.photoKey]);
    expect(stored.uploads).toEqual([]);
  }, 90_000);

  test('deletes the account: every face, photo and record, then the user, and answers the counts', async () => {
    // An upload policy issued before the deletion and used after it must not bring a photo back (below).
    heldUpload = (await account('POST', '/account/id-photo', tokens.AccessToken)).body as typeof heldUpload;
    const before = await storedOf(sub, 'ada@example.com');
    const { status, body } = await account('DELETE', '/account', tokens.AccessToken);
    expect(status).toBe(200);
    expect(body).toEqual({
      deleted: {
        faces: before.faces.length,
        objects: before.uploads.length + before.idPhotos.length + before.livenessImages.length,
        items: expect.any(Number),
        user: true,
      },
    });
    expect((body as { deleted: { items: number } }).deleted.items).toBeGreaterThanOrEqual(before.items.length);
    expect(await storedOf(sub, 'ada@example.com')).toEqual(NOTHING);
  }, 60_000);

  test('an upload policy held from before the deletion lands nothing: the indexer removes the photo it was never issued', async () => {
    const since = stack.output().length;
    const form = new FormData();
    for (const [name, value] of Object.entries(heldUpload.upload.fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(ADA.idPhoto)], { type: 'image/jpeg' }), 'id.jpg');
    expect((await fetch(heldUpload.upload.url, { method: 'POST', body: form })).status).toBe(204);
    await printedLine(stack, since, /\[IndexFaceFunction\].*"why":"key was not issued"/, 30_000);
    expect(await storedOf(sub, 'ada@example.com')).toEqual(NOTHING);
  }, 60_000);

  test("the deleted user's token can no longer start a replacement", async () => {
    expect(await account('POST', '/account/id-photo', tokens.AccessToken)).toEqual({ status: 403, body: { message: 'Request refused.' } });
  });
});

describe('deletion outside the account API', () => {
  const port = (url: string | undefined) => new URL(url!).port;

  /** Runs the scheduled sweep once against the running stack, as `npm run invoke` does: what it printed. */
  async function runSweep(): Promise<string> {
    const { endpoints } = stack.outputs;
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      [
        'local/invoke.ts',
        'SweepDeletedUsersFunction',
        'events/sweep-deleted-users.scheduled.json',
        ...['--dynamodb-port', port(endpoints.dynamodb), '--s3-port', port(endpoints.s3)],
        ...['--rekognition-port', port(endpoints.rekognition), '--textract-port', port(endpoints.textract)],
        ...['--cognito-port', port(endpoints.cognito)],
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  }

  test('the scheduled sweep purges the data of a user an administrator deleted, and leaves everyone else alone', async () => {
    const gone = await enrolled(flowUser(stack, 'gone@example.com'), ADA.idPhoto, ADA.selfie);
    const kept = await enrolled(flowUser(stack, 'kept@example.com'), STRANGER_PHOTO, sample('jennifer_aniston', 'selfie.jpg'));
    const keptBefore = await storedOf(kept.sub, 'kept@example.com');
    await stack.cognito.send(new AdminDeleteUserCommand({ UserPoolId: stack.outputs.userPoolId!, Username: 'gone@example.com' }));
    expect((await storedOf(gone.sub, 'gone@example.com')).faces).toHaveLength(1);

    const stdout = await runSweep();
    expect(stdout).toMatch(/"message":"data of deleted users and stray face data purged".*"purged":\d/);
    expect(stdout).not.toContain(kept.sub);
    // Failures and a lockout, had there been any, are left to expire: see the sweep's unit tests.
    const left = await storedOf(gone.sub, 'gone@example.com');
    expect({ ...left, items: left.items.filter(({ sk }) => !isAttemptLimitItem(String(sk))) }).toEqual(NOTHING);
    expect(await storedOf(kept.sub, 'kept@example.com')).toEqual(keptBefore);
  }, 240_000);

  test('the scheduled sweep removes a face and a photo of a user no record names, once no decision of theirs is recent', async () => {
    const george = sample('george_clooney', 'id-card.jpg');
    const { sub } = await enrolled(flowUser(stack, 'stray@example.com'), george, sample('george_clooney', 'selfie.jpg'));
    const enrollment = (await activeEnrollment(sub))!;
    // What a verify cut short between IndexFaces and its decision leaves: a face of the user, and a pinned copy.
    const { collectionId, bucketName, tableName } = stack.outputs;
    const indexed = await stack.rekognition.send(
      new IndexFacesCommand({ CollectionId: collectionId, Image: { Bytes: george }, ExternalImageId: sub, MaxFaces: 1 }),
    );
    const strayFace = indexed.FaceRecords![0]!.Face!.FaceId!;
    const strayPhoto = `id-photos/${sub}/stray.jpg`;
    await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: strayPhoto, Body: george, ContentType: 'image/jpeg' }));

    // Its enrollment was decided moments ago, and a face that young may be a decision's about to be activated.
    expect(await runSweep()).toMatch(/"strayFaces":0,"strayPhotos":0/);
    expect((await storedOf(sub, 'stray@example.com')).faces).toContain(strayFace);

    // A day later, as far as the records and the photos' dates tell (S3 dates cannot be set through the API, so the
    // files s3rver keeps them in are dated back; the enrollment's photo too, to show that it is kept for its record):
    // the sweep removes the stray face and photo.
    const dayAgo = new Date(Date.now() - 86_400_000);
    for (const key of [strayPhoto, enrollment.photoKey]) {
      utimesSync(join(stack.dataDir, 's3', bucketName, `${key}._S3rver_object`), dayAgo, dayAgo);
    }
    for (const { sk } of (await storedOf(sub, 'stray@example.com')).items.filter(({ sk }) => String(sk).startsWith('ENROLLMENT#'))) {
      await table.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `USER#${sub}`, sk },
          UpdateExpression: 'SET decidedAt = :dayAgo, decidingUntil = :dayAgoMs',
          ExpressionAttributeValues: { ':dayAgo': dayAgo.toISOString(), ':dayAgoMs': dayAgo.getTime() },
        }),
      );
    }
    expect(await runSweep()).toMatch(/"strayFaces":1,"strayPhotos":1/);
    const stored = await storedOf(sub, 'stray@example.com');
    expect(stored.faces).toEqual([enrollment.faceId]);
    expect(stored.idPhotos).toEqual([enrollment.photoKey]);
    expect(stored.inPool).toBe(true);
  }, 240_000);

  test('npm run forget purges one user by email on the running stack and prints the counts', async () => {
    const { sub } = await enrolled(flowUser(stack, 'forget-me@example.com'), ADA.idPhoto, ADA.selfie);
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['local/forget.ts', '--email', 'Forget-Me@example.com', '--data-dir', stack.dataDir],
      {
        cwd: ROOT,
      },
    );
    expect(stdout).toMatch(/faces deleted from .*: 1\n/);
    expect(stdout).toMatch(/Cognito user deleted: yes/);
    expect(await storedOf(sub, 'forget-me@example.com')).toEqual(NOTHING);
  }, 180_000);

  test('npm run forget says so, and changes nothing, for an address the pool does not have', async () => {
    const failed = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['local/forget.ts', '--email', 'nobody@example.com', '--data-dir', stack.dataDir],
      {
        cwd: ROOT,
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('No user nobody@example.com') });
  });
});
