// Results that speed work must not change: small scenarios whose result JSON is kept under
// test/fixtures/sim-golden/ (provenance in its README).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate, type TraceIo } from '../../src/sim/engine.js';
import type { Scenario } from '../../src/sim/scenario.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'sim-golden');
const NAMES = readdirSync(DIR)
  .filter((file) => file.endsWith('.input.json'))
  .map((file) => file.slice(0, -'.input.json'.length));

describe('simulation results stay byte-identical', () => {
  it('has golden cases', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(4);
  });

  it.each(NAMES)('%s', (name) => {
    const input = JSON.parse(readFileSync(join(DIR, `${name}.input.json`), 'utf8')) as { scenario: Scenario; records?: TraceIo[] };
    const result = simulate(input.scenario, input.records === undefined ? {} : { records: input.records });
    expect(JSON.stringify(result, null, 1) + '\n').toBe(readFileSync(join(DIR, `${name}.result.json`), 'utf8'));
  });
});

describe('trace replay keeps shared resources in time order', () => {
  it('runs a bursty replay whose tasks outlast the gap to the next record', () => {
    const input = JSON.parse(readFileSync(join(DIR, 'golden-replay.input.json'), 'utf8')) as { scenario: Scenario; records: TraceIo[] };
    // Bursts of 50 records 100 ns apart: before the fix a CPU ran past records not yet scheduled and
    // the tree lock saw a request from the past (SharedResource.acquire throws on that).
    const records = input.records.map((record, i) => ({ ...record, timeNs: Math.floor(i / 50) * 200_000 + (i % 50) * 100 }));
    const result = simulate(input.scenario, { records });
    expect(result.ios).toBe(records.length);
  });
});
