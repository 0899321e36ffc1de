import { describe, expect, it } from 'vitest';
import { expandSweep, parseSweepYaml, SweepError } from '../../src/sweep/grid.js';
import { SMALL } from './helpers.js';

const base = `base: ${JSON.stringify(SMALL)}\n`;

async function expand(text: string) {
  return expandSweep(await parseSweepYaml(text, 'sweep.yaml'));
}

describe('sweep grid', () => {
  it('expands the cross product times the repeats, with stable ids', async () => {
    const text = `${base}axes:\n  allocator: [linux, tlsf, buddy]\n  iommu.invalidation: [strict, lazy]\nrepeats: 3\n`;
    const a = await expand(text);
    const b = await expand(text);
    expect(a).toHaveLength(18);
    expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
    expect(new Set(a.map((p) => p.id)).size).toBe(18);
    expect(a.every((p) => /^[0-9a-f]{12}$/.test(p.id))).toBe(true);
    expect(a[0].scenario.allocator).toBe('linux');
    expect(a[0].scenario.cpus).toBe(8);
    expect(a.find((p) => p.axes.allocator === 'tlsf' && p.axes['iommu.invalidation'] === 'lazy')?.scenario.iommu.invalidation).toBe('lazy');
    // Seeds: repeat 0 keeps the base seed; the others differ and are the same on every point.
    expect(a.filter((p) => p.repeat === 0).every((p) => p.seed === 1)).toBe(true);
    expect(new Set(a.map((p) => p.seed)).size).toBe(3);
  });

  it('keeps every id when a value is added to an axis', async () => {
    const before = await expand(`${base}axes:\n  allocator: [linux, tlsf]\n  host.cap: [seed, none]\nrepeats: 2\n`);
    const after = await expand(`${base}axes:\n  allocator: [linux, vmem, tlsf]\n  host.cap: [seed, merged, none]\nrepeats: 2\n`);
    const ids = new Map(after.map((p) => [p.id, p]));
    for (const p of before) {
      expect(ids.get(p.id)?.axes).toEqual(p.axes);
      expect(ids.get(p.id)?.fingerprint).toBe(p.fingerprint);
    }
    expect(after).toHaveLength(18);
  });

  it('expands ranges and applies nested paths and the CPU count', async () => {
    const points = await expand(`${base}axes:\n  host.max_sectors: {from: 128, to: 512, step: 128}\n  cpus: [4, 8]\n  iommu.rcache_classes: [6, 9]\n`);
    expect(points).toHaveLength(16);
    expect([...new Set(points.map((p) => p.scenario.host.maxSectors))]).toEqual([128, 256, 384, 512]);
    const four = points.find((p) => p.axes.cpus === 4);
    expect(four?.scenario.cpus).toBe(4);
    expect(four?.scenario.jobs[0].cpus).toEqual([0, 1, 2, 3]);
    expect(new Set(points.map((p) => p.scenario.iommu.rcacheClasses))).toEqual(new Set([6, 9]));
  });

  it('accepts an inline base with a preset', async () => {
    const points = await expand('base:\n  preset: sas-128cpu\n  cpus: 16\n  jobs: [{rw: read, bs: 4096, iodepth: 4, numjobs: 16, cpus_allowed: 0-15}]\naxes:\n  kernel: ["5.19", "7.0"]\n');
    expect(points.map((p) => p.scenario.kernel)).toEqual(['5.19', '7.0']);
    expect(points[0].scenario.host.preset).toBe('hisi_sas-smmuv3');
  });

  it('names the file, line, column, field and point of a bad value', async () => {
    await expect(expand(`${base}axes:\n  host.cap: [seed, sometimes]\n`)).rejects.toThrow('sweep.yaml:3:20: host.cap: must be one of seed, merged, none, got "sometimes" (point [host.cap=sometimes])');
    await expect(expand(`${base}axes:\n  host.max_sectors: [128, 99999]\n`)).rejects.toThrow('sweep.yaml:3:27: host.max_sectors: must be between 1 and 65535, got 99999 (point [host.max_sectors=99999])');
    await expect(expand(`${base}axes:\n  kernel: ["5.19", "1.0"]\n`)).rejects.toThrow(/^sweep\.yaml:3:20: kernel: .*1\.0.* \(point \[kernel=1\.0\]\)$/);
    await expect(expand(`${base}axes:\n  allocator: []\n`)).rejects.toThrow('sweep.yaml:3:14: axes.allocator: has no values');
    await expect(expand(`${base}axes:\n  allocator: [linux, linux]\n`)).rejects.toThrow('sweep.yaml:3:22: axes.allocator[1]: value "linux" is listed twice');
    await expect(expand(`${base}axes:\n  host.max_sectors: {from: 10, to: 1}\n`)).rejects.toThrow('sweep.yaml:3:36: axes.host.max_sectors.to: must not be below from (10)');
    await expect(expand(`${base}repeats: 0\n`)).rejects.toThrow('sweep.yaml:2:10: repeats: must be between 1 and 10000, got 0');
    await expect(expand(`${base}axis: {}\n`)).rejects.toThrow('sweep.yaml:2:1: axis: unknown key (known: name, base, workload, axes, repeats)');
    await expect(expand('base:\n  cpus: -1\n')).rejects.toThrow('sweep.yaml:2:9: base.cpus: must be between 1 and 4096, got -1');
    await expect(expand('base:\n  preset: sas-128cpu\n  cpus: 16\n  jobs:\n    - bs: 4097\n')).rejects.toThrow('sweep.yaml:5:11: base.jobs[0].bs: must be a multiple of 512');
    await expect(expand('base: missing.yaml\n')).rejects.toThrow(/^sweep\.yaml:1:7: base: cannot read scenario file "missing\.yaml"/);
    await expect(expand(`${base}axes: [1]\n`)).rejects.toBeInstanceOf(SweepError);
  });

  it('refuses an axis that is no scenario field, __proto__ and constructor included', async () => {
    await expect(expand(`${base}axes:\n  iommu.bogus: [1]\n`)).rejects.toThrow(/^sweep\.yaml:3:3: axes\.iommu\.bogus: not a scenario field \(known: /);
    await expect(expand(`${base}axes:\n  __proto__.x: [1]\n`)).rejects.toThrow(/^sweep\.yaml:3:3: axes\.__proto__\.x: not a scenario field/);
    await expect(expand(`${base}axes:\n  constructor: [1]\n`)).rejects.toThrow(/^sweep\.yaml:3:3: axes\.constructor: not a scenario field/);
    await expect(expand(`${base}axes:\n  __proto__: [1]\n`)).rejects.toThrow(/not a scenario field/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('keeps a preset’s one-thread-per-CPU jobs on the CPUs a cpus axis leaves', async () => {
    const points = await expand('base:\n  preset: sas-128cpu\n  ageing_maps: 0\naxes:\n  cpus: [16, 32]\n');
    expect(points.map((p) => [p.scenario.cpus, p.scenario.jobs[0].numjobs, p.scenario.jobs[0].cpus.length])).toEqual([[16, 16, 16], [32, 32, 32]]);
  });
});
