/**
 * Face collections kept on disk: one JSON file per collection under `<dataDir>/collections/`, named by the SHA-256
 * of the collection id (ids may be 255 characters and may be `..`, neither of which is a safe file name).
 * Every change is written to a temporary file, fsynced and renamed over the old file, then the directory is fsynced,
 * so a crash leaves either the old or the new collection, never a torn one. Changes to one collection are
 * serialised through a per-collection queue, and the in-memory copy is replaced only after the file is on disk.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsError } from '../../aws/errors';
import { KeyedMutex } from './keyed-mutex';
import type { BoundingBox } from '../../aws/bounding-box';

export interface StoredFace {
  faceId: string;
  imageId: string;
  externalImageId?: string;
  boundingBox: BoundingBox;
  confidence: number;
  indexFacesModelVersion: string;
  /** L2-normalised embedding from the engine that indexed the face. */
  embedding: Float32Array;
}

export interface Collection {
  collectionId: string;
  collectionArn: string;
  /** Epoch seconds, as Rekognition's CreationTimestamp. */
  creationTimestamp: number;
  faceModelVersion: string;
  tags: Record<string, string>;
  /** Ordered by faceId, which is the order ListFaces pages through. */
  faces: readonly StoredFace[];
}

const FORMAT_VERSION = 1;
const TEMP_SUFFIX = '.tmp';

interface FaceFile extends Omit<StoredFace, 'embedding'> {
  /** Little-endian float32 values, base64. */
  embedding: string;
}

interface CollectionFile extends Omit<Collection, 'faces'> {
  formatVersion: number;
  faces: FaceFile[];
}

function encodeEmbedding(embedding: Float32Array): string {
  return Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength).toString('base64');
}

function decodeEmbedding(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  // Copy into a fresh, aligned buffer: Buffer pools may start at offsets a Float32Array cannot view.
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

function fileName(collectionId: string): string {
  return `${createHash('sha256').update(collectionId).digest('hex')}.json`;
}

function notFound(collectionId: string): AwsError {
  return new AwsError('ResourceNotFoundException', `The collection id: ${collectionId} does not exist`);
}

function byFaceId(a: StoredFace, b: StoredFace): number {
  return a.faceId < b.faceId ? -1 : a.faceId > b.faceId ? 1 : 0;
}

export interface CollectionStoreOptions {
  /** The server's data directory; collections live in its `collections/` folder. */
  dataDir: string;
  region: string;
  accountId: string;
}

export class CollectionStore {
  private readonly mutex = new KeyedMutex();

  private constructor(
    private readonly directory: string,
    private readonly options: CollectionStoreOptions,
    private readonly collections: Map<string, Collection>,
  ) {}

  /** Loads every collection on disk; a file that cannot be read is an error, not something to skip silently. */
  static async open(options: CollectionStoreOptions): Promise<CollectionStore> {
    const directory = join(options.dataDir, 'collections');
    await mkdir(directory, { recursive: true });
    const collections = new Map<string, Collection>();
    for (const entry of await readdir(directory)) {
      const path = join(directory, entry);
      if (entry.endsWith(TEMP_SUFFIX)) {
        // Left by a write that crashed before its rename: the collection file itself is intact.
        await rm(path, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      const collection = parseCollectionFile(path, await readFile(path, 'utf8'));
      if (fileName(collection.collectionId) !== entry) {
        throw new Error(`${path} holds collection ${collection.collectionId}, which belongs in ${fileName(collection.collectionId)}`);
      }
      collections.set(collection.collectionId, collection);
    }
    return new CollectionStore(directory, options, collections);
  }

  get(collectionId: string): Collection {
    const collection = this.collections.get(collectionId);
    if (!collection) throw notFound(collectionId);
    return collection;
  }

  /** Collection ids in ascending order. */
  ids(): string[] {
    return [...this.collections.keys()].sort();
  }

  create(collectionId: string, faceModelVersion: string, tags: Record<string, string>): Promise<Collection> {
    return this.mutex.run(collectionId, async () => {
      if (this.collections.has(collectionId)) {
        throw new AwsError('ResourceAlreadyExistsException', `The collection id: ${collectionId} already exists`);
      }
      const { region, accountId } = this.options;
      const collection: Collection = {
        collectionId,
        // Rekognition's CollectionArn really is written without the leading `arn:`.
        collectionArn: `aws:rekognition:${region}:${accountId}:collection/${collectionId}`,
        creationTimestamp: Date.now() / 1000,
        faceModelVersion,
        tags,
        faces: [],
      };
      await this.write(collection);
      this.collections.set(collectionId, collection);
      return collection;
    });
  }

  delete(collectionId: string): Promise<void> {
    return this.mutex.run(collectionId, async () => {
      this.get(collectionId);
      await unlink(join(this.directory, fileName(collectionId)));
      await this.syncDirectory();
      this.collections.delete(collectionId);
    });
  }

  addFaces(collectionId: string, faces: StoredFace[]): Promise<void> {
    return this.mutex.run(collectionId, async () => {
      const collection = this.get(collectionId);
      const updated = { ...collection, faces: [...collection.faces, ...faces].sort(byFaceId) };
      await this.write(updated);
      this.collections.set(collectionId, updated);
    });
  }

  /** Removes the faces that exist and returns their ids; ids not in the collection are returned as `missing`. */
  deleteFaces(collectionId: string, faceIds: string[]): Promise<{ deleted: string[]; missing: string[] }> {
    return this.mutex.run(collectionId, async () => {
      const collection = this.get(collectionId);
      const requested = new Set(faceIds);
      const existing = new Set(collection.faces.map((face) => face.faceId));
      const deleted = [...requested].filter((id) => existing.has(id));
      const missing = [...requested].filter((id) => !existing.has(id));
      if (deleted.length > 0) {
        const updated = { ...collection, faces: collection.faces.filter((face) => !requested.has(face.faceId)) };
        await this.write(updated);
        this.collections.set(collectionId, updated);
      }
      return { deleted, missing };
    });
  }

  private async write(collection: Collection): Promise<void> {
    const file: CollectionFile = {
      formatVersion: FORMAT_VERSION,
      ...collection,
      faces: collection.faces.map((face) => ({ ...face, embedding: encodeEmbedding(face.embedding) })),
    };
    const target = join(this.directory, fileName(collection.collectionId));
    const temporary = `${target}.${randomUUID()}${TEMP_SUFFIX}`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
    await this.syncDirectory();
  }

  /** Makes a rename or unlink durable: the directory entry itself must reach the disk. */
  private async syncDirectory(): Promise<void> {
    const handle = await open(this.directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function parseCollectionFile(path: string, text: string): Collection {
  let file: CollectionFile;
  try {
    file = JSON.parse(text) as CollectionFile;
  } catch (error) {
    throw new Error(`${path} is not a collection file: ${(error as Error).message}`);
  }
  if (file.formatVersion !== FORMAT_VERSION || typeof file.collectionId !== 'string' || !Array.isArray(file.faces)) {
    throw new Error(`${path} is not a collection file of format version ${FORMAT_VERSION}`);
  }
  const { formatVersion: _formatVersion, faces, ...collection } = file;
  return { ...collection, faces: faces.map((face) => ({ ...face, embedding: decodeEmbedding(face.embedding) })) };
}
