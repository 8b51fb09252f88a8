/**
 * Which video frames the liveness stream describes (embedding and anti-spoof score, about four times the cost of
 * locating the faces): one in each run of `runLength` frames, chosen at random when the run starts; if that frame
 * has not exactly one face, the next one of the run that has. The client cannot tell which frame of a run is looked
 * at, so a face swapped in for a whole run is always seen, and for part of one with a chance it cannot lower.
 */
import { randomInt } from 'node:crypto';

export class CloseLookSampler {
  private chosen = 0;
  private taken = false;

  constructor(
    private readonly runLength: number,
    /** A uniform integer 0..max-1; tests inject their own. */
    private readonly pick: (max: number) => number = randomInt,
  ) {
    CloseLookSampler.checkRunLength(runLength);
  }

  static checkRunLength(runLength: number): void {
    if (!Number.isInteger(runLength) || runLength < 1) throw new Error(`describeOneFrameIn must be a positive integer, got ${runLength}`);
  }

  /** Whether frame `index` is to be described if it shows exactly one face; asked for every frame, in order. */
  wants(index: number): boolean {
    if (index % this.runLength === 0) {
      this.chosen = index + this.pick(this.runLength);
      this.taken = false;
    }
    return !this.taken && index >= this.chosen;
  }

  /** The frame last asked about was described: the rest of its run is not. */
  described(): void {
    this.taken = true;
  }
}
