/** Which frames of a liveness stream are described: one in each run, at a place the client cannot know. */
import { CloseLookSampler } from '../../../local/rekognition/liveness/close-looks';

/** Asks about frames 0..count-1 in order; `singleFace(i)` says whether frame i shows exactly one face. */
function describedFrames(sampler: CloseLookSampler, count: number, singleFace: (index: number) => boolean = () => true): number[] {
  const described: number[] = [];
  for (let index = 0; index < count; index += 1) {
    if (sampler.wants(index) && singleFace(index)) {
      sampler.described();
      described.push(index);
    }
  }
  return described;
}

it('describes the frame drawn for each run, and no other of that run', () => {
  const draws = [1, 0, 2];
  const sampler = new CloseLookSampler(3, () => draws.shift()!);
  expect(describedFrames(sampler, 9)).toEqual([1, 3, 8]);
});

it('describes the next single-face frame of the run when the drawn one has none or several faces', () => {
  const sampler = new CloseLookSampler(3, () => 0);
  expect(describedFrames(sampler, 6, (index) => index !== 0 && index !== 3 && index !== 4)).toEqual([1, 5]);
});

it('describes nothing in a run whose frames from the drawn one on have no single face', () => {
  const sampler = new CloseLookSampler(2, () => 1);
  expect(describedFrames(sampler, 4, (index) => index !== 1)).toEqual([3]);
});

it('describes every frame with runs of one', () => {
  expect(describedFrames(new CloseLookSampler(1), 5)).toEqual([0, 1, 2, 3, 4]);
});

it('draws with an unpredictable source by default, within each run', () => {
  const described = describedFrames(new CloseLookSampler(2), 200);
  expect(described).toHaveLength(100);
  expect(described.every((index, run) => Math.floor(index / 2) === run)).toBe(true);
  expect(described.some((index) => index % 2 === 0) && described.some((index) => index % 2 === 1)).toBe(true);
});

it('refuses a run length that is not a positive integer', () => {
  expect(() => new CloseLookSampler(0)).toThrow('describeOneFrameIn');
  expect(() => new CloseLookSampler(1.5)).toThrow('describeOneFrameIn');
});
