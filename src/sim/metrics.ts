/**
 * What a simulation run measures. Latencies and allocation costs go into log-linear histograms
 * (fixed memory however long the run); totals are plain counters; time series sample every interval.
 *
 * The histogram is fio's layout (stat.h: FIO_IO_U_PLAT_BITS = 6): each power of two is split into
 * 64 equal sub-buckets, so a bucket is at most 1/64 (1.6 %) of its values wide, and values below 64
 * (integer nanoseconds, integer steps) each get a bucket of their own. Two percentiles that differ
 * by more than that land in different buckets. Within a bucket a percentile is interpolated
 * linearly by rank between the bucket's edges, narrowed to the smallest and largest value recorded
 * (as Prometheus' histogram_quantile does), so two percentiles of one bucket still come out in
 * order and apart, and a run whose I/Os all took the same time reports that time for every
 * percentile; the error stays within the bucket's width (values below 1, in practice zero steps,
 * share bucket 0 and read as the smallest of them). 49 powers of two (1 to 2^48) take 3,136
 * counters; recording is a few integer operations and allocates nothing.
 */

const POWERS_OF_TWO = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);
const OCTAVES = 49;

/** A log-linear histogram: 64 buckets per power of two, from 1 to 2^48; percentiles to within 1.6 %. */
export class LogHistogram {
  static readonly SUB_BUCKETS = 64;
  /** Bucket 0 holds values below 1 (zero steps, say); buckets 1.. the 49 powers of two from 1. */
  static readonly BUCKETS = 1 + OCTAVES * LogHistogram.SUB_BUCKETS;
  readonly counts = new Float64Array(LogHistogram.BUCKETS);
  count = 0;
  sum = 0;
  max = 0;
  min = Number.POSITIVE_INFINITY;

  record(value: number): void {
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
    this.counts[LogHistogram.bucketOf(value)]++;
  }

  static bucketOf(value: number): number {
    if (value < 1) return 0;
    // Below 2^32 the exponent is a count of leading zeros, far cheaper than a logarithm.
    const exponent = value < 4294967296 ? 31 - Math.clz32(value) : Math.floor(Math.log2(value));
    const fraction = value / POWERS_OF_TWO[exponent] - 1;
    return Math.min(1 + exponent * LogHistogram.SUB_BUCKETS + Math.floor(fraction * LogHistogram.SUB_BUCKETS), LogHistogram.BUCKETS - 1);
  }

  /** The upper edge of a bucket. */
  static bucketLimit(bucket: number): number {
    if (bucket === 0) return 1;
    const exponent = Math.floor((bucket - 1) / LogHistogram.SUB_BUCKETS);
    const sub = (bucket - 1) % LogHistogram.SUB_BUCKETS;
    return 2 ** exponent * (1 + (sub + 1) / LogHistogram.SUB_BUCKETS);
  }

  /** The lower edge of a bucket. */
  static bucketStart(bucket: number): number {
    return bucket === 0 ? 0 : LogHistogram.bucketLimit(bucket - 1);
  }

  /**
   * The p-th percentile (nearest rank): in the bucket holding that rank, interpolated by rank
   * between the bucket's edges narrowed to [min, max].
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      const inBucket = this.counts[bucket];
      if (seen + inBucket >= rank) {
        // Below 1 there is no scale to interpolate on: such values (zero steps) read as the smallest.
        if (bucket === 0) return this.min;
        const low = Math.max(LogHistogram.bucketStart(bucket), this.min);
        const high = Math.min(LogHistogram.bucketLimit(bucket), this.max);
        return low + ((rank - seen) / inBucket) * (high - low);
      }
      seen += inBucket;
    }
    return this.max;
  }

  /**
   * The cumulative distribution: for each non-empty bucket, its upper edge and the fraction at or
   * below. Beyond `maxPoints` non-empty buckets, evenly spaced ones are kept (and always the last,
   * the maximum), so a wide distribution still draws as one chart of bounded size.
   */
  cdf(maxPoints = 256): { value: number; fraction: number }[] {
    const points: { value: number; fraction: number }[] = [];
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      if (this.counts[bucket] === 0) continue;
      seen += this.counts[bucket];
      points.push({ value: Math.min(LogHistogram.bucketLimit(bucket), this.max), fraction: seen / this.count });
    }
    if (points.length <= maxPoints) return points;
    const step = points.length / (maxPoints - 1);
    const kept: { value: number; fraction: number }[] = [];
    for (let i = 0; i < maxPoints - 1; i++) kept.push(points[Math.floor(i * step)]);
    kept.push(points[points.length - 1]);
    return kept;
  }

  /** Adds another histogram's samples to this one. */
  add(other: LogHistogram): void {
    for (let bucket = 0; bucket < this.counts.length; bucket++) this.counts[bucket] += other.counts[bucket];
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
    if (other.min < this.min) this.min = other.min;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
    this.min = Number.POSITIVE_INFINITY;
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
