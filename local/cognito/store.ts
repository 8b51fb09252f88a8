/**
 * What the emulator keeps across restarts, under `<dataDir>/cognito/`: the token signing key, users, refresh
 * tokens, revoked token origins. Each collection is one JSON file, rewritten whole on every change through
 * write-to-temp, fsync, rename, so a crash leaves either the old or the new file and never a torn one.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type UserStatus = 'UNCONFIRMED' | 'CONFIRMED';

export interface StoredUser {
  /** The pool's username: with email as username attribute, Cognito generates it and it equals `sub`. */
  username: string;
  sub: string;
  /** Lower-cased: the pool's usernames and email addresses are case-insensitive. */
  email: string;
  emailVerified: boolean;
  status: UserStatus;
  createdAt: number;
  updatedAt: number;
  confirmation?: { code: string; expiresAt: number };
}

export interface StoredRefreshToken {
  /** SHA-256 of the token: the token itself is never written to disk. */
  tokenHash: string;
  username: string;
  clientId: string;
  /** Shared by every access and id token issued from this authentication (Cognito's `origin_jti`). */
  originJti: string;
  eventId: string;
  authTime: number;
  expiresAt: number;
  revoked: boolean;
}

export interface RevokedOrigin {
  originJti: string;
  /** When the last token of this origin expires anyway; after that the entry can go. */
  forgetAt: number;
}

/**
 * `record[key]` only if the record itself has it: keys come from callers, and `__proto__` or `constructor` must
 * find nothing rather than Object.prototype's members.
 */
export function ownValue<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A JSON file of one collection, loaded once and written atomically, writes serialised in call order. */
export class JsonFile<T> {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    public value: T,
  ) {}

  static async open<T>(dir: string, name: string, initial: T): Promise<JsonFile<T>> {
    const path = join(dir, name);
    let value = initial;
    try {
      value = JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
      }
    }
    return new JsonFile(path, value);
  }

  save(): Promise<void> {
    const text = JSON.stringify(this.value);
    // A failed write was reported to its caller; the next write must still run.
    const write = this.writing.catch(() => undefined).then(() => writeAtomically(this.path, text));
    this.writing = write;
    return write;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  // The rename itself is durable only once the directory entry is on disk.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export interface StoredSigningKey {
  kid: string;
  /** The RSA private key as a JWK. */
  privateJwk: Record<string, unknown>;
}

export interface CognitoStore {
  signingKey: JsonFile<StoredSigningKey | null>;
  users: JsonFile<Record<string, StoredUser>>;
  refreshTokens: JsonFile<Record<string, StoredRefreshToken>>;
  revokedOrigins: JsonFile<Record<string, RevokedOrigin>>;
}

export async function openStore(dataDir: string): Promise<CognitoStore> {
  const dir = join(dataDir, 'cognito');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    signingKey: await JsonFile.open<StoredSigningKey | null>(dir, 'signing-key.json', null),
    users: await JsonFile.open(dir, 'users.json', {}),
    refreshTokens: await JsonFile.open(dir, 'refresh-tokens.json', {}),
    revokedOrigins: await JsonFile.open(dir, 'revoked-origins.json', {}),
  };
}
