/**
 * @jest-environment ./tests/integration/engine/shared-typed-arrays-environment.cjs
 *
 * The local face engine on real photos with the real models (no mocks). All engine tests live in this one file:
 * onnxruntime-node is a native addon and loads once per jest module registry; the environment above lets its
 * output tensors pass onnxruntime-common's checks inside jest's sandbox.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  createFaceEngine,
  ImageDimensionError,
  ImageFormatError,
  ModelIntegrityError,
  type AnalysedImage,
  type FaceEngine,
} from '../../../local/rekognition/engine/index';
import { DOCUMENT_LAYOUTS, makeIdCard } from '../../../local/rekognition/engine/evaluation/id-card';
import { DEFAULT_MODEL_DIR, MODEL_FILES } from '../../../local/rekognition/engine/models';

const FIXTURES = fileURLToPath(new URL('../../fixtures/faces/', import.meta.url));
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

let engine: FaceEngine;
beforeAll(async () => {
  engine = await createFaceEngine();
});

async function onlyFace(image: Buffer | Parameters<FaceEngine['analyse']>[0]) {
  const { faces } = await engine.analyse(image);
  expect(faces).toHaveLength(1);
  return faces[0]!;
}

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, v, i) => sum + v * b[i]!, 0);
}

describe('recognition', () => {
  it('scores two photos of the same person at Similarity 90 or more', async () => {
    const a = await onlyFace(await fixture('engine-lfw-george_w_bush_0353.jpg'));
    const b = await onlyFace(await fixture('engine-lfw-george_w_bush_0407.jpg'));
    expect(engine.similarity(a.embedding, b.embedding)).toBeGreaterThanOrEqual(90);
  });

  it('scores photos of two different people below Similarity 90', async () => {
    const a = await onlyFace(await fixture('engine-lfw-george_w_bush_0353.jpg'));
    const b = await onlyFace(await fixture('engine-lfw-aj_cook_0001.jpg'));
    expect(engine.similarity(a.embedding, b.embedding)).toBeLessThan(90);
  });

  it('returns L2-normalised 512-d embeddings and a symmetric Similarity within 0-100', async () => {
    const a = await onlyFace(await fixture('engine-lfw-george_w_bush_0353.jpg'));
    const b = await onlyFace(await fixture('engine-lfw-aj_cook_0001.jpg'));
    expect(a.embedding).toHaveLength(512);
    expect(cosine(a.embedding, a.embedding)).toBeCloseTo(1, 5);
    const ab = engine.similarity(a.embedding, b.embedding);
    expect(ab).toBeCloseTo(engine.similarity(b.embedding, a.embedding), 10);
    expect(ab).toBeGreaterThanOrEqual(0);
    expect(engine.similarity(a.embedding, a.embedding)).toBeLessThanOrEqual(100);
  });
});

describe('detection', () => {
  it('finds no face in a photo of a plain wall', async () => {
    // The top-left corner of the group selfie is the lift wall behind the people.
    const wall = await sharp(await fixture('engine-group-selfie.jpg'))
      .extract({ left: 0, top: 0, width: 200, height: 180 })
      .jpeg()
      .toBuffer();
    const analysed = await engine.analyse(wall);
    expect(analysed.faces).toEqual([]);
    expect([analysed.width, analysed.height]).toEqual([200, 180]);
  });

  it('keeps every face of the group photo, the largest one cut by the edge included', async () => {
    const { faces } = await engine.analyse(await fixture('engine-group-selfie.jpg'));
    expect(faces).toHaveLength(6);
    expect(faces[0]!.box.left + faces[0]!.box.width).toBeGreaterThan(0.99);
  });

  it('finds several faces in a group photo, largest first', async () => {
    const { faces } = await engine.analyse(await fixture('engine-group-selfie.jpg'));
    expect(faces.length).toBeGreaterThanOrEqual(4);
    const areas = faces.map((f) => f.box.width * f.box.height);
    expect(areas).toEqual([...areas].sort((p, q) => q - p));
  });

  it('describes a face with a box, five landmarks inside it, pose, quality and confidence on their scales', async () => {
    const face = await onlyFace(await fixture('engine-lfw-george_w_bush_0353.jpg'));
    const { box } = face;
    // LFW photos are centred on their subject.
    expect(box.left + box.width / 2).toBeCloseTo(0.5, 1);
    expect(box.top + box.height / 2).toBeCloseTo(0.5, 1);
    expect(face.landmarks.map((l) => l.type)).toEqual(['eyeLeft', 'eyeRight', 'nose', 'mouthLeft', 'mouthRight']);
    for (const { x, y } of face.landmarks) {
      expect(x).toBeGreaterThan(box.left);
      expect(x).toBeLessThan(box.left + box.width);
      expect(y).toBeGreaterThan(box.top);
      expect(y).toBeLessThan(box.top + box.height);
    }
    expect(face.confidence).toBeGreaterThanOrEqual(70);
    expect(face.confidence).toBeLessThanOrEqual(100);
    expect(Math.abs(face.pose.roll)).toBeLessThan(10);
    expect(Math.abs(face.pose.yaw)).toBeLessThan(30);
    expect(Math.abs(face.pose.pitch)).toBeLessThan(30);
    for (const value of Object.values(face.quality)) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThan(100);
    }
  });

  it('finds a faint face that the whole-image pass misses, with the level-stretched second pass', async () => {
    // At 15% contrast the detector scores this face under 0.1 in the whole 1100x800 image.
    const faint = await sharp(await fixture('engine-lfw-george_w_bush_0353.jpg'))
      .resize(300)
      .linear(0.15, 149)
      .jpeg()
      .toBuffer();
    const scene = await sharp({ create: { width: 1100, height: 800, channels: 3, background: '#a8a8a8' } })
      .composite([{ input: faint, left: 120, top: 200 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const face = await onlyFace(scene);
    expect(face.box.left).toBeGreaterThan(120 / 1100);
    expect(face.box.left + face.box.width).toBeLessThan(420 / 1100);
  });

  it.each(DOCUMENT_LAYOUTS)('finds the portrait on a photographed %s and matches it to another photo at Similarity 90', async (layout) => {
    const card = await makeIdCard(await fixture('engine-lfw-george_w_bush_0353.jpg'), { seed: `engine-${layout}`, layout });
    const { faces } = await engine.analyse(card.image);
    const other = await onlyFace(await fixture('engine-lfw-george_w_bush_0407.jpg'));
    expect(engine.similarity(faces[0]!.embedding, other.embedding)).toBeGreaterThanOrEqual(90);
  });

  it('measures the roll of a face tilted by 20 degrees', async () => {
    const upright = await onlyFace(await fixture('engine-lfw-george_w_bush_0353.jpg'));
    // sharp rotates clockwise for positive angles; in image coordinates (y down) that is a positive roll.
    const tilted = await sharp(await fixture('engine-lfw-george_w_bush_0353.jpg'))
      .rotate(20, { background: '#808080' })
      .jpeg()
      .toBuffer();
    const face = await onlyFace(tilted);
    expect(face.pose.roll - upright.pose.roll).toBeCloseTo(20, -1);
  });

  it('reads a blurred face as less sharp than the original', async () => {
    const sharpFace = await onlyFace(await fixture('engine-lfw-george_w_bush_0353.jpg'));
    const blurred = await sharp(await fixture('engine-lfw-george_w_bush_0353.jpg'))
      .blur(2)
      .jpeg()
      .toBuffer();
    expect((await onlyFace(blurred)).quality.sharpness).toBeLessThan(sharpFace.quality.sharpness);
  });
});

describe('input handling', () => {
  it('refuses text renamed .jpg with ImageFormatError', async () => {
    await expect(engine.analyse(Buffer.from('this is not an image, just text in a file called photo.jpg\n'))).rejects.toThrow(
      ImageFormatError,
    );
  });

  it('refuses a truncated JPEG with ImageFormatError', async () => {
    const jpeg = await fixture('engine-lfw-aj_cook_0001.jpg');
    await expect(engine.analyse(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).rejects.toThrow(ImageFormatError);
  });

  it('refuses formats other than JPEG and PNG, even when sharp could read them', async () => {
    const webp = await sharp(await fixture('engine-lfw-aj_cook_0001.jpg'))
      .webp()
      .toBuffer();
    await expect(engine.analyse(webp)).rejects.toThrow(ImageFormatError);
  });

  it('refuses a 1x1 image with ImageDimensionError', async () => {
    const dot = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    await expect(engine.analyse(dot)).rejects.toThrow(ImageDimensionError);
  });

  it('refuses an image over 100 megapixels with ImageDimensionError before decoding it', async () => {
    // A decompression bomb: a few hundred bytes whose PNG header claims 20000x20000 pixels.
    const chunk = (type: string, body: Buffer) => {
      const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(body.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(typed));
      return Buffer.concat([length, typed, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(20000, 0);
    header.writeUInt32BE(20000, 4);
    header.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(Buffer.alloc(60001))),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    await expect(engine.analyse(bomb)).rejects.toThrow(ImageDimensionError);
  });

  it('decodes a 20-megapixel photo within its limits, shrunk to fit 1600 px', async () => {
    const large = await sharp(await fixture('engine-group-selfie.jpg'))
      .resize(5472, 3648, { fit: 'fill' })
      .jpeg({ quality: 85 })
      .toBuffer();
    const analysed: AnalysedImage = await engine.analyse(large);
    expect([analysed.width, analysed.height]).toEqual([1600, 1067]);
    expect(analysed.faces.length).toBeGreaterThanOrEqual(4);
  });

  it('reads EXIF orientation: a rotated file tagged to display upright gives the upright embedding', async () => {
    const original = await fixture('engine-lfw-george_w_bush_0353.jpg');
    const { data, info } = await sharp(original).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
    const upright = await sharp(data, raw).png().toBuffer();
    // Orientation 6 means "rotate 90 degrees clockwise to display": store the pixels turned the other way.
    const stored = await sharp(data, raw).rotate(270).png().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(stored).metadata()).orientation).toBe(6);
    const a = await onlyFace(upright);
    const b = await onlyFace(stored);
    expect(cosine(a.embedding, b.embedding)).toBeGreaterThan(0.9999);
  });

  it('reads greyscale and 16-bit PNGs as the same face as the 8-bit colour original', async () => {
    const original = await fixture('engine-lfw-george_w_bush_0353.jpg');
    const reference = await onlyFace(original);
    for (const colourspace of ['b-w', 'grey16', 'rgb16'] as const) {
      const png = await sharp(original).toColourspace(colourspace).png().toBuffer();
      expect(engine.similarity(reference.embedding, (await onlyFace(png)).embedding)).toBeGreaterThan(99);
    }
  });

  it('accepts raw RGB frames and finds the same face as in the encoded image', async () => {
    const png = await sharp(await fixture('engine-lfw-aj_cook_0001.jpg'))
      .png()
      .toBuffer();
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const fromRaw = await onlyFace({ data, width: info.width, height: info.height, channels: 3 });
    const fromPng = await onlyFace(png);
    expect(cosine(fromRaw.embedding, fromPng.embedding)).toBeGreaterThan(0.9999);
    expect(fromRaw.box).toEqual(fromPng.box);
  });

  it('refuses a raw frame whose buffer does not match its size with ImageFormatError', async () => {
    await expect(engine.analyse({ data: Buffer.alloc(100 * 100 * 3 - 1), width: 100, height: 100, channels: 3 })).rejects.toThrow(
      ImageFormatError,
    );
  });
});

describe('liveness', () => {
  it('gives a probability between 0 and 1 for a face in a colour frame', async () => {
    const photo = await fixture('engine-group-selfie.jpg');
    const { faces } = await engine.analyse(photo);
    const probability = await engine.liveProbability(photo, faces[0]!);
    expect(probability).toBeGreaterThanOrEqual(0);
    expect(probability).toBeLessThanOrEqual(1);
  });
});

describe('model integrity', () => {
  it('refuses to load a model file whose sha256 differs from the vendored one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tampered-models-'));
    try {
      for (const { file } of Object.values(MODEL_FILES)) await copyFile(path.join(DEFAULT_MODEL_DIR, file), path.join(dir, file));
      const target = path.join(dir, MODEL_FILES.feature.file);
      const bytes = await readFile(target);
      const last = bytes.length - 1;
      bytes[last] = bytes[last]! ^ 0xff;
      await writeFile(target, bytes);
      await expect(createFaceEngine({ modelDir: dir })).rejects.toThrow(ModelIntegrityError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
