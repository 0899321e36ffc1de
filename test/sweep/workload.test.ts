// A sweep file's `workload:`: a fio job file run on every point, as `iovasim run --preset` runs one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/engine.js';
import { fioIoSources } from '../../src/sim/fio-workload.js';
import { readScenarioOrJobFile } from '../../src/sim/scenario-file.js';
import { expandSweep, parseSweepYaml, SweepError } from '../../src/sweep/grid.js';
import { taskOf } from '../../src/sweep/local.js';
import { runPoint } from '../../src/sweep/point-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-sweep-workload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Half 4 KiB, half 256 KiB reads: the plain JobSpec source would issue 4 KiB only.
writeFileSync(join(dir, 'mix.fio'), '[mix]\nioengine=libaio\ndirect=1\nrw=randread\nbssplit=4k/50:256k/50\niodepth=8\nnumjobs=2\nsize=1g\nruntime=1\n');
const sweepFile = join(dir, 'sweep.yaml');
const BASE = 'base:\n  preset: sas-128cpu\n  cpus: 8\n  ageing_maps: 0\n  warmup_ms: 2\nworkload: mix.fio\n';

async function expand(text: string) {
  return expandSweep(await parseSweepYaml(text, sweepFile));
}

describe('sweep workload: a fio job file on every point', () => {
  it('gives each point the jobs and platform `iovasim run` makes of the file, the axes on top, and runs the file’s I/O', async () => {
    const points = await expand(`${BASE}axes:\n  allocator: [linux, tlsf]\n  duration_ms: [6]\n`);
    expect(points).toHaveLength(2);
    const run = await readScenarioOrJobFile(join(dir, 'mix.fio'), { overrides: { cpus: 8, durationMs: 6, allocator: 'tlsf' } });
    const tlsf = points.find((p) => p.axes.allocator === 'tlsf')!;
    expect(tlsf.scenario.jobs).toEqual(run.scenario.jobs);
    expect(tlsf.scenario.platform).toEqual(run.scenario.platform);
    expect(tlsf.scenario.durationMs).toBe(6);
    expect(tlsf.scenario.allocator).toBe('tlsf');
    expect(tlsf.fioWorkload).toBeDefined();
    // The point worker runs the job file's sources: the same result as in this thread, not the plain source's.
    const summary = runPoint(taskOf(tlsf));
    const withSources = simulate(tlsf.scenario, { ioSources: fioIoSources(tlsf.fioWorkload!) });
    const plain = simulate(tlsf.scenario);
    expect(summary.iops).toBe(withSources.iops);
    expect(withSources.bandwidthMBps).not.toBe(plain.bandwidthMBps);
    // The job file is part of the fingerprint: another file, another fingerprint for the same scenario.
    writeFileSync(join(dir, 'mix2.fio'), '[mix]\nioengine=libaio\ndirect=1\nrw=randread\nbssplit=4k/50:256k/50\niodepth=8\nnumjobs=2\nsize=1g\nruntime=1\n# same jobs\n');
    const again = await expand(`${BASE.replace('mix.fio', 'mix2.fio')}axes:\n  allocator: [linux, tlsf]\n  duration_ms: [6]\n`);
    expect(again[1].scenario.jobs).toEqual(tlsf.scenario.jobs);
    expect(again[1].fingerprint).not.toBe(tlsf.fingerprint);
  });

  it('takes the runtime from the job file without a duration axis', async () => {
    const points = await expand(`${BASE}axes:\n  allocator: [linux]\n`);
    expect(points[0].scenario.durationMs).toBe(1000);
  });

  it('refuses an axis on a jobs field (the jobs are the file’s) and a job file it cannot read, at the key', async () => {
    await expect(parseSweepYaml(`${BASE}axes:\n  jobs: [[], [{}]]\n`, sweepFile)).rejects.toThrow(/sweep\.yaml:\d+:\d+: axes\.jobs: the jobs come from workload:/);
    await expect(parseSweepYaml(`${BASE.replace('mix.fio', 'nope.fio')}axes:\n  allocator: [linux]\n`, sweepFile)).rejects.toThrow(SweepError);
  });
});
