/**
 * Turns a parsed fio job (fio-job.ts) into a deterministic stream of I/O records for a seed: the
 * offsets, lengths and directions fio would issue, and a modelled issue time for each.
 *
 * What is modelled:
 * - sequential patterns per direction (each direction keeps its own position, as fio's per-ddir
 *   last_pos does), `rw=read:±N` holes/backwards steps, wrap-around at the end of the region;
 * - random patterns with blockalign, `rw=randread:N` runs (rw_sequencer sequential | identical),
 *   fio's random map (each block once per pass, via a keyed permutation in constant memory) when
 *   the block size is fixed and norandommap is not set, otherwise independent draws;
 * - random_distribution random, zipf, pareto, normal (approximations of fio's generators with
 *   the hot ranks scattered by a keyed permutation), zoned, zoned_abs and sequence;
 * - mixed workloads: each I/O is a read with probability rwmixread/100 (fio alternates in short
 *   runs instead; the long-run mix is the same); trimwrite issues a trim then a write per block
 *   (io_size counts the writes);
 * - bs (per direction), bsrange (multiples of the minimum unless bs_unaligned), bssplit weights;
 * - size / offset (bytes or % of `deviceSizeBytes`), offset_increment per clone, io_size, loops,
 *   number_ios, runtime (+ ramp_time, after startdelay), time_based;
 * - numjobs: one stream per clone with its own seed (fioJobStreams), merged by mergeByTime.
 *
 * Time: fio is closed-loop, so issue times depend on the device. The model assumes every I/O takes
 * `serviceTimeNs` (default 100 µs) and iodepth I/Os are kept in flight, which spaces issues
 * serviceTimeNs / iodepth apart; rate_iops / rate raise that spacing per direction (fixed, or
 * exponential with rate_process=poisson), and thinktime is added after every thinktime_blocks I/Os.
 * The CPU of clone i is cpus_allowed[i mod n] (absent without cpus_allowed).
 */
import { WorkloadError } from './errors.js';
import { FIO_DDIRS, maxBlockSize, minBlockSize, type FioDdir, type FioJob, type FioSizeSpec } from './fio-job.js';
import type { IoRecord } from './io-record.js';
import { Mulberry32, NormalSampler, ParetoSampler, RandomPermutation, ZipfSampler, mixSeed } from './random.js';

export interface FioGenerateOptions {
  /** Base seed (default 1). Each job and clone derives its own seed from it. */
  seed?: number;
  /** Which numjobs clone to generate, 0-based (default 0). */
  clone?: number;
  /** Size of the file/device, for `size`/`offset` percentages and jobs without `size`. */
  deviceSizeBytes?: number;
  /** Modelled device time per I/O (default 100 µs). */
  serviceTimeNs?: number;
  /** Stop after this many records (default: no limit besides the job's own). */
  maxRecords?: number;
  /** The `pid` put on records (default: clone + 1). */
  pid?: number;
}

export interface FioStream {
  job: FioJob;
  clone: number;
  seed: number;
  records: Iterable<IoRecord>;
}

const DEFAULT_SERVICE_NS = 100_000;

function resolveSpec(spec: FioSizeSpec, job: FioJob, field: string, device: number | undefined): number {
  if (spec.kind === 'bytes') return spec.bytes;
  if (device === undefined) throw new WorkloadError(job.file, job.line, field, `${spec.percent}% needs the device size (deviceSizeBytes)`);
  return Math.floor((device * spec.percent) / 100);
}

/** The seed of one clone of one job. */
export function fioStreamSeed(seed: number, job: FioJob, clone: number): number {
  return mixSeed(seed, job.index, clone);
}

interface Region {
  start: number;
  end: number;
}

function regionOf(job: FioJob, clone: number, device: number | undefined): Region {
  let start = resolveSpec(job.offset, job, 'offset', device);
  if (job.offsetIncrement) start += clone * resolveSpec(job.offsetIncrement, job, 'offset_increment', device);
  let size: number;
  if (job.size) size = resolveSpec(job.size, job, 'size', device);
  else if (device !== undefined) size = device - start;
  else throw new WorkloadError(job.file, job.line, 'size', 'the job has no size; pass deviceSizeBytes');
  if (device !== undefined && start + size > device) size = device - start;
  const maxBs = Math.max(...job.directions.map((d) => maxBlockSize(job, d)));
  if (size < maxBs) throw new WorkloadError(job.file, job.line, 'size', `the region (${size} bytes at offset ${start}) is smaller than the block size ${maxBs}`);
  return { start, end: start + size };
}

/** Generates the records of one clone of a job. */
export function* generateFioJob(job: FioJob, options: FioGenerateOptions = {}): Generator<IoRecord> {
  const clone = options.clone ?? 0;
  if (!Number.isInteger(clone) || clone < 0 || clone >= job.numjobs) throw new RangeError(`clone ${clone} is outside 0..${job.numjobs - 1}`);
  const seed = fioStreamSeed(options.seed ?? 1, job, clone);
  const region = regionOf(job, clone, options.deviceSizeBytes);
  const regionSize = region.end - region.start;
  const serviceNs = options.serviceTimeNs ?? DEFAULT_SERVICE_NS;
  const maxRecords = options.maxRecords ?? Infinity;
  const pid = options.pid ?? clone + 1;
  const device = job.filename ?? job.name;
  const cpu = job.cpusAllowed && job.cpusAllowed.length > 0 ? job.cpusAllowed[clone % job.cpusAllowed.length] : undefined;

  const rngDir = new Mulberry32(mixSeed(seed, 11));
  const rngLen = new Mulberry32(mixSeed(seed, 12));
  const rngOff = new Mulberry32(mixSeed(seed, 13));
  const rngTime = new Mulberry32(mixSeed(seed, 14));

  // Limits.
  const limitBytes = job.timeBased ? Infinity : (job.ioSize ?? regionSize) * job.loops;
  const limitIos = job.numberIos !== undefined && job.numberIos > 0 ? job.numberIos : Infinity;
  const startNs = job.startDelayNs;
  const endNs = job.runtimeNs !== undefined && job.runtimeNs > 0 ? startNs + job.rampTimeNs + job.runtimeNs : Infinity;
  if (job.timeBased && endNs === Infinity && maxRecords === Infinity) {
    throw new WorkloadError(job.file, job.line, 'time_based', 'time_based without runtime never ends; set runtime or maxRecords');
  }

  // Block sizes.
  const fixedBs = FIO_DDIRS.every((d) => !job.bsSplit?.[d]?.length && !(job.bsRange?.[d] && job.bsRange[d].min > 0));
  const nextLength = (dir: FioDdir): number => {
    const split = job.bsSplit?.[dir];
    if (split && split.length > 0) {
      let r = rngLen.next() * 100;
      for (const entry of split) {
        r -= entry.percent;
        if (r < 0) return entry.bytes;
      }
      return split[split.length - 1].bytes;
    }
    const range = job.bsRange?.[dir];
    if (range && range.min > 0 && range.max > range.min) {
      if (job.bsUnaligned) return range.min + rngLen.below(range.max - range.min + 1);
      return range.min * (1 + rngLen.below(Math.floor(range.max / range.min)));
    }
    if (range && range.min > 0) return range.min;
    return job.bs[dir];
  };

  // Offsets.
  const align = (dir: FioDdir): number => {
    const ba = job.blockAlign?.[dir];
    return ba !== undefined && ba > 0 ? ba : minBlockSize(job, dir);
  };
  const seqPos: Record<FioDdir, number> = { read: region.start, write: region.start, trim: region.start };
  if (!job.random && job.seqAddBytes < 0) {
    for (const d of FIO_DDIRS) {
      const bs = minBlockSize(job, d);
      seqPos[d] = region.start + Math.floor((regionSize - bs) / bs) * bs;
    }
  }
  const sequentialOffset = (dir: FioDdir, len: number): number => {
    let off = seqPos[dir];
    if (off < region.start || off + len > region.end) off = job.seqAddBytes < 0 ? region.end - len - ((region.end - len - region.start) % align(dir)) : region.start;
    seqPos[dir] = off + len + job.seqAddBytes;
    return off;
  };

  const dist = job.randomDistribution;
  const useMap = job.random && !job.norandommap && fixedBs && dist.kind === 'random' && new Set(job.directions.map((d) => job.bs[d])).size === 1 && job.directions.every((d) => align(d) === job.bs[d]);
  let mapBlocks = 0;
  let mapPass = 0;
  let mapIndex = 0;
  let permutation: RandomPermutation | undefined;
  if (useMap) {
    mapBlocks = Math.floor(regionSize / job.bs[job.directions[0]]);
    if (mapBlocks > 4294967296) mapBlocks = 0; // too many blocks for the permutation: plain draws
    else permutation = new RandomPermutation(mapBlocks, mixSeed(seed, 21, 0));
  }
  const scatterCache = new Map<number, RandomPermutation>();
  const scatter = (n: number, rank: number): number => {
    if (n > 4294967296) return rank;
    let p = scatterCache.get(n);
    if (!p) {
      p = new RandomPermutation(n, mixSeed(seed, 31, n % 4294967296));
      scatterCache.set(n, p);
    }
    return p.at(rank);
  };
  const samplers = new Map<number, ZipfSampler | ParetoSampler | NormalSampler>();
  const sampler = (n: number): ZipfSampler | ParetoSampler | NormalSampler => {
    let s = samplers.get(n);
    if (!s) {
      if (dist.kind === 'zipf') s = new ZipfSampler(n, dist.theta);
      else if (dist.kind === 'pareto') s = new ParetoSampler(n, dist.h);
      else if (dist.kind === 'normal') s = new NormalSampler(n, dist.deviationPercent / 100, dist.center ?? 0.5);
      else throw new Error('unreachable');
      samplers.set(n, s);
    }
    return s;
  };
  let sequenceCount = 0;
  /** A block index in [0, n) per the distribution; `blocks` positions of `alignment` bytes fit the region. */
  const pickBlock = (n: number, alignment: number): number => {
    switch (dist.kind) {
      case 'random':
        return rngOff.below(n);
      case 'zipf':
      case 'pareto': {
        const rank = sampler(n).sample(rngOff);
        const shift = dist.center !== undefined ? Math.floor(dist.center * n) : 0;
        return (scatter(n, rank) + shift) % n;
      }
      case 'normal':
        return sampler(n).sample(rngOff);
      case 'zoned':
      case 'zoned_abs': {
        let r = rngOff.next() * 100;
        let zoneStart = 0;
        for (let z = 0; z < dist.zones.length; z++) {
          const zone = dist.zones[z];
          const zoneBytes = dist.kind === 'zoned' ? (regionSize * (zone as { sizePercent: number }).sizePercent) / 100 : (zone as { sizeBytes: number }).sizeBytes;
          const first = Math.floor(zoneStart / alignment);
          const count = Math.max(1, Math.floor(zoneBytes / alignment));
          r -= zone.accessPercent;
          if (r < 0 || z === dist.zones.length - 1) return Math.min(first + rngOff.below(count), n - 1);
          zoneStart += zoneBytes;
        }
        return 0;
      }
      case 'sequence': {
        const len = dist.indices.length;
        const cycle = Math.floor(sequenceCount / len);
        const index = dist.indices[sequenceCount % len] + cycle * len * job.randomSequenceStride;
        sequenceCount++;
        return index % n;
      }
    }
  };
  let runLeft = 0;
  let runNext = 0;
  const randomOffset = (dir: FioDdir, len: number): number => {
    if (runLeft > 0) {
      runLeft--;
      const off = runNext;
      if (off + len <= region.end) {
        if (job.rwSequencer === 'sequential') runNext = off + len;
        return off;
      }
    }
    let off: number;
    if (permutation) {
      if (mapIndex >= mapBlocks) {
        mapPass++;
        mapIndex = 0;
        permutation = new RandomPermutation(mapBlocks, mixSeed(seed, 21, mapPass));
      }
      off = region.start + permutation.at(mapIndex++) * job.bs[dir];
    } else {
      const a = align(dir);
      const positions = Math.floor((regionSize - len) / a) + 1;
      off = region.start + pickBlock(positions, a) * a;
    }
    if (job.randomRunLength > 1) {
      runLeft = job.randomRunLength - 1;
      runNext = job.rwSequencer === 'identical' ? off : off + len;
    }
    return off;
  };

  // Time.
  const spacingNs = serviceNs / job.iodepth;
  const nextAllowed: Record<FioDdir, number> = { read: startNs, write: startNs, trim: startNs };
  const rateGap = (dir: FioDdir, len: number): number => {
    let gap = 0;
    const iops = job.rateIops?.[dir] ?? 0;
    if (iops > 0) gap = Math.max(gap, 1e9 / iops);
    const bps = job.rateBytes?.[dir] ?? 0;
    if (bps > 0) gap = Math.max(gap, (len * 1e9) / bps);
    if (gap > 0 && job.rateProcess === 'poisson') gap = -Math.log(rngTime.nextOpen()) * gap;
    return gap;
  };

  let clock = startNs;
  let issued = 0;
  let bytes = 0;
  let pendingWriteOffset = -1;
  let pendingWriteLength = 0;
  while (issued < maxRecords && issued < limitIos && bytes < limitBytes) {
    let dir: FioDdir;
    let len: number;
    let off: number;
    if (pendingWriteOffset >= 0) {
      // trimwrite: the write that follows each trim, on the same block.
      dir = 'write';
      len = pendingWriteLength;
      off = pendingWriteOffset;
      pendingWriteOffset = -1;
    } else {
      if (job.directions.length === 1) dir = job.directions[0];
      else if (job.rw === 'trimwrite' || job.rw === 'randtrimwrite') dir = 'trim';
      else dir = rngDir.next() * 100 < job.rwmixread ? 'read' : 'write';
      len = nextLength(dir);
      off = job.random ? randomOffset(dir, len) : sequentialOffset(dir, len);
      if (dir === 'trim' && (job.rw === 'trimwrite' || job.rw === 'randtrimwrite')) {
        pendingWriteOffset = off;
        pendingWriteLength = len;
      }
    }
    const gap = rateGap(dir, len);
    const at = Math.max(clock, nextAllowed[dir]);
    if (at >= endNs) return;
    nextAllowed[dir] = at + gap;
    clock = at + spacingNs;
    issued++;
    // trimwrite trims then writes each block: the region is covered once, counted by the writes.
    if (!(dir === 'trim' && pendingWriteOffset >= 0)) bytes += len;
    if (job.thinktimeNs + job.thinktimeSpinNs > 0 && issued % job.thinktimeBlocks === 0) clock += job.thinktimeNs + job.thinktimeSpinNs;
    const record: IoRecord = { timeNs: Math.round(at), op: dir, offsetBytes: off, lengthBytes: len, device, pid, line: issued };
    if (cpu !== undefined) record.cpu = cpu;
    yield record;
  }
}

/** One stream per job and numjobs clone, each with its own seed, in fio's job order. */
export function fioJobStreams(jobs: FioJob | readonly FioJob[], options: Omit<FioGenerateOptions, 'clone' | 'pid'> = {}): FioStream[] {
  const list = Array.isArray(jobs) ? (jobs as readonly FioJob[]) : [jobs as FioJob];
  const streams: FioStream[] = [];
  let pid = 0;
  for (const job of list) {
    for (let clone = 0; clone < job.numjobs; clone++) {
      pid++;
      const streamPid = pid;
      streams.push({
        job,
        clone,
        seed: fioStreamSeed(options.seed ?? 1, job, clone),
        records: { [Symbol.iterator]: () => generateFioJob(job, { ...options, clone, pid: streamPid }) },
      });
    }
  }
  return streams;
}

/** Merges time-ordered streams into one, by time (ties: the earlier stream first). */
export function* mergeByTime(streams: readonly Iterable<IoRecord>[]): Generator<IoRecord> {
  const iterators = streams.map((s) => s[Symbol.iterator]());
  const heads: (IoRecord | undefined)[] = iterators.map((it) => {
    const r = it.next();
    return r.done ? undefined : r.value;
  });
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && (best === -1 || h.timeNs < (heads[best] as IoRecord).timeNs)) best = i;
    }
    if (best === -1) return;
    yield heads[best] as IoRecord;
    const r = iterators[best].next();
    heads[best] = r.done ? undefined : r.value;
  }
}
