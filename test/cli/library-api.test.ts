// The package entry (src/index.ts): the layers are exported, and runScenario() runs a scenario
// object, a YAML file or a fio job file with the CLI's overrides.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as iovasim from '../../src/index.js';
import { runScenario, SCENARIO_PRESETS, WorkloadError } from '../../src/index.js';
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
      'writeHtmlReport', 'runScenario',
    ]) {
      expect(iovasim, name).toHaveProperty(name);
    }
    expect(Object.keys(iovasim.HOST_PRESETS)).toContain('hisi_sas-smmuv3');
    expect(Object.keys(SCENARIO_PRESETS)).toContain('sas-128cpu');
    const domain = new iovasim.IovaDomain(iovasim.numberPfn, iovasim.kernelProfile('6.6'), 4096, 1);
    expect(domain.allocIova(1, 0xfffff, true)).toBe(0xfffff);
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
});
