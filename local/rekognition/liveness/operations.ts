/**
 * CreateFaceLivenessSession and GetFaceLivenessSessionResults, as the Rekognition JSON server hosts them: request
 * validation with Rekognition's constraints and exception names, idempotency by ClientRequestToken, and results
 * answered as S3Object (when the session has an output location) or Bytes.
 */
import type { Clock } from '../../aws/clock';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AwsError } from '../../aws/errors';
import type { OperationTable } from '../../aws/json-protocol';
import { DEFAULT_CHALLENGE_PREFERENCES, isVersion, type ChallengePreference } from './challenge';
import { isChallengeType } from './event-stream';
import { effectiveStatus, type LivenessSession, type SessionStore, type StoredImage } from './sessions';

export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;
const BUCKET_PATTERN = /^[0-9A-Za-z.\-_]{3,255}$/;
const MAX_KEY_PREFIX = 950;

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface SessionOperationsOptions {
  store: SessionStore;
  /** How long a session lives after creation (Rekognition: 3 minutes). */
  sessionLifetimeMs: number;
  now: Clock;
}

export function createSessionOperations({ store, sessionLifetimeMs, now }: SessionOperationsOptions): OperationTable {
  return {
    async CreateFaceLivenessSession(input) {
      const request = parseCreateRequest(input);
      const at = now();
      if (request.clientRequestToken) {
        const existing = store.findByToken(request.clientRequestToken, at);
        if (existing) return { SessionId: existing.sessionId };
      }
      const session: LivenessSession = {
        sessionId: randomUUID(),
        createdAt: at,
        expiresAt: at + sessionLifetimeMs,
        ...(request.clientRequestToken ? { clientRequestToken: request.clientRequestToken } : {}),
        ...(request.outputConfig ? { outputConfig: request.outputConfig } : {}),
        auditImagesLimit: request.auditImagesLimit,
        challengePreferences: request.challengePreferences,
        status: 'CREATED',
      };
      await store.put(session);
      return { SessionId: session.sessionId };
    },

    async GetFaceLivenessSessionResults(input) {
      const sessionId = input.SessionId;
      if (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId)) {
        throw invalid('SessionId must be a 36-character lowercase UUID');
      }
      const session = store.get(sessionId);
      const status = session ? effectiveStatus(session, now()) : 'GONE';
      if (!session || status === 'GONE') {
        throw new AwsError('SessionNotFoundException', `Session not found: ${sessionId}`);
      }
      const output: Record<string, unknown> = { SessionId: sessionId, Status: status };
      if (session.challenge) output.Challenge = { Type: session.challenge.type, Version: session.challenge.version };
      if (status === 'SUCCEEDED' || status === 'FAILED') {
        const { result } = session;
        if (result) {
          output.Confidence = result.confidence;
          if (result.referenceImage) output.ReferenceImage = await describeImage(store, session, result.referenceImage);
          output.AuditImages = await Promise.all(result.auditImages.map((image) => describeImage(store, session, image)));
        }
      }
      return output;
    },
  };
}

async function describeImage(store: SessionStore, session: LivenessSession, image: StoredImage): Promise<Record<string, unknown>> {
  const described: Record<string, unknown> = { BoundingBox: image.boundingBox };
  if (image.s3Key && session.outputConfig) {
    described.S3Object = { Bucket: session.outputConfig.S3Bucket, Name: image.s3Key };
  } else if (image.file) {
    described.Bytes = (await readFile(path.join(store.imageDir(session.sessionId), image.file))).toString('base64');
  }
  return described;
}

interface CreateRequest {
  clientRequestToken?: string;
  outputConfig?: { S3Bucket: string; S3KeyPrefix?: string };
  auditImagesLimit: number;
  challengePreferences: ChallengePreference[];
}

function parseCreateRequest(input: Record<string, unknown>): CreateRequest {
  const { ClientRequestToken, KmsKeyId, Settings } = input;
  if (ClientRequestToken !== undefined && (typeof ClientRequestToken !== 'string' || !TOKEN_PATTERN.test(ClientRequestToken))) {
    throw invalid('ClientRequestToken must be 1-64 characters of [a-zA-Z0-9-_]');
  }
  if (KmsKeyId !== undefined && (typeof KmsKeyId !== 'string' || KmsKeyId.length < 1 || KmsKeyId.length > 2048)) {
    throw invalid('KmsKeyId must be a string of 1-2048 characters');
  }
  if (Settings !== undefined && !isObject(Settings)) throw invalid('Settings must be an object');
  const settings = Settings ?? {};

  let outputConfig: CreateRequest['outputConfig'];
  if (settings.OutputConfig !== undefined) {
    const config = settings.OutputConfig;
    if (!isObject(config)) throw invalid('Settings.OutputConfig must be an object');
    if (typeof config.S3Bucket !== 'string' || !BUCKET_PATTERN.test(config.S3Bucket)) {
      throw invalid('Settings.OutputConfig.S3Bucket must be a bucket name of 3-255 characters');
    }
    if (config.S3KeyPrefix !== undefined && (typeof config.S3KeyPrefix !== 'string' || config.S3KeyPrefix.length > MAX_KEY_PREFIX)) {
      throw invalid(`Settings.OutputConfig.S3KeyPrefix must be a string of at most ${MAX_KEY_PREFIX} characters`);
    }
    outputConfig = { S3Bucket: config.S3Bucket, ...(config.S3KeyPrefix ? { S3KeyPrefix: config.S3KeyPrefix } : {}) };
  }

  const limit = settings.AuditImagesLimit ?? 0;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > 4) {
    throw invalid('Settings.AuditImagesLimit must be an integer from 0 to 4');
  }

  return {
    ...(typeof ClientRequestToken === 'string' ? { clientRequestToken: ClientRequestToken } : {}),
    ...(outputConfig ? { outputConfig } : {}),
    auditImagesLimit: limit,
    challengePreferences: parsePreferences(settings.ChallengePreferences),
  };
}

function parsePreferences(value: unknown): ChallengePreference[] {
  if (value === undefined) return DEFAULT_CHALLENGE_PREFERENCES;
  if (!Array.isArray(value) || value.length === 0) throw invalid('Settings.ChallengePreferences must be a non-empty list');
  return value.map((item, index) => {
    if (!isObject(item) || !isChallengeType(item.Type)) {
      throw invalid(`Settings.ChallengePreferences[${index}].Type must be FaceMovementAndLightChallenge or FaceMovementChallenge`);
    }
    const preference: ChallengePreference = { Type: item.Type };
    if (item.Versions !== undefined) {
      if (!isObject(item.Versions)) throw invalid(`Settings.ChallengePreferences[${index}].Versions must be an object`);
      const { Minimum, Maximum } = item.Versions;
      for (const [name, version] of [
        ['Minimum', Minimum],
        ['Maximum', Maximum],
      ] as const) {
        if (version !== undefined && !isVersion(version)) {
          throw invalid(`Settings.ChallengePreferences[${index}].Versions.${name} must be a version like 1.0.0`);
        }
      }
      preference.Versions = {
        ...(typeof Minimum === 'string' ? { Minimum } : {}),
        ...(typeof Maximum === 'string' ? { Maximum } : {}),
      };
    }
    return preference;
  });
}
