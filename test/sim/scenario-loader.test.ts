// The scenario loader: presets, overrides, the CPU re-spread, and errors that say where.
import { describe, expect, it } from 'vitest';
import { SAS_128CPU } from '../../src/sim/presets.js';
import { applyOverrides, checkScenario, parseScenarioText, spreadPresetJobs } from '../../src/sim/scenario-loader.js';
import { ScenarioError, validateScenario, type Scenario } from '../../src/sim/scenario.js';

function error(body: () => unknown): ScenarioError {
  try {
    body();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('scenario loader', () => {
  it('re-spreads the preset’s one-thread-per-CPU job when a file lowers cpus', () => {
    const s = parseScenarioText('preset: sas-128cpu\ncpus: 16\n', 's.yaml');
    expect(s.cpus).toBe(16);
    expect(s.jobs[0].cpus).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(s.jobs[0].numjobs).toBe(16);
    expect(s.host.preset).toBe(SAS_128CPU.host.preset);
  });

  it('re-spreads on a cpus override too, upwards as well as downwards', () => {
    const up = applyOverrides(SAS_128CPU, { cpus: 256 });
    expect(up.jobs[0].numjobs).toBe(256);
    expect(up.jobs[0].cpus).toHaveLength(256);
    const down = applyOverrides(SAS_128CPU, { cpus: 4, durationMs: 20, iommu: 'lazy', cap: 'seed', allocator: 'tlsf', seed: 9, kernel: '7.0' });
    expect(down).toMatchObject({ cpus: 4, durationMs: 20, warmupMs: 5, allocator: 'tlsf', seed: 9, kernel: '7.0', host: { cap: 'seed' }, iommu: { mode: 'translated', invalidation: 'lazy' } });
    expect(down.jobs[0]).toMatchObject({ cpus: [0, 1, 2, 3], numjobs: 4 });
  });

  it('keeps the CPUs of a job on part of the host that still exist, and refuses a job left with none', () => {
    const partial: Scenario = { ...SAS_128CPU, jobs: [{ ...SAS_128CPU.jobs[0], cpus: [2, 3, 40, 41], numjobs: 4 }] };
    expect(applyOverrides(partial, { cpus: 8 }).jobs[0].cpus).toEqual([2, 3]);
    const high: Scenario = { ...SAS_128CPU, jobs: [{ ...SAS_128CPU.jobs[0], cpus: [100, 101], numjobs: 2 }] };
    expect(error(() => applyOverrides(high, { cpus: 8 })).message).toMatch(/^cpus: the base scenario's job "seqread" runs on CPUs 100-101, none below the CPU count 8/);
  });

  it('gives jobs written without cpus_allowed every CPU', () => {
    const s = parseScenarioText('cpus: 6\njobs:\n  - {rw: randread, bs: 8192, numjobs: 6}\n', 'j.yaml');
    expect(s.jobs[0]).toMatchObject({ name: 'job0', rw: 'randread', bs: 8192, numjobs: 6, cpus: [0, 1, 2, 3, 4, 5] });
  });

  it('names FILE:LINE:COLUMN and the field path of a bad value', () => {
    const text = 'preset: sas-128cpu\ncpus: 16\njobs:\n  - name: a\n    bs: 4097\n';
    const e = error(() => parseScenarioText(text, 'bad.yaml'));
    expect(e.message).toBe('bad.yaml:5:9: jobs[0].bs: must be a multiple of 512 bytes (the smallest logical block size; all simulated I/O is direct), got 4097');
    expect(e).toMatchObject({ file: 'bad.yaml', line: 5, column: 9, field: 'jobs[0].bs' });
    expect(error(() => parseScenarioText('host:\n  cap: sometimes\n', 'c.yaml')).message).toBe('c.yaml:2:8: host.cap: must be one of seed, merged, none, got "sometimes"');
    expect(error(() => parseScenarioText('cpus: -1\n', 'n.yaml')).message).toBe('n.yaml:1:7: cpus: must be between 1 and 4096, got -1');
    expect(error(() => parseScenarioText('cpus: 8\njobs:\n  - cpus_allowed: 0-9\n', 'j.yaml')).message).toBe('j.yaml:3:19: jobs[0].cpus_allowed: CPU 9 is not below the CPU count 8');
    expect(error(() => parseScenarioText('duration_ms: 100\nwarmup_ms: 100\n', 'w.yaml')).message).toBe('w.yaml:2:12: warmup_ms: must be below duration_ms (100), got 100');
    expect(error(() => parseScenarioText('kernel: 7.0\n', 'k.yaml')).message).toMatch(/^k\.yaml:1:9: kernel: must be a quoted version/);
    expect(error(() => parseScenarioText('kernel: "4.4"\n', 'k.yaml')).message).toMatch(/^k\.yaml:1:9: kernel: .*4\.4/);
    expect(error(() => parseScenarioText('cpus: [1\n', 'y.yaml')).message).toMatch(/^y\.yaml:\d+:\d+: not valid YAML/);
    expect(error(() => parseScenarioText('preset: nope\n', 'p.yaml')).message).toBe('p.yaml:1:9: preset: unknown preset "nope" (known: sas-128cpu, nvme-amdvi, ahci-vtd)');
  });

  it('refuses a block size the disk cannot take with direct I/O', () => {
    // 512-byte logical blocks: 4608 is fine, 4097 and 1000 are not.
    expect(parseScenarioText('jobs:\n  - bs: 4608\n', 'ok.yaml').jobs[0].bs).toBe(4608);
    expect(error(() => parseScenarioText('jobs:\n  - bs: 1000\n', 'b.yaml')).field).toBe('jobs[0].bs');
    expect(error(() => parseScenarioText('jobs:\n  - bs: 4096\n    size: 4096\n  - bs: 8192\n    size: 4096\n', 's.yaml')).message).toBe('s.yaml:5:11: jobs[1].size: must hold at least one block (bs 8192), got 4096');
  });

  it('refuses unknown keys, __proto__ and constructor included, at the key', () => {
    expect(error(() => parseScenarioText('cpus: 8\nbogus: 1\n', 'u.yaml')).message).toMatch(/^u\.yaml:2:1: bogus: unknown key \(known: preset, name, seed/);
    expect(error(() => parseScenarioText('__proto__:\n  cpus: 1\n', 'p.yaml')).message).toMatch(/^p\.yaml:1:1: __proto__: unknown key/);
    expect(error(() => parseScenarioText('host:\n  constructor: 1\n', 'c.yaml')).message).toMatch(/^c\.yaml:2:3: host\.constructor: unknown key/);
    expect(error(() => parseScenarioText('jobs:\n  - __proto__: {bs: 1}\n', 'j.yaml')).message).toMatch(/^j\.yaml:2:5: jobs\[0\]\.__proto__: unknown key/);
    expect(({} as Record<string, unknown>).bs).toBeUndefined();
  });

  it('checks Scenario objects built in code, naming their own fields', () => {
    expect(checkScenario(SAS_128CPU)).toBe(SAS_128CPU);
    expect(validateScenario(SAS_128CPU)).toBe(SAS_128CPU);
    expect(error(() => checkScenario({ ...SAS_128CPU, cpus: 16 })).message).toBe('jobs[0].cpus: CPU 127 is not below the CPU count 16');
    expect(error(() => checkScenario({ ...SAS_128CPU, durationMs: -5 })).message).toBe('durationMs: must be between 1 and 3600000, got -5');
    expect(error(() => checkScenario({ ...SAS_128CPU, cpus: '16' } as unknown as Scenario)).message).toBe('cpus: must be a whole number, got "16"');
    expect(error(() => checkScenario({ ...SAS_128CPU, bogus: 1 } as unknown as Scenario)).message).toMatch(/^bogus: unknown key/);
    expect(error(() => checkScenario({ ...SAS_128CPU, jobs: [{ ...SAS_128CPU.jobs[0], bs: 3000 }] })).message).toMatch(/^jobs\[0\]\.bs: must be a multiple of 512/);
    expect(error(() => checkScenario(undefined as unknown as Scenario)).message).toMatch(/^scenario: must be a Scenario object/);
  });

  it('spreads a preset spread into an object with fewer CPUs, and nothing else', () => {
    const spread = spreadPresetJobs({ ...SAS_128CPU, cpus: 16 });
    expect(checkScenario(spread).jobs[0]).toMatchObject({ numjobs: 16, cpus: Array.from({ length: 16 }, (_, i) => i) });
    const custom: Scenario = { ...SAS_128CPU, cpus: 16, jobs: [{ ...SAS_128CPU.jobs[0], cpus: [0, 20], numjobs: 2 }] };
    expect(spreadPresetJobs(custom)).toBe(custom);
  });

  it('names the override of a bad override value', () => {
    expect(error(() => applyOverrides(SAS_128CPU, { cpus: 0 })).message).toBe('cpus: must be between 1 and 4096, got 0');
    expect(error(() => applyOverrides(SAS_128CPU, { durationMs: Number.NaN })).field).toBe('durationMs');
    expect(error(() => applyOverrides(SAS_128CPU, { iommu: 'sometimes' as 'lazy' })).field).toBe('iommu');
    expect(error(() => applyOverrides(SAS_128CPU, { cap: 'x' as 'seed' })).message).toMatch(/^cap: must be one of seed, merged, none/);
    expect(error(() => applyOverrides(SAS_128CPU, { allocator: 'first-fit' })).message).toMatch(/^allocator: must be one of linux/);
    expect(error(() => applyOverrides(SAS_128CPU, { kernel: '3.1' })).field).toBe('kernel');
    expect(error(() => applyOverrides(SAS_128CPU, { cpu: 4 } as never)).message).toMatch(/^cpu: unknown override/);
  });
});
