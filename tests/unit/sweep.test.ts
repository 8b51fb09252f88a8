import { ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DeleteFacesCommand, ListFacesCommand } from '@aws-sdk/client-rekognition';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { BatchWriteCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { STRAY_GRACE_MS } from '../../functions/lib/strays';
import { sweepDeletedUsers } from '../../functions/lib/sweep';
import { cognitoMock, dynamoMock, rekognitionMock, s3Mock } from './support/aws-mocks';
import { FakeClock, NOW_MS } from './support/parts';
import { deletedFaceIds, resetEmptyTargets, targets } from './support/purge-targets';

const GONE = '6f1e3b52-8c4d-4e7a-9b10-2d3c4e5f6a7b';
const LIVING = '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d';

const clock = new FakeClock();
const poolUser = (sub: string) => ({ Username: sub, Attributes: [{ Name: 'sub', Value: sub }] });
const queriedSubs = () => dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues?.[':pk']);
const purgedPrefixes = () =>
  s3Mock
    .commandCalls(ListObjectsV2Command)
    .map((call) => call.args[0].input)
    // The per-user listings of a purge, not the sweep's own listing of every pinned photo.
    .filter((input) => input.Delimiter === undefined && input.Prefix !== 'id-photos/')
    .map((input) => input.Prefix);

/** The user in the pool is enrolled with this face (and a pinned photo), decided long ago. */
function livingEnrollment(faceId: string, items: Record<string, unknown>[] = []): void {
  dynamoMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `USER#${LIVING}` } }).resolves({
    Items: [{ pk: `USER#${LIVING}`, sk: 'ACTIVE_ENROLLMENT', faceId, photoKey: `id-photos/${LIVING}/current.jpg` }, ...items],
  });
}

beforeEach(() => {
  resetEmptyTargets();
  cognitoMock.on(ListUsersCommand).resolves({ Users: [poolUser(LIVING)] });
  cognitoMock.on(ListUsersCommand, { Filter: `sub = "${GONE}"` }).resolves({ Users: [] });
});

describe('sweeping the data of deleted users', () => {
  test('purges a sub that owns items but is not in the pool, and reports the counts', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [{ pk: `USER#${GONE}` }, { pk: `USER#${LIVING}` }, { pk: 'SYSTEM' }] });
    dynamoMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `USER#${GONE}` } }).resolves({
      Items: [{ pk: `USER#${GONE}`, sk: 'ACTIVE_ENROLLMENT', faceId: 'face-g' }],
    });
    const report = await sweepDeletedUsers(targets, clock);
    expect(report).toEqual({ candidates: 1, purged: 1, faces: 1, objects: 0, items: 1, strayFaces: 0, strayPhotos: 0 });
    expect(queriedSubs().every((pk) => pk === `USER#${GONE}`)).toBe(true);
  });

  test('finds a deleted user who left only objects, under any of the user prefixes', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'liveness/', Delimiter: '/' })
      .resolves({ CommonPrefixes: [{ Prefix: `liveness/${GONE}/` }] });
    s3Mock.on(ListObjectsV2Command, { Prefix: `liveness/${GONE}/` }).resolves({ Contents: [{ Key: `liveness/${GONE}/s/reference.jpg` }] });
    const report = await sweepDeletedUsers(targets, clock);
    expect(purgedPrefixes()).toEqual([`enrollment/${GONE}/`, `id-photos/${GONE}/`, `liveness/${GONE}/`]);
    expect(report).toMatchObject({ purged: 1, objects: 1 });
  });

  test('finds a deleted user who left only a face in the collection', async () => {
    livingEnrollment('face-l');
    rekognitionMock.on(ListFacesCommand).resolves({
      Faces: [
        { FaceId: 'face-g', ExternalImageId: GONE },
        { FaceId: 'face-l', ExternalImageId: LIVING },
      ],
    });
    const report = await sweepDeletedUsers(targets, clock);
    expect(rekognitionMock.commandCalls(DeleteFacesCommand).map((call) => call.args[0].input.FaceIds)).toEqual([['face-g']]);
    expect(report).toMatchObject({ purged: 1, faces: 1 });
  });

  test('never purges a user who is in the pool', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [{ pk: `USER#${LIVING}` }] });
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'id-photos/', Delimiter: '/' })
      .resolves({ CommonPrefixes: [{ Prefix: `id-photos/${LIVING}/` }] });
    expect(await sweepDeletedUsers(targets, clock)).toEqual({
      candidates: 0,
      purged: 0,
      faces: 0,
      objects: 0,
      items: 0,
      strayFaces: 0,
      strayPhotos: 0,
    });
    expect(dynamoMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(DeleteFacesCommand)).toHaveLength(0);
  });

  test('leaves a candidate alone when the pool knows it on the second look', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [{ pk: `USER#${GONE}` }] });
    cognitoMock.on(ListUsersCommand, { Filter: `sub = "${GONE}"` }).resolves({ Users: [poolUser(GONE)] });
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ candidates: 1, purged: 0 });
    expect(dynamoMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  test('pages through the table, the prefixes and the pool', async () => {
    dynamoMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolves({ Items: [{ pk: `USER#${GONE}` }] });
    cognitoMock
      .on(ListUsersCommand, { Filter: undefined })
      .resolvesOnce({ Users: [], PaginationToken: 'users-2' })
      .resolves({ Users: [poolUser(LIVING)] });
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'enrollment/', Delimiter: '/' })
      .resolvesOnce({ CommonPrefixes: [], NextContinuationToken: 'objects-2' })
      .resolves({ CommonPrefixes: [{ Prefix: `enrollment/${LIVING}/` }] });
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ candidates: 1, purged: 1 });
    expect(dynamoMock.commandCalls(ScanCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'x', sk: 'y' });
    expect(cognitoMock.commandCalls(ListUsersCommand)[1]?.args[0].input.PaginationToken).toBe('users-2');
  });

  test('ignores prefixes and owners that are not subs, so no filter is built from them', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'enrollment/', Delimiter: '/' })
      .resolves({ CommonPrefixes: [{ Prefix: 'enrollment/x" or sub ^= "/' }] });
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ candidates: 0 });
    expect(cognitoMock.commandCalls(ListUsersCommand).every((call) => call.args[0].input.Filter === undefined)).toBe(true);
  });

  test("leaves a swept sub's lockout and failures to expire, so an unknown email's lock ends when a real user's would", async () => {
    const lockout = { pk: `USER#${GONE}`, sk: 'LOCKOUT' };
    const failure = { pk: `USER#${GONE}`, sk: 'FAILURE#001795274944000#0b7e7d4e-1111-4222-8333-944445555666' };
    const session = { pk: `USER#${GONE}`, sk: 'LIVENESS#5b049f15-eea9-44e8-93ae-09e50869e059' };
    dynamoMock.on(ScanCommand).resolves({ Items: [lockout, failure, session] });
    dynamoMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `USER#${GONE}` } }).resolves({ Items: [lockout, failure, session] });
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ purged: 1, items: 1 });
    const deleted = dynamoMock
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => Object.values(call.args[0].input.RequestItems ?? {}).flat());
    expect(deleted).toEqual([{ DeleteRequest: { Key: session } }]);
  });

  test('takes a sub that holds only a lockout and failures for no candidate', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [{ pk: `USER#${GONE}`, sk: 'LOCKOUT' }] });
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ candidates: 0, purged: 0 });
  });
});

describe('sweeping face data of users in the pool that no record names', () => {
  const LONG_AGO = new Date(NOW_MS - STRAY_GRACE_MS - 1);
  const decided = (at: number) => ({ pk: `USER#${LIVING}`, sk: 'ENROLLMENT#enrollment/x.jpg', decidedAt: new Date(at).toISOString() });
  const pinned = (...photos: [string, Date][]) =>
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'id-photos/', Delimiter: undefined })
      .resolves({ Contents: photos.map(([name, LastModified]) => ({ Key: `id-photos/${LIVING}/${name}`, LastModified })) });
  const deletedKeys = () =>
    s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete?.Objects?.map((o) => o.Key));

  beforeEach(() => {
    clock.set(NOW_MS);
    rekognitionMock.on(ListFacesCommand).resolves({
      Faces: [
        { FaceId: 'face-current', ExternalImageId: LIVING },
        { FaceId: 'face-stray', ExternalImageId: LIVING },
      ],
    });
    pinned(['current.jpg', LONG_AGO], ['stray.jpg', LONG_AGO]);
  });

  /** The table's own pass (the Scan) shows the enrollment naming face-current and current.jpg. */
  const scannedEnrollment = () =>
    dynamoMock.on(ScanCommand).resolves({
      Items: [{ pk: `USER#${LIVING}`, sk: 'ACTIVE_ENROLLMENT', faceId: 'face-current', photoKey: `id-photos/${LIVING}/current.jpg` }],
    });

  test('removes the faces and pinned photos the enrollment does not name, keeps the ones it does, and counts them', async () => {
    livingEnrollment('face-current', [decided(NOW_MS - STRAY_GRACE_MS - 1)]);
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ purged: 0, strayFaces: 1, strayPhotos: 1 });
    expect(deletedFaceIds()).toEqual(['face-stray']);
    expect(deletedKeys()).toEqual([`id-photos/${LIVING}/stray.jpg`]);
  });

  test("reads no user's records again when the table's pass shows every face and photo is the enrollment's", async () => {
    scannedEnrollment();
    rekognitionMock.on(ListFacesCommand).resolves({ Faces: [{ FaceId: 'face-current', ExternalImageId: LIVING }] });
    pinned(['current.jpg', LONG_AGO]);
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ strayFaces: 0, strayPhotos: 0 });
    expect(queriedSubs()).toEqual([]);
    expect(dynamoMock.commandCalls(ScanCommand)[0]?.args[0].input.ProjectionExpression).toBe('pk, sk, faceId, photoKey');
  });

  test("reads the user's records again, consistently, before removing what the table's pass shows as a stray", async () => {
    scannedEnrollment();
    livingEnrollment('face-current');
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ strayFaces: 1, strayPhotos: 1 });
    expect(queriedSubs()).toEqual([`USER#${LIVING}`]);
  });

  test('removes every face and pinned photo of a user in the pool who has no enrollment', async () => {
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ strayFaces: 2, strayPhotos: 2 });
  });

  test.each([
    ['a decision on an upload was written within the grace (its activation may follow)', decided(NOW_MS - STRAY_GRACE_MS + 1000)],
    [
      'a run that claimed an upload is still deciding',
      { pk: `USER#${LIVING}`, sk: 'ENROLLMENT#enrollment/x.jpg', decidingUntil: NOW_MS + 20_000 },
    ],
    [
      'a claim on an upload ended within the grace',
      { pk: `USER#${LIVING}`, sk: 'ENROLLMENT#enrollment/x.jpg', decidingUntil: NOW_MS - STRAY_GRACE_MS + 1000 },
    ],
  ])('leaves the user for a later sweep while %s', async (_case, item) => {
    livingEnrollment('face-current', [item]);
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ strayFaces: 0, strayPhotos: 0 });
    expect(rekognitionMock.commandCalls(DeleteFacesCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  test('leaves a pinned photo written within the grace, which a running decision may be about to name', async () => {
    livingEnrollment('face-current');
    pinned(['current.jpg', LONG_AGO], ['new.jpg', new Date(NOW_MS - 1000)]);
    expect(await sweepDeletedUsers(targets, clock)).toMatchObject({ strayPhotos: 0 });
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  test("reads the user's records consistently, with the claim and decision times", async () => {
    livingEnrollment('face-current');
    await sweepDeletedUsers(targets, clock);
    expect(dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toContainEqual(
      expect.objectContaining({
        ExpressionAttributeValues: { ':pk': `USER#${LIVING}` },
        ProjectionExpression: 'pk, sk, faceId, photoKey, decidingUntil, decidedAt',
        ConsistentRead: true,
      }),
    );
  });
});
