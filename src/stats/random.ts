/**
 * A small seeded pseudo-random generator (mulberry32: a 32-bit state, one multiply-xorshift round per
 * draw). Every random choice in iovasim goes through one of these, so a seed fixes a whole run.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform draw in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A generator for a derived stream (e.g. one per job) that does not overlap this one's choices. */
  fork(salt: number): SeededRandom {
    return new SeededRandom(Math.imul(this.state ^ Math.imul(salt + 1, 0x9e3779b9), 0x85ebca6b) ^ salt);
  }
}
