// The warm-up rule: a longer run never measures less. Before, --duration 150 measured 112.5 ms and
// --duration 160 measured 10 ms (the 150 ms warm-up kept as soon as it fitted).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { measuredWindowText, warmupForDuration } from '../../src/sim/measured-window.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import { readScenarioOrJobFile } from '../../src/sim/scenario-file.js';
import { applyOverrides } from '../../src/sim/scenario-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const measured = (durationMs: number): number => {
  const scenario = applyOverrides(SAS_128CPU, { durationMs });
  return scenario.durationMs - scenario.warmupMs;
};

describe('the measured window', () => {
  it('--duration never measures less for a longer run: every duration from 1 to 10,000 ms', () => {
    let previous = 0;
    for (let d = 1; d <= 10_000; d++) {
      const m = measured(d);
      expect(m, `duration ${d}`).toBeGreaterThanOrEqual(previous);
      expect(m, `duration ${d}`).toBeGreaterThan(0);
      previous = m;
    }
    expect(measured(150)).toBe(112.5);
    expect(measured(160)).toBe(120);
    expect(measured(200)).toBe(150);
    expect(measured(1000)).toBe(1000 - SAS_128CPU.warmupMs);
  });

  it('is monotonic for any preferred warm-up and pair of durations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_600_000 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (warmup, a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        expect(long - warmupForDuration(long, warmup)).toBeGreaterThanOrEqual(short - warmupForDuration(short, warmup));
        expect(warmupForDuration(short, warmup)).toBeLessThan(short);
      }),
    );
  });

  it('holds for a fio job file with a runtime and for one without, --duration or not', async () => {
    const timed = join(dir, 'timed.fio');
    writeFileSync(timed, '[job]\nrw=randread\nbs=4k\niodepth=8\nruntime=1\nsize=1g\n');
    const untimed = join(dir, 'untimed.fio');
    writeFileSync(untimed, '[job]\nrw=randread\nbs=4k\niodepth=8\nsize=1g\n');
    for (const file of [timed, untimed]) {
      let previous = 0;
      for (const durationMs of [1, 40, 100, 150, 151, 160, 200, 400, 599, 600, 601, 1000, 5000]) {
        const { scenario } = await readScenarioOrJobFile(file, { overrides: { durationMs } });
        const m = scenario.durationMs - scenario.warmupMs;
        expect(m, `${file} --duration ${durationMs}`).toBeGreaterThanOrEqual(previous);
        previous = m;
      }
    }
    // runtime=1 (1 s): the preset's 150 ms warm-up fits a quarter of it.
    const { scenario } = await readScenarioOrJobFile(timed);
    expect([scenario.durationMs, scenario.warmupMs]).toEqual([1000, 150]);
  });

  it('is stated in words', () => {
    expect(measuredWindowText({ measuredMs: 150, warmupMs: 50 })).toBe('measured 150 ms after a 50 ms warm-up');
    expect(measuredWindowText({ measuredMs: 112.5, warmupMs: 37.5 })).toBe('measured 113 ms after a 37.5 ms warm-up');
    expect(measuredWindowText({ measuredMs: 12.345, warmupMs: 0, replay: true })).toBe('measured 12.35 ms, from the first record to the last completion (no warm-up)');
  });
});
