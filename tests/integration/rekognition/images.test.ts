/** Image input: Bytes and S3Object, Rekognition's size, format and dimension limits, and the exceptions for each. */
import {
  CompareFacesCommand,
  CreateCollectionCommand,
  DetectFacesCommand,
  ImageTooLargeException,
  IndexFacesCommand,
  InvalidImageFormatException,
  InvalidParameterException,
  InvalidS3ObjectException,
  type Image,
} from '@aws-sdk/client-rekognition';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { fixture, startS3, startServer, temporaryDirectory, type RunningS3, type RunningServer } from './harness';

const BUCKET = 'face-images';

let server: RunningServer;
let s3: RunningS3;
let cleanups: (() => Promise<void>)[] = [];
let portrait: Buffer;

beforeAll(async () => {
  const dataDir = await temporaryDirectory('rekognition-images-');
  const s3Dir = await temporaryDirectory('rekognition-images-s3-');
  cleanups = [dataDir.remove, s3Dir.remove];
  s3 = await startS3(s3Dir.path, [BUCKET]);
  server = await startServer({ dataDir: dataDir.path, s3Endpoint: s3.endpoint });
  portrait = await fixture('server-jack-dorsey-a.jpg');
});

afterAll(async () => {
  await server.stop();
  await s3.stop();
  for (const cleanup of cleanups) await cleanup();
});

/** A PNG whose header declares width x height; only the header matters, the pixel data is one grey row. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1, 0x80))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function detect(image: Image) {
  return server.client.send(new DetectFacesCommand({ Image: image }));
}

describe('images as Bytes', () => {
  it('refuses a corrupt JPEG (cut off halfway) with InvalidImageFormatException', async () => {
    await expect(detect({ Bytes: portrait.subarray(0, portrait.length / 2) })).rejects.toBeInstanceOf(InvalidImageFormatException);
  });

  it('refuses a text file named .jpg with InvalidImageFormatException', async () => {
    const text = Buffer.from('This is a text file renamed to photo.jpg, not an image.\n'.repeat(20));
    await expect(detect({ Bytes: text })).rejects.toBeInstanceOf(InvalidImageFormatException);
  });

  it('refuses an image format other than JPEG or PNG with InvalidImageFormatException', async () => {
    const webp = await sharp(portrait).webp().toBuffer();
    await expect(detect({ Bytes: webp })).rejects.toBeInstanceOf(InvalidImageFormatException);
  });

  it('refuses a 1x1 image with InvalidParameterException', async () => {
    const dot = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    await expect(detect({ Bytes: dot })).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('refuses more than 5 MB of Bytes with the ValidationException of the API model', async () => {
    const sixMegabytes = Buffer.concat([portrait, Buffer.alloc(6 * 1024 * 1024 - portrait.length)]);
    await expect(detect({ Bytes: sixMegabytes })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(
        "at 'image.bytes' failed to satisfy constraint: Member must have length less than or equal to 5242880",
      ),
    });
  });

  it('finds the face in a 20-megapixel photo', async () => {
    const large = await sharp(portrait).resize(5960, 3366).jpeg({ quality: 85 }).toBuffer();
    const small = await detect({ Bytes: portrait });
    const answer = await detect({ Bytes: large });
    expect(answer.FaceDetails).toHaveLength(1);
    const [bigBox, smallBox] = [answer.FaceDetails![0]!.BoundingBox!, small.FaceDetails![0]!.BoundingBox!];
    expect(bigBox.Left).toBeCloseTo(smallBox.Left!, 1);
    expect(bigBox.Top).toBeCloseTo(smallBox.Top!, 1);
  });

  it('refuses an image of more pixels than the engine decodes (12000 x 12000) with ImageTooLargeException', async () => {
    await expect(detect({ Bytes: pngDeclaring(12000, 12000) })).rejects.toBeInstanceOf(ImageTooLargeException);
  });

  it('refuses an Image with both Bytes and S3Object with InvalidParameterException', async () => {
    const raised = detect({ Bytes: portrait, S3Object: { Bucket: BUCKET, Name: 'portrait.jpg' } });
    await expect(raised).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('refuses an Image with neither Bytes nor S3Object with InvalidParameterException', async () => {
    await expect(detect({})).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('images as S3Object', () => {
  beforeAll(async () => {
    await s3.put(BUCKET, 'people/portrait.jpg', portrait);
    await s3.put(BUCKET, 'people/same-person.jpg', await fixture('server-jack-dorsey-b.jpg'));
  });

  it('reads the image from S3 and finds its face', async () => {
    const fromS3 = await detect({ S3Object: { Bucket: BUCKET, Name: 'people/portrait.jpg' } });
    const fromBytes = await detect({ Bytes: portrait });
    expect(fromS3.FaceDetails).toEqual(fromBytes.FaceDetails);
  });

  it('indexes a face from S3 and compares S3 images', async () => {
    await server.client.send(new CreateCollectionCommand({ CollectionId: 'from-s3' }));
    const indexed = await server.client.send(
      new IndexFacesCommand({ CollectionId: 'from-s3', Image: { S3Object: { Bucket: BUCKET, Name: 'people/portrait.jpg' } } }),
    );
    expect(indexed.FaceRecords).toHaveLength(1);
    const compared = await server.client.send(
      new CompareFacesCommand({
        SourceImage: { S3Object: { Bucket: BUCKET, Name: 'people/portrait.jpg' } },
        TargetImage: { S3Object: { Bucket: BUCKET, Name: 'people/same-person.jpg' } },
        SimilarityThreshold: 90,
      }),
    );
    expect(compared.FaceMatches).toHaveLength(1);
  });

  it('refuses an object that does not exist with InvalidS3ObjectException', async () => {
    await expect(detect({ S3Object: { Bucket: BUCKET, Name: 'people/nobody.jpg' } })).rejects.toBeInstanceOf(InvalidS3ObjectException);
  });

  it('refuses a bucket that does not exist with InvalidS3ObjectException', async () => {
    await expect(detect({ S3Object: { Bucket: 'no-such-bucket', Name: 'portrait.jpg' } })).rejects.toBeInstanceOf(InvalidS3ObjectException);
  });

  it('refuses an object over 15 MB with ImageTooLargeException', async () => {
    await s3.put(BUCKET, 'huge.jpg', Buffer.concat([portrait, Buffer.alloc(16 * 1024 * 1024)]));
    await expect(detect({ S3Object: { Bucket: BUCKET, Name: 'huge.jpg' } })).rejects.toBeInstanceOf(ImageTooLargeException);
  });

  it('refuses a bucket name outside the API pattern with ValidationException', async () => {
    await expect(detect({ S3Object: { Bucket: 'bad/bucket', Name: 'x.jpg' } })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'image.s3Object.bucket'"),
    });
  });
});
