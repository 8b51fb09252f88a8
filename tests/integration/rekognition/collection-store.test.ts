/** The collection store on disk: what survives a reopen, what a crashed write leaves, and what it refuses to load. */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CollectionStore, type StoredFace } from '../../../local/rekognition/collections/store';
import { temporaryDirectory } from './harness';

const OPTIONS = { region: 'eu-west-1', accountId: '123456789012' };

function face(faceId: string, embedding: number[]): StoredFace {
  return {
    faceId,
    imageId: '11111111-1111-4111-8111-111111111111',
    externalImageId: 'person',
    boundingBox: { Width: 0.5, Height: 0.6, Left: 0.1, Top: 0.2 },
    confidence: 99.5,
    indexFacesModelVersion: 'model-1',
    embedding: Float32Array.from(embedding),
  };
}

let dataDir: { path: string; remove(): Promise<void> };

beforeEach(async () => {
  dataDir = await temporaryDirectory('collection-store-');
});

afterEach(async () => {
  await dataDir.remove();
});

describe('CollectionStore', () => {
  it('gives back the collections and faces, embeddings included, after reopening', async () => {
    const store = await CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS });
    await store.create('people', 'model-1', { team: 'faces' });
    await store.addFaces('people', [
      face('bbbbbbbb-0000-4000-8000-000000000000', [0.6, 0.8]),
      face('aaaaaaaa-0000-4000-8000-000000000000', [1, 0]),
    ]);

    const reopened = await CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS });
    const collection = reopened.get('people');
    expect(collection.collectionArn).toBe('aws:rekognition:eu-west-1:123456789012:collection/people');
    expect(collection.tags).toEqual({ team: 'faces' });
    expect(collection.faces.map((stored) => stored.faceId)).toEqual([
      'aaaaaaaa-0000-4000-8000-000000000000',
      'bbbbbbbb-0000-4000-8000-000000000000',
    ]);
    expect(Array.from(collection.faces[1]!.embedding)).toEqual(Array.from(Float32Array.from([0.6, 0.8])));
  });

  it('removes the temporary file a crashed write left behind and keeps the last whole collection', async () => {
    const store = await CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS });
    await store.create('people', 'model-1', {});
    const directory = join(dataDir.path, 'collections');
    const [file] = await readdir(directory);
    await writeFile(join(directory, `${file}.0f0f.tmp`), '{"formatVersion": 1, "collectionId": "peo');

    const reopened = await CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS });
    expect(reopened.ids()).toEqual(['people']);
    expect(await readdir(directory)).toEqual([file]);
  });

  it('refuses to open when a collection file is not JSON, rather than lose the collection silently', async () => {
    const directory = join(dataDir.path, 'collections');
    const store = await CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS });
    await store.create('people', 'model-1', {});
    const [file] = await readdir(directory);
    await writeFile(join(directory, file!), 'not json');
    await expect(CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS })).rejects.toThrow('is not a collection file');
  });

  it('reports which requested faces it deleted and which it never held', async () => {
    const store = await CollectionStore.open({ dataDir: dataDir.path, ...OPTIONS });
    await store.create('people', 'model-1', {});
    await store.addFaces('people', [face('aaaaaaaa-0000-4000-8000-000000000000', [1, 0])]);
    const answer = await store.deleteFaces('people', ['aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000000']);
    expect(answer).toEqual({ deleted: ['aaaaaaaa-0000-4000-8000-000000000000'], missing: ['cccccccc-0000-4000-8000-000000000000'] });
    expect(store.get('people').faces).toEqual([]);
  });
});
