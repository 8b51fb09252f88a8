/**
 * ID cards for the tests that enroll through the stack, which checks that an enrollment photo shows an identity
 * document (DocumentCheck): a photographed passport data page from the project's generator, carrying a test face.
 */
import type { RekognitionClient } from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { headAndShoulders, makeIdCard } from '../../local/rekognition/engine/evaluation/id-card';
import { locateFace } from '../../local/rekognition/liveness-client/client';

/** A passport whose portrait is the face in `photo` (found by the stack's DetectFaces); the same seed, the same card. */
export async function idCardOf(rekognition: RekognitionClient, photo: Buffer, seed: string): Promise<Buffer> {
  // The photo as the engine sees it (EXIF-upright), so the detected box and the crop agree.
  const upright = await sharp(photo).rotate().jpeg({ quality: 95 }).toBuffer({ resolveWithObject: true });
  const face = await locateFace(rekognition, upright.data);
  const { width, height } = upright.info;
  const box = { left: face.left * width, top: face.top * height, width: face.width * width, height: face.height * height };
  const card = await makeIdCard(upright.data, { seed, layout: 'passport', portraitCrop: headAndShoulders(box, width, height) });
  return card.image;
}

/** A passport printing `photo` as its portrait, cropped at the centre: for a portrait with no face, or several. */
export async function passportPrinting(photo: Buffer, seed: string): Promise<Buffer> {
  return (await makeIdCard(photo, { seed, layout: 'passport' })).image;
}
