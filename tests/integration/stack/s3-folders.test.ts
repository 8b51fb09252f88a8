/**
 * S3 takes any requests at once. s3rver, under the local gate, stores objects as files in folders and removes a
 * folder that a delete leaves empty: a write into that folder at the same moment used to fail (a 500, or an error that
 * ended the stack's process), as when the indexer deleted a refused upload while its owner uploaded the next one; and a
 * read of an object while a write replaced it never got an answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { LocalS3 } from '../../../local/s3/local-s3';
import { s3ClientOf, startTestS3 } from './local-s3-harness';

const BUCKET = 'face-bucket-folders';
const FOLDER = 'enrollment/0b7e7d4e-1111-4222-8333-944445555666';
/** Enough rounds that, before writes took turns, the first few already failed. */
const ROUNDS = 40;

describe('the local S3 takes requests at once that s3rver alone could not, as S3 does', () => {
  let dataDir: string;
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-s3-folders-'));
    s3 = await startTestS3(dataDir, [{ name: BUCKET, cors: [] }]);
    client = s3ClientOf(s3);
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const remove = (key: string) => client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  const read = async (key: string) =>
    Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray()).toString();

  /** A browser's upload through a presigned POST, as the app sends the ID photo. */
  async function postUpload(key: string, body: string): Promise<number> {
    const post = await createPresignedPost(client, { Bucket: BUCKET, Key: key, Conditions: [['eq', '$key', key]], Expires: 120 });
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob([body]), 'photo.jpg');
    return (await fetch(post.url, { method: 'POST', body: form })).status;
  }

  it('stores a presigned POST upload while a delete empties its folder', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await put(`${FOLDER}/refused.jpg`, 'refused');
      const [, status] = await Promise.all([
        remove(`${FOLDER}/refused.jpg`),
        postUpload(`${FOLDER}/upload-${round}.jpg`, `upload ${round}`),
      ]);
      expect(status).toBe(204);
      await expect(read(`${FOLDER}/upload-${round}.jpg`)).resolves.toBe(`upload ${round}`);
      await remove(`${FOLDER}/upload-${round}.jpg`);
    }
  });

  it('answers reads of an object while a write replaces it', async () => {
    const photo = (round: number) => Buffer.alloc(2_000_000, round);
    const readLength = async () =>
      (await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}/photo.jpg` }))).Body!.transformToByteArray()).length;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}/photo.jpg`, Body: photo(0) }));
    for (let round = 1; round <= ROUNDS; round++) {
      const [, ...lengths] = await Promise.all([
        client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${FOLDER}/photo.jpg`, Body: photo(round) })),
        readLength(),
        readLength(),
      ]);
      expect(lengths).toEqual([2_000_000, 2_000_000]);
    }
  }, 20_000);

  it('stores a signed write while a delete empties its folder', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await put(`${FOLDER}/old.jpg`, 'old');
      await Promise.all([remove(`${FOLDER}/old.jpg`), put(`${FOLDER}/new-${round}.jpg`, `new ${round}`)]);
      await expect(read(`${FOLDER}/new-${round}.jpg`)).resolves.toBe(`new ${round}`);
      await remove(`${FOLDER}/new-${round}.jpg`);
    }
  });
});
