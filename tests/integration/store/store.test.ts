/**
 * The store's conditional writes on DynamoDB Local: what is single use stays single use, what expires cannot be
 * used after, what is decided is decided once, and a newer enrollment is never displaced by a later upload.
 * Every test here fails when the condition it names is weakened (see the mutation list of issue 11).
 */
import { randomUUID } from 'node:crypto';
import {
  activateEnrollment,
  confirmEnrollment,
  consumeLivenessSession,
  getActiveEnrollment,
  getEmailCode,
  getEnrollment,
  getLockedUntil,
  getOrCreatePseudonymKey,
  getVerdict,
  holdCheck,
  isLivenessSessionUsed,
  recordFailure,
  recordIssuedUpload,
  releaseCheck,
  removeEmailCode,
  removeEnrollmentInState,
  revokeAcceptedEnrollment,
  saveEmailCodeUnlessOutstanding,
  saveEnrollmentDecision,
  saveLivenessSession,
  saveLockout,
  saveVerdict,
  Store,
  type EnrollmentDecision,
} from '../../../functions/lib/store';
import { startStoreEngine, type StoreEngine } from './harness';

/** A time well ahead of the real clock, so DynamoDB Local's TTL sweep never removes an item a test reads. */
const NOW_MS = Date.parse('2030-01-01T00:00:00.000Z');
const SECOND = 1000;
const HOUR = 3600 * SECOND;

let engine: StoreEngine;
let store: Store;

beforeAll(async () => {
  engine = await startStoreEngine();
  store = await engine.storeOn('store-test');
}, 120_000);

afterAll(async () => {
  await engine?.stop();
});

/** Every test works on users of its own. */
const newSub = () => randomUUID();
const uploadKey = (sub: string) => `enrollment/${sub}/${randomUUID()}.jpg`;
const accepted = (key: string, faceId = `face-${randomUUID()}`): EnrollmentDecision => ({
  key,
  status: 'ACCEPTED',
  faceId,
  photoKey: `id-photos/${key.split('/')[1]}/${randomUUID()}.jpg`,
  uploadedAt: new Date(NOW_MS).toISOString(),
});
const enrollmentOf = (decision: EnrollmentDecision) => {
  if (decision.status !== 'ACCEPTED') throw new Error('only an accepted photo becomes an enrollment');
  const { key, faceId, photoKey, uploadedAt } = decision;
  return { key, faceId, photoKey, uploadedAt };
};

describe('liveness sessions', () => {
  test('are consumed once: a second consumption of the same session is refused', async () => {
    const sub = newSub();
    await saveLivenessSession(store, sub, 'session-1', NOW_MS + 180 * SECOND);
    expect(await isLivenessSessionUsed(store, sub, 'session-1')).toBe(false);
    expect(await consumeLivenessSession(store, sub, 'session-1', NOW_MS)).toBe(true);
    expect(await consumeLivenessSession(store, sub, 'session-1', NOW_MS + SECOND)).toBe(false);
    expect(await isLivenessSessionUsed(store, sub, 'session-1')).toBe(true);
  });

  test('are consumed once when answers race', async () => {
    const sub = newSub();
    await saveLivenessSession(store, sub, 'session-1', NOW_MS + 180 * SECOND);
    const results = await Promise.all(Array.from({ length: 5 }, () => consumeLivenessSession(store, sub, 'session-1', NOW_MS)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('cannot be consumed once expired, even if never used', async () => {
    const sub = newSub();
    await saveLivenessSession(store, sub, 'session-1', NOW_MS + 180 * SECOND);
    expect(await consumeLivenessSession(store, sub, 'session-1', NOW_MS + 181 * SECOND)).toBe(false);
    expect(await isLivenessSessionUsed(store, sub, 'session-1')).toBe(false);
  });

  test('cannot be consumed in the second they expire', async () => {
    const sub = newSub();
    await saveLivenessSession(store, sub, 'session-1', NOW_MS + 180 * SECOND);
    expect(await consumeLivenessSession(store, sub, 'session-1', NOW_MS + 180 * SECOND)).toBe(false);
    expect(await consumeLivenessSession(store, sub, 'session-1', NOW_MS + 179 * SECOND)).toBe(true);
  });

  test('cannot be consumed by a user they were not issued to, nor when never issued, and leave no record', async () => {
    const owner = newSub();
    const other = newSub();
    await saveLivenessSession(store, owner, 'session-1', NOW_MS + 180 * SECOND);
    expect(await consumeLivenessSession(store, other, 'session-1', NOW_MS)).toBe(false);
    expect(await consumeLivenessSession(store, other, 'never-issued', NOW_MS)).toBe(false);
    expect(await isLivenessSessionUsed(store, other, 'session-1')).toBe(false);
    expect(await consumeLivenessSession(store, owner, 'session-1', NOW_MS)).toBe(true);
  });

  test('cannot be issued again under the same id, so a consumed session never becomes usable again', async () => {
    const sub = newSub();
    await saveLivenessSession(store, sub, 'session-1', NOW_MS + 180 * SECOND);
    await consumeLivenessSession(store, sub, 'session-1', NOW_MS);
    await expect(saveLivenessSession(store, sub, 'session-1', NOW_MS + 360 * SECOND)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect(await consumeLivenessSession(store, sub, 'session-1', NOW_MS + SECOND)).toBe(false);
  });
});

describe('enrollment decisions', () => {
  test('are made once on an issued key: a second decision is refused and the first stays', async () => {
    const sub = newSub();
    const key = uploadKey(sub);
    await recordIssuedUpload(store, sub, key, NOW_MS);
    expect(await getEnrollment(store, sub, key)).toEqual({ key, status: 'ISSUED' });
    const decision = accepted(key);
    expect(await saveEnrollmentDecision(store, sub, decision, NOW_MS)).toBe(true);
    expect(await saveEnrollmentDecision(store, sub, { key, status: 'REJECTED', reason: 'NO_FACE' }, NOW_MS)).toBe(false);
    expect(await getEnrollment(store, sub, key)).toEqual(decision);
  });

  test('are refused on a key that was never issued, which stays unknown', async () => {
    const sub = newSub();
    const key = uploadKey(sub);
    expect(await saveEnrollmentDecision(store, sub, accepted(key), NOW_MS)).toBe(false);
    expect(await getEnrollment(store, sub, key)).toBeUndefined();
  });

  test('are refused on a key issued to another user', async () => {
    const owner = newSub();
    const key = uploadKey(owner);
    await recordIssuedUpload(store, owner, key, NOW_MS);
    expect(await saveEnrollmentDecision(store, newSub(), accepted(key), NOW_MS)).toBe(false);
  });

  test('cannot be undone by issuing the same key again', async () => {
    const sub = newSub();
    const key = uploadKey(sub);
    await recordIssuedUpload(store, sub, key, NOW_MS);
    await saveEnrollmentDecision(store, sub, { key, status: 'REJECTED', reason: 'NO_FACE' }, NOW_MS);
    await expect(recordIssuedUpload(store, sub, key, NOW_MS)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await getEnrollment(store, sub, key)).toEqual({ key, status: 'REJECTED', reason: 'NO_FACE' });
  });

  test('are revoked only from ACCEPTED, and the revoked face and photo are forgotten', async () => {
    const sub = newSub();
    const rejectedKey = uploadKey(sub);
    await recordIssuedUpload(store, sub, rejectedKey, NOW_MS);
    await saveEnrollmentDecision(store, sub, { key: rejectedKey, status: 'REJECTED', reason: 'NO_FACE' }, NOW_MS);
    expect(await revokeAcceptedEnrollment(store, sub, rejectedKey, 'DUPLICATE_FACE', NOW_MS)).toBe(false);
    expect(await getEnrollment(store, sub, rejectedKey)).toEqual({ key: rejectedKey, status: 'REJECTED', reason: 'NO_FACE' });

    const acceptedKey = uploadKey(sub);
    await recordIssuedUpload(store, sub, acceptedKey, NOW_MS);
    await saveEnrollmentDecision(store, sub, accepted(acceptedKey), NOW_MS);
    expect(await revokeAcceptedEnrollment(store, sub, acceptedKey, 'DUPLICATE_FACE', NOW_MS)).toBe(true);
    expect(await getEnrollment(store, sub, acceptedKey)).toEqual({ key: acceptedKey, status: 'REJECTED', reason: 'DUPLICATE_FACE' });
    expect(await saveEnrollmentDecision(store, sub, accepted(acceptedKey), NOW_MS)).toBe(false);
  });
});

describe('the active enrollment', () => {
  test('is the first accepted photo, provisional until its deadline', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    expect(await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS)).toEqual({ activated: true });
    expect(await getActiveEnrollment(store, sub)).toEqual({
      ...first,
      state: 'PROVISIONAL',
      provisionalUntil: (NOW_MS + 24 * HOUR) / 1000,
    });
  });

  test('is not replaced by a later upload while it is a current provisional enrollment', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    const later = enrollmentOf(accepted(uploadKey(sub)));
    await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await activateEnrollment(store, sub, later, NOW_MS + 25 * HOUR, NOW_MS + HOUR)).toEqual({ activated: false });
    expect(await getActiveEnrollment(store, sub)).toMatchObject({ key: first.key, faceId: first.faceId });
  });

  test('is replaced once its provisional time is over, and the replacement names what it displaced', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    const later = enrollmentOf(accepted(uploadKey(sub)));
    await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await activateEnrollment(store, sub, later, NOW_MS + 48 * HOUR, NOW_MS + 24 * HOUR)).toEqual({
      activated: true,
      expired: { key: first.key, faceId: first.faceId, photoKey: first.photoKey },
    });
    expect(await getActiveEnrollment(store, sub)).toMatchObject({ key: later.key, state: 'PROVISIONAL' });
  });

  test('is never replaced once confirmed, however late the upload', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await confirmEnrollment(store, sub, first.faceId, NOW_MS + HOUR)).toBe(true);
    const later = enrollmentOf(accepted(uploadKey(sub)));
    expect(await activateEnrollment(store, sub, later, NOW_MS + 1000 * HOUR, NOW_MS + 999 * HOUR)).toEqual({ activated: false });
    expect(await getActiveEnrollment(store, sub)).toEqual({ ...first, state: 'CONFIRMED' });
  });

  test('is confirmed only for its own face, and only while provisional', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await confirmEnrollment(store, sub, 'face-of-someone-else', NOW_MS)).toBe(false);
    expect(await confirmEnrollment(store, sub, first.faceId, NOW_MS)).toBe(true);
    expect(await confirmEnrollment(store, sub, first.faceId, NOW_MS)).toBe(false);
  });

  test('is removed as provisional only for its own face, and never once confirmed', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await removeEnrollmentInState(store, sub, 'face-of-someone-else', 'PROVISIONAL')).toBe(false);
    await confirmEnrollment(store, sub, first.faceId, NOW_MS);
    expect(await removeEnrollmentInState(store, sub, first.faceId, 'PROVISIONAL')).toBe(false);
    expect(await getActiveEnrollment(store, sub)).toMatchObject({ faceId: first.faceId, state: 'CONFIRMED' });

    const other = newSub();
    const provisional = enrollmentOf(accepted(uploadKey(other)));
    await activateEnrollment(store, other, provisional, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await removeEnrollmentInState(store, other, provisional.faceId, 'PROVISIONAL')).toBe(true);
    expect(await getActiveEnrollment(store, other)).toBeUndefined();
  });

  test('is removed as confirmed only for its own face, and never while provisional', async () => {
    const sub = newSub();
    const first = enrollmentOf(accepted(uploadKey(sub)));
    await activateEnrollment(store, sub, first, NOW_MS + 24 * HOUR, NOW_MS);
    expect(await removeEnrollmentInState(store, sub, first.faceId, 'CONFIRMED')).toBe(false);
    await confirmEnrollment(store, sub, first.faceId, NOW_MS);
    expect(await removeEnrollmentInState(store, sub, 'face-of-someone-else', 'CONFIRMED')).toBe(false);
    expect(await removeEnrollmentInState(store, sub, first.faceId, 'CONFIRMED')).toBe(true);
    expect(await getActiveEnrollment(store, sub)).toBeUndefined();
  });
});

describe('verdicts', () => {
  test('are saved once: a later verdict on the same challenge is refused and the first is kept', async () => {
    const sub = newSub();
    expect(await saveVerdict(store, sub, 'LIVENESS#session-1', { passed: false, counted: true }, NOW_MS)).toBe(true);
    expect(await saveVerdict(store, sub, 'LIVENESS#session-1', { passed: true, counted: false }, NOW_MS)).toBe(false);
    expect(await getVerdict(store, sub, 'LIVENESS#session-1')).toEqual({ passed: false, counted: true });
  });
});

describe('failed checks and the lockout', () => {
  const WINDOW_SECONDS = 180;

  test('count the failures of this user within the window, the one at its very start included', async () => {
    const sub = newSub();
    const other = newSub();
    const inWindow = async (atMs: number) => (await recordFailure(store, sub, atMs, WINDOW_SECONDS)).inWindow;
    await recordFailure(store, other, NOW_MS, WINDOW_SECONDS);
    expect(await inWindow(NOW_MS)).toBe(1);
    expect(await inWindow(NOW_MS + 60 * SECOND)).toBe(2);
    expect(await inWindow(NOW_MS + 180 * SECOND)).toBe(3);
    expect(await inWindow(NOW_MS + 181 * SECOND)).toBe(3);
    expect(await inWindow(NOW_MS + 400 * SECOND)).toBe(1);
  });

  test('count the failures of this user within the day as well', async () => {
    const sub = newSub();
    await recordFailure(store, sub, NOW_MS, WINDOW_SECONDS);
    await recordFailure(store, sub, NOW_MS + HOUR, WINDOW_SECONDS);
    expect(await recordFailure(store, sub, NOW_MS + 24 * HOUR, WINDOW_SECONDS)).toEqual({ inWindow: 1, inDay: 3 });
    expect(await recordFailure(store, sub, NOW_MS + 24 * HOUR + SECOND, WINDOW_SECONDS)).toEqual({ inWindow: 2, inDay: 3 });
  });

  test('count a failure recorded with a clock a little ahead', async () => {
    const sub = newSub();
    await recordFailure(store, sub, NOW_MS + SECOND, WINDOW_SECONDS);
    expect((await recordFailure(store, sub, NOW_MS, WINDOW_SECONDS)).inWindow).toBe(2);
  });

  test('count two failures in the same millisecond as two', async () => {
    const sub = newSub();
    await recordFailure(store, sub, NOW_MS, WINDOW_SECONDS);
    expect((await recordFailure(store, sub, NOW_MS, WINDOW_SECONDS)).inWindow).toBe(2);
  });

  test('hold a place for a check in progress, counted with the failures while it is held, never as a failure', async () => {
    const sub = newSub();
    await recordFailure(store, sub, NOW_MS, WINDOW_SECONDS);
    const first = await holdCheck(store, sub, NOW_MS, WINDOW_SECONDS);
    expect(first.held).toBe(2);
    expect((await holdCheck(store, sub, NOW_MS, WINDOW_SECONDS)).held).toBe(3);
    expect(await recordFailure(store, sub, NOW_MS, WINDOW_SECONDS)).toEqual({ inWindow: 2, inDay: 2 });
    await releaseCheck(store, sub, first.sk);
    expect((await holdCheck(store, sub, NOW_MS, WINDOW_SECONDS)).held).toBe(4);
  });

  test('hold a place counted in the day as well: a failure older than the window counts toward the day only', async () => {
    const sub = newSub();
    await recordFailure(store, sub, NOW_MS - 2 * WINDOW_SECONDS * SECOND, WINDOW_SECONDS);
    expect(await holdCheck(store, sub, NOW_MS, WINDOW_SECONDS)).toMatchObject({ held: 1, heldToday: 2 });
  });

  test('hold places that checks started at once all see: the n-th to write counts at least n', async () => {
    const sub = newSub();
    const held = await Promise.all(Array.from({ length: 8 }, () => holdCheck(store, sub, NOW_MS, WINDOW_SECONDS)));
    const counts = held.map((place) => place.held).sort((a, b) => a - b);
    expect(counts.map((count, n) => count >= n + 1)).toEqual(Array(8).fill(true));
    expect(counts.at(-1)).toBe(8);
  });

  test('lock a user, and a lock in force is never extended', async () => {
    const sub = newSub();
    const lockedUntil = NOW_MS + 30 * 60 * SECOND;
    expect(await saveLockout(store, sub, lockedUntil, NOW_MS)).toBe(true);
    expect(await saveLockout(store, sub, lockedUntil + 60 * 60 * SECOND, NOW_MS + 60 * SECOND)).toBe(false);
    expect(await getLockedUntil(store, sub)).toBe(lockedUntil / 1000);
  });

  test('lock a user again once the earlier lock has ended', async () => {
    const sub = newSub();
    const lockedUntil = NOW_MS + 30 * 60 * SECOND;
    await saveLockout(store, sub, lockedUntil, NOW_MS);
    expect(await saveLockout(store, sub, lockedUntil + 30 * 60 * SECOND, lockedUntil)).toBe(true);
    expect(await getLockedUntil(store, sub)).toBe((lockedUntil + 30 * 60 * SECOND) / 1000);
  });
});

describe('the pseudonym key', () => {
  test('is made once when cold starts race: every one of them gets the key that was written first', async () => {
    const racers = 4;
    const table = (await engine.storeOn('store-test-pseudonym')).tableName;
    // Every racer reads "no key" before any of them writes one.
    const client = engine.clientWithReadBarrier(racers);
    const keys = await Promise.all(
      Array.from({ length: racers }, () =>
        getOrCreatePseudonymKey(new Store({ dynamo: client }, table), NOW_MS).then((key) => key.toString('base64')),
      ),
    );
    expect(new Set(keys).size).toBe(1);
    const stored = await getOrCreatePseudonymKey(new Store({ dynamo: client }, table), NOW_MS);
    expect(stored.toString('base64')).toBe(keys[0]);
  });
});

describe('the outstanding email code', () => {
  const code = (salt: string, expiresAtMs = NOW_MS + 600 * SECOND, addressHash = 'hash-of-ada@example.com') => ({
    codeHash: `hash-of-${salt}`,
    salt,
    expiresAtMs,
    addressHash,
  });

  test('is saved when none is outstanding, and read back', async () => {
    const sub = newSub();
    expect(await saveEmailCodeUnlessOutstanding(store, sub, code('first'), NOW_MS)).toBe(true);
    expect(await getEmailCode(store, sub)).toEqual(code('first'));
  });

  test('is never replaced while it is unexpired', async () => {
    const sub = newSub();
    await saveEmailCodeUnlessOutstanding(store, sub, code('first'), NOW_MS);
    expect(await saveEmailCodeUnlessOutstanding(store, sub, code('second'), NOW_MS + 599 * SECOND)).toBe(false);
    expect(await getEmailCode(store, sub)).toEqual(code('first'));
  });

  test('is replaced while it is unexpired by a code for another address', async () => {
    const sub = newSub();
    await saveEmailCodeUnlessOutstanding(store, sub, code('first'), NOW_MS);
    const elsewhere = code('second', NOW_MS + 600 * SECOND, 'hash-of-grace@example.com');
    expect(await saveEmailCodeUnlessOutstanding(store, sub, elsewhere, NOW_MS + 60 * SECOND)).toBe(true);
    expect(await getEmailCode(store, sub)).toEqual(elsewhere);
  });

  test('is replaced once it has expired', async () => {
    const sub = newSub();
    await saveEmailCodeUnlessOutstanding(store, sub, code('first'), NOW_MS);
    const later = code('second', NOW_MS + 1200 * SECOND);
    expect(await saveEmailCodeUnlessOutstanding(store, sub, later, NOW_MS + 600 * SECOND)).toBe(true);
    expect(await getEmailCode(store, sub)).toEqual(later);
  });

  test('is removed once, and only by its own salt', async () => {
    const sub = newSub();
    await saveEmailCodeUnlessOutstanding(store, sub, code('first'), NOW_MS);
    expect(await removeEmailCode(store, sub, 'another')).toBe(false);
    expect(await removeEmailCode(store, sub, 'first')).toBe(true);
    expect(await removeEmailCode(store, sub, 'first')).toBe(false);
    expect(await getEmailCode(store, sub)).toBeUndefined();
  });

  test('is saved by one of two sign-ins at once', async () => {
    const sub = newSub();
    const saved = await Promise.all(
      [code('a'), code('b'), code('c')].map((each) => saveEmailCodeUnlessOutstanding(store, sub, each, NOW_MS)),
    );
    expect(saved.filter(Boolean)).toHaveLength(1);
  });
});
