// Verdicts and direction flips on constructed ratios, and the sensitivity flags built from them.
import { describe, expect, it } from 'vitest';
import { sensitivityRow } from '../../src/validate/sensitivity.js';
import { directionOf, flipsDirection, verdictOf } from '../../src/validate/verdict.js';

describe('verdict', () => {
  it('is inside within ±25 % of the published ratio, a miss outside', () => {
    expect(verdictOf(0.54 * 1.25, 0.54).inside).toBe(true);
    expect(verdictOf(0.54 * 0.75, 0.54).inside).toBe(true);
    expect(verdictOf(0.54 * 1.26, 0.54).inside).toBe(false);
    expect(verdictOf(0.54 * 0.74, 0.54).inside).toBe(false);
    const miss = verdictOf(1.0, 893.5 / 1655.6);
    expect(miss.error).toBeCloseTo(1655.6 / 893.5 - 1, 12);
    expect(miss.inside).toBe(false);
    expect(verdictOf(Number.NaN, 1).inside).toBe(false);
    expect(() => verdictOf(1, 0)).toThrow(RangeError);
  });

  it('flags a flip only when the simulated ratio points the other way from the published one', () => {
    expect(directionOf(1.5)).toBe('up');
    expect(directionOf(0.5)).toBe('down');
    expect(directionOf(1.01)).toBe('flat');
    expect(flipsDirection(1.2, 0.54)).toBe(true);
    expect(flipsDirection(0.8, 1.5)).toBe(true);
    expect(flipsDirection(1.0, 0.54)).toBe(false); // no effect is a miss, not a flip
    expect(flipsDirection(0.6, 0.54)).toBe(false);
    expect(flipsDirection(1.5, 1.0)).toBe(false); // a flat published ratio has no direction
    expect(verdictOf(1.2, 0.54).flipped).toBe(true);
  });
});

describe('a sensitivity row', () => {
  const inside = (published: number) => (ratio: number) => verdictOf(ratio, published).inside;

  it('flags the factor at which a ratio flips, vanishes or changes verdict', () => {
    // Published 0.54 (down); the baseline agrees (0.6); halving the parameter makes the variant faster (1.3): a flip.
    const row = sensitivityRow('e', 'link_mbps', 0.6, 0.54, [1.3, 0.58], inside(0.54));
    expect(row.flipsAt).toEqual([0.5]);
    expect(row.verdictChangesAt).toEqual([0.5]);
    expect(row.vanishesAt).toEqual([]);
    expect(row.swing).toBeCloseTo(1.3 - 0.58, 12);
  });

  it('says when the effect vanishes without flipping, and flags nothing for a robust ratio', () => {
    const vanish = sensitivityRow('e', 'host.queue_depth', 0.6, 0.54, [0.62, 1.0], inside(0.54));
    expect(vanish.flipsAt).toEqual([]);
    expect(vanish.vanishesAt).toEqual([2]);
    expect(vanish.verdictChangesAt).toEqual([2]);
    const robust = sensitivityRow('e', 'disks.latency_us', 1.5, 1.5, [1.45, 1.55], inside(1.5));
    expect([robust.flipsAt, robust.vanishesAt, robust.verdictChangesAt]).toEqual([[], [], []]);
  });
});
