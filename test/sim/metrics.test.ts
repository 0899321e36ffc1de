// The latency histogram: fio's log-linear layout (64 buckets per power of two), fine enough that
// percentiles of a spread distribution come out distinct and within 1/64 of the true value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogHistogram } from '../../src/sim/metrics.js';
import { percentile } from '../../src/stats/summary.js';

describe('LogHistogram', () => {
  it('keeps every value below 64 in a bucket of its own and each bucket within 1/64 of its values', () => {
    expect(LogHistogram.bucketOf(1)).toBeGreaterThan(LogHistogram.bucketOf(0));
    for (let v = 1; v < 64; v++) expect(LogHistogram.bucketOf(v + 1)).toBeGreaterThan(LogHistogram.bucketOf(v));
    for (let bucket = 2; bucket < LogHistogram.BUCKETS - 1; bucket += 97) {
      const upper = LogHistogram.bucketLimit(bucket);
      const lower = LogHistogram.bucketLimit(bucket - 1);
      expect((upper - lower) / lower).toBeLessThanOrEqual(1 / 64 + 1e-12);
      expect(LogHistogram.bucketOf(lower)).toBe(bucket);
      expect(LogHistogram.bucketOf(upper - 1e-6 * upper)).toBe(bucket);
    }
  });

  it('reports each percentile within 1/64 of the exact one (nearest rank), inside [min, max]', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 400 }), fc.constantFrom(50, 90, 99, 99.9), (values, p) => {
        const histogram = new LogHistogram();
        for (const v of values) histogram.record(v);
        const exact = percentile(values, p);
        const reported = histogram.percentile(p);
        expect(Math.abs(reported - exact)).toBeLessThanOrEqual(exact / 64 + 1e-9);
        expect(reported).toBeLessThanOrEqual(histogram.max);
        expect(reported).toBeGreaterThanOrEqual(histogram.min);
      }),
    );
  });

  it('gives p50 < p99 < max for latencies that spread by a few per cent (8 buckets per octave did not)', () => {
    // 9,900 latencies from 100 to 106 µs in ns (a lightly loaded simulated disk), then a tail of 100
    // from 110 to 130 µs.
    const histogram = new LogHistogram();
    for (let i = 0; i < 9_900; i++) histogram.record(100_000 + Math.floor((i * 6_000) / 9_900));
    for (let i = 0; i < 100; i++) histogram.record(110_000 + i * 200);
    const p50 = histogram.percentile(50);
    const p99 = histogram.percentile(99);
    expect(p50).toBeLessThan(p99);
    expect(p99).toBeLessThan(histogram.max);
    // The old layout (8 sub-buckets) put every one of these in one bucket: 98,304 to 106,496 ns.
    expect(Math.floor((100_000 / 65_536 - 1) * 8)).toBe(Math.floor((105_999 / 65_536 - 1) * 8));
  });

  it('reports one value for every percentile when every sample is the same', () => {
    const histogram = new LogHistogram();
    for (let i = 0; i < 1000; i++) histogram.record(129_536);
    for (const p of [1, 50, 99, 99.9, 100]) expect(histogram.percentile(p)).toBe(129_536);
    // Zero and one (tree steps per map) are told apart: 98 % zero, 2 % one.
    const steps = new LogHistogram();
    for (let i = 0; i < 100; i++) steps.record(i < 98 ? 0 : 1);
    expect([steps.percentile(50), steps.percentile(99)]).toEqual([0, 1]);
  });

  it('keeps percentiles of one bucket in order and apart', () => {
    // Uniform over 1,000 ns inside one bucket (1,376,256 is 21 buckets of 16,384 above 2^20).
    const histogram = new LogHistogram();
    for (let i = 0; i < 1000; i++) histogram.record(1_360_000 + i);
    expect(LogHistogram.bucketOf(1_360_000)).toBe(LogHistogram.bucketOf(1_360_999));
    const p50 = histogram.percentile(50);
    const p99 = histogram.percentile(99);
    expect(p50).toBeLessThan(p99);
    expect(p99).toBeLessThan(histogram.max);
    expect(p50).toBeCloseTo(1_360_499, -1);
  });

  it('adds histograms and keeps the CDF bounded', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    for (let v = 1; v <= 5000; v++) (v % 2 === 0 ? a : b).record(v * 37);
    const sum = new LogHistogram();
    sum.add(a);
    sum.add(b);
    expect(sum.count).toBe(5000);
    expect(sum.max).toBe(5000 * 37);
    expect(sum.mean()).toBeCloseTo((5001 / 2) * 37, 9);
    const cdf = sum.cdf(100);
    expect(cdf.length).toBe(100);
    expect(cdf[cdf.length - 1]).toEqual({ value: sum.max, fraction: 1 });
    for (let i = 1; i < cdf.length; i++) expect(cdf[i].fraction).toBeGreaterThan(cdf[i - 1].fraction);
  });
});
