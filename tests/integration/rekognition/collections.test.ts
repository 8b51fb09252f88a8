/** Collections: lifecycle, ids, pagination, persistence across restarts, and concurrent writes. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateCollectionCommand,
  DeleteCollectionCommand,
  DescribeCollectionCommand,
  IndexFacesCommand,
  InvalidPaginationTokenException,
  ListCollectionsCommand,
  ListFacesCommand,
  ListTagsForResourceCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  SearchFacesByImageCommand,
} from '@aws-sdk/client-rekognition';
import { fixture, startServer, temporaryDirectory, type RunningServer } from './harness';

let dataDir: string;
let removeDataDir: () => Promise<void>;
let server: RunningServer;

beforeAll(async () => {
  ({ path: dataDir, remove: removeDataDir } = await temporaryDirectory('rekognition-collections-'));
  server = await startServer({ dataDir });
});

afterAll(async () => {
  await server.stop();
  await removeDataDir();
});

describe('collection lifecycle', () => {
  it('creates a collection with Rekognition ARN form and the engine model version', async () => {
    const answer = await server.client.send(new CreateCollectionCommand({ CollectionId: 'lifecycle' }));
    expect(answer.StatusCode).toBe(200);
    expect(answer.CollectionArn).toBe('aws:rekognition:us-east-1:000000000000:collection/lifecycle');
    expect(answer.FaceModelVersion).toEqual(expect.any(String));
  });

  it('refuses to create a collection whose id is taken with ResourceAlreadyExistsException', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'taken' }));
    const raised = server.client.send(new CreateCollectionCommand({ CollectionId: 'taken' }));
    await expect(raised).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
  });

  it('describes a collection: face count, ARN, model version and creation time', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'described' }));
    const answer = await server.client.send(new DescribeCollectionCommand({ CollectionId: 'described' }));
    expect(answer).toMatchObject({
      FaceCount: 0,
      UserCount: 0,
      CollectionARN: 'aws:rekognition:us-east-1:000000000000:collection/described',
      FaceModelVersion: expect.any(String),
    });
    expect(answer.CreationTimestamp).toBeInstanceOf(Date);
  });

  it('lists the tags a collection was created with, found by its ARN', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'tagged', Tags: { 'face-login:stack-id': 'stack-1' } }));
    const answer = await server.client.send(
      new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:rekognition:us-east-1:000000000000:collection/tagged' }),
    );
    expect(answer.Tags).toEqual({ 'face-login:stack-id': 'stack-1' });
    await expect(
      server.client.send(new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:rekognition:us-east-1:000000000000:collection/absent' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('deletes a collection, after which it is not found', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'deleted' }));
    expect((await server.client.send(new DeleteCollectionCommand({ CollectionId: 'deleted' }))).StatusCode).toBe(200);
    await expect(server.client.send(new DescribeCollectionCommand({ CollectionId: 'deleted' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(server.client.send(new DeleteCollectionCommand({ CollectionId: 'deleted' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('accepts every id the pattern allows, including 255 characters and dots alone', async () => {
    for (const collectionId of ['a'.repeat(255), '..', 'A-b_c.9']) {
      await server.client.send(new CreateCollectionCommand({ CollectionId: collectionId }));
      const answer = await server.client.send(new DescribeCollectionCommand({ CollectionId: collectionId }));
      expect(answer.CollectionARN).toBe(`aws:rekognition:us-east-1:000000000000:collection/${collectionId}`);
    }
  });

  it.each([
    ['a slash', 'a/b'],
    ['a colon', 'a:b'],
    ['256 characters', 'a'.repeat(256)],
    ['no characters', ''],
  ])('refuses a collection id with %s with ValidationException', async (_, collectionId) => {
    const raised = server.client.send(new CreateCollectionCommand({ CollectionId: collectionId }));
    await expect(raised).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining("at 'collectionId'") });
  });
});

describe('ListCollections', () => {
  it('lists every collection in id order, page by page', async () => {
    const all = (await server.client.send(new ListCollectionsCommand({}))).CollectionIds!;
    expect(all).toEqual([...all].sort());
    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await server.client.send(new ListCollectionsCommand({ MaxResults: 2, NextToken: nextToken }));
      expect(page.FaceModelVersions).toHaveLength(page.CollectionIds!.length);
      paged.push(...page.CollectionIds!);
      nextToken = page.NextToken;
    } while (nextToken);
    expect(paged).toEqual(all);
  });

  it('refuses a NextToken it did not issue with InvalidPaginationTokenException', async () => {
    const raised = server.client.send(new ListCollectionsCommand({ NextToken: 'forged' }));
    await expect(raised).rejects.toBeInstanceOf(InvalidPaginationTokenException);
  });
});

describe('persistence and concurrency', () => {
  it('keeps collections and their faces across a server restart, and searches the stored faces', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'persistent' }));
    const indexed = await server.client.send(
      new IndexFacesCommand({
        CollectionId: 'persistent',
        Image: { Bytes: await fixture('server-jack-dorsey-a.jpg') },
        ExternalImageId: 'jack',
      }),
    );
    const before = await server.client.send(new ListFacesCommand({ CollectionId: 'persistent' }));

    await server.stop();
    server = await startServer({ dataDir });

    const after = await server.client.send(new ListFacesCommand({ CollectionId: 'persistent' }));
    expect(after.Faces).toEqual(before.Faces);
    const search = await server.client.send(
      new SearchFacesByImageCommand({ CollectionId: 'persistent', Image: { Bytes: await fixture('server-jack-dorsey-b.jpg') } }),
    );
    expect(search.FaceMatches!.map(({ Face }) => Face!.FaceId)).toEqual([indexed.FaceRecords![0]!.Face!.FaceId]);
  });

  it('loses no face when many IndexFaces run at once on one collection', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'parallel' }));
    const photos = await Promise.all(
      ['server-jack-dorsey-a.jpg', 'server-jack-dorsey-b.jpg', 'server-jack-dorsey-c.jpg', 'server-scarlett-johansson.jpg'].map(fixture),
    );
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        server.client.send(
          new IndexFacesCommand({ CollectionId: 'parallel', Image: { Bytes: photos[i % photos.length] }, ExternalImageId: `n${i}` }),
        ),
      ),
    );
    const indexedIds = answers.flatMap((answer) => answer.FaceRecords!.map(({ Face }) => Face!.FaceId!)).sort();
    expect(indexedIds).toHaveLength(16);
    const listed = await server.client.send(new ListFacesCommand({ CollectionId: 'parallel' }));
    expect(listed.Faces!.map((face) => face.FaceId)).toEqual(indexedIds);
    expect((await server.client.send(new DescribeCollectionCommand({ CollectionId: 'parallel' }))).FaceCount).toBe(16);
  });

  it('keeps one whole JSON file per collection on disk and no temporary files', async () => {
    const directory = join(dataDir, 'collections');
    const files = await readdir(directory);
    const ids = (await server.client.send(new ListCollectionsCommand({}))).CollectionIds!;
    expect(files).toHaveLength(ids.length);
    const stored = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(directory, file), 'utf8')).collectionId));
    expect(stored.sort()).toEqual(ids);
  });
});
