/**
 * A fio job file runs through the whole engine as written: each thread's I/O comes from its
 * FioIoSource under fio's phase order (src/sim/fio-workload.ts). The expectations are fio's
 * documented behaviour (fio's HOWTO), not this project's earlier output:
 * - bssplit "bssplit=4k/10:64k/50:32k/40 would issue 50% 64k blocks, 10% 4k blocks, and 40% 32k
 *   blocks": a chi-square test of the issued sizes against those shares;
 * - rate_iops with rate_process=poisson: the job averages the rate (a Poisson count: mean λt,
 *   standard deviation √(λt));
 * - stonewall: "wait for preceding jobs in the job file to exit before starting this one";
 *   wait_for: "the job will not start until the named job has finished";
 * - random_distribution=zipf:θ / pareto:h: fio draws ranks as lib/zipf.c does; the hottest block
 *   of zipf gets 1/ζ(n, θ) of the accesses, and pareto's hottest fraction f of the blocks gets
 *   f^(log(1-h)/log h) of them (0.8 for the 20 % hottest with h = 0.2: the 80/20 rule);
 * - ioengine=null does no device I/O.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/engine.js';
import { environmentSnapshot, fioIoSources, type IoSourceFactory, type PhaseGate } from '../../src/sim/fio-workload.js';
import { readScenarioOrJobFile } from '../../src/sim/scenario-file.js';
import { IO_SOURCE_BLOCKED, IO_SOURCE_DONE, type ClosedLoopIoSource, type NextIo } from '../../src/workloads/io-source.js';
import { runScenario, SCENARIO_PRESETS, type Scenario } from '../../src/index.js';

/** A small scenario object (the preset on 8 CPUs). */
function input0(): Scenario {
  return { ...SCENARIO_PRESETS['sas-128cpu'], cpus: 8 };
}

const dir = mkdtempSync(join(tmpdir(), 'iovasim-fio-workload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function jobFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Issue {
  thread: number;
  at: number;
  offset: number;
  length: number;
  write: boolean;
}

/** Wraps every thread's source to log what it hands the engine (issue time, length, direction). */
function recording(factory: IoSourceFactory, log: Issue[]): IoSourceFactory {
  return (job, thread, seed) => {
    const inner = factory(job, thread, seed);
    if (inner === undefined) return undefined;
    const source: ClosedLoopIoSource = {
      next(io: NextIo, nowNs: number): number {
        const at = inner.next(io, nowNs);
        if (at !== IO_SOURCE_DONE && at !== IO_SOURCE_BLOCKED) log.push({ thread, at, offset: io.offsetBytes, length: io.lengthBytes, write: io.write });
        return at;
      },
      completed: (io, nowNs) => inner.completed?.(io, nowNs),
      attachWake: (wake) => inner.attachWake?.(wake),
    };
    return source;
  };
}

async function load(path: string, overrides: { cpus?: number; durationMs?: number } = {}) {
  const input = await readScenarioOrJobFile(path, { overrides: { cpus: 8, ...overrides } });
  if (input.fioWorkload === undefined || input.ioSources === undefined) throw new Error('not read as a fio job file');
  return input as typeof input & { fioWorkload: NonNullable<typeof input.fioWorkload>; ioSources: NonNullable<typeof input.ioSources> };
}

describe('fio job file through the engine', () => {
  it('bssplit=4k/10:64k/50:32k/40: issued sizes match the documented shares (chi-square, 2 degrees of freedom, ≥ 5,000 I/Os)', async () => {
    const path = jobFile('split.fio', '[split]\ndirect=1\nrw=randwrite\nbssplit=4k/10:64k/50:32k/40\niodepth=16\nnumjobs=4\nsize=1g\n');
    const input = await load(path, { durationMs: 100 });
    const log: Issue[] = [];
    const result = simulate(input.scenario, { ioSources: recording(input.ioSources, log) });
    expect(result.ios).toBeGreaterThan(0);
    const n = log.length;
    expect(n).toBeGreaterThanOrEqual(5_000);
    const expected = new Map([
      [4096, 0.1],
      [65536, 0.5],
      [32768, 0.4],
    ]);
    const counts = new Map<number, number>();
    for (const issue of log) counts.set(issue.length, (counts.get(issue.length) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([4096, 32768, 65536]);
    let chiSquare = 0;
    for (const [size, share] of expected) chiSquare += ((counts.get(size) ?? 0) - n * share) ** 2 / (n * share);
    // 13.82 is the 0.999 quantile of chi-square with 2 degrees of freedom.
    expect(chiSquare).toBeLessThan(13.82);
    expect(log.every((i) => i.write)).toBe(true);
  });

  it('rw=randrw with rwmixread=70: reads are 70 % of the I/Os issued (within 4 standard deviations of a binomial, ≥ 10,000 I/Os)', async () => {
    const path = jobFile('mix.fio', '[mix]\ndirect=1\nrw=randrw\nrwmixread=70\nbs=4k\niodepth=8\nnumjobs=2\nsize=1g\n');
    const input = await load(path, { durationMs: 60 });
    const log: Issue[] = [];
    simulate(input.scenario, { ioSources: recording(input.ioSources, log) });
    const n = log.length;
    expect(n).toBeGreaterThanOrEqual(10_000);
    const reads = log.filter((i) => !i.write).length;
    expect(Math.abs(reads - 0.7 * n)).toBeLessThan(4 * Math.sqrt(n * 0.7 * 0.3));
  });

  it('rate_iops=50 with rate_process=poisson reports ~50 IOPS (within 4 standard deviations of a Poisson count, ~900 I/Os measured)', async () => {
    const path = jobFile('poisson.fio', '[slow]\ndirect=1\nrw=randread\nbs=4k\nrate_iops=50\nrate_process=poisson\niodepth=4\nsize=1g\nruntime=20\ntime_based\n');
    const input = await load(path);
    expect(input.scenario.durationMs).toBe(20_000);
    const result = simulate(input.scenario, { ioSources: input.ioSources });
    const seconds = result.measuredMs / 1e3;
    const expected = 50 * seconds;
    expect(expected).toBeGreaterThan(800);
    expect(Math.abs(result.ios - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(Math.abs(result.iops - 50)).toBeLessThan((4 * Math.sqrt(expected)) / seconds);
  });

  it('rate_iops=50 (linear) issues exactly one I/O per 20 ms: the reported IOPS is 50 ± one I/O over the window', async () => {
    const path = jobFile('linear.fio', '[steady]\ndirect=1\nrw=write\nbs=8k\nrate_iops=50\niodepth=1\nsize=1g\nruntime=4\n');
    const input = await load(path);
    const result = simulate(input.scenario, { ioSources: input.ioSources });
    const seconds = result.measuredMs / 1e3;
    expect(Math.abs(result.ios - 50 * seconds)).toBeLessThanOrEqual(1);
  });

  /** Accesses per 4 KiB block of the region, hottest first. */
  function hottestFirst(log: readonly Issue[], blocks: number): number[] {
    const counts = new Array<number>(blocks).fill(0);
    for (const issue of log) counts[issue.offset / 4096]++;
    return counts.sort((a, b) => b - a);
  }

  it('zipf:1.2 over 256 blocks: each clone’s hottest block gets 1/ζ(256, 1.2) of its accesses (binomial, 4 standard deviations, ≥ 10,000 I/Os per clone)', async () => {
    const path = jobFile('zipf.fio', '[hot]\ndirect=1\nrw=randread\nbs=4k\nsize=1m\nio_size=10g\nrandom_distribution=zipf:1.2\niodepth=8\nnumjobs=2\n');
    const input = await load(path, { durationMs: 120 });
    const log: Issue[] = [];
    simulate(input.scenario, { ioSources: recording(input.ioSources, log) });
    let zeta = 0;
    for (let i = 1; i <= 256; i++) zeta += i ** -1.2;
    const p = 1 / zeta;
    // Each clone scatters its ranks by its own permutation: its hottest block is its rank 0.
    for (const thread of [0, 1]) {
      const mine = log.filter((i) => i.thread === thread);
      expect(mine.length).toBeGreaterThanOrEqual(10_000);
      const share = hottestFirst(mine, 256)[0] / mine.length;
      expect(Math.abs(share - p), `clone ${thread}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / mine.length));
    }
  });

  it('pareto:0.2 over 256 blocks: the hottest 20 % of a clone’s blocks get 80 % of its accesses (± 0.03, ≥ 10,000 I/Os per clone)', async () => {
    const path = jobFile('pareto.fio', '[hot]\ndirect=1\nrw=randread\nbs=4k\nsize=1m\nio_size=10g\nrandom_distribution=pareto:0.2\niodepth=8\nnumjobs=2\n');
    const input = await load(path, { durationMs: 120 });
    const log: Issue[] = [];
    simulate(input.scenario, { ioSources: recording(input.ioSources, log) });
    const expected = 0.2 ** (Math.log(0.8) / Math.log(0.2));
    expect(expected).toBeCloseTo(0.8, 2);
    for (const thread of [0, 1]) {
      const mine = log.filter((i) => i.thread === thread);
      expect(mine.length).toBeGreaterThanOrEqual(10_000);
      const top = hottestFirst(mine, 256)
        .slice(0, Math.round(0.2 * 256))
        .reduce((x, y) => x + y, 0);
      expect(Math.abs(top / mine.length - expected), `clone ${thread}`).toBeLessThan(0.03);
    }
  });

  it('stonewall: no I/O of a later phase is issued before every thread of the earlier phases has exited (3 phases, 2 clones each)', async () => {
    const text = [
      '[global]\ndirect=1\nbs=4k\niodepth=4\nnumjobs=2\nsize=64m\n',
      '[first]\nrw=randwrite\nnumber_ios=3000\n',
      '[second]\nstonewall\nrw=randread\nnumber_ios=2000\n',
      '[third]\nwait_for_previous\nrw=write\nnumber_ios=1000\n',
    ].join('\n');
    const input = await load(jobFile('phases.fio', text), { durationMs: 200 });
    const gates: PhaseGate[] = [];
    const log: Issue[] = [];
    simulate(input.scenario, { ioSources: recording(fioIoSources(input.fioWorkload, (gate) => gates.push(gate)), log) });
    expect(gates).toHaveLength(1);
    const gate = gates[0];
    const phaseOf = (thread: number): number => Math.floor(thread / 2);
    // Every thread ran and exited (its I/O limit is reached well inside 200 ms).
    for (let thread = 0; thread < 6; thread++) expect(gate.exitNs[thread], `thread ${thread}`).toBeGreaterThan(0);
    for (const phase of [1, 2]) {
      const earlierEnd = Math.max(...[0, 1, 2, 3, 4, 5].filter((t) => phaseOf(t) < phase).map((t) => gate.exitNs[t]));
      const firstIssue = Math.min(...log.filter((i) => phaseOf(i.thread) === phase).map((i) => i.at));
      expect(firstIssue, `phase ${phase}`).toBeGreaterThanOrEqual(earlierEnd);
      const lastEarlierIssue = Math.max(...log.filter((i) => phaseOf(i.thread) < phase).map((i) => i.at));
      expect(lastEarlierIssue).toBeLessThan(firstIssue);
    }
    // Each phase issued what it was told: 3000, 2000 and 1000 I/Os per clone.
    expect([0, 1, 2].map((p) => log.filter((i) => phaseOf(i.thread) === p).length)).toEqual([6000, 4000, 2000]);
  });

  it('wait_for: a job starts when every clone of the named job has exited, while other jobs run from the start', async () => {
    const text = '[global]\ndirect=1\nbs=4k\niodepth=2\nsize=64m\n\n[writer]\nrw=write\nnumjobs=2\nnumber_ios=2000\n\n[other]\nrw=randread\nnumber_ios=500\n\n[checker]\nwait_for=writer\nrw=read\nnumber_ios=500\n';
    const input = await load(jobFile('waitfor.fio', text), { durationMs: 200 });
    const gates: PhaseGate[] = [];
    const log: Issue[] = [];
    simulate(input.scenario, { ioSources: recording(fioIoSources(input.fioWorkload, (gate) => gates.push(gate)), log) });
    const gate = gates[0];
    const writersDone = Math.max(gate.exitNs[0], gate.exitNs[1]);
    expect(writersDone).toBeGreaterThan(0);
    expect(Math.min(...log.filter((i) => i.thread === 3).map((i) => i.at))).toBeGreaterThanOrEqual(writersDone);
    expect(gate.startNs[2]).toBe(0); // [other] does not wait
    expect(log.filter((i) => i.thread === 3)).toHaveLength(500);
  });

  it('ioengine=null: no device I/O, 0 IOPS, and the note says so (runScenario returns the notes)', async () => {
    const path = jobFile('null.fio', '[nothing]\nioengine=null\nrw=randread\nbs=4k\nsize=1g\nruntime=1\n');
    const result = await runScenario(path, { cpus: 8, durationMs: 20 });
    expect(result.ios).toBe(0);
    expect(result.iops).toBe(0);
    expect(result.notes.some((n) => /ioengine: null: .*issues none/.test(n))).toBe(true);
    // A scenario has nothing to announce; a plain job file only what it does not simulate.
    expect((await runScenario(input0(), { durationMs: 5 })).notes).toEqual([]);
    const plain = await runScenario(jobFile('plain.fio', '[p]\nioengine=libaio\ndirect=1\nrw=randread\nbs=4k\nsize=1g\nruntime=1\n'), { cpus: 8, durationMs: 5 });
    expect(plain.notes).toEqual([]);
    expect(plain.ios).toBeGreaterThan(0);
  });

  it('--section: only the named sections run, and a section the file lacks is an error naming the file', async () => {
    const path = jobFile('two.fio', '[global]\ndirect=1\nbs=4k\nsize=64m\n[a]\nrw=read\n[b]\nrw=write\n');
    const input = await readScenarioOrJobFile(path, { overrides: { cpus: 8, durationMs: 20 }, sections: ['b'] });
    expect(input.scenario.jobs.map((j) => j.name)).toEqual(['b']);
    await expect(readScenarioOrJobFile(path, { overrides: { cpus: 8 }, sections: ['c'] })).rejects.toThrow(/two\.fio: section: no job section "c"/);
  });

  it('is deterministic: the same seed gives the same result; another seed, another', async () => {
    const path = jobFile('seeded.fio', '[z]\ndirect=1\nrw=randread\nbssplit=4k/50:128k/50\nrandom_distribution=zipf:1.1\niodepth=8\nsize=1g\n');
    const input = await load(path, { durationMs: 20 });
    const a = JSON.stringify(simulate(input.scenario, { ioSources: input.ioSources }));
    const b = JSON.stringify(simulate(input.scenario, { ioSources: fioIoSources(input.fioWorkload) }));
    expect(a).toBe(b);
    const other = JSON.stringify(simulate({ ...input.scenario, seed: input.scenario.seed + 1 }, { ioSources: input.ioSources }));
    expect(other).not.toBe(a);
  });

  it('a workload carries only the environment variables its job file names (all of them when it includes files)', () => {
    const env = { FIO_BS: '8k', SECRET_TOKEN: 'x', HOME: '/root' };
    expect(environmentSnapshot(env, '[j]\nbs=${FIO_BS}\n')).toEqual({ FIO_BS: '8k' });
    expect(environmentSnapshot(env, '[j]\ninclude more.fio\n')).toEqual(env);
  });
});
