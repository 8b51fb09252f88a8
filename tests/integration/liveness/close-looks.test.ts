/**
 * Which frames of a liveness stream are described: one in each run, in the oval and elsewhere apart, at a place the
 * client cannot know; and the random draw the top-up uses.
 */
import { CloseLookSampler, drawAtRandom, type FramePlace } from '../../../local/rekognition/liveness/close-looks';

interface Frame {
  /** Where the face was in the frame before. */
  place: FramePlace;
  singleFace: boolean;
}

const elsewhere = (count: number, singleFace: (index: number) => boolean = () => true): Frame[] =>
  Array.from({ length: count }, (_, index) => ({ place: 'elsewhere', singleFace: singleFace(index) }));

/** Asks about the frames in order; returns the indices described. */
function describedFrames(sampler: CloseLookSampler, frames: Frame[]): number[] {
  const described: number[] = [];
  frames.forEach(({ place, singleFace }, index) => {
    if (sampler.wants(place) && singleFace) {
      sampler.described();
      described.push(index);
    }
  });
  return described;
}

it('describes the frame drawn for each run, and no other of that run', () => {
  const draws = [1, 0, 2];
  const sampler = new CloseLookSampler({ inOvalRun: 3, elsewhereRun: 3 }, () => draws.shift()!);
  expect(describedFrames(sampler, elsewhere(9))).toEqual([1, 3, 8]);
});

it('describes the next single-face frame of the run when the drawn one has none or several faces', () => {
  const sampler = new CloseLookSampler({ inOvalRun: 3, elsewhereRun: 3 }, () => 0);
  expect(
    describedFrames(
      sampler,
      elsewhere(6, (index) => index !== 0 && index !== 3 && index !== 4),
    ),
  ).toEqual([1, 5]);
});

it('describes nothing in a run whose frames from the drawn one on have no single face', () => {
  const sampler = new CloseLookSampler({ inOvalRun: 2, elsewhereRun: 2 }, () => 1);
  expect(
    describedFrames(
      sampler,
      elsewhere(4, (index) => index !== 1),
    ),
  ).toEqual([3]);
});

it('counts the runs of frames after one in the oval apart from the others, each with its own length', () => {
  const sampler = new CloseLookSampler({ inOvalRun: 2, elsewhereRun: 4 }, (max) => max - 1);
  // Four approach frames (one run of 4: its last), then six in the oval (three runs of 2: the second of each).
  const frames: Frame[] = [...elsewhere(4), ...Array.from({ length: 6 }, (): Frame => ({ place: 'in-oval', singleFace: true }))];
  expect(describedFrames(sampler, frames)).toEqual([3, 5, 7, 9]);
});

it('carries a run on when the face leaves the oval and comes back', () => {
  const sampler = new CloseLookSampler({ inOvalRun: 3, elsewhereRun: 5 }, (max) => max - 1);
  const places: FramePlace[] = ['in-oval', 'in-oval', 'elsewhere', 'in-oval', 'in-oval', 'in-oval'];
  // In the oval: frames 0, 1, 3 make the first run (its third, frame 3, is described), 4 and 5 start the next.
  expect(
    describedFrames(
      sampler,
      places.map((place) => ({ place, singleFace: true })),
    ),
  ).toEqual([3]);
});

it('describes every frame with runs of one', () => {
  const sampler = new CloseLookSampler({ inOvalRun: 1, elsewhereRun: 1 });
  const frames: Frame[] = [...elsewhere(3), { place: 'in-oval', singleFace: true }, { place: 'in-oval', singleFace: true }];
  expect(describedFrames(sampler, frames)).toEqual([0, 1, 2, 3, 4]);
});

it('draws with an unpredictable source by default, within each run', () => {
  const described = describedFrames(new CloseLookSampler({ inOvalRun: 2, elsewhereRun: 2 }), elsewhere(200));
  expect(described).toHaveLength(100);
  expect(described.every((index, run) => Math.floor(index / 2) === run)).toBe(true);
  expect(described.some((index) => index % 2 === 0) && described.some((index) => index % 2 === 1)).toBe(true);
});

it('refuses a run length that is not a positive integer', () => {
  expect(() => new CloseLookSampler({ inOvalRun: 0, elsewhereRun: 1 })).toThrow('positive integer');
  expect(() => new CloseLookSampler({ inOvalRun: 1, elsewhereRun: 1.5 })).toThrow('positive integer');
});

it('draws the asked number of different items at random, and keeps their order', () => {
  const draws = [4, 0, 1];
  expect(drawAtRandom(['a', 'b', 'c', 'd', 'e'], 3, (max) => Math.min(draws.shift()!, max - 1))).toEqual(['b', 'd', 'e']);
  const drawn = drawAtRandom([...'abcdefghij'], 4);
  expect(new Set(drawn).size).toBe(4);
  expect(drawn).toEqual([...drawn].sort());
});

it('draws every item when asked for more than there are, and none when asked for none', () => {
  expect(drawAtRandom([1, 2, 3], 5)).toEqual([1, 2, 3]);
  expect(drawAtRandom([1, 2, 3], 0)).toEqual([]);
  expect(drawAtRandom([1, 2, 3], -2)).toEqual([]);
});
