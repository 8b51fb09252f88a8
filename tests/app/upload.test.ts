import type { EnrollChallenge } from '../../app/src/challenge';
import { photoProblem, uploadForm } from '../../app/src/upload';

const challenge: EnrollChallenge = {
  step: 'ENROLL_ID_PHOTO',
  uploadUrl: 'http://localhost:4569/face-bucket',
  uploadFields: { key: 'enrollment/sub-1/abc.jpg', Policy: 'cG9saWN5', 'X-Amz-Signature': 'f00' },
  maxBytes: 5 * 1024 * 1024,
  contentTypes: ['image/jpeg', 'image/png'],
};

describe('checking an ID photo before upload', () => {
  it('accepts a JPEG within the limit', () => {
    expect(photoProblem({ type: 'image/jpeg', size: 300_000 }, challenge)).toBeUndefined();
  });

  it('refuses another type and names the accepted ones', () => {
    expect(photoProblem({ type: 'image/heic', size: 300_000 }, challenge)).toBe(
      'This file is not a JPEG or PNG image. Choose a photo in one of those formats.',
    );
  });

  it('refuses a photo over the limit and says both sizes', () => {
    expect(photoProblem({ type: 'image/png', size: 6 * 1024 * 1024 }, challenge)).toBe(
      'This photo is 6 MB; the limit is 5 MB. Choose a smaller photo.',
    );
  });

  it('refuses an empty file', () => {
    expect(photoProblem({ type: 'image/png', size: 0 }, challenge)).toBe('This file is empty. Choose another photo.');
  });
});

describe('the presigned POST body', () => {
  it('sends every policy field, then Content-Type, then the file last', async () => {
    const photo = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' });
    const form = uploadForm(challenge, photo);
    expect([...form.keys()]).toEqual(['key', 'Policy', 'X-Amz-Signature', 'Content-Type', 'file']);
    expect(form.get('Content-Type')).toBe('image/jpeg');
    const file = form.get('file') as Blob;
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([0xff, 0xd8, 0xff]));
  });

  it('sends the photo type even when the fields carry a Content-Type of their own', () => {
    const photo = new Blob([new Uint8Array([0x89, 0x50])], { type: 'image/png' });
    const form = uploadForm({ ...challenge, uploadFields: { key: 'k', 'content-type': 'image/jpeg' } }, photo);
    expect(form.getAll('Content-Type')).toEqual(['image/png']);
    expect(form.has('content-type')).toBe(false);
  });
});
