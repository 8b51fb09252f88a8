/**
 * The Rekognition server's cache of image analyses: the same bytes are analysed once, other bytes apart, a refusal is
 * not kept, and the least recently used analysis makes room for a new one.
 */
import { AnalysisCache } from '../../local/rekognition/server/analysis-cache';
import type { AnalysedImage } from '../../local/rekognition/engine/types';

/** An analyser that records which images it was asked for; `refuse` makes the next run fail. */
function countingAnalyser() {
  const runs: string[] = [];
  let refusal: Error | undefined;
  const analyse = async (bytes: Buffer): Promise<AnalysedImage> => {
    runs.push(bytes.toString());
    if (refusal) {
      const error = refusal;
      refusal = undefined;
      throw error;
    }
    return { width: bytes.length, height: 1, faces: [] };
  };
  return { runs, analyse, refuse: (error: Error) => (refusal = error) };
}

const image = (text: string) => Buffer.from(text);

it('analyses the same bytes once, whoever sends them and however often', async () => {
  const analyser = countingAnalyser();
  const cache = new AnalysisCache(analyser.analyse);
  const first = await cache.get(image('id photo'));
  const again = await cache.get(image('id photo'));
  expect(again).toBe(first);
  expect(analyser.runs).toEqual(['id photo']);
});

it('analyses different bytes apart, even when one only extends the other', async () => {
  const analyser = countingAnalyser();
  const cache = new AnalysisCache(analyser.analyse);
  const [short, long] = await Promise.all([cache.get(image('photo')), cache.get(image('photo plus'))]);
  expect([short.width, long.width]).toEqual([5, 10]);
  expect(analyser.runs).toEqual(['photo', 'photo plus']);
});

it('gives requests for the same bytes while it runs that one run', async () => {
  const analyser = countingAnalyser();
  const cache = new AnalysisCache(analyser.analyse);
  const [a, b] = await Promise.all([cache.get(image('reference')), cache.get(image('reference'))]);
  expect(a).toBe(b);
  expect(analyser.runs).toEqual(['reference']);
});

it('keeps no refusal: the next request for those bytes runs again', async () => {
  const analyser = countingAnalyser();
  const cache = new AnalysisCache(analyser.analyse);
  analyser.refuse(new Error('ThrottlingException'));
  await expect(cache.get(image('photo'))).rejects.toThrow('ThrottlingException');
  await expect(cache.get(image('photo'))).resolves.toMatchObject({ width: 5 });
  expect(analyser.runs).toEqual(['photo', 'photo']);
});

it('forgets the least recently used analysis when full', async () => {
  const analyser = countingAnalyser();
  const cache = new AnalysisCache(analyser.analyse, 2);
  await cache.get(image('a'));
  await cache.get(image('b'));
  await cache.get(image('a'));
  await cache.get(image('c'));
  await cache.get(image('a'));
  await cache.get(image('b'));
  expect(analyser.runs).toEqual(['a', 'b', 'c', 'b']);
});

it('refuses a size that keeps nothing', () => {
  expect(() => new AnalysisCache(countingAnalyser().analyse, 0)).toThrow('maxEntries must be a positive integer, got 0');
});
