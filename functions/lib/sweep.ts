/**
 * Finds the data of users who no longer exist in the pool (deleted in the console, or by their own DeleteUser
 * call, which no trigger sees) and purges it. Every sub that owns data anywhere (an item, an object under a user
 * prefix, a face) is a candidate; the pool's subs are read once, and each candidate is looked up once more just
 * before its purge, so a user created during the sweep is never touched. Each run pages through everything and
 * is idempotent: what one run could not finish, the next one does. Lockouts and failures are left to expire (see
 * isAttemptLimitItem). The same pass removes the faces and pinned photos of users in the pool that no record names
 * (./strays.ts).
 */
import { type CognitoIdentityProviderClient, paginateListUsers } from '@aws-sdk/client-cognito-identity-provider';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { requestOptions } from './aws-clients';
import type { Clock } from './parts';
import { facesByOwner, isAttemptLimitItem, type PurgeCounts, type PurgeTargets, purgeUserData, USER_PREFIX_ROOTS } from './purge';
import { pinnedPhotosByOwner, removeStrays, type StrayCounts } from './strays';

export interface SweepTargets extends PurgeTargets {
  cognito: CognitoIdentityProviderClient;
  userPoolId: string;
}

export interface SweepReport extends PurgeCounts, StrayCounts {
  /** Subs that own data and are not in the pool. */
  candidates: number;
  /** Of those, the ones purged (a candidate found in the pool on the second look is left alone). */
  purged: number;
}

/** Cognito subs are UUIDs, and so are the pseudo-identities of unknown usernames; nothing else is a user's. */
const SUB = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the table's one pass tells: the subs that own items, and the face and pinned photo each enrollment names. */
interface TableOwners {
  subs: Set<string>;
  enrollments: Map<string, { faceId?: unknown; photoKey?: unknown }>;
}

async function ownersInTable(targets: SweepTargets): Promise<TableOwners> {
  const owners: TableOwners = { subs: new Set(), enrollments: new Map() };
  const pages = paginateScan(
    { client: targets.dynamo },
    {
      TableName: targets.tableName,
      ProjectionExpression: 'pk, sk, faceId, photoKey',
      FilterExpression: 'begins_with(pk, :user)',
      ExpressionAttributeValues: { ':user': 'USER#' },
    },
    requestOptions(),
  );
  for await (const page of pages) {
    for (const { pk, sk, faceId, photoKey } of page.Items ?? []) {
      const sub = String(pk).slice('USER#'.length);
      if (!isAttemptLimitItem(String(sk))) owners.subs.add(sub);
      if (sk === 'ACTIVE_ENROLLMENT') owners.enrollments.set(sub, { faceId, photoKey });
    }
  }
  return owners;
}

async function subsWithObjects(targets: SweepTargets): Promise<Set<string>> {
  const subs = new Set<string>();
  for (const root of USER_PREFIX_ROOTS) {
    const input = { Bucket: targets.bucketName, Prefix: root, Delimiter: '/' };
    for await (const page of paginateListObjectsV2({ client: targets.s3 }, input, requestOptions())) {
      for (const { Prefix } of page.CommonPrefixes ?? []) if (Prefix) subs.add(Prefix.slice(root.length, -1));
    }
  }
  return subs;
}

async function subsInPool(targets: SweepTargets, filter?: string): Promise<Set<string>> {
  const subs = new Set<string>();
  const input = { UserPoolId: targets.userPoolId, AttributesToGet: ['sub'], Filter: filter };
  for await (const page of paginateListUsers({ client: targets.cognito }, input, requestOptions())) {
    for (const user of page.Users ?? []) {
      const sub = user.Attributes?.find(({ Name }) => Name === 'sub')?.Value;
      if (sub) subs.add(sub);
    }
  }
  return subs;
}

const isInPool = async (targets: SweepTargets, sub: string) => (await subsInPool(targets, `sub = "${sub}"`)).has(sub);

export async function sweepDeletedUsers(targets: SweepTargets, clock: Clock): Promise<SweepReport> {
  const faces = await facesByOwner(targets);
  const photos = await pinnedPhotosByOwner(targets);
  const table = await ownersInTable(targets);
  const owners = new Set([...table.subs, ...(await subsWithObjects(targets)), ...faces.keys()]);
  const inPool = await subsInPool(targets);
  const candidates = [...owners].filter((sub) => SUB.test(sub) && !inPool.has(sub));
  const report: SweepReport = { candidates: candidates.length, purged: 0, faces: 0, objects: 0, items: 0, strayFaces: 0, strayPhotos: 0 };
  for (const sub of candidates) {
    if (await isInPool(targets, sub)) continue;
    // Unknown emails' pseudo-identities are never in the pool: their lockouts must not end here, before a real user's.
    const counts = await purgeUserData(targets, sub, faces.get(sub) ?? [], { keepAttemptLimits: true });
    report.purged += 1;
    report.faces += counts.faces;
    report.objects += counts.objects;
    report.items += counts.items;
  }
  for (const sub of new Set([...faces.keys(), ...photos.keys()])) {
    if (!inPool.has(sub)) continue;
    // Most users have exactly the enrollment's face and photo: only the others' records are read again, consistently.
    const named = table.enrollments.get(sub);
    const ownFaces = faces.get(sub) ?? [];
    const ownPhotos = photos.get(sub) ?? [];
    if (ownFaces.every((faceId) => faceId === named?.faceId) && ownPhotos.every(({ key }) => key === named?.photoKey)) continue;
    const strays = await removeStrays(targets, sub, ownFaces, ownPhotos, clock.now());
    report.strayFaces += strays.strayFaces;
    report.strayPhotos += strays.strayPhotos;
  }
  return report;
}
