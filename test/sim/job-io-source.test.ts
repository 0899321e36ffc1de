// Job threads draw every I/O from a ClosedLoopIoSource: the default one reproduces fio's plain job,
// a caller's source decides sizes and pacing, and variable sizes go through the same block layer.
import { describe, expect, it } from 'vitest';
import { planIo } from '../../src/block/io-path.js';
import { simulate } from '../../src/sim/engine.js';
import { scenarioHostSetup } from '../../src/sim/host-setup.js';
import { JobIoSource } from '../../src/sim/job-io-source.js';
import { SMALL_SCENARIO } from '../support/scenarios.js';
import type { JobSpec, Scenario } from '../../src/sim/scenario.js';
import { IO_SOURCE_DONE, type ClosedLoopIoSource, type NextIo } from '../../src/workloads/io-source.js';

const K = 1024;
const SMALL: Scenario = SMALL_SCENARIO;

const slot = (): NextIo => ({ offsetBytes: 0, lengthBytes: 0, write: false });

describe('JobIoSource', () => {
  const job: JobSpec = { ...SMALL.jobs[0], bs: 8 * K, sizeBytes: 64 * K };

  it('walks the file sequentially and wraps at its size', () => {
    const source = new JobIoSource({ ...job, rw: 'write' }, 1);
    const io = slot();
    const offsets: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(source.next(io, 5 * i)).toBe(5 * i);
      offsets.push(io.offsetBytes);
      expect(io.lengthBytes).toBe(8 * K);
      expect(io.write).toBe(true);
    }
    expect(offsets).toEqual([0, 8, 16, 24, 32, 40, 48, 56, 0, 8].map((k) => k * K));
  });

  it('draws bs-aligned random offsets within the size, the same for the same seed', () => {
    const draw = (seed: number): number[] => {
      const source = new JobIoSource({ ...job, rw: 'randread' }, seed);
      const io = slot();
      return Array.from({ length: 50 }, () => (source.next(io, 0), io.offsetBytes));
    };
    const a = draw(7);
    expect(a).toEqual(draw(7));
    expect(a).not.toEqual(draw(8));
    expect(a.every((offset) => offset % (8 * K) === 0 && offset < 64 * K)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(4);
  });
});

/** Alternates 4 KiB and 1 MiB sequential reads. */
class AlternatingSource implements ClosedLoopIoSource {
  private n = 0;
  private offset = 0;
  next(io: NextIo, nowNs: number): number {
    io.lengthBytes = this.n++ % 2 === 0 ? 4 * K : 1024 * K;
    io.offsetBytes = this.offset;
    io.write = false;
    this.offset += 4 * 1024 * K;
    return nowNs;
  }
}

/** One 4 KiB read every `periodNs` at most; counts completions; stops after `limit` I/Os if given. */
class PacedSource implements ClosedLoopIoSource {
  private nextAt = 0;
  private issued = 0;
  completions = 0;
  constructor(
    private readonly periodNs: number,
    private readonly limit = Infinity,
  ) {}
  next(io: NextIo, nowNs: number): number {
    if (this.issued === this.limit) return IO_SOURCE_DONE;
    io.lengthBytes = 4 * K;
    io.offsetBytes = (this.issued++ % 1000) * 64 * K;
    io.write = true;
    const at = Math.max(nowNs, this.nextAt);
    this.nextAt = at + this.periodNs;
    return at;
  }
  completed(io: NextIo): void {
    expect(io.lengthBytes).toBe(4 * K);
    this.completions++;
  }
}

describe('job threads draw their I/Os from a source', () => {
  it('a variable-size source goes through split and map_sg: cacheable and uncacheable mappings, as limits plans them', () => {
    const fast: Scenario = { ...SMALL, disks: { ...SMALL.disks, bandwidthMBps: 100_000 }, linkMBps: 1_000_000 };
    const result = simulate(fast, { ioSources: () => new AlternatingSource() });
    expect(result.ios).toBeGreaterThan(1000);
    // What `iovasim limits` says a 4 KiB and a 1 MiB read become on this host (hisi_sas, no cap:
    // 1 MiB of scattered pages is 124 + 124 + 8 pages, max_segments binding).
    const setup = scenarioHostSetup(fast);
    const pair = [...planIo(setup, { ioBytes: 4 * K }), ...planIo(setup, { ioBytes: 1024 * K })];
    expect(pair.length).toBe(4);
    const cacheable = pair.filter((p) => p.iova?.rcacheable === true).length;
    expect(cacheable).toBeGreaterThan(0);
    expect(cacheable).toBeLessThan(pair.length);
    expect(result.requests / result.ios).toBeCloseTo(pair.length / 2, 1);
    const cached = result.rcache.perClass.reduce((n, k) => n + k.hits + k.misses, 0);
    expect(cached / result.requests).toBeCloseTo(cacheable / pair.length, 1);
    // The uncacheable mappings reach the tree: a lock acquisition at map and at unmap.
    expect(result.lock.acquisitions / result.requests).toBeCloseTo((2 * (pair.length - cacheable)) / pair.length, 1);
  });

  it('follows a rate-limited source: 8 threads at one I/O per 80 µs make 100K IOPS', () => {
    const sources: PacedSource[] = [];
    const result = simulate(SMALL, {
      ioSources: () => {
        const source = new PacedSource(80_000);
        sources.push(source);
        return source;
      },
    });
    expect(result.iops / 100_000).toBeGreaterThan(0.98);
    expect(result.iops / 100_000).toBeLessThan(1.02);
    const completions = sources.reduce((n, s) => n + s.completions, 0);
    expect(completions).toBeGreaterThanOrEqual(result.ios);
  });

  it('stops a thread whose source is done, and uses the default source where the hook gives none', () => {
    const limited = new PacedSource(1000, 50);
    const result = simulate({ ...SMALL, warmupMs: 0.001 }, { ioSources: (_, thread) => (thread === 0 ? limited : undefined) });
    expect(limited.completions).toBe(50);
    // The other seven threads ran the job's own 4 KiB sequential reads throughout.
    expect(result.ios).toBeGreaterThan(1000);
    const plain = simulate(SMALL);
    expect(JSON.stringify(simulate(SMALL, { ioSources: () => undefined }))).toBe(JSON.stringify(plain));
  });
});
