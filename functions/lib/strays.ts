/**
 * Face data of a user in the pool that no record names. A user's face and pinned ID photo are named by the
 * enrollment alone (`ACTIVE_ENROLLMENT`); the steps that make others remove them as they go (a refused or replaced
 * photo, a run that lost a race). One thing can still leave them: a run cut short between IndexFaces (or the pinned
 * copy's PutObject) and its decision, as verify can be by its 4 s. Its face and photo are strays, and the sweep
 * removes them, but only once no run can still make them the enrollment: while a decision on one of the user's
 * uploads runs, or ended less than STRAY_GRACE_MS ago (its activation follows it), the user is left for the next
 * sweep. A claim is written before any face or photo is made (enrollment.ts), so no face of a running decision can
 * predate what the records show.
 */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { requestOptions } from './aws-clients';
import { deleteFaces, deleteObjectKeys, type PurgeTargets, userItems } from './purge';

/** Far longer than a decision and its activation take (the indexer's budget is 27 s). */
export const STRAY_GRACE_MS = 15 * 60_000;

const PINNED_ROOT = 'id-photos/';

export interface PinnedPhoto {
  key: string;
  lastModifiedMs: number;
}

/** Strays removed from one user. */
export interface StrayCounts {
  strayFaces: number;
  strayPhotos: number;
}

/** Every pinned ID photo of each owner (`id-photos/<sub>/...`), in one pass over the prefix. */
export async function pinnedPhotosByOwner(targets: PurgeTargets): Promise<Map<string, PinnedPhoto[]>> {
  const found = new Map<string, PinnedPhoto[]>();
  const input = { Bucket: targets.bucketName, Prefix: PINNED_ROOT };
  for await (const page of paginateListObjectsV2({ client: targets.s3 }, input, requestOptions())) {
    for (const { Key, LastModified } of page.Contents ?? []) {
      const owner = Key?.slice(PINNED_ROOT.length).split('/')[0];
      if (!Key || !owner) continue;
      // An object without a date is treated as new: it is left for a later sweep, never removed early.
      const photo = { key: Key, lastModifiedMs: LastModified?.getTime() ?? Number.POSITIVE_INFINITY };
      found.set(owner, [...(found.get(owner) ?? []), photo]);
    }
  }
  return found;
}

const millisOf = (value: unknown): number => (typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) || 0 : 0);

/** Whether a decision on one of these uploads runs, or ended within the grace: its face may be about to become the enrollment. */
function decidingRecently(items: Record<string, unknown>[], nowMs: number): boolean {
  return items.some(
    (item) =>
      String(item.sk).startsWith('ENROLLMENT#') &&
      Math.max(millisOf(item.decidingUntil), millisOf(item.decidedAt)) > nowMs - STRAY_GRACE_MS,
  );
}

/**
 * Removes the faces and pinned photos of a user in the pool that the enrollment does not name (`faces` and `photos`
 * are what the sweep found of this owner). Nothing is removed while a decision on the user's uploads is recent.
 */
export async function removeStrays(
  targets: PurgeTargets,
  sub: string,
  faces: string[],
  photos: PinnedPhoto[],
  nowMs: number,
): Promise<StrayCounts> {
  const items = await userItems(targets, sub, 'pk, sk, faceId, photoKey, decidingUntil, decidedAt');
  if (decidingRecently(items, nowMs)) return { strayFaces: 0, strayPhotos: 0 };
  const enrollment = items.find((item) => item.sk === 'ACTIVE_ENROLLMENT');
  const strayFaces = faces.filter((faceId) => faceId !== enrollment?.faceId);
  const strayPhotos = photos
    .filter(({ key, lastModifiedMs }) => key !== enrollment?.photoKey && lastModifiedMs <= nowMs - STRAY_GRACE_MS)
    .map(({ key }) => key);
  return {
    strayFaces: strayFaces.length > 0 ? await deleteFaces(targets, strayFaces) : 0,
    strayPhotos: await deleteObjectKeys(targets.s3, targets.bucketName, strayPhotos),
  };
}
