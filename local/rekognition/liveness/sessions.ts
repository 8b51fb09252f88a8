/**
 * Face Liveness sessions, one JSON file each under `<dataDir>/liveness/sessions/`, so a restart loses none.
 * Lifecycle (as Rekognition): CREATED -> IN_PROGRESS (a stream claimed it; a session streams once) -> SUCCEEDED or
 * FAILED. A session not finished when its lifetime (3 minutes from creation) ends reads as EXPIRED; a finished one
 * is no longer found after that, since Rekognition makes all of a session's data unavailable 3 minutes on. A
 * session left IN_PROGRESS by a server that stopped mid-stream is FAILED when the store opens again.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BoundingBox } from '../../aws/bounding-box';
import type { Clock } from '../../aws/clock';
import type { ChallengePreference } from './challenge';
import type { ChallengeType } from './event-stream';

export type LivenessStatus = 'CREATED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';

/** An image of the result: in S3 (`s3Key` in the session's output bucket) or kept locally (`file` under the dataDir). */
export interface StoredImage {
  boundingBox: BoundingBox;
  s3Key?: string;
  file?: string;
}

export interface SessionResult {
  confidence: number;
  referenceImage?: StoredImage;
  auditImages: StoredImage[];
  /** Why the decision went as it did (kept for the developer; never sent to the client). */
  reasons: string[];
}

export interface LivenessSession {
  sessionId: string;
  createdAt: number;
  expiresAt: number;
  clientRequestToken?: string;
  outputConfig?: { S3Bucket: string; S3KeyPrefix?: string };
  auditImagesLimit: number;
  challengePreferences: ChallengePreference[];
  status: Exclude<LivenessStatus, 'EXPIRED'>;
  challenge?: { type: ChallengeType; version: string };
  failure?: string;
  result?: SessionResult;
}

/** How the session reads now: its stored status, or EXPIRED / gone once its lifetime has passed. */
export function effectiveStatus(session: LivenessSession, now: number): LivenessStatus | 'GONE' {
  if (now < session.expiresAt) return session.status;
  return session.status === 'SUCCEEDED' || session.status === 'FAILED' ? 'GONE' : 'EXPIRED';
}

/** Sessions older than this are deleted from disk on start (a day: long past any use). */
const PURGE_AFTER_MS = 24 * 3600 * 1000;

export class SessionStore {
  private readonly sessions = new Map<string, LivenessSession>();
  /** Writes of one session go in order, so an older snapshot never lands after a newer one. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly dir: string;

  private constructor(readonly dataDir: string) {
    this.dir = path.join(dataDir, 'liveness', 'sessions');
  }

  /** Opens the sessions kept under `dataDir`, judging their age and state by `clock`. */
  static async open(dataDir: string, clock: Clock): Promise<SessionStore> {
    const store = new SessionStore(dataDir);
    await mkdir(store.dir, { recursive: true });
    const now = clock();
    for (const name of await readdir(store.dir)) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(store.dir, name);
      const session = JSON.parse(await readFile(file, 'utf8')) as LivenessSession;
      if (now - session.createdAt > PURGE_AFTER_MS) {
        await rm(file, { force: true });
        await rm(store.imageDir(session.sessionId), { recursive: true, force: true });
        continue;
      }
      if (session.status === 'IN_PROGRESS' && now < session.expiresAt) {
        // Its stream died with the previous process: nobody can finish it now (past its lifetime it reads EXPIRED).
        session.status = 'FAILED';
        session.failure = 'the server stopped during the stream';
        await store.put(session);
        continue;
      }
      store.sessions.set(session.sessionId, session);
    }
    return store;
  }

  get(sessionId: string): LivenessSession | undefined {
    return this.sessions.get(sessionId);
  }

  /** The live (not yet expired) session created with this idempotency token, if any. */
  findByToken(token: string, now: number): LivenessSession | undefined {
    for (const session of this.sessions.values()) {
      if (session.clientRequestToken === token && now < session.expiresAt) return session;
    }
    return undefined;
  }

  /** Stores the session now in memory (so a concurrent claim sees it at once) and then on disk. */
  put(session: LivenessSession): Promise<void> {
    this.sessions.set(session.sessionId, session);
    const snapshot = JSON.stringify(session);
    const file = path.join(this.dir, `${session.sessionId}.json`);
    const previous = this.writes.get(session.sessionId) ?? Promise.resolve();
    const write = previous.then(async () => {
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, snapshot);
      await rename(temporary, file);
    });
    this.writes.set(
      session.sessionId,
      write.catch(() => undefined),
    );
    return write;
  }

  /** Where a session's images live when it has no S3 output location. */
  imageDir(sessionId: string): string {
    return path.join(this.dataDir, 'liveness', 'images', sessionId);
  }
}
