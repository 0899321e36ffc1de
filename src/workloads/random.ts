/**
 * Small seeded randomness for the workload generators: the mulberry32 generator, a seed mixer for
 * deriving independent per-stream seeds, a keyed permutation of [0, n) (fio's "random map": every
 * block once per pass, in constant memory) and the skewed distributions fio offers.
 * Everything is deterministic for a given seed.
 */

const TWO32 = 4294967296;

/** mulberry32: 32 bits of state, period 2^32, good enough for workload shapes (not cryptography). */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO32;
  }

  /** Uniform in (0, 1]: safe for logarithms. */
  nextOpen(): number {
    return (this.nextUint32() + 1) / TWO32;
  }

  /** Uniform integer in [0, n), unbiased for n ≤ 2^32, and with negligible bias up to 2^53. */
  below(n: number): number {
    if (!(n >= 1)) throw new RangeError(`below(${n}): n must be ≥ 1`);
    if (n === 1) return 0;
    if (n <= TWO32) {
      const limit = TWO32 - (TWO32 % n);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return x % n;
    }
    const hi = this.nextUint32() & 0x1fffff;
    const lo = this.nextUint32();
    const r = (hi * TWO32 + lo) / 9007199254740992; // [0, 1) with 53 bits
    return Math.floor(r * n);
  }
}

/** Mixes integers into a well-spread 32-bit seed (a murmur3-style finaliser over each part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.floor(part) >>> 0;
    const high = Math.floor(part / TWO32) >>> 0;
    k ^= Math.imul(high, 0x85ebca6b);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A keyed bijection on [0, n) for n ≤ 2^32: a 4-round balanced Feistel network on the smallest
 * even number of bits covering n, with cycle walking to stay below n (expected < 4 steps).
 */
export class RandomPermutation {
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: number[];

  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > TWO32) throw new RangeError(`permutation size must be in 1..2^32, not ${size}`);
    let bits = 1;
    while (2 ** bits < size) bits++;
    this.half = Math.max(1, Math.ceil(bits / 2));
    this.mask = this.half >= 32 ? 0xffffffff : (1 << this.half) - 1;
    this.keys = [mixSeed(seed, 1), mixSeed(seed, 2), mixSeed(seed, 3), mixSeed(seed, 4)];
  }

  private round(value: number, key: number): number {
    let h = Math.imul(value ^ key, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
    return (h >>> 0) & this.mask;
  }

  private encrypt(x: number): number {
    let left = Math.floor(x / 2 ** this.half) & this.mask;
    let right = x & this.mask;
    for (const key of this.keys) {
      const next = (left ^ this.round(right, key)) >>> 0;
      left = right;
      right = next & this.mask;
    }
    return left * 2 ** this.half + right;
  }

  /** The image of i (0 ≤ i < size). */
  at(i: number): number {
    if (this.size === 1) return 0;
    let y = this.encrypt(i);
    while (y >= this.size) y = this.encrypt(y);
    return y;
  }
}

/**
 * Zipf-distributed ranks in [0, n) with exponent theta (rank 0 hottest), using the Gray et al.
 * approximation fio uses (lib/zipf.c), with the generalised harmonic number summed exactly for the
 * first 100k terms and by its integral beyond.
 */
export class ZipfSampler {
  private readonly zetan: number;
  private readonly alpha: number;
  private readonly eta: number;
  private readonly halfPowTheta: number;

  constructor(
    readonly n: number,
    readonly theta: number,
  ) {
    const exact = Math.min(n, 100_000);
    let zeta = 0;
    for (let i = 1; i <= exact; i++) zeta += 1 / Math.pow(i, theta);
    if (n > exact) {
      // ∫ x^-θ dx from exact+0.5 to n+0.5 (midpoint rule for the tail).
      const a = exact + 0.5;
      const b = n + 0.5;
      zeta += (Math.pow(b, 1 - theta) - Math.pow(a, 1 - theta)) / (1 - theta);
    }
    const zeta2 = 1 + Math.pow(0.5, theta);
    this.zetan = zeta;
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta2 / zeta);
    this.halfPowTheta = Math.pow(0.5, theta);
  }

  sample(rng: Mulberry32): number {
    const u = rng.next();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < 1 + this.halfPowTheta) return Math.min(1, this.n - 1);
    const v = Math.floor(this.n * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return Math.min(Math.max(v, 0), this.n - 1);
  }
}

/** Pareto-skewed ranks in [0, n) as fio draws them: (n - 1) · u^(log h / log(1 - h)). */
export class ParetoSampler {
  private readonly power: number;

  constructor(
    readonly n: number,
    readonly h: number,
  ) {
    this.power = Math.log(h) / Math.log(1 - h);
  }

  sample(rng: Mulberry32): number {
    const v = Math.floor((this.n - 1) * Math.pow(rng.next(), this.power));
    return Math.min(Math.max(v, 0), this.n - 1);
  }
}

/** Normally distributed indices in [0, n): mean at `center`·n, standard deviation `deviation`·n, clamped. */
export class NormalSampler {
  private spare: number | undefined;

  constructor(
    readonly n: number,
    readonly deviation: number,
    readonly center = 0.5,
  ) {}

  sample(rng: Mulberry32): number {
    let z: number;
    if (this.spare !== undefined) {
      z = this.spare;
      this.spare = undefined;
    } else {
      // Box–Muller: two independent standard normals per pair of uniforms.
      const r = Math.sqrt(-2 * Math.log(rng.nextOpen()));
      const angle = 2 * Math.PI * rng.next();
      z = r * Math.cos(angle);
      this.spare = r * Math.sin(angle);
    }
    const v = Math.floor(this.center * this.n + z * this.deviation * this.n);
    return Math.min(Math.max(v, 0), this.n - 1);
  }
}
