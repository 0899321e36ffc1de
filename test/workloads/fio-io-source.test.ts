/**
 * FioIoSource against fio's documented behaviour: the distributions are checked statistically
 * against their analytic forms (sample sizes in the test names), the timing against fio's rules
 * (usec_for_io, thinktime, number_ios), and the closed-loop contract (no trims, DONE stays DONE).
 */
import { describe, expect, it } from 'vitest';
import { parseFioJobText, type FioJob } from '../../src/workloads/fio-job.js';
import { FioIoSource, createFioIoSources } from '../../src/workloads/fio-io-source.js';
import { IO_SOURCE_DONE, type NextIo } from '../../src/workloads/io-source.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function job(text: string): FioJob {
  return parseFioJobText(`[j]\n${text}\n`, 'src.fio', { env: {} }).jobs[0];
}

interface Issued {
  atNs: number;
  offsetBytes: number;
  lengthBytes: number;
  write: boolean;
}

/**
 * Drives a source as a simulator thread with iodepth 1 would: ask, issue at the returned time,
 * complete `serviceNs` later, report the completion, ask again.
 */
function drive(source: FioIoSource, max: number, serviceNs = 0): Issued[] {
  const io: NextIo = { offsetBytes: 0, lengthBytes: 0, write: false };
  const out: Issued[] = [];
  let now = 0;
  while (out.length < max) {
    const at = source.next(io, now);
    if (at === IO_SOURCE_DONE) break;
    if (at < now) throw new Error(`issue time ${at} before the thread was ready (${now})`); // (expect() per I/O is too slow here)
    out.push({ atNs: at, offsetBytes: io.offsetBytes, lengthBytes: io.lengthBytes, write: io.write });
    now = at + serviceNs;
    source.completed(io, now);
  }
  return out;
}

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(observed: number[], probabilities: number[]): number {
  const n = observed.reduce((s, v) => s + v, 0);
  return observed.reduce((s, o, i) => s + (o - n * probabilities[i]) ** 2 / (n * probabilities[i]), 0);
}

// Upper 0.1 % points of the chi-square distribution (tables), by degrees of freedom.
const CHI2_999: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27, 5: 20.52, 11: 31.26 };

/** Counts per distinct value, in the order of `values`. */
function counts(items: number[], values: number[]): number[] {
  const index = new Map(values.map((v, i) => [v, i]));
  const out = values.map(() => 0);
  for (const item of items) {
    const i = index.get(item);
    if (i === undefined) throw new Error(`unexpected value ${item}`);
    out[i]++;
  }
  return out;
}

describe('block sizes: bssplit, bsrange, per direction', () => {
  it('bssplit=4k/10:64k/40:1m/50 gives each size its weight (chi-square, N=100000, df=2, p=0.001)', () => {
    const ios = drive(new FioIoSource(job('rw=randwrite\nsize=16g\nio_size=1t\nbssplit=4k/10:64k/40:1m/50')), 100_000);
    expect(ios.length).toBe(100_000);
    const sizes = [4 * KiB, 64 * KiB, MiB];
    const c = counts(ios.map((i) => i.lengthBytes), sizes);
    expect(chiSquare(c, [0.1, 0.4, 0.5])).toBeLessThan(CHI2_999[2]);
  });

  it('the JESD219 client mix keeps its 512 B to 64 KiB sizes in their shares (chi-square, N=100000, df=11)', () => {
    const split = '512/4:1k/1:1536/1:2k/1:2560/1:3k/1:3584/1:4k/67:8k/10:16k/7:32k/3:64k/3';
    const ios = drive(new FioIoSource(job(`rw=randwrite\nsize=4g\nio_size=1t\nbssplit=${split}`)), 100_000);
    const sizes = [512, 1024, 1536, 2048, 2560, 3072, 3584, 4096, 8192, 16384, 32768, 65536];
    const shares = [4, 1, 1, 1, 1, 1, 1, 67, 10, 7, 3, 3].map((p) => p / 100);
    expect(chiSquare(counts(ios.map((i) => i.lengthBytes), sizes), shares)).toBeLessThan(CHI2_999[11]);
  });

  it('per-direction bssplit and rwmixread: reads 4k/8k evenly, writes 64k/20 % and 1m/80 %, 30 % reads (N=100000)', () => {
    const ios = drive(new FioIoSource(job('rw=randrw\nrwmixread=30\nsize=16g\nio_size=1t\nbssplit=4k/50:8k/50,64k/20:1m/80')), 100_000);
    const reads = ios.filter((i) => !i.write);
    const writes = ios.filter((i) => i.write);
    // Binomial: 4 standard deviations of the read share around 0.3.
    expect(Math.abs(reads.length / ios.length - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / ios.length));
    expect(chiSquare(counts(reads.map((i) => i.lengthBytes), [4 * KiB, 8 * KiB]), [0.5, 0.5])).toBeLessThan(CHI2_999[1]);
    expect(chiSquare(counts(writes.map((i) => i.lengthBytes), [64 * KiB, MiB]), [0.2, 0.8])).toBeLessThan(CHI2_999[1]);
    // The large writes are really there: fio's example of 64k and 1M writes loses neither.
    expect(writes.some((i) => i.lengthBytes === MiB)).toBe(true);
  });

  it('bsrange=4k-16k draws the multiples of 4k uniformly (chi-square, N=40000, df=3); offsets stay aligned and inside', () => {
    const ios = drive(new FioIoSource(job('rw=randread\nsize=64m\nio_size=1t\nbsrange=4k-16k')), 40_000);
    expect(chiSquare(counts(ios.map((i) => i.lengthBytes), [4096, 8192, 12288, 16384]), [0.25, 0.25, 0.25, 0.25])).toBeLessThan(CHI2_999[3]);
    expect(ios.every((i) => i.offsetBytes % 4096 === 0 && i.offsetBytes + i.lengthBytes <= 64 * MiB)).toBe(true);
  });
});

describe('random_distribution (N=100000 each)', () => {
  /** Access counts per 4 KiB block of a 1000-block region. */
  function blockCounts(distribution: string, n = 100_000): number[] {
    const ios = drive(new FioIoSource(job(`rw=randread\nsize=4000k\nio_size=1t\nrandom_distribution=${distribution}`), { seed: 5 }), n);
    expect(ios.length).toBe(n);
    const c = new Array<number>(1000).fill(0);
    for (const i of ios) c[i.offsetBytes / 4096]++;
    return c;
  }

  function zipfPmf(n: number, theta: number): number[] {
    let h = 0;
    for (let k = 1; k <= n; k++) h += k ** -theta;
    return Array.from({ length: n }, (_, k) => (k + 1) ** -theta / h);
  }

  for (const theta of [0.8, 1.2, 2]) {
    it(`zipf:${theta}: the hottest two blocks get the analytic zipf shares, and the sorted block frequencies follow the zipf pmf (N=100000, n=1000)`, () => {
      const sorted = blockCounts(`zipf:${theta}`)
        .map((c) => c / 100_000)
        .sort((a, b) => b - a);
      const pmf = zipfPmf(1000, theta);
      // lib/zipf.c draws ranks 1 and 2 exactly (u·ζ(n) < 1, < 1 + 2^-θ): binomial, 4 standard deviations.
      for (const k of [0, 1]) expect(Math.abs(sorted[k] - pmf[k])).toBeLessThan(4 * Math.sqrt((pmf[k] * (1 - pmf[k])) / 100_000));
      // Beyond rank 2 fio uses Gray et al.'s closed-form approximation; with the sampling noise of
      // 1000 bins at N=100000 the total variation distance from the exact pmf stays under 0.04.
      const tvd = sorted.reduce((s, p, k) => s + Math.abs(p - pmf[k]), 0) / 2;
      expect(tvd).toBeLessThan(0.04);
    });
  }

  it('pareto:0.2 is the 80/20 rule: the hottest f of the blocks get f^(log(1-h)/log h) of the accesses (N=100000)', () => {
    const sorted = blockCounts('pareto:0.2').sort((a, b) => b - a);
    const exponent = Math.log(1 - 0.2) / Math.log(0.2);
    for (const f of [0.01, 0.1, 0.2, 0.5]) {
      const share = sorted.slice(0, f * 1000).reduce((s, c) => s + c, 0) / 100_000;
      expect(Math.abs(share - f ** exponent)).toBeLessThan(0.015);
    }
    expect(Math.abs(sorted.slice(0, 200).reduce((s, c) => s + c, 0) / 100_000 - 0.8)).toBeLessThan(0.015);
  });

  it('normal:10 centres on the middle of the region with a 10 % deviation: 68.3 % within 1σ, 95.4 % within 2σ (N=100000)', () => {
    const c = blockCounts('normal:10');
    const share = (lo: number, hi: number): number => c.slice(lo, hi).reduce((s, v) => s + v, 0) / 100_000;
    expect(Math.abs(share(400, 600) - 0.6827)).toBeLessThan(0.01);
    expect(Math.abs(share(300, 700) - 0.9545)).toBeLessThan(0.006);
    const mean = c.reduce((s, v, i) => s + v * (i + 0.5), 0) / 100_000;
    expect(Math.abs(mean - 500)).toBeLessThan(2);
  });

  it('zoned:60/10:30/20:10/70 puts 60/30/10 % of the I/Os in the first 10/20/70 % of the region (chi-square, N=100000, df=2)', () => {
    const c = blockCounts('zoned:60/10:30/20:10/70');
    const zones = [c.slice(0, 100), c.slice(100, 300), c.slice(300)].map((z) => z.reduce((s, v) => s + v, 0));
    expect(chiSquare(zones, [0.6, 0.3, 0.1])).toBeLessThan(CHI2_999[2]);
    // Uniform inside a zone: the first zone's 100 blocks (chi-square, df=99: upper 0.1 % point 148.2).
    expect(chiSquare(c.slice(0, 100), new Array<number>(100).fill(0.01))).toBeLessThan(148.2);
  });

  it('zoned:50/5:30/15:20/ — an empty last size is the rest of the region (80 %), as fio reads it (N=100000)', () => {
    const c = blockCounts('zoned:50/5:30/15:20/');
    const zones = [c.slice(0, 50), c.slice(50, 200), c.slice(200)].map((z) => z.reduce((s, v) => s + v, 0));
    expect(chiSquare(zones, [0.5, 0.3, 0.2])).toBeLessThan(CHI2_999[2]);
    expect(c.slice(200).filter((v) => v > 0).length).toBeGreaterThan(790);
  });

  it('zoned_abs:80/1m:20/3m splits by absolute sizes (N=100000)', () => {
    const ios = drive(new FioIoSource(job('rw=randread\nsize=4m\nio_size=1t\nrandom_distribution=zoned_abs:80/1m:20/3m')), 100_000);
    const first = ios.filter((i) => i.offsetBytes < MiB).length;
    expect(chiSquare([first, ios.length - first], [0.8, 0.2])).toBeLessThan(CHI2_999[1]);
  });
});

describe('when: rates, thinktime, limits', () => {
  it('rate_iops=1000: issue k at k ms (N=10000), and a thread that falls behind catches up as fio does', () => {
    const ios = drive(new FioIoSource(job('rw=randread\nsize=1g\nio_size=1t\nrate_iops=1000')), 10_000);
    expect(ios.every((io, k) => Math.abs(io.atNs - k * 1e6) < 1e-3)).toBe(true);
    // Service of 5 ms per I/O at iodepth 1: the thread can do 200 IOPS, so it issues back to back.
    const slow = drive(new FioIoSource(job('rw=randread\nsize=1g\nio_size=1t\nrate_iops=1000')), 100, 5e6);
    expect(slow[99].atNs).toBe(99 * 5e6);
  });

  it('rate=1m with bs=4k is 256 I/Os a second; rate_iops per direction limits reads and writes separately (N=20000)', () => {
    const bytes = drive(new FioIoSource(job('rw=write\nsize=1g\nio_size=1t\nrate=1m')), 1000);
    expect(bytes[999].atNs).toBeCloseTo((999 * 1e9) / 256, 0);
    const mixed = drive(new FioIoSource(job('rw=randrw\nrwmixread=50\nsize=1g\nio_size=1t\nrate_iops=500,100')), 20_000);
    for (const [write, iops] of [
      [false, 500],
      [true, 100],
    ] as const) {
      const mine = mixed.filter((i) => i.write === write);
      const rate = ((mine.length - 1) * 1e9) / (mine[mine.length - 1].atNs - mine[0].atNs);
      // Reads and writes are chosen 50/50, so the slower direction holds the thread back and
      // the faster one never waits: at most its limit, and writes exactly theirs.
      expect(rate).toBeLessThanOrEqual(iops * 1.0001);
      if (write) expect(rate).toBeCloseTo(iops, 1);
    }
  });

  it('rate_process=poisson at 50 IOPS: exponential gaps, mean 20 ms and coefficient of variation 1 (N=100000)', () => {
    const ios = drive(new FioIoSource(job('rw=randread\nsize=1g\nio_size=1t\nrate_iops=50\nrate_process=poisson')), 100_001);
    const gaps = ios.slice(1).map((io, k) => io.atNs - ios[k].atNs);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / (gaps.length - 1));
    expect(Math.abs(mean / 20e6 - 1)).toBeLessThan(0.02);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.02);
    // Exponential: P(gap > mean) = e^-1.
    expect(Math.abs(gaps.filter((g) => g > 20e6).length / gaps.length - Math.exp(-1))).toBeLessThan(0.01);
  });

  it('a 50 IOPS poisson job with runtime=10 issues about 500 I/Os, not the device maximum', () => {
    const ios = drive(new FioIoSource(job('rw=randread\nsize=1g\ntime_based\nruntime=10\nrate_iops=50\nrate_process=poisson')), 1e6);
    expect(Math.abs(ios.length - 500)).toBeLessThan(4 * Math.sqrt(500));
    expect(ios[ios.length - 1].atNs).toBeLessThan(10e9);
  });

  it('thinktime=1ms, thinktime_blocks=4: after every 4th I/O completes, a 1 ms pause', () => {
    const ios = drive(new FioIoSource(job('rw=read\nsize=1g\nthinktime=1ms\nthinktime_blocks=4')), 12, 10e3);
    const gaps = ios.slice(1).map((io, k) => io.atNs - ios[k].atNs);
    expect(gaps).toEqual([10e3, 10e3, 10e3, 1010e3, 10e3, 10e3, 10e3, 1010e3, 10e3, 10e3, 10e3]);
  });

  it('number_ios=1000 stops after 1000 I/Os and stays done; io_size and loops stop by bytes', () => {
    const source = new FioIoSource(job('rw=randwrite\nsize=1g\nnumber_ios=1000'));
    expect(drive(source, 5000).length).toBe(1000);
    expect(source.next({ offsetBytes: 0, lengthBytes: 0, write: false }, 0)).toBe(IO_SOURCE_DONE);
    expect(drive(new FioIoSource(job('rw=write\nsize=64k\nloops=3')), 1000).length).toBe(48);
    expect(drive(new FioIoSource(job('rw=read\nsize=1m\nio_size=256k')), 1000).length).toBe(64);
  });

  it('startdelay holds the first issue; runtime counts from the thread\'s start', () => {
    const source = new FioIoSource(job('rw=read\nsize=1g\ntime_based\nruntime=1ms\nstartdelay=2ms\nrate_iops=10000'));
    const ios = drive(source, 100);
    expect(ios[0].atNs).toBe(2e6);
    expect(ios.length).toBe(10);
    // A thread started at 50 ms (behind a stonewall) gets its full runtime from then.
    const late = new FioIoSource(job('rw=read\nsize=1g\ntime_based\nruntime=1ms\nrate_iops=10000'));
    const io: NextIo = { offsetBytes: 0, lengthBytes: 0, write: false };
    let n = 0;
    for (let now = 50e6, at = late.next(io, now); at !== IO_SOURCE_DONE; at = late.next(io, now)) {
      n++;
      now = at;
    }
    expect(n).toBe(10);
  });
});

describe('what: patterns, verify, engines, zones', () => {
  it('is deterministic for a seed and differs between seeds and clones', () => {
    const text = 'rw=randrw\nsize=1g\nio_size=1t\nbssplit=4k/50:64k/50\nrandom_distribution=zipf:1.1\nnumjobs=2';
    const a = drive(new FioIoSource(job(text), { seed: 3 }), 1000);
    const b = drive(new FioIoSource(job(text), { seed: 3 }), 1000);
    const c = drive(new FioIoSource(job(text), { seed: 4 }), 1000);
    const d = drive(new FioIoSource(job(text), { seed: 3, clone: 1 }), 1000);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(d).not.toEqual(a);
  });

  it('verify: the writes, then each written block read back in the order written; do_verify=0 and verify_only', () => {
    const writes = drive(new FioIoSource(job('rw=randwrite\nsize=64k\nbs=4k')), 100);
    const verified = drive(new FioIoSource(job('rw=randwrite\nsize=64k\nbs=4k\nverify=crc32c')), 100);
    expect(verified.length).toBe(32);
    expect(verified.slice(0, 16)).toEqual(writes);
    expect(verified.slice(16).map((i) => [i.write, i.offsetBytes, i.lengthBytes])).toEqual(writes.map((w) => [false, w.offsetBytes, w.lengthBytes]));
    expect(drive(new FioIoSource(job('rw=randwrite\nsize=64k\nbs=4k\nverify=crc32c\ndo_verify=0')), 100)).toEqual(writes);
    const only = drive(new FioIoSource(job('rw=randwrite\nsize=64k\nbs=4k\nverify=crc32c\nverify_only')), 100);
    expect(only.map((i) => [i.write, i.offsetBytes])).toEqual(writes.map((w) => [false, w.offsetBytes]));
  });

  it('verify reads back a bssplit write job with its mixed sizes', () => {
    const ios = drive(new FioIoSource(job('rw=write\nsize=1m\nbssplit=4k/50:64k/50\nverify=md5')), 1000);
    const writes = ios.filter((i) => i.write);
    const reads = ios.filter((i) => !i.write);
    expect(reads.map((r) => [r.offsetBytes, r.lengthBytes])).toEqual(writes.map((w) => [w.offsetBytes, w.lengthBytes]));
    expect(new Set(writes.map((w) => w.lengthBytes))).toEqual(new Set([4096, 65536]));
  });

  it('ioengine=null issues no device I/O: the first call returns IO_SOURCE_DONE', () => {
    const source = new FioIoSource(job('rw=randread\nsize=1g\nioengine=null'));
    expect(source.issuesDeviceIo).toBe(false);
    expect(source.next({ offsetBytes: 0, lengthBytes: 0, write: false }, 0)).toBe(IO_SOURCE_DONE);
  });

  it('trims map no memory: next() skips them, so trimwrite gives its writes only', () => {
    const ios = drive(new FioIoSource(job('rw=trimwrite\nsize=64k')), 100);
    expect(ios.map((i) => [i.write, i.offsetBytes / 4096])).toEqual(Array.from({ length: 16 }, (_, k) => [true, k]));
    expect(drive(new FioIoSource(job('rw=randtrim\nsize=64k')), 100)).toEqual([]);
  });

  it('offset_increment moves each clone; createFioIoSources makes one source per clone in fio order', () => {
    const sources = createFioIoSources(parseFioJobText('[a]\nrw=read\nsize=1m\noffset_increment=10m\nnumjobs=3\n[b]\nrw=write\nsize=1m\n', 'c.fio').jobs);
    expect(sources.map((s) => [s.job.name, s.clone, s.regionStart])).toEqual([
      ['a', 0, 0],
      ['a', 1, 10 * MiB],
      ['a', 2, 20 * MiB],
      ['b', 0, 0],
    ]);
  });

  it('percentage_random=30: 30 % of a random job\'s I/Os are random, the rest continue sequentially (N=50000)', () => {
    const ios = drive(new FioIoSource(job('rw=randread\nsize=1g\nio_size=1t\npercentage_random=30\nnorandommap')), 50_000);
    const sequential = ios.slice(1).filter((io, k) => io.offsetBytes === ios[k].offsetBytes + ios[k].lengthBytes).length;
    expect(Math.abs(sequential / (ios.length - 1) - 0.7)).toBeLessThan(0.01);
  });

  it('zonemode=zbd: random writes land at write pointers, never more than max_open_zones open, full zones reset before reuse', () => {
    const zone = MiB;
    const ios = drive(new FioIoSource(job('rw=randwrite\nsize=16m\nio_size=64m\nbs=64k\nzonemode=zbd\nzonesize=1m\nmax_open_zones=2')), 10_000);
    expect(ios.length).toBe(1024);
    const wp = new Array<number>(16).fill(0);
    let maxOpen = 0;
    for (const io of ios) {
      const z = Math.floor(io.offsetBytes / zone);
      if (wp[z] === zone) wp[z] = 0; // the reset of a full zone written again
      expect(io.offsetBytes).toBe(z * zone + wp[z]);
      expect(io.offsetBytes + io.lengthBytes).toBeLessThanOrEqual((z + 1) * zone);
      wp[z] += io.lengthBytes;
      maxOpen = Math.max(maxOpen, wp.filter((p) => p > 0 && p < zone).length);
    }
    expect(maxOpen).toBe(2);
  });
});
