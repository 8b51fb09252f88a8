/**
 * The DynamoDB single table (pk, sk, TTL attribute expiresAt). Everything about a user lives under
 * pk `USER#<sub>`:
 *   sk `ENROLLMENT#<key>`   one issued upload key: ISSUED by create, then decided once (ACCEPTED or REJECTED)
 *   sk `ACTIVE_ENROLLMENT`  the pinned ID photo and face id sign-ins compare against, PROVISIONAL or CONFIRMED
 *   sk `LIVENESS#<id>`      a liveness session issued to this user, single use, expires
 *   sk `VERDICT#<id>`       the first verdict on one challenge, so a retried answer gets it again
 *   sk `FAILURE#<ms>#<id>`  one failed check, kept a day (the daily limit); or, with `checking`, a check in progress
 *   sk `LOCKOUT`            the user is locked until lockedUntil
 *   sk `EMAIL_CODE`         the outstanding email code's salted hash: every sign-in until it expires or is used asks for it
 *   sk `FACE_SIGN_IN`       the last passed face check: its session, reference image and time
 * and pk `SYSTEM`, sk `PSEUDONYM_KEY`: the secret that turns an unknown username into a stable pseudo-identity.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { requestOptions } from './aws-clients';
import type { DocumentRecord } from './document-check';

export type RejectionReason =
  | 'EMPTY'
  | 'TOO_LARGE'
  | 'WRONG_TYPE'
  | 'NOT_AN_IMAGE'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'LOW_QUALITY'
  | 'DUPLICATE_FACE'
  | 'ALREADY_ENROLLED'
  | 'NOT_A_DOCUMENT'
  | 'EXPIRED_DOCUMENT'
  | 'EXPIRED_UNCONFIRMED'
  /** A replacement photo whose face is not the face of the sign-in that asked for it. */
  | 'NO_MATCH'
  /** A replacement photo for an enrollment that changed (or went) after the upload was issued. */
  | 'ENROLLMENT_CHANGED'
  /** A replacement photo left unchecked: the user is locked, or the lockout window's places are taken. */
  | 'LOCKED_OUT';

/** What an upload issued to replace a confirmed ID photo must match, and which enrollment it replaces. */
export interface Replacement {
  /** The liveness reference image of the fresh face sign-in that asked for the upload. */
  referenceKey: string;
  /** The confirmed face the new photo takes the place of. */
  replacesFaceId: string;
}

/** An issued upload key and, once the photo behind it was checked, the decision on it. */
export type EnrollmentRecord =
  /** `decidingUntil` (epoch ms): a run claimed the decision until then, and any other run waits for it. */
  (
    | { key: string; status: 'ISSUED'; decidingUntil?: number }
    | { key: string; status: 'ACCEPTED'; faceId: string; photoKey: string; uploadedAt: string; document?: DocumentRecord }
    | { key: string; status: 'REJECTED'; reason: RejectionReason }
  ) & { replacement?: Replacement };

export type EnrollmentDecision = Exclude<EnrollmentRecord, { status: 'ISSUED' }>;

export type EnrollmentState = 'PROVISIONAL' | 'CONFIRMED';

export interface ActiveEnrollment {
  /** The upload key it was accepted from. */
  key: string;
  /** The pinned copy of the checked photo: what every CompareFaces uses. No upload policy can write it. */
  photoKey: string;
  faceId: string;
  uploadedAt: string;
  state: EnrollmentState;
  /** Epoch seconds after which a PROVISIONAL enrollment no longer counts. */
  provisionalUntil?: number;
}

export interface Verdict {
  passed: boolean;
  /** Whether this verdict was counted toward lockout. */
  counted: boolean;
}

const userPk = (sub: string) => `USER#${sub}`;
const ACTIVE_SK = 'ACTIVE_ENROLLMENT';
const LOCKOUT_SK = 'LOCKOUT';
const EMAIL_CODE_SK = 'EMAIL_CODE';
const FACE_SIGN_IN_SK = 'FACE_SIGN_IN';
const SYSTEM_PK = 'SYSTEM';
const PSEUDONYM_KEY_SK = 'PSEUDONYM_KEY';
const enrollmentSk = (key: string) => `ENROLLMENT#${key}`;
const livenessSk = (sessionId: string) => `LIVENESS#${sessionId}`;
const verdictSk = (challengeId: string) => `VERDICT#${challengeId}`;
/** Zero-padded milliseconds sort in time order, so a window is a key range. */
const failureSk = (epochMs: number, suffix: string) => `FAILURE#${String(epochMs).padStart(15, '0')}#${suffix}`;
const epochSeconds = (epochMs: number) => Math.floor(epochMs / 1000);
/** Issued keys, verdicts and decisions are kept a day for investigation, then TTL removes them. */
const RECORD_RETENTION_SECONDS = 24 * 60 * 60;

/**
 * The table a function works on: its client (made on first use, see parts.ts) and name. Every read and write below
 * takes it first. They are functions, not methods, so a bundle holds only the DynamoDB commands its function calls:
 * the IAM tests read a function's permissions from its bundle (tests/template/iam.test.ts), and a class would put
 * every command in each.
 */
export class Store {
  constructor(
    private readonly clients: { dynamo: DynamoDBDocumentClient },
    readonly tableName: string,
  ) {}

  get dynamo(): DynamoDBDocumentClient {
    return this.clients.dynamo;
  }
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write: false when its condition did not hold, any other error thrown. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function getItem(store: Store, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await store.dynamo.send(
    new GetCommand({ TableName: store.tableName, Key: { pk, sk }, ConsistentRead: true }),
    requestOptions(),
  );
  return Item;
}

// --- enrollment uploads -------------------------------------------------------------------------------------

/**
 * Records a key as issued to this user, for an open challenge or (with `replacement`) for a signed-in
 * replacement of the ID photo; only issued keys are ever decided.
 */
export async function recordIssuedUpload(store: Store, sub: string, key: string, nowMs: number, replacement?: Replacement): Promise<void> {
  await store.dynamo.send(
    new PutCommand({
      TableName: store.tableName,
      Item: {
        pk: userPk(sub),
        sk: enrollmentSk(key),
        key,
        status: 'ISSUED',
        ...(replacement ? { replacement } : {}),
        issuedAt: new Date(nowMs).toISOString(),
        expiresAt: epochSeconds(nowMs) + RECORD_RETENTION_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
    requestOptions(),
  );
}

export async function getEnrollment(store: Store, sub: string, key: string): Promise<EnrollmentRecord | undefined> {
  const item = await getItem(store, userPk(sub), enrollmentSk(key));
  if (!item) return undefined;
  const replacement = item.replacement ? { replacement: item.replacement as Replacement } : {};
  if (item.status === 'ACCEPTED') {
    return {
      key,
      status: 'ACCEPTED',
      faceId: String(item.faceId),
      photoKey: String(item.photoKey),
      uploadedAt: String(item.uploadedAt),
      ...(item.document ? { document: item.document as DocumentRecord } : {}),
      ...replacement,
    };
  }
  if (item.status === 'REJECTED') return { key, status: 'REJECTED', reason: item.reason as RejectionReason, ...replacement };
  const claim = typeof item.decidingUntil === 'number' ? { decidingUntil: item.decidingUntil } : {};
  return { key, status: 'ISSUED', ...claim, ...replacement };
}

/** How often a run waiting for the decision on an upload (its own claim lost, or create's wait) looks again. */
export const DECISION_POLL_MS = 200;

/**
 * Claims the decision on an issued key until `untilMs`: the S3 event's run and verify's each decide an upload, and
 * the one that comes second then waits for the first one's decision instead of checking and indexing the same photo
 * again. False while another claim is running, and once the key is decided.
 */
export async function claimEnrollmentDecision(store: Store, sub: string, key: string, nowMs: number, untilMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: enrollmentSk(key) },
        UpdateExpression: 'SET decidingUntil = :until',
        ConditionExpression: '#status = :issued AND (attribute_not_exists(decidingUntil) OR decidingUntil <= :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':issued': 'ISSUED', ':until': untilMs, ':now': nowMs },
      }),
      requestOptions(),
    ),
  );
}

/** Ends this run's claim on an issued key it could not decide (nothing was uploaded), so nobody waits for it. */
export async function releaseEnrollmentClaim(store: Store, sub: string, key: string, untilMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: enrollmentSk(key) },
        UpdateExpression: 'REMOVE decidingUntil',
        ConditionExpression: '#status = :issued AND decidingUntil = :until',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':issued': 'ISSUED', ':until': untilMs },
      }),
      requestOptions(),
    ),
  );
}

/** Whether a run is deciding one of the user's uploads now: its claim has not ended. */
export async function isDecidingAnUpload(store: Store, sub: string, nowMs: number): Promise<boolean> {
  // A Query reads at most 1 MB before its filter: a user with many upload records has them over several pages.
  const pages = paginateQuery(
    { client: store.dynamo },
    {
      TableName: store.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :enrollment)',
      FilterExpression: '#status = :issued AND decidingUntil > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': userPk(sub), ':enrollment': 'ENROLLMENT#', ':issued': 'ISSUED', ':now': nowMs },
      ConsistentRead: true,
      Select: 'COUNT',
    },
    requestOptions(),
  );
  for await (const { Count = 0 } of pages) if (Count > 0) return true;
  return false;
}

/** Writes the decision on an issued key once; false means the key was not issued or was decided already. */
export async function saveEnrollmentDecision(store: Store, sub: string, decision: EnrollmentDecision, nowMs: number): Promise<boolean> {
  const { key, status, replacement: _issuedWith, ...details } = decision;
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':issued': 'ISSUED', ':status': status, ':decidedAt': new Date(nowMs).toISOString() };
  const sets = ['#status = :status', 'decidedAt = :decidedAt'];
  for (const [field, value] of Object.entries(details)) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  return conditionally(() =>
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: enrollmentSk(key) },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk) AND #status = :issued',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
      requestOptions(),
    ),
  );
}

/**
 * Turns an ACCEPTED decision into REJECTED (its face was refused at confirmation), so a redelivered upload event
 * can never make it the enrollment again. The only change a decision ever gets, and only from ACCEPTED.
 */
export async function revokeAcceptedEnrollment(
  store: Store,
  sub: string,
  key: string,
  reason: RejectionReason,
  nowMs: number,
): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: enrollmentSk(key) },
        UpdateExpression: 'SET #status = :status, #reason = :reason, revokedAt = :now REMOVE faceId, photoKey',
        ConditionExpression: '#status = :accepted',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: {
          ':status': 'REJECTED',
          ':reason': reason,
          ':accepted': 'ACCEPTED',
          ':now': new Date(nowMs).toISOString(),
        },
      }),
      requestOptions(),
    ),
  );
}

// --- the active enrollment ----------------------------------------------------------------------------------

function toActiveEnrollment(item: Record<string, unknown>): ActiveEnrollment {
  return {
    key: String(item.key),
    photoKey: String(item.photoKey),
    faceId: String(item.faceId),
    uploadedAt: String(item.uploadedAt),
    state: item.state === 'CONFIRMED' ? 'CONFIRMED' : 'PROVISIONAL',
    ...(typeof item.provisionalUntil === 'number' ? { provisionalUntil: item.provisionalUntil } : {}),
  };
}

/** True while an enrollment counts: confirmed, or provisional and not yet expired. */
export function isCurrent(enrollment: ActiveEnrollment, nowMs: number): boolean {
  return enrollment.state === 'CONFIRMED' || (enrollment.provisionalUntil ?? 0) * 1000 > nowMs;
}

/** The user's enrollment as recorded, expired provisional ones included (see `isCurrent`). */
export async function getActiveEnrollment(store: Store, sub: string): Promise<ActiveEnrollment | undefined> {
  const item = await getItem(store, userPk(sub), ACTIVE_SK);
  return item ? toActiveEnrollment(item) : undefined;
}

/** The enrollment sign-ins compare against, or undefined when there is none or it expired unconfirmed. */
export async function getCurrentEnrollment(store: Store, sub: string, nowMs: number): Promise<ActiveEnrollment | undefined> {
  const enrollment = await getActiveEnrollment(store, sub);
  return enrollment && isCurrent(enrollment, nowMs) ? enrollment : undefined;
}

/** What an activation displaced: the face and pinned photo of an expired provisional enrollment. */
export type Activation = { activated: true; expired?: { key: string; faceId: string; photoKey: string } } | { activated: false };

/**
 * Makes an accepted photo the user's PROVISIONAL enrollment, only where there is none or the one there expired
 * unconfirmed: an upload never replaces a current enrollment. Returns what it displaced.
 */
export async function activateEnrollment(
  store: Store,
  sub: string,
  enrollment: Omit<ActiveEnrollment, 'state' | 'provisionalUntil'>,
  provisionalUntilMs: number,
  nowMs: number,
): Promise<Activation> {
  try {
    const { Attributes } = await store.dynamo.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          pk: userPk(sub),
          sk: ACTIVE_SK,
          ...enrollment,
          state: 'PROVISIONAL',
          provisionalUntil: epochSeconds(provisionalUntilMs),
          expiresAt: epochSeconds(provisionalUntilMs),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :provisional AND provisionalUntil <= :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':provisional': 'PROVISIONAL', ':now': epochSeconds(nowMs) },
        ReturnValues: 'ALL_OLD',
      }),
      requestOptions(),
    );
    if (!Attributes) return { activated: true };
    const expired = { key: String(Attributes.key), faceId: String(Attributes.faceId), photoKey: String(Attributes.photoKey) };
    return { activated: true, expired };
  } catch (error) {
    if (isConditionFailure(error)) return { activated: false };
    throw error;
  }
}

/**
 * Puts a replacement photo in the place of this exact confirmed face. It is CONFIRMED at once: its face matched
 * the live face of the fresh sign-in that asked for it. Returns what it displaced; false when the enrollment
 * changed since the upload was issued.
 */
export async function replaceConfirmedEnrollment(
  store: Store,
  sub: string,
  enrollment: Omit<ActiveEnrollment, 'state' | 'provisionalUntil'>,
  replacesFaceId: string,
  nowMs: number,
): Promise<{ faceId: string; photoKey: string } | undefined> {
  try {
    const { Attributes } = await store.dynamo.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { pk: userPk(sub), sk: ACTIVE_SK, ...enrollment, state: 'CONFIRMED', confirmedAt: new Date(nowMs).toISOString() },
        ConditionExpression: '#state = :confirmed AND faceId = :replaced',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':confirmed': 'CONFIRMED', ':replaced': replacesFaceId },
        ReturnValues: 'ALL_OLD',
      }),
      requestOptions(),
    );
    // The condition held, so there was an enrollment: what it held is what the caller removes.
    if (!Attributes) throw new Error('the replaced enrollment came back without its attributes');
    return { faceId: String(Attributes.faceId), photoKey: String(Attributes.photoKey) };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** PROVISIONAL -> CONFIRMED for this exact face, after the first successful live match against it. */
export async function confirmEnrollment(store: Store, sub: string, faceId: string, nowMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: ACTIVE_SK },
        UpdateExpression: 'SET #state = :confirmed, confirmedAt = :now REMOVE provisionalUntil, expiresAt',
        ConditionExpression: '#state = :provisional AND faceId = :faceId',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':confirmed': 'CONFIRMED',
          ':provisional': 'PROVISIONAL',
          ':faceId': faceId,
          ':now': new Date(nowMs).toISOString(),
        },
      }),
      requestOptions(),
    ),
  );
}

/**
 * Removes the enrollment of this exact face while it is in `state`: a PROVISIONAL one refused at confirmation or
 * expired, or a CONFIRMED one withdrawn by the confirmation that just made it (another account confirmed the same
 * face at the same time).
 */
export async function removeEnrollmentInState(store: Store, sub: string, faceId: string, state: EnrollmentState): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new DeleteCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: ACTIVE_SK },
        ConditionExpression: '#state = :state AND faceId = :faceId',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': state, ':faceId': faceId },
      }),
      requestOptions(),
    ),
  );
}

// --- liveness sessions and verdicts ------------------------------------------------------------------------

/** The last passed face check of a user: what a replacement photo must match, and when it passed. */
export interface FaceSignIn {
  sessionId: string;
  referenceKey: string;
  passedAtMs: number;
}

/** Records a passed face check (the latest wins); it is kept a day, far longer than any freshness window. */
export async function saveFaceSignIn(store: Store, sub: string, signIn: FaceSignIn): Promise<void> {
  await store.dynamo.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { pk: userPk(sub), sk: FACE_SIGN_IN_SK, ...signIn, expiresAt: epochSeconds(signIn.passedAtMs) + RECORD_RETENTION_SECONDS },
    }),
    requestOptions(),
  );
}

export async function getFaceSignIn(store: Store, sub: string): Promise<FaceSignIn | undefined> {
  const item = await getItem(store, userPk(sub), FACE_SIGN_IN_SK);
  if (!item) return undefined;
  return { sessionId: String(item.sessionId), referenceKey: String(item.referenceKey), passedAtMs: Number(item.passedAtMs) };
}

export async function saveLivenessSession(store: Store, sub: string, sessionId: string, expiresAtMs: number): Promise<void> {
  await store.dynamo.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { pk: userPk(sub), sk: livenessSk(sessionId), used: false, expiresAt: epochSeconds(expiresAtMs) },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
    requestOptions(),
  );
}

/**
 * Marks a session issued to this user as used, atomically. False when it was never issued to this sub,
 * was used already, or has expired (TTL deletion is lazy, so expiry is checked here too).
 */
export async function consumeLivenessSession(store: Store, sub: string, sessionId: string, nowMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: livenessSk(sessionId) },
        UpdateExpression: 'SET used = :true, usedAt = :usedAt',
        ConditionExpression: 'attribute_exists(pk) AND used = :false AND expiresAt > :now',
        ExpressionAttributeValues: {
          ':true': true,
          ':false': false,
          ':now': epochSeconds(nowMs),
          ':usedAt': new Date(nowMs).toISOString(),
        },
      }),
      requestOptions(),
    ),
  );
}

/** Whether a session issued to this user was consumed: another run then owns its verdict. */
export async function isLivenessSessionUsed(store: Store, sub: string, sessionId: string): Promise<boolean> {
  const item = await getItem(store, userPk(sub), livenessSk(sessionId));
  return item?.used === true;
}

export async function getVerdict(store: Store, sub: string, challengeId: string): Promise<Verdict | undefined> {
  const item = await getItem(store, userPk(sub), verdictSk(challengeId));
  return item ? { passed: item.passed === true, counted: item.counted === true } : undefined;
}

/** Records the first verdict on a challenge; false when another run recorded one first (keep theirs). */
export async function saveVerdict(store: Store, sub: string, challengeId: string, verdict: Verdict, nowMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          pk: userPk(sub),
          sk: verdictSk(challengeId),
          ...verdict,
          decidedAt: new Date(nowMs).toISOString(),
          expiresAt: epochSeconds(nowMs) + RECORD_RETENTION_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      requestOptions(),
    ),
  );
}

// --- lockout -----------------------------------------------------------------------------------------------

/** Records one failed check and returns how many the user has within the window ending now, this one included. */
/** Failures (and, with `checks`, checks in progress) written at or after `fromMs`, later times included. */
async function countFailures(store: Store, sub: string, fromMs: number, { checks = false } = {}): Promise<number> {
  const { Count } = await store.dynamo.send(
    new QueryCommand({
      TableName: store.tableName,
      // No upper bound at now: a concurrent answer's clock may run a little ahead, and its item must count.
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ...(checks ? {} : { FilterExpression: 'attribute_not_exists(checking)' }),
      ExpressionAttributeValues: { ':pk': userPk(sub), ':from': failureSk(fromMs, ''), ':to': 'FAILURE#~' },
      Select: 'COUNT',
      ConsistentRead: true,
    }),
    requestOptions(),
  );
  return Count ?? 0;
}

/** Failures are kept a day, for the daily limit. */
export const FAILURE_RETENTION_SECONDS = 24 * 60 * 60;

/** Records one failed check; returns the failures within the window and within the day, this one included. */
export async function recordFailure(
  store: Store,
  sub: string,
  nowMs: number,
  windowSeconds: number,
): Promise<{ inWindow: number; inDay: number }> {
  const expiresAt = epochSeconds(nowMs) + Math.max(windowSeconds, FAILURE_RETENTION_SECONDS);
  await store.dynamo.send(
    new PutCommand({ TableName: store.tableName, Item: { pk: userPk(sub), sk: failureSk(nowMs, randomUUID()), expiresAt } }),
    requestOptions(),
  );
  return {
    inWindow: await countFailures(store, sub, nowMs - windowSeconds * 1000),
    inDay: await countFailures(store, sub, nowMs - FAILURE_RETENTION_SECONDS * 1000),
  };
}

/**
 * Writes a check in progress, which counts with the failures until it is released; returns its key and how many
 * failures and checks in progress the window and the day hold, itself included. Each check reads after its own
 * write, so of checks that start at once, the n-th to write counts at least n.
 */
export async function holdCheck(
  store: Store,
  sub: string,
  nowMs: number,
  windowSeconds: number,
): Promise<{ sk: string; held: number; heldToday: number }> {
  const sk = failureSk(nowMs, randomUUID());
  await store.dynamo.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { pk: userPk(sub), sk, checking: true, expiresAt: epochSeconds(nowMs) + windowSeconds },
    }),
    requestOptions(),
  );
  // Both counts at once: they are on verify's path, within Cognito's 5 s.
  const [held, heldToday] = await Promise.all([
    countFailures(store, sub, nowMs - windowSeconds * 1000, { checks: true }),
    countFailures(store, sub, nowMs - FAILURE_RETENTION_SECONDS * 1000, { checks: true }),
  ]);
  return { sk, held, heldToday };
}

export async function releaseCheck(store: Store, sub: string, sk: string): Promise<void> {
  await store.dynamo.send(new DeleteCommand({ TableName: store.tableName, Key: { pk: userPk(sub), sk } }), requestOptions());
}

/** Locks the user until `lockedUntilMs` unless a lock is already in force: a lock is never extended. */
export async function saveLockout(store: Store, sub: string, lockedUntilMs: number, nowMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { pk: userPk(sub), sk: LOCKOUT_SK, lockedUntil: epochSeconds(lockedUntilMs), expiresAt: epochSeconds(lockedUntilMs) },
        ConditionExpression: 'attribute_not_exists(pk) OR lockedUntil <= :now',
        ExpressionAttributeValues: { ':now': epochSeconds(nowMs) },
      }),
      requestOptions(),
    ),
  );
}

/** When the user's lockout ends (epoch seconds), or undefined when there is none on record. */
export async function getLockedUntil(store: Store, sub: string): Promise<number | undefined> {
  const item = await getItem(store, userPk(sub), LOCKOUT_SK);
  return item?.lockedUntil as number | undefined;
}

// --- the outstanding email code ------------------------------------------------------------------------------

/** An email code's salted hash (never the code), when it stops being valid (epoch ms), and which address it went to. */
export interface StoredEmailCode {
  codeHash: string;
  salt: string;
  expiresAtMs: number;
  addressHash: string;
}

/**
 * Records `code` as the user's outstanding code unless an unexpired one is, sent to the same address; false when one
 * is (it is then asked for). A code sent to another address (the user's changed since) is replaced.
 */
export async function saveEmailCodeUnlessOutstanding(store: Store, sub: string, code: StoredEmailCode, nowMs: number): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { pk: userPk(sub), sk: EMAIL_CODE_SK, ...code, expiresAt: Math.ceil(code.expiresAtMs / 1000) },
        ConditionExpression:
          'attribute_not_exists(pk) OR expiresAtMs <= :now OR attribute_not_exists(addressHash) OR addressHash <> :address',
        ExpressionAttributeValues: { ':now': nowMs, ':address': code.addressHash },
      }),
      requestOptions(),
    ),
  );
}

export async function getEmailCode(store: Store, sub: string): Promise<StoredEmailCode | undefined> {
  const item = await getItem(store, userPk(sub), EMAIL_CODE_SK);
  const { codeHash, salt, expiresAtMs, addressHash } = item ?? {};
  if (typeof codeHash !== 'string' || typeof salt !== 'string' || typeof expiresAtMs !== 'number' || typeof addressHash !== 'string') {
    return undefined;
  }
  return { codeHash, salt, expiresAtMs, addressHash };
}

/**
 * Removes the outstanding code with this salt: when it is used (false if another sign-in used it first, so a code
 * proves the address once), or when its email could not be sent.
 */
export async function removeEmailCode(store: Store, sub: string, salt: string): Promise<boolean> {
  return conditionally(() =>
    store.dynamo.send(
      new DeleteCommand({
        TableName: store.tableName,
        Key: { pk: userPk(sub), sk: EMAIL_CODE_SK },
        ConditionExpression: 'salt = :salt',
        ExpressionAttributeValues: { ':salt': salt },
      }),
      requestOptions(),
    ),
  );
}

// --- the pseudonym key -------------------------------------------------------------------------------------

/**
 * The secret behind unknown users' pseudo-identities, made by whichever function needs it first (a conditional
 * write, so concurrent cold starts agree on one) and never leaving the table.
 */
export async function getOrCreatePseudonymKey(store: Store, nowMs: number): Promise<Buffer> {
  const existing = await getItem(store, SYSTEM_PK, PSEUDONYM_KEY_SK);
  if (typeof existing?.secret === 'string') return Buffer.from(existing.secret, 'base64');
  const secret = randomBytes(32).toString('base64');
  const created = await conditionally(() =>
    store.dynamo.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { pk: SYSTEM_PK, sk: PSEUDONYM_KEY_SK, secret, createdAt: new Date(nowMs).toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      requestOptions(),
    ),
  );
  if (created) return Buffer.from(secret, 'base64');
  const winner = await getItem(store, SYSTEM_PK, PSEUDONYM_KEY_SK);
  if (typeof winner?.secret !== 'string') throw new Error('the pseudonym key vanished after a conditional-write conflict');
  return Buffer.from(winner.secret, 'base64');
}
