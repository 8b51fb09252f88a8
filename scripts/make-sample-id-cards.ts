/**
 * Makes samples/<person>/id-card.jpg from each sample person's id-photo.jpg with the ID-card generator
 * (npm run samples:id-cards). The portrait is a passport-style head-and-shoulders crop around the photo's largest
 * face; the layouts take turns; the seed is the person's folder name, so a rerun gives the same files. Prints, per
 * person, the layout and the Similarity of the card to the person's selfie (the table in samples/ATTRIBUTION.md).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createFaceEngine } from '../local/rekognition/engine/index';
import { DOCUMENT_LAYOUTS, headAndShoulders, makeIdCard } from '../local/rekognition/engine/evaluation/id-card';

const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));

const engine = await createFaceEngine();
const people = readdirSync(SAMPLES)
  .filter((name) => statSync(path.join(SAMPLES, name)).isDirectory())
  .sort();
for (const [index, person] of people.entries()) {
  // The photo as the engine decodes it (EXIF-upright, at most 1600 px), so the face box and the crop agree.
  const photo = await sharp(readFileSync(path.join(SAMPLES, person, 'id-photo.jpg')))
    .rotate()
    .jpeg({ quality: 95 })
    .toBuffer();
  const { width, height, faces } = await engine.analyse(photo);
  const face = faces[0];
  if (!face) throw new Error(`${person}/id-photo.jpg: no face found`);
  const box = { left: face.box.left * width, top: face.box.top * height, width: face.box.width * width, height: face.box.height * height };
  const layout = DOCUMENT_LAYOUTS[index % DOCUMENT_LAYOUTS.length]!;
  const card = await makeIdCard(photo, { seed: person, layout, portraitCrop: headAndShoulders(box, width, height) });
  writeFileSync(path.join(SAMPLES, person, 'id-card.jpg'), card.image);
  const [onCard, selfie] = await Promise.all([
    engine.analyse(card.image),
    engine.analyse(readFileSync(path.join(SAMPLES, person, 'selfie.jpg'))),
  ]);
  if (!onCard.faces[0] || !selfie.faces[0]) throw new Error(`${person}: no face on the card or in the selfie`);
  const similarity = engine.similarity(onCard.faces[0].embedding, selfie.faces[0].embedding);
  console.log(`${person}\t${layout}\t${card.width}x${card.height}\t${similarity.toFixed(1)}`);
}
