import type { EnrollChallenge } from '../../app/src/challenge';
import { fitJpeg, MAX_PICKED_BYTES, photoProblem, uploadForm, UploadError } from '../../app/src/upload';

const challenge: EnrollChallenge = {
  step: 'ENROLL_ID_PHOTO',
  uploadUrl: 'http://localhost:4569/face-bucket',
  uploadFields: { key: 'enrollment/sub-1/abc.jpg', Policy: 'cG9saWN5', 'X-Amz-Signature': 'f00' },
  maxBytes: 5 * 1024 * 1024,
  contentTypes: ['image/jpeg'],
};

describe('checking a chosen ID photo', () => {
  it('takes JPEG, PNG and WebP photos, whatever their size up to the picking limit', () => {
    expect(photoProblem({ type: 'image/jpeg', size: 300_000 })).toBeUndefined();
    expect(photoProblem({ type: 'image/png', size: 12 * 1024 * 1024 })).toBeUndefined();
    expect(photoProblem({ type: 'image/webp', size: 300_000 })).toBeUndefined();
  });

  it('refuses another type and names the ones it takes', () => {
    expect(photoProblem({ type: 'image/heic', size: 300_000 })).toBe(
      'This file is not a JPEG, PNG or WebP image. Choose a photo in one of those formats.',
    );
  });

  it('refuses a file larger than any photo, saying both sizes', () => {
    expect(photoProblem({ type: 'image/png', size: MAX_PICKED_BYTES + 1 })).toBe(
      'This file is 40 MB; photos up to 40 MB can be used. Choose a smaller photo.',
    );
  });

  it('refuses an empty file', () => {
    expect(photoProblem({ type: 'image/png', size: 0 })).toBe('This file is empty. Choose another photo.');
  });
});

/** An encoder whose JPEG size is proportional to the pixel count, `fullSize` bytes at scale 1; records each scale. */
function proportionalEncoder(fullSize: number) {
  const scales: number[] = [];
  const encode = async (scale: number) => {
    scales.push(scale);
    return new Blob([new Uint8Array(Math.round(fullSize * scale * scale))], { type: 'image/jpeg' });
  };
  return { encode, scales };
}

describe('re-encoding a photo to a JPEG within the size limit', () => {
  it('keeps the full size when its JPEG fits', async () => {
    const { encode, scales } = proportionalEncoder(900);
    expect((await fitJpeg(encode, 1000)).size).toBe(900);
    expect(scales).toEqual([1]);
  });

  it('scales a photo down until its JPEG fits, in one more encoding when size follows the pixel count', async () => {
    const { encode, scales } = proportionalEncoder(4000);
    const jpeg = await fitJpeg(encode, 1000);
    expect(jpeg.size).toBeLessThanOrEqual(1000);
    expect(jpeg.size).toBeGreaterThan(700);
    expect(scales).toHaveLength(2);
  });

  it('gives up with a message when the JPEG does not shrink', async () => {
    const stubborn = async () => new Blob([new Uint8Array(2000)], { type: 'image/jpeg' });
    const refusal = fitJpeg(stubborn, 1000);
    await expect(refusal).rejects.toThrow(UploadError);
    await expect(refusal).rejects.toThrow('This photo could not be made smaller than 1000 bytes. Choose another photo.');
  });
});

describe('the presigned POST body', () => {
  it('sends every policy field, then Content-Type image/jpeg, then the file last', async () => {
    const jpeg = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' });
    const form = uploadForm(challenge, jpeg);
    expect([...form.keys()]).toEqual(['key', 'Policy', 'X-Amz-Signature', 'Content-Type', 'file']);
    expect(form.get('Content-Type')).toBe('image/jpeg');
    const file = form.get('file') as Blob;
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([0xff, 0xd8, 0xff]));
  });

  it('sends one Content-Type, image/jpeg, even when the fields carry one of their own', () => {
    const jpeg = new Blob([new Uint8Array([0xff, 0xd8])], { type: 'image/jpeg' });
    const form = uploadForm({ ...challenge, uploadFields: { key: 'k', 'content-type': 'image/png' } }, jpeg);
    expect(form.getAll('Content-Type')).toEqual(['image/jpeg']);
    expect(form.has('content-type')).toBe(false);
  });
});
