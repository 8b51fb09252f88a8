/**
 * Which video frames the liveness stream describes: landmarks, embedding and anti-spoof score, about five times the
 * cost of locating the faces, which every frame gets. Frames are taken in two streams, by where the face of the frame
 * before was: in the server's oval (the frames the Confidence median and the reference image come from), or elsewhere
 * (the approach). In each stream, one frame is described in each run of frames, drawn with crypto.randomInt when the
 * run starts; if that frame has not exactly one face, the next one of the run that has. Before deciding, the stream
 * server tops the described in-oval frames up to a minimum, drawn at random among the others, and describes them all
 * when one of those described scores low (scoring.ts, framesToDescribe and framesToConfirm).
 *
 * What a face swap risks: the decision needs every described frame to show the reference frame's person (one of the
 * described in-oval frames), so another face shown in place of the user's goes unseen only if no described frame
 * falls on it. The client cannot know which frames those are, so it cannot place a swap around them. A swap over a
 * whole run is always seen; with runs of 3, that is any swap of 5 frames in a row of one stream (1.25 s at 4 frames a
 * second). A shorter one escapes with a chance of at most (1 - a/3)(1 - b/3), a and b its frames in the two runs it
 * touches: 4/9 for 2 frames, 2/9 for 3, 1/9 for 4 (describing every frame, it was always seen). A swap that escapes
 * also counts for nothing: its frames are neither in the Confidence median nor among the reference image's candidates,
 * and the client cannot pick which of its frames are, so a spoof has to hold for the whole stay in the oval.
 */
import { randomInt } from 'node:crypto';

/** Where the face was in the frame before: the two streams frames are taken in. */
export type FramePlace = 'in-oval' | 'elsewhere';

export interface CloseLookPolicy {
  /** Of each run of this many frames after one with the face in the oval, one is described; 1 describes all. */
  inOvalRun: number;
  /** The same for the other frames. */
  elsewhereRun: number;
}

/** A uniform integer 0..max-1. */
export type RandomIndex = (max: number) => number;

/** One stream's runs: the frame drawn in the current run, and whether the run has had its described frame. */
class Runs {
  private seen = 0;
  private chosen = 0;
  private taken = false;

  constructor(
    private readonly length: number,
    private readonly pick: RandomIndex,
  ) {}

  wants(): boolean {
    const index = this.seen++;
    if (index % this.length === 0) {
      this.chosen = index + this.pick(this.length);
      this.taken = false;
    }
    return !this.taken && index >= this.chosen;
  }

  described(): void {
    this.taken = true;
  }
}

export class CloseLookSampler {
  private readonly streams: Record<FramePlace, Runs>;
  private last: FramePlace = 'elsewhere';

  constructor(
    policy: CloseLookPolicy,
    /** Tests inject their own. */
    pick: RandomIndex = randomInt,
  ) {
    CloseLookSampler.checkPolicy(policy);
    this.streams = { 'in-oval': new Runs(policy.inOvalRun, pick), elsewhere: new Runs(policy.elsewhereRun, pick) };
  }

  static checkPolicy(policy: CloseLookPolicy): void {
    for (const run of [policy.inOvalRun, policy.elsewhereRun]) {
      if (!Number.isInteger(run) || run < 1) throw new Error(`a run of frames to describe one in must be a positive integer, got ${run}`);
    }
  }

  /** Whether the next frame is to be described if it shows exactly one face; asked for every frame, in order. */
  wants(place: FramePlace): boolean {
    this.last = place;
    return this.streams[place].wants();
  }

  /** The frame last asked about was described: the rest of its run is not. */
  described(): void {
    this.streams[this.last].described();
  }
}

/** `count` of the items (all when there are fewer), drawn at random without replacement, in their order. */
export function drawAtRandom<T>(items: readonly T[], count: number, pick: RandomIndex = randomInt): T[] {
  const indices = items.map((_, index) => index);
  const drawn = Math.max(0, Math.min(count, items.length));
  for (let i = 0; i < drawn; i += 1) {
    const j = i + pick(indices.length - i);
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices
    .slice(0, drawn)
    .sort((a, b) => a - b)
    .map((index) => items[index]!);
}
