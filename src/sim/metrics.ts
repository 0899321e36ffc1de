/**
 * What a simulation run measures. Latencies and allocation costs go into log-scale histograms
 * (fixed memory however long the run); totals are plain counters; time series sample every interval.
 */

const POWERS_OF_TWO = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);

/** A histogram with 8 buckets per power of two, from 1 to 2^48; percentiles to within ~9 %. */
export class LogHistogram {
  static readonly SUB_BUCKETS = 8;
  readonly counts = new Float64Array(49 * LogHistogram.SUB_BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(value: number): void {
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    this.counts[LogHistogram.bucketOf(value)]++;
  }

  static bucketOf(value: number): number {
    if (value < 1) return 0;
    // Below 2^32 the exponent is a count of leading zeros, far cheaper than a logarithm.
    const exponent = value < 4294967296 ? 31 - Math.clz32(value) : Math.floor(Math.log2(value));
    const fraction = value / POWERS_OF_TWO[exponent] - 1;
    return Math.min(exponent * LogHistogram.SUB_BUCKETS + Math.floor(fraction * LogHistogram.SUB_BUCKETS), 49 * LogHistogram.SUB_BUCKETS - 1);
  }

  /** The upper edge of a bucket. */
  static bucketLimit(bucket: number): number {
    const exponent = Math.floor(bucket / LogHistogram.SUB_BUCKETS);
    const sub = bucket % LogHistogram.SUB_BUCKETS;
    return 2 ** exponent * (1 + (sub + 1) / LogHistogram.SUB_BUCKETS);
  }

  /** The value below which p % of the samples lie (bucket upper edge, capped by the maximum). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket];
      if (seen >= rank) return Math.min(LogHistogram.bucketLimit(bucket), this.max);
    }
    return this.max;
  }

  /** The cumulative distribution: for each non-empty bucket, its upper edge and the fraction at or below. */
  cdf(): { value: number; fraction: number }[] {
    const points: { value: number; fraction: number }[] = [];
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      if (this.counts[bucket] === 0) continue;
      seen += this.counts[bucket];
      points.push({ value: Math.min(LogHistogram.bucketLimit(bucket), this.max), fraction: seen / this.count });
    }
    return points;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }
}

/** One sample of the time series, taken at the end of each interval. */
export interface TimeSample {
  readonly timeMs: number;
  readonly iops: number;
  readonly liveIovas: number;
  readonly depotMagazines: number;
  readonly lockWaitNsPerIo: number;
}
