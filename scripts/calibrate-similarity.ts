/**
 * Calibrates the engine's cosine -> Similarity map on LFW View 1 devtrain (npm run calibrate:faces).
 * Every image the devtrain pairs use is embedded; every same-identity and every cross-identity pair among them is
 * scored. Similarity 90 is put where the impostor false match rate is at most TARGET_FMR / FMR_MARGIN, and the
 * map's slope so that the genuine median reads 99. Writes local/rekognition/engine/calibration.json.
 * Flags: --data DIR (the face data folder holding lfw-view1/; default ../shared/data/faces from the repository root),
 * --no-cache (re-embed everything), --dry-run (print, do not write).
 */
import { writeFileSync } from 'node:fs';
import { createFaceEngine } from '../local/rekognition/engine/index';
import { MODEL_FILES } from '../local/rekognition/engine/models';
import { CALIBRATION_FILE, cosineAtSimilarity, similarityFromCosine } from '../local/rekognition/engine/similarity';
import {
  allPairCosines,
  dataDirFrom,
  embedImages,
  imagesOf,
  lfwDirOf,
  lfwSource,
  quantile,
  rateAtOrAbove,
  readPairs,
} from '../local/rekognition/engine/evaluation/lfw';

/** What Similarity 90 must guarantee: at most 1 false match in 1,000 impostor comparisons. */
const TARGET_FMR = 1e-3;
/**
 * Calibrate a fifth under the target so sampling noise (LFW identities are not a random population) keeps us under
 * it. A margin of 2 cost about half a point of TMR on devtrain; devtest (photos and ID cards) and the held-out View 2
 * check show whether this margin holds.
 */
const FMR_MARGIN = 1.25;

/** The lowest cosine t with FMR(score >= t) <= maxFmr. */
function thresholdForFmr(impostor: Float64Array, maxFmr: number): number {
  const sorted = Float64Array.from(impostor).sort().reverse();
  const allowed = Math.floor(maxFmr * sorted.length);
  // Any t just above the (allowed+1)-th highest impostor admits exactly `allowed` of them.
  const boundary = sorted[allowed]!;
  return boundary + 1e-6;
}

const args = new Set(process.argv.slice(2));
const lfwDir = lfwDirOf(dataDirFrom(process.argv.slice(2)));
const engine = await createFaceEngine();
const pairs = readPairs(lfwDir, 'pairs_devtrain.csv');
const images = imagesOf(pairs);
const started = Date.now();
const embeddings = await embedImages(engine, lfwSource(lfwDir), images, {
  useCache: !args.has('--no-cache'),
  onProgress: (done, total) => {
    if (done % 250 === 0 || done === total)
      process.stderr.write(`embedded ${done}/${total} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  },
});
const { genuine, impostor, missing } = allPairCosines(embeddings);
if (missing.length > 0) console.log(`no face found in ${missing.length} of ${images.length} images: ${missing.join(', ')}`);

const t90 = thresholdForFmr(impostor, TARGET_FMR / FMR_MARGIN);
const genuineMedian = quantile(genuine, 0.5);
if (!(genuineMedian > t90))
  throw new Error(`genuine median cosine ${genuineMedian} is not above t90 ${t90}: the model cannot be calibrated`);
// 90 at t90 and 99 at the genuine median fix both parameters of the logistic map.
const k = Math.log(11) / (genuineMedian - t90);
const c = t90 - Math.log(9) / k;
const calibration = {
  map: '100 / (1 + exp(-k (cos - c)))',
  k,
  c,
  t90,
  targetFmrAt90: TARGET_FMR,
  fmrMargin: FMR_MARGIN,
  dataset: 'LFW View 1 devtrain (deep-funneled), all pairs among the images of pairs_devtrain.csv',
  images: images.length,
  imagesWithoutFace: missing.length,
  genuinePairs: genuine.length,
  impostorPairs: impostor.length,
  genuineMedianCosine: genuineMedian,
  fmrAt90: rateAtOrAbove(impostor, t90),
  tmrAt90: rateAtOrAbove(genuine, t90),
  date: new Date().toISOString(),
  modelSha256: Object.fromEntries(Object.values(MODEL_FILES).map(({ file, sha256 }) => [file, sha256])),
};

console.log(
  `impostor cosine: p50 ${quantile(impostor, 0.5).toFixed(3)}, p99.9 ${quantile(impostor, 0.999).toFixed(3)}, ` +
    `max ${quantile(impostor, 1).toFixed(3)}`,
);
console.log(
  `genuine cosine: p1 ${quantile(genuine, 0.01).toFixed(3)}, p5 ${quantile(genuine, 0.05).toFixed(3)}, p50 ${genuineMedian.toFixed(3)}`,
);
for (const similarity of [80, 85, 90, 95, 99]) {
  const t = cosineAtSimilarity(similarity, calibration.k, calibration.c);
  console.log(
    `Similarity ${similarity}: cosine ${t.toFixed(3)}, FMR ${(rateAtOrAbove(impostor, t) * 100).toFixed(4)}%, ` +
      `TMR ${(rateAtOrAbove(genuine, t) * 100).toFixed(2)}%`,
  );
}
console.log(`check: Similarity(t90) = ${similarityFromCosine(calibration.t90, calibration).toFixed(2)}`);
console.log(JSON.stringify(calibration, null, 2));
if (!args.has('--dry-run')) {
  writeFileSync(CALIBRATION_FILE, `${JSON.stringify(calibration, null, 2)}\n`);
  console.log(`wrote ${CALIBRATION_FILE}`);
}
