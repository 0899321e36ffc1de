// The package entry (src/index.ts): the layers are exported, and runScenario() runs a scenario
// object, a YAML file or a fio job file with the CLI's overrides.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as iovasim from '../../src/index.js';
import { readFileSync } from 'node:fs';
import { runScenario, SCENARIO_PRESETS, ScenarioError, simulate, WorkloadError } from '../../src/index.js';
import { repoRoot } from '../support/shared.js';

describe('package entry', () => {
  it('exports every layer', () => {
    for (const name of [
      'IovaDomain', 'kernelProfile', 'numberPfn', 'bigintPfn', 'createAllocator', 'ALLOCATOR_NAMES',
      'Rcache',
      'IommuDmaDomain', 'IommuDma', 'DmaMapping',
      'probeHost', 'HOST_PRESETS',
      'simulate', 'simulateAll', 'SCENARIO_PRESETS', 'validateScenario',
      'readBlkparse', 'readBlktrace', 'readMsrCambridge', 'readIommuFtrace', 'parseFioJobFile', 'detectFormat', 'readIoRecords',
      'writeHtmlReport', 'runScenario', 'IovaRecorder',
    ]) {
      expect(iovasim, name).toHaveProperty(name);
    }
    expect(Object.keys(iovasim.HOST_PRESETS)).toContain('hisi_sas-smmuv3');
    expect(Object.keys(SCENARIO_PRESETS)).toContain('sas-128cpu');
    const domain = new iovasim.IovaDomain(iovasim.numberPfn, iovasim.kernelProfile('6.6'), 4096, 1);
    expect(domain.allocIova(1, 0xfffff, true)).toBe(0xfffff);
  });

  it('simulate() records the allocator operations of a run when given an IovaRecorder', () => {
    const recorder = new iovasim.IovaRecorder({ maxOperations: 500 });
    simulate({ ...SCENARIO_PRESETS['sas-128cpu'], cpus: 8, durationMs: 5, warmupMs: 1, ageingMaps: 0 }, { iovaRecorder: recorder });
    expect(recorder.allocResults.length).toBeGreaterThan(0);
    expect(recorder.traceText).toMatch(/^alloc_fast \d+ \d+ [01]$/m);
  });

  it('runScenario runs a Scenario object with overrides', async () => {
    const result = await runScenario(SCENARIO_PRESETS['sas-128cpu'], { cpus: 8, durationMs: 30, allocator: 'gap-tree', iommu: 'lazy', seed: 3 });
    expect(result.scenario).toMatchObject({ cpus: 8, durationMs: 30, allocator: 'gap-tree', seed: 3 });
    expect(result.scenario.iommu.invalidation).toBe('lazy');
    expect(result.iops).toBeGreaterThan(0);
  });

  it('runScenario reads YAML and fio job files', async () => {
    const yaml = await runScenario(join(repoRoot, 'test/fixtures/scenarios/small.yaml'));
    expect(yaml.scenario.name).toBe('small');
    const fio = await runScenario(join(repoRoot, 'test/fixtures/workloads/fio/fio-rand-read.fio'), { cpus: 8, durationMs: 30 });
    expect(fio.scenario.jobs[0]).toMatchObject({ name: 'file1', rw: 'randread', bs: 4096, iodepth: 16 });
    const progress: number[] = [];
    await runScenario(join(repoRoot, 'test/fixtures/scenarios/small.yaml'), { records: [{ timeNs: 0, op: 'read', offsetBytes: 0, lengthBytes: 4096 }], onProgress: (f) => progress.push(f) });
    await expect(runScenario(join(repoRoot, 'test/fixtures/workloads/fio/null.fio'), { cpus: 8, durationMs: 30, kernel: '4.4' })).rejects.toThrow(/kernel version 4\.4/);
  });

  it('rejects a bad job file with a WorkloadError naming the line', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'iovasim-api-')), 'bad.fio');
    writeFileSync(path, '[a]\niodepth=deep\n');
    await expect(runScenario(path)).rejects.toBeInstanceOf(WorkloadError);
    await expect(runScenario(path)).rejects.toThrow(/bad\.fio:2: iodepth: /);
  });

  it('runs the README’s library example as written', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const example = /## Library\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(example).toContain("import { simulate, SCENARIO_PRESETS } from 'iovasim';");
    expect(example).toContain("const result = simulate({ ...SCENARIO_PRESETS['sas-128cpu'], cpus: 16, ageingMaps: 0 });");
    const result = simulate({ ...SCENARIO_PRESETS['sas-128cpu'], cpus: 16, ageingMaps: 0 });
    expect(result.scenario.cpus).toBe(16);
    expect(result.scenario.jobs[0]).toMatchObject({ numjobs: 16, cpus: Array.from({ length: 16 }, (_, i) => i) });
    expect(result.iops).toBeGreaterThan(0);
    expect(result.rcache.hitRate).toBeGreaterThan(0);
  });

  it('simulate refuses a bad Scenario object with a ScenarioError naming the field', () => {
    const preset = SCENARIO_PRESETS['sas-128cpu'];
    expect(() => simulate({ ...preset, cpus: 16, jobs: [{ ...preset.jobs[0], cpus: [0, 99], numjobs: 2 }] })).toThrow('jobs[0].cpus: CPU 99 is not below the CPU count 16');
    expect(() => simulate({ ...preset, ageingMaps: -1 })).toThrow('ageingMaps: must be between 0 and 1000000000, got -1');
    expect(() => simulate({ ...preset, allocator: 'first-fit' })).toThrow(ScenarioError);
  });

  it('runScenario takes typed overrides and names a bad one', async () => {
    await expect(runScenario(SCENARIO_PRESETS['sas-128cpu'], { cpus: 0 })).rejects.toThrow('cpus: must be between 1 and 4096, got 0');
    await expect(runScenario(SCENARIO_PRESETS['sas-128cpu'], { cpus: '8' as unknown as number })).rejects.toThrow('cpus: must be a whole number, got "8"');
    await expect(runScenario(SCENARIO_PRESETS['sas-128cpu'], { durationMs: 10, bogus: 1 } as never)).rejects.toThrow(/^bogus: unknown override/);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'iovasim-api-')), 'bad.yaml');
    writeFileSync(path, 'preset: sas-128cpu\njobs:\n  - bs: 4097\n');
    await expect(runScenario(path)).rejects.toThrow(`${path}:3:9: jobs[0].bs: must be a multiple of 512`);
  });
});
