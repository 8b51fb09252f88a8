/**
 * The DynamoDB single table (pk, sk, TTL attribute expiresAt). Everything about a user lives under
 * pk `USER#<sub>`:
 *   sk `ENROLLMENT#<key>`   the decision on one uploaded ID photo (final once written)
 *   sk `ACTIVE_ENROLLMENT`  which accepted photo and face id sign-ins compare against
 *   sk `LIVENESS#<id>`      a liveness session issued to this user, single use, expires
 *   sk `FAILURE#<ms>#<id>`  one failed check, expires after the lockout window
 *   sk `LOCKOUT`            the user is locked until lockedUntil
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients';
import { config } from './config';

export type EnrollmentStatus = 'ACCEPTED' | 'REJECTED';
export type RejectionReason =
  | 'EMPTY'
  | 'TOO_LARGE'
  | 'WRONG_TYPE'
  | 'NOT_AN_IMAGE'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'LOW_QUALITY'
  | 'DUPLICATE_FACE';

export interface EnrollmentDecision {
  key: string;
  status: EnrollmentStatus;
  faceId?: string;
  reason?: RejectionReason;
  /** S3 LastModified of the photo, ISO 8601: orders enrolments so a late event cannot replace a newer one. */
  uploadedAt: string;
}

export interface ActiveEnrollment {
  key: string;
  faceId: string;
  uploadedAt: string;
}

const userPk = (sub: string) => `USER#${sub}`;
const ACTIVE_SK = 'ACTIVE_ENROLLMENT';
const LOCKOUT_SK = 'LOCKOUT';
const enrollmentSk = (key: string) => `ENROLLMENT#${key}`;
const livenessSk = (sessionId: string) => `LIVENESS#${sessionId}`;
/** Zero-padded milliseconds sort in time order, so a window is a key range. */
const failureSk = (epochMs: number, suffix: string) => `FAILURE#${String(epochMs).padStart(15, '0')}#${suffix}`;
const epochSeconds = (epochMs: number) => Math.floor(epochMs / 1000);

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

export async function getEnrollment(sub: string, key: string): Promise<EnrollmentDecision | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: config().tableName, Key: { pk: userPk(sub), sk: enrollmentSk(key) }, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return { key: Item.key, status: Item.status, faceId: Item.faceId, reason: Item.reason, uploadedAt: Item.uploadedAt };
}

/** Writes the decision unless one exists already; false means another run decided first (redelivery, race). */
export async function saveEnrollmentDecision(sub: string, decision: EnrollmentDecision): Promise<boolean> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: config().tableName,
        Item: { pk: userPk(sub), sk: enrollmentSk(decision.key), ...decision, decidedAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getActiveEnrollment(sub: string): Promise<ActiveEnrollment | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: config().tableName, Key: { pk: userPk(sub), sk: ACTIVE_SK }, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return { key: Item.key, faceId: Item.faceId, uploadedAt: Item.uploadedAt };
}

export type Activation = { activated: true; replacedFaceId?: string } | { activated: false };

/**
 * Makes an accepted enrolment the active one unless a newer upload is already active. Idempotent: activating
 * the active enrolment again replaces nothing. Returns the face id it displaced, for deletion.
 */
export async function activateEnrollment(sub: string, enrollment: ActiveEnrollment): Promise<Activation> {
  try {
    const { Attributes } = await dynamo().send(
      new PutCommand({
        TableName: config().tableName,
        Item: { pk: userPk(sub), sk: ACTIVE_SK, ...enrollment },
        ConditionExpression: 'attribute_not_exists(pk) OR uploadedAt < :uploadedAt OR #key = :key',
        ExpressionAttributeNames: { '#key': 'key' },
        ExpressionAttributeValues: { ':uploadedAt': enrollment.uploadedAt, ':key': enrollment.key },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const previousFaceId = Attributes?.faceId as string | undefined;
    return previousFaceId && previousFaceId !== enrollment.faceId
      ? { activated: true, replacedFaceId: previousFaceId }
      : { activated: true };
  } catch (error) {
    if (isConditionFailure(error)) return { activated: false };
    throw error;
  }
}

export async function saveLivenessSession(sub: string, sessionId: string, expiresAtMs: number): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: config().tableName,
      Item: { pk: userPk(sub), sk: livenessSk(sessionId), used: false, expiresAt: epochSeconds(expiresAtMs) },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/**
 * Marks a session issued to this user as used, atomically. False when it was never issued to this sub,
 * was used already, or has expired (TTL deletion is lazy, so expiry is checked here too).
 */
export async function consumeLivenessSession(sub: string, sessionId: string, nowMs: number): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: config().tableName,
        Key: { pk: userPk(sub), sk: livenessSk(sessionId) },
        UpdateExpression: 'SET used = :true, usedAt = :usedAt',
        ConditionExpression: 'attribute_exists(pk) AND used = :false AND expiresAt > :now',
        ExpressionAttributeValues: { ':true': true, ':false': false, ':now': epochSeconds(nowMs), ':usedAt': new Date(nowMs).toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Records one failed check and returns how many the user has within the window ending now, this one included. */
export async function recordFailure(sub: string, nowMs: number, windowSeconds: number): Promise<number> {
  const table = config().tableName;
  await dynamo().send(
    new PutCommand({
      TableName: table,
      Item: { pk: userPk(sub), sk: failureSk(nowMs, randomUUID()), expiresAt: epochSeconds(nowMs) + windowSeconds },
    }),
  );
  const { Count } = await dynamo().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': userPk(sub),
        ':from': failureSk(nowMs - windowSeconds * 1000, ''),
        ':to': failureSk(nowMs, '~'),
      },
      Select: 'COUNT',
      ConsistentRead: true,
    }),
  );
  return Count ?? 0;
}

export async function saveLockout(sub: string, lockedUntilMs: number): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: config().tableName,
      Item: { pk: userPk(sub), sk: LOCKOUT_SK, lockedUntil: epochSeconds(lockedUntilMs), expiresAt: epochSeconds(lockedUntilMs) },
    }),
  );
}

/** When the user's lockout ends (epoch seconds), or undefined when there is none on record. */
export async function getLockedUntil(sub: string): Promise<number | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: config().tableName, Key: { pk: userPk(sub), sk: LOCKOUT_SK }, ConsistentRead: true }),
  );
  return Item?.lockedUntil as number | undefined;
}
