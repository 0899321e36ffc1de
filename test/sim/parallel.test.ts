// simulateAll() on its piscina pool (compiled: worker threads cannot load TypeScript), against the
// same scenarios simulated one by one from source.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { simulate } from '../../src/sim/engine.js';
import type { simulateAll as SimulateAll } from '../../src/sim/parallel.js';
import { PRESETS } from '../../src/sim/presets.js';
import { parseScenarioYaml, type Scenario } from '../../src/sim/scenario.js';
import { readScenarioOrJobFile } from '../../src/sim/scenario-file.js';
import { repoRoot } from '../support/shared.js';

const small = parseScenarioYaml(readFileSync(join(repoRoot, 'test/fixtures/scenarios/small.yaml'), 'utf8'), 'small.yaml', PRESETS, PRESETS['sas-128cpu']);
const scenarios: Scenario[] = [
  { ...small, durationMs: 20, allocator: 'linux' },
  { ...small, durationMs: 20, allocator: 'tlsf', seed: 7 },
  { ...small, durationMs: 20, allocator: 'vmem' },
];

async function compiled(): Promise<typeof SimulateAll> {
  const module = (await import(pathToFileURL(join(inject('buildDir'), 'dist/sim/parallel.js')).href)) as { simulateAll: typeof SimulateAll };
  return module.simulateAll;
}

describe('simulateAll on worker threads', () => {
  it('gives each scenario the result it has when simulated alone, reporting each as it finishes', async () => {
    const simulateAll = await compiled();
    const seen: number[] = [];
    const results = await simulateAll(scenarios, { workers: 2, onResult: (index) => seen.push(index) });
    expect([...seen].sort()).toEqual([0, 1, 2]);
    const alone = scenarios.map((s) => simulate(s));
    expect(JSON.parse(JSON.stringify(results))).toEqual(JSON.parse(JSON.stringify(alone)));
  });

  it('rejects with the simulation error of a bad scenario', async () => {
    const simulateAll = await compiled();
    const bad = { ...scenarios[0], allocator: 'no-such-allocator' } as unknown as Scenario;
    await expect(simulateAll([scenarios[1], bad], { workers: 2 })).rejects.toThrow(/no-such-allocator/);
  });

  it('runs a fio job file on the workers from its text (FioWorkload), byte-identical to a run in this thread', async () => {
    const simulateAll = await compiled();
    // IOmeter's file-server pattern: eight block sizes by weight, 80 % reads (what the sources decide).
    const input = await readScenarioOrJobFile(join(repoRoot, 'test/fixtures/workloads/fio/iometer-file-access-server.fio'), { overrides: { cpus: 8, durationMs: 20 } });
    const fioWorkload = input.fioWorkload;
    if (fioWorkload === undefined || input.ioSources === undefined) throw new Error('not read as a fio job file');
    const variants = [input.scenario, { ...input.scenario, allocator: 'tlsf' as const }];
    const onWorkers = await simulateAll(variants, { workers: 2, fioWorkload });
    const here = variants.map((scenario) => simulate(scenario, { ioSources: input.ioSources }));
    expect(JSON.stringify(onWorkers)).toBe(JSON.stringify(here));
    // And the job file's sources made a difference: the plain JobSpec source gives another result.
    expect(JSON.stringify(simulate(variants[0]))).not.toBe(JSON.stringify(here[0]));
  });
});
