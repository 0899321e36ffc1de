import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fioJobStreams, generateFioJob, mergeByTime } from '../../src/workloads/fio-generator.js';
import { parseFioJobFile, parseFioJobText, type FioJob } from '../../src/workloads/fio-job.js';
import type { IoRecord } from '../../src/workloads/io-record.js';
import { Mulberry32, RandomPermutation, mixSeed } from '../../src/workloads/random.js';
import { expectWorkloadErrorSync, fixture } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * 1024;

function job(text: string): FioJob {
  return parseFioJobText(`[j]\n${text}\n`, 'gen.fio').jobs[0];
}

function offsets(records: IoRecord[]): number[] {
  return records.map((r) => r.offsetBytes);
}

describe('sequential jobs', () => {
  it('fio-seq-read.fio: 256k reads back to back, iodepth 16 spacing the modelled 100 µs service time', () => {
    const [seq] = parseFioJobFile(fixture('fio/fio-seq-read.fio')).jobs;
    const records = [...generateFioJob(seq, { maxRecords: 4 })];
    expect(records).toEqual([0, 1, 2, 3].map((i) => ({ timeNs: i * 6250, op: 'read', offsetBytes: i * 256 * KiB, lengthBytes: 256 * KiB, device: 'fio-seq-reads', pid: 1, line: i + 1 })));
  });

  it('wraps at the end of the region, stops at io_size, and repeats for loops', () => {
    expect(offsets([...generateFioJob(job('rw=write\nsize=16k\nio_size=32k'))])).toEqual([0, 4, 8, 12, 0, 4, 8, 12].map((k) => k * KiB));
    expect(offsets([...generateFioJob(job('rw=read\nsize=8k\nloops=3'))]).length).toBe(6);
    expect(offsets([...generateFioJob(job('rw=read\nsize=16k\noffset=1m'))])).toEqual([0, 4, 8, 12].map((k) => MiB + k * KiB));
  });

  it('rw=write:4k leaves holes; backwards-read.fio walks down from the end', () => {
    expect(offsets([...generateFioJob(job('rw=write:4k\nsize=32k'), { maxRecords: 4 })])).toEqual([0, 8, 16, 24].map((k) => k * KiB));
    const [back] = parseFioJobFile(fixture('fio/backwards-read.fio')).jobs;
    expect(offsets([...generateFioJob(back, { maxRecords: 3 })])).toEqual([128 * MiB - 4 * KiB, 128 * MiB - 8 * KiB, 128 * MiB - 12 * KiB]);
  });

  it('keeps a separate position per direction in a sequential mix, as fio does', () => {
    const records = [...generateFioJob(job('rw=rw\nsize=1m\nrwmixread=50'), { maxRecords: 200 })];
    for (const op of ['read', 'write'] as const) {
      const mine = records.filter((r) => r.op === op).map((r) => r.offsetBytes);
      expect(mine).toEqual(mine.map((_, i) => i * 4 * KiB));
    }
  });

  it('sg_verify.fio: number_ios bounds a job without a size, given the device size', () => {
    const jobs = parseFioJobFile(fixture('fio/sg_verify.fio')).jobs;
    const precon = [...generateFioJob(jobs[0], { deviceSizeBytes: 1 * MiB })];
    expect(precon.length).toBe(20);
    expect(precon.every((r, i) => r.op === 'write' && r.offsetBytes === i * 512 && r.lengthBytes === 512 && r.device === '/dev/sdb')).toBe(true);
    expect([...generateFioJob(jobs[3], { deviceSizeBytes: 1 * MiB })].map((r) => r.lengthBytes)).toEqual([5120, 5120]);
  });

  it('trimwrite trims then writes each block', () => {
    const records = [...generateFioJob(job('rw=trimwrite\nsize=8k'))];
    expect(records.map((r) => [r.op, r.offsetBytes])).toEqual([
      ['trim', 0],
      ['write', 0],
      ['trim', 4096],
      ['write', 4096],
    ]);
  });
});

describe('random jobs', () => {
  it('the random map touches every block exactly once per pass, in a different order each pass', () => {
    const records = [...generateFioJob(job('rw=randread\nsize=1m\nio_size=2m'), { seed: 7 })];
    expect(records.length).toBe(512);
    const pass1 = offsets(records.slice(0, 256));
    const pass2 = offsets(records.slice(256));
    const all = Array.from({ length: 256 }, (_, i) => i * 4 * KiB);
    expect([...pass1].sort((a, b) => a - b)).toEqual(all);
    expect([...pass2].sort((a, b) => a - b)).toEqual(all);
    expect(pass1).not.toEqual(pass2);
    expect(pass1).not.toEqual(all);
  });

  it('without the map, draws independently (blocks repeat), aligned and inside the region', () => {
    const records = [...generateFioJob(job('rw=randwrite\nsize=1m\noffset=64k\nnorandommap\nnumber_ios=2000'))];
    const blocks = offsets(records);
    expect(new Set(blocks).size).toBeLessThan(256);
    expect(blocks.every((o) => o >= 64 * KiB && o + 4 * KiB <= 64 * KiB + MiB && o % (4 * KiB) === 0)).toBe(true);
  });

  it('is deterministic per seed, and numjobs clones get distinct seeds and pids', () => {
    const rnd = parseFioJobFile(fixture('fio/fio-rand-RW.fio')).jobs[0];
    const a = [...generateFioJob(rnd, { seed: 3, maxRecords: 100 })];
    const b = [...generateFioJob(rnd, { seed: 3, maxRecords: 100 })];
    const c = [...generateFioJob(rnd, { seed: 4, maxRecords: 100 })];
    expect(a).toEqual(b);
    expect(offsets(a)).not.toEqual(offsets(c));
    const streams = fioJobStreams(rnd, { seed: 3, maxRecords: 100 });
    expect(streams.map((s) => s.clone)).toEqual([0, 1, 2, 3]);
    expect(new Set(streams.map((s) => s.seed)).size).toBe(4);
    const firsts = streams.map((s) => [...s.records]);
    expect(firsts[0]).toEqual(a.map((r) => ({ ...r, pid: 1 })));
    expect(firsts.map((r) => r[0].pid)).toEqual([1, 2, 3, 4]);
    expect(new Set(firsts.map((r) => r[0].offsetBytes)).size).toBe(4);
  });

  it('mixes reads and writes by rwmixread', () => {
    const records = [...generateFioJob(job('rw=randrw\nrwmixread=60\nsize=1g'), { maxRecords: 20000 })];
    const reads = records.filter((r) => r.op === 'read').length / records.length;
    expect(reads).toBeGreaterThan(0.58);
    expect(reads).toBeLessThan(0.62);
  });

  it('rw=randread:4 issues runs of four: sequential, or the same offset with rw_sequencer=identical', () => {
    const seq = offsets([...generateFioJob(job('rw=randread:4\nsize=64m'), { maxRecords: 12 })]);
    for (let run = 0; run < 3; run++) {
      const first = seq[run * 4];
      expect(seq.slice(run * 4, run * 4 + 4)).toEqual([first, first + 4096, first + 8192, first + 12288]);
    }
    const same = offsets([...generateFioJob(job('rw=randread:4\nrw_sequencer=identical\nsize=64m'), { maxRecords: 8 })]);
    expect(new Set(same.slice(0, 4)).size).toBe(1);
    expect(new Set(same.slice(4, 8)).size).toBe(1);
  });

  it('sequence-distribution.fio: the documented block orders', () => {
    const [repeating, strided] = parseFioJobFile(fixture('fio/sequence-distribution.fio')).jobs;
    expect(offsets([...generateFioJob(repeating)]).map((o) => o / 4096)).toEqual([2, 0, 1, 2, 0, 1]);
    expect(offsets([...generateFioJob(strided)]).map((o) => o / 4096)).toEqual([2, 0, 1, 5, 3, 4]);
  });

  it('skews accesses for zipf and zoned distributions', () => {
    const count = (text: string): Map<number, number> => {
      const m = new Map<number, number>();
      for (const r of generateFioJob(job(`${text}\nio_size=80000k`))) m.set(r.offsetBytes, (m.get(r.offsetBytes) ?? 0) + 1);
      return m;
    };
    const top = (m: Map<number, number>): number => {
      expect([...m.values()].reduce((a, b) => a + b, 0)).toBe(20000);
      return Math.max(...m.values()) / 20000;
    };
    expect(top(count('rw=randread\nsize=4000k\nrandom_distribution=zipf:1.2'))).toBeGreaterThan(0.15);
    expect(top(count('rw=randread\nsize=4000k\nnorandommap'))).toBeLessThan(0.01);
    const zoned = count('rw=randread\nsize=4000k\nrandom_distribution=zoned:60/10:30/20:10/70');
    let inFirstTenth = 0;
    for (const [off, n] of zoned) if (off < 400 * KiB) inFirstTenth += n;
    expect(inFirstTenth / 20000).toBeGreaterThan(0.57);
    expect(inFirstTenth / 20000).toBeLessThan(0.63);
  });
});

describe('block sizes', () => {
  it('bssplit picks sizes by weight', () => {
    const records = [...generateFioJob(job('rw=randread\nsize=64m\nbssplit=4k/50:8k/25:64k/25'), { maxRecords: 20000 })];
    const share = (len: number): number => records.filter((r) => r.lengthBytes === len).length / records.length;
    expect(share(4096)).toBeGreaterThan(0.48);
    expect(share(4096)).toBeLessThan(0.52);
    expect(share(65536)).toBeGreaterThan(0.23);
    expect(share(65536)).toBeLessThan(0.27);
    expect(records.every((r) => r.offsetBytes % 4096 === 0)).toBe(true);
  });

  it('bsrange gives multiples of the minimum (any size with bs_unaligned); bs=4k,8k splits by direction', () => {
    const lens = new Set([...generateFioJob(job('rw=randread\nsize=64m\nbsrange=1k-4k'), { maxRecords: 2000 })].map((r) => r.lengthBytes));
    expect([...lens].sort((a, b) => a - b)).toEqual([1024, 2048, 3072, 4096]);
    const odd = [...generateFioJob(job('rw=randread\nsize=64m\nbsrange=1k-4k\nbs_unaligned'), { maxRecords: 2000 })].map((r) => r.lengthBytes);
    expect(new Set(odd).size).toBeGreaterThan(100);
    expect(odd.every((l) => l >= 1024 && l <= 4096)).toBe(true);
    const split = [...generateFioJob(job('rw=randrw\nsize=64m\nbs=4k,8k'), { maxRecords: 200 })];
    expect(split.every((r) => r.lengthBytes === (r.op === 'read' ? 4096 : 8192))).toBe(true);
  });
});

describe('time, rates and CPUs', () => {
  it('spaces I/Os by rate_iops, or exponentially with rate_process=poisson', () => {
    const [fixed] = parseFioJobFile(fixture('fio/fixed-rate-submission.fio')).jobs;
    expect([...generateFioJob(fixed, { maxRecords: 4 })].map((r) => r.timeNs)).toEqual([0, 1e6, 2e6, 3e6]);
    const [poisson] = parseFioJobFile(fixture('fio/poisson-rate-submission.fio')).jobs;
    const times = [...generateFioJob(poisson, { maxRecords: 2001 })].map((r) => r.timeNs);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(0.9 * 20e6);
    expect(mean).toBeLessThan(1.1 * 20e6);
    expect(new Set(gaps).size).toBeGreaterThan(1000);
  });

  it('adds thinktime after every thinktime_blocks I/Os and stops at startdelay + ramp_time + runtime', () => {
    expect([...generateFioJob(job('size=1m\nthinktime=1ms\nthinktime_blocks=2'), { maxRecords: 5 })].map((r) => r.timeNs)).toEqual([
      0, 100e3, 1.2e6, 1.3e6, 2.4e6,
    ]);
    const timed = [...generateFioJob(job('size=1m\ntime_based\nruntime=1ms\nrate_iops=10000'))];
    expect(timed.map((r) => r.timeNs)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100e3));
    const delayed = [...generateFioJob(job('size=1m\ntime_based\nruntime=1ms\nramp_time=1ms\nstartdelay=1s\nrate_iops=10000'))];
    expect(delayed.length).toBe(20);
    expect(delayed[0].timeNs).toBe(1e9);
  });

  it('puts clone i on cpus_allowed[i mod n]', () => {
    const j = job('rw=randread\nsize=1m\nnumjobs=3\ncpus_allowed=2,5');
    expect(fioJobStreams(j, { maxRecords: 1 }).map((s) => [...s.records][0].cpu)).toEqual([2, 5, 2]);
    expect([...generateFioJob(job('size=1m'), { maxRecords: 1 })][0].cpu).toBeUndefined();
  });

  it('offset_increment moves each clone; mergeByTime interleaves the clones in time order', () => {
    const j = job('rw=write\nsize=1m\nnumjobs=4\noffset_increment=1m');
    const streams = fioJobStreams(j);
    expect(streams.map((s) => [...s.records][0].offsetBytes)).toEqual([0, 1, 2, 3].map((k) => k * MiB));
    const merged = [...mergeByTime(streams.map((s) => s.records))];
    expect(merged.length).toBe(4 * 256);
    expect(merged.every((r, i) => i === 0 || r.timeNs >= merged[i - 1].timeNs)).toBe(true);
    expect(merged.slice(0, 4).map((r) => r.pid)).toEqual([1, 2, 3, 4]);
  });

  it('names what is missing for percentages, unbounded time_based jobs and jobs without a size', () => {
    expectWorkloadErrorSync(() => [...generateFioJob(job('size=50%'))], { file: 'gen.fio', line: 1, field: 'size', message: /deviceSizeBytes/ });
    expectWorkloadErrorSync(() => [...generateFioJob(job('size=1m\noffset=10%'))], { file: 'gen.fio', line: 1, field: 'offset' });
    expectWorkloadErrorSync(() => [...generateFioJob(job('rw=read'))], { file: 'gen.fio', line: 1, field: 'size' });
    expectWorkloadErrorSync(() => [...generateFioJob(job('size=1m\ntime_based'))], { file: 'gen.fio', line: 1, field: 'time_based' });
    expect([...generateFioJob(job('size=50%\noffset=25%'), { deviceSizeBytes: 4 * MiB })][0].offsetBytes).toBe(MiB);
  });
});

describe('properties', () => {
  it('every record is aligned, inside its region and in time order, for any simple job', () => {
    fc.assert(
      fc.property(
        fc.record({
          rw: fc.constantFrom('read', 'write', 'randread', 'randwrite', 'rw', 'randrw'),
          bsShift: fc.integer({ min: 9, max: 16 }),
          blocks: fc.integer({ min: 1, max: 300 }),
          offsetBlocks: fc.integer({ min: 0, max: 50 }),
          iodepth: fc.integer({ min: 1, max: 64 }),
          norandommap: fc.boolean(),
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
        }),
        (p) => {
          const bs = 2 ** p.bsShift;
          const j = job(`rw=${p.rw}\nbs=${bs}\nsize=${p.blocks * bs}\noffset=${p.offsetBlocks * bs}\niodepth=${p.iodepth}${p.norandommap ? '\nnorandommap' : ''}`);
          const start = p.offsetBlocks * bs;
          const end = start + p.blocks * bs;
          const records = [...generateFioJob(j, { seed: p.seed, maxRecords: 500 })];
          expect(records.length).toBe(Math.min(500, p.blocks));
          const bad = records.filter(
            (r, i) =>
              r.lengthBytes !== bs ||
              r.offsetBytes % bs !== 0 ||
              r.offsetBytes < start ||
              r.offsetBytes + r.lengthBytes > end ||
              (i > 0 && r.timeNs < records[i - 1].timeNs),
          );
          expect(bad).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('RandomPermutation is a bijection for any size and seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer(), (n, seed) => {
        const p = new RandomPermutation(n, seed);
        const seen = new Uint8Array(n);
        let distinct = 0;
        for (let i = 0; i < n; i++) {
          const v = p.at(i);
          if (Number.isInteger(v) && v >= 0 && v < n && seen[v] === 0) distinct++;
          seen[v] = 1;
        }
        expect(distinct).toBe(n);
      }),
      { numRuns: 60 },
    );
  });

  it('Mulberry32.below is in range and roughly uniform; mixSeed separates nearby inputs', () => {
    const rng = new Mulberry32(42);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 50000; i++) counts[rng.below(10)]++;
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(300);
    const big = rng.below(2 ** 40);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThan(2 ** 40);
    expect(new Set([mixSeed(1, 0, 0), mixSeed(1, 0, 1), mixSeed(1, 1, 0), mixSeed(2, 0, 0)]).size).toBe(4);
  });
});
