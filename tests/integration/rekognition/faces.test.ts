/** Face operations on real photos: detection, indexing, listing, deleting, searching and comparing. */
import {
  CompareFacesCommand,
  CreateCollectionCommand,
  DeleteFacesCommand,
  DetectFacesCommand,
  IndexFacesCommand,
  InvalidParameterException,
  ListFacesCommand,
  ResourceNotFoundException,
  SearchFacesByImageCommand,
  SearchFacesCommand,
  type BoundingBox,
} from '@aws-sdk/client-rekognition';
import { fixture, noFaceImage, startServer, temporaryDirectory, type RunningServer } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LANDMARKS = ['eyeLeft', 'eyeRight', 'nose', 'mouthLeft', 'mouthRight'];
const QUALITY_REASONS = ['EXTREME_POSE', 'LOW_BRIGHTNESS', 'LOW_SHARPNESS', 'LOW_CONFIDENCE', 'SMALL_BOUNDING_BOX', 'LOW_FACE_QUALITY'];

let server: RunningServer;
let removeDataDir: () => Promise<void>;
const photos: Record<'dorseyA' | 'dorseyB' | 'dorseyC' | 'scarlett' | 'group' | 'noFace', Buffer> = {} as never;
let collectionCount = 0;

beforeAll(async () => {
  const dataDir = await temporaryDirectory('rekognition-faces-');
  removeDataDir = dataDir.remove;
  server = await startServer({ dataDir: dataDir.path });
  photos.dorseyA = await fixture('server-jack-dorsey-a.jpg');
  photos.dorseyB = await fixture('server-jack-dorsey-b.jpg');
  photos.dorseyC = await fixture('server-jack-dorsey-c.jpg');
  photos.scarlett = await fixture('server-scarlett-johansson.jpg');
  photos.group = await fixture('server-group-selfie.jpg');
  photos.noFace = await noFaceImage();
});

afterAll(async () => {
  await server.stop();
  await removeDataDir();
});

async function newCollection(): Promise<string> {
  const collectionId = `faces-${++collectionCount}`;
  await server.client.send(new CreateCollectionCommand({ CollectionId: collectionId }));
  return collectionId;
}

async function index(collectionId: string, bytes: Buffer, externalImageId?: string) {
  return server.client.send(
    new IndexFacesCommand({ CollectionId: collectionId, Image: { Bytes: bytes }, ExternalImageId: externalImageId }),
  );
}

function expectNormalised(box: BoundingBox | undefined): void {
  for (const value of [box?.Left, box?.Top, box?.Width, box?.Height]) {
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(1);
  }
  expect(box!.Width).toBeGreaterThan(0);
  expect(box!.Height).toBeGreaterThan(0);
}

describe('DetectFaces', () => {
  it('finds the face of a portrait with box, five landmarks, pose, quality and confidence', async () => {
    const { FaceDetails } = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.dorseyA } }));
    expect(FaceDetails).toHaveLength(1);
    const [face] = FaceDetails!;
    expectNormalised(face!.BoundingBox);
    expect(face!.Landmarks!.map((landmark) => landmark.Type)).toEqual(LANDMARKS);
    expect(face!.Confidence).toBeGreaterThan(90);
    expect(Object.keys(face!.Pose!).sort()).toEqual(['Pitch', 'Roll', 'Yaw']);
    expect(face!.Quality!.Brightness).toBeGreaterThan(0);
    expect(face!.Quality!.Sharpness).toBeGreaterThan(0);
  });

  it('finds every face of a group photo, largest first', async () => {
    const { FaceDetails } = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.group } }));
    expect(FaceDetails!.length).toBeGreaterThanOrEqual(5);
    const areas = FaceDetails!.map(({ BoundingBox: box }) => box!.Width! * box!.Height!);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
  });

  it('answers an image without a face with no face details', async () => {
    const { FaceDetails } = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.noFace } }));
    expect(FaceDetails).toEqual([]);
  });

  it('answers Attributes ALL with the members it can measure and leaves out the ones it cannot', async () => {
    const { FaceDetails } = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.dorseyA }, Attributes: ['ALL'] }));
    expect(Object.keys(FaceDetails![0]!).sort()).toEqual(['BoundingBox', 'Confidence', 'Landmarks', 'Pose', 'Quality']);
  });

  it('refuses an attribute name Rekognition does not define', async () => {
    const raised = server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.dorseyA }, Attributes: ['AURA' as never] }));
    await expect(raised).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('IndexFaces', () => {
  it('indexes the face with a face id, an image id, the external image id and the model version', async () => {
    const collectionId = await newCollection();
    const answer = await index(collectionId, photos.dorseyA, 'user:42.photo-1');
    expect(answer.FaceRecords).toHaveLength(1);
    const { Face, FaceDetail } = answer.FaceRecords![0]!;
    expect(Face!.FaceId).toMatch(UUID);
    expect(Face!.ImageId).toMatch(UUID);
    expect(Face!.ExternalImageId).toBe('user:42.photo-1');
    expect(Face!.BoundingBox).toEqual(FaceDetail!.BoundingBox);
    expect(Face!.Confidence).toBe(FaceDetail!.Confidence);
    expect(answer.FaceModelVersion).toEqual(expect.any(String));
    expect(Face!.IndexFacesModelVersion).toBe(answer.FaceModelVersion);
    expect(answer.UnindexedFaces).toEqual([]);
  });

  it('indexes only the MaxFaces largest faces and reports the rest as EXCEEDS_MAX_FACES', async () => {
    const collectionId = await newCollection();
    const answer = await server.client.send(
      new IndexFacesCommand({ CollectionId: collectionId, Image: { Bytes: photos.group }, MaxFaces: 2, QualityFilter: 'NONE' }),
    );
    expect(answer.FaceRecords).toHaveLength(2);
    expect(new Set(answer.FaceRecords!.map(({ Face }) => Face!.ImageId)).size).toBe(1);
    expect(answer.UnindexedFaces!.length).toBeGreaterThanOrEqual(3);
    for (const unindexed of answer.UnindexedFaces!) expect(unindexed.Reasons).toEqual(['EXCEEDS_MAX_FACES']);
    const smallestIndexed = Math.min(...answer.FaceRecords!.map(({ Face }) => Face!.BoundingBox!.Width! * Face!.BoundingBox!.Height!));
    for (const { FaceDetail } of answer.UnindexedFaces!) {
      expect(FaceDetail!.BoundingBox!.Width! * FaceDetail!.BoundingBox!.Height!).toBeLessThanOrEqual(smallestIndexed);
    }
  });

  it('leaves out faces below the HIGH quality bar with their reasons, such as a face turned aside', async () => {
    const collectionId = await newCollection();
    const unfiltered = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.group } }));
    const answer = await server.client.send(
      new IndexFacesCommand({ CollectionId: collectionId, Image: { Bytes: photos.group }, QualityFilter: 'HIGH' }),
    );
    expect(answer.FaceRecords!.length + answer.UnindexedFaces!.length).toBe(unfiltered.FaceDetails!.length);
    expect(answer.UnindexedFaces!.length).toBeGreaterThan(0);
    for (const { Reasons } of answer.UnindexedFaces!) {
      expect(Reasons!.length).toBeGreaterThan(0);
      for (const reason of Reasons!) expect(QUALITY_REASONS).toContain(reason);
    }
    for (const { FaceDetail, Reasons } of answer.UnindexedFaces!) {
      if (Math.abs(FaceDetail!.Pose!.Yaw!) > 30) expect(Reasons).toContain('EXTREME_POSE');
    }
    for (const { FaceDetail } of answer.FaceRecords!) expect(Math.abs(FaceDetail!.Pose!.Yaw!)).toBeLessThanOrEqual(30);
  });

  it('indexes nothing from an image without a face', async () => {
    const collectionId = await newCollection();
    const answer = await index(collectionId, photos.noFace);
    expect(answer.FaceRecords).toEqual([]);
    expect(answer.UnindexedFaces).toEqual([]);
  });

  it.each([
    ['a slash', 'users/42'],
    ['a space', 'user 42'],
    ['256 characters', 'x'.repeat(256)],
  ])('refuses an ExternalImageId with %s', async (_, externalImageId) => {
    const collectionId = await newCollection();
    await expect(index(collectionId, photos.dorseyA, externalImageId)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'externalImageId'"),
    });
  });

  it('refuses a collection that does not exist with ResourceNotFoundException', async () => {
    await expect(index('never-created', photos.dorseyA)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('ListFaces and DeleteFaces', () => {
  it('lists the indexed faces page by page', async () => {
    const collectionId = await newCollection();
    const indexed = await Promise.all([photos.dorseyA, photos.dorseyB, photos.scarlett].map((photo) => index(collectionId, photo)));
    const faceIds = indexed.map((answer) => answer.FaceRecords![0]!.Face!.FaceId!).sort();
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await server.client.send(new ListFacesCommand({ CollectionId: collectionId, MaxResults: 2, NextToken: nextToken }));
      seen.push(...page.Faces!.map((face) => face.FaceId!));
      nextToken = page.NextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(2);
    expect(seen).toEqual(faceIds);
  });

  it('lists only the asked-for FaceIds', async () => {
    const collectionId = await newCollection();
    const [first] = await Promise.all([index(collectionId, photos.dorseyA, 'first'), index(collectionId, photos.scarlett, 'second')]);
    const faceId = first.FaceRecords![0]!.Face!.FaceId!;
    const { Faces } = await server.client.send(new ListFacesCommand({ CollectionId: collectionId, FaceIds: [faceId] }));
    expect(Faces).toEqual([expect.objectContaining({ FaceId: faceId, ExternalImageId: 'first' })]);
  });

  it('deletes faces and reports ids it does not hold as FACE_NOT_FOUND', async () => {
    const collectionId = await newCollection();
    const faceId = (await index(collectionId, photos.dorseyA)).FaceRecords![0]!.Face!.FaceId!;
    const unknown = '00000000-0000-4000-8000-000000000000';
    const answer = await server.client.send(new DeleteFacesCommand({ CollectionId: collectionId, FaceIds: [faceId, unknown] }));
    expect(answer.DeletedFaces).toEqual([faceId]);
    expect(answer.UnsuccessfulFaceDeletions).toEqual([{ FaceId: unknown, Reasons: ['FACE_NOT_FOUND'] }]);
    const { Faces } = await server.client.send(new ListFacesCommand({ CollectionId: collectionId }));
    expect(Faces).toEqual([]);
  });
});

describe('SearchFacesByImage and SearchFaces', () => {
  let collectionId: string;
  const faceIds: Record<string, string> = {};

  beforeAll(async () => {
    collectionId = await newCollection();
    for (const name of ['dorseyA', 'dorseyC', 'scarlett'] as const) {
      faceIds[name] = (await index(collectionId, photos[name], name)).FaceRecords![0]!.Face!.FaceId!;
    }
  });

  it('finds the same person in the collection at a similarity of at least 90', async () => {
    const answer = await server.client.send(
      new SearchFacesByImageCommand({ CollectionId: collectionId, Image: { Bytes: photos.dorseyB } }),
    );
    expect(answer.FaceMatches!.map(({ Face }) => Face!.ExternalImageId).sort()).toEqual(['dorseyA', 'dorseyC']);
    for (const match of answer.FaceMatches!) expect(match.Similarity).toBeGreaterThanOrEqual(90);
    expectNormalised(answer.SearchedFaceBoundingBox);
    expect(answer.SearchedFaceConfidence).toBeGreaterThan(90);
    expect(answer.FaceModelVersion).toEqual(expect.any(String));
  });

  it('does not match a different person at the default threshold', async () => {
    const answer = await server.client.send(
      new SearchFacesByImageCommand({ CollectionId: collectionId, Image: { Bytes: photos.scarlett }, MaxFaces: 10 }),
    );
    expect(answer.FaceMatches!.map(({ Face }) => Face!.ExternalImageId)).toEqual(['scarlett']);
  });

  it('honours FaceMatchThreshold and orders matches by similarity', async () => {
    const answer = await server.client.send(
      new SearchFacesByImageCommand({ CollectionId: collectionId, Image: { Bytes: photos.dorseyB }, FaceMatchThreshold: 0 }),
    );
    expect(answer.FaceMatches).toHaveLength(3);
    const similarities = answer.FaceMatches!.map((match) => match.Similarity!);
    expect(similarities).toEqual([...similarities].sort((a, b) => b - a));
    expect(answer.FaceMatches![2]!.Face!.ExternalImageId).toBe('scarlett');
  });

  it('returns at most MaxFaces matches', async () => {
    const answer = await server.client.send(
      new SearchFacesByImageCommand({ CollectionId: collectionId, Image: { Bytes: photos.dorseyB }, MaxFaces: 1 }),
    );
    expect(answer.FaceMatches).toHaveLength(1);
  });

  it('searches with the largest face of a group photo', async () => {
    const detected = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.group } }));
    const answer = await server.client.send(new SearchFacesByImageCommand({ CollectionId: collectionId, Image: { Bytes: photos.group } }));
    expect(answer.SearchedFaceBoundingBox).toEqual(detected.FaceDetails![0]!.BoundingBox);
  });

  it('refuses an image without a face with InvalidParameterException', async () => {
    const raised = server.client.send(new SearchFacesByImageCommand({ CollectionId: collectionId, Image: { Bytes: photos.noFace } }));
    await expect(raised).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('finds the other faces of the person behind a FaceId, leaving out the face itself', async () => {
    const answer = await server.client.send(new SearchFacesCommand({ CollectionId: collectionId, FaceId: faceIds.dorseyA }));
    expect(answer.SearchedFaceId).toBe(faceIds.dorseyA);
    expect(answer.FaceMatches!.map(({ Face }) => Face!.FaceId)).toEqual([faceIds.dorseyC]);
    expect(answer.FaceMatches![0]!.Similarity).toBeGreaterThanOrEqual(90);
  });

  it('refuses a FaceId the collection does not hold with InvalidParameterException', async () => {
    const raised = server.client.send(
      new SearchFacesCommand({ CollectionId: collectionId, FaceId: '00000000-0000-4000-8000-000000000000' }),
    );
    await expect(raised).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('CompareFaces', () => {
  it('matches two photos of the same person at a similarity of at least 90', async () => {
    const answer = await server.client.send(
      new CompareFacesCommand({ SourceImage: { Bytes: photos.dorseyA }, TargetImage: { Bytes: photos.dorseyB }, SimilarityThreshold: 90 }),
    );
    expect(answer.FaceMatches).toHaveLength(1);
    expect(answer.FaceMatches![0]!.Similarity).toBeGreaterThanOrEqual(90);
    expect(answer.UnmatchedFaces).toEqual([]);
    expect(Object.keys(answer.SourceImageFace!).sort()).toEqual(['BoundingBox', 'Confidence']);
  });

  it('does not match two different people and reports the target face as unmatched', async () => {
    const answer = await server.client.send(
      new CompareFacesCommand({ SourceImage: { Bytes: photos.dorseyA }, TargetImage: { Bytes: photos.scarlett } }),
    );
    expect(answer.FaceMatches).toEqual([]);
    expect(answer.UnmatchedFaces).toHaveLength(1);
    expect(answer.UnmatchedFaces![0]!.Landmarks).toHaveLength(5);
  });

  it('honours SimilarityThreshold', async () => {
    const answer = await server.client.send(
      new CompareFacesCommand({ SourceImage: { Bytes: photos.dorseyA }, TargetImage: { Bytes: photos.scarlett }, SimilarityThreshold: 0 }),
    );
    expect(answer.FaceMatches).toHaveLength(1);
    expect(answer.FaceMatches![0]!.Similarity).toBeLessThan(80);
  });

  it('compares the source face with every face of a group photo', async () => {
    const detected = await server.client.send(new DetectFacesCommand({ Image: { Bytes: photos.group } }));
    const answer = await server.client.send(
      new CompareFacesCommand({ SourceImage: { Bytes: photos.dorseyA }, TargetImage: { Bytes: photos.group }, SimilarityThreshold: 0 }),
    );
    expect(answer.FaceMatches).toHaveLength(detected.FaceDetails!.length);
    const similarities = answer.FaceMatches!.map((match) => match.Similarity!);
    expect(similarities).toEqual([...similarities].sort((a, b) => b - a));
  });

  it('refuses a source image without a face with InvalidParameterException', async () => {
    const raised = server.client.send(
      new CompareFacesCommand({ SourceImage: { Bytes: photos.noFace }, TargetImage: { Bytes: photos.dorseyA } }),
    );
    await expect(raised).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answers a target without a face with no matches', async () => {
    const answer = await server.client.send(
      new CompareFacesCommand({ SourceImage: { Bytes: photos.dorseyA }, TargetImage: { Bytes: photos.noFace } }),
    );
    expect(answer.FaceMatches).toEqual([]);
    expect(answer.UnmatchedFaces).toEqual([]);
  });
});
