/**
 * One thread of a fio job (one numjobs clone) as a closed-loop I/O source: what fio's td_io_queue
 * loop would issue next — offset, size, direction — and the earliest time it may be issued. The
 * simulator's job thread asks it each time it may issue (fewer than iodepth in flight) and tells it
 * of completions; fio-generator.ts drives the same class open-loop, with a modelled service time,
 * to produce record streams. One mechanism serves both.
 *
 * Design. All state is in typed arrays indexed by direction (0 read, 1 write, 2 trim, fio's
 * enum fio_ddir order) and plain number fields; `next()` allocates nothing (a random-map pass
 * builds one small permutation object per pass over the region). The random generators are split
 * by purpose (direction, length, offset, time, random-vs-sequential) so that, say, a rate limit
 * never changes which offsets a seed produces.
 *
 * What each I/O is, as fio decides it (fio 3.x, io_u.c and the HOWTO):
 * - Direction: the job's single direction, or for a mix a read with probability rwmixread %
 *   (fio alternates in short runs with the same long-run share); trimwrite trims each block and
 *   then writes it.
 * - Size: bs per direction; bssplit by weight; bsrange uniform over multiples of the minimum (any
 *   size with bs_unaligned).
 * - Offset: sequential per direction (fio's per-ddir last_pos), with `rw=…:N` holes or backwards
 *   steps, wrapping at the region's end; random through fio's random map (every block once per
 *   pass, here a keyed permutation) when the size is fixed and norandommap is not set, otherwise
 *   drawn from random_distribution: uniform; zipf(θ) and pareto(h) ranks as lib/zipf.c draws
 *   them (Gray et al.'s zipf approximation; pareto as (n-1)·u^(log h / log(1-h))), scattered
 *   over the region by a keyed permutation where fio hashes them; normal: a Gaussian with that
 *   percentage of the region as deviation around the centre; zoned / zoned_abs: a zone by access
 *   share, uniform inside it; sequence: the listed block indices, shifted by
 *   random_sequence_stride each cycle. `rw=randread:N` runs N I/Os per drawn offset
 *   (rw_sequencer). percentage_random lets the rest of a random job continue sequentially.
 *   Random offsets are aligned to blockalign (default: the smallest size of the direction).
 * - Region: offset (+ clone × offset_increment) and size, in bytes or % of the device.
 * - Zoned block devices (zonemode=zbd): the region is cut into zonesize zones, each with a write
 *   pointer. A write lands at the write pointer of the zone its offset falls in, if that zone is
 *   open or can be opened (fewer than max_open_zones / job_max_open_zones open); otherwise at the
 *   write pointer of an open zone picked at random (fio's zbd_convert_to_open_zone). It is cut
 *   to the room left in the zone; a full zone is closed, and a full zone written again is reset
 *   first (write pointer back to its start). Reads are not held below write pointers (the
 *   device's content before the job is unknown).
 *
 * When it may be issued:
 * - startdelay, then rate / rate_iops per direction as fio's usec_for_io computes it: the I/O
 *   after B bytes of that direction waits until B / rate has passed (rate_iops counts in the
 *   direction's smallest block size, as fio converts it); with rate_process=poisson each I/O adds
 *   an exponential gap of mean 1 / iops instead.
 * - thinktime (+ thinktime_spin) after every thinktime_blocks I/Os: the pause starts when the
 *   thread has nothing in flight (fio drains first, io_u_quiesce) — exact when completions are
 *   reported before the next call, otherwise it starts at the call.
 * - The thread stops ramp_time + runtime after its start (its first call, not before startdelay),
 *   after number_ios I/Os, or after io_size (default size) × loops bytes unless time_based.
 *
 * verify: when a write job has verify set (and do_verify), the write phase is followed by a
 * read-back of every block it wrote, in the order written, each block once per write. The
 * read-back is produced by a second copy of the write stream from the same seed, so nothing is
 * stored per write. fio starts the read-back after the writes complete and, when random writes
 * may overwrite (norandommap), reads each block once in offset order; here it starts when the
 * last write is issued and repeats overwritten blocks. verify_only issues the read-back alone.
 *
 * Engines without block-device I/O (ioengine=null, cpuio, net, …): the thread issues nothing —
 * `next()` returns IO_SOURCE_DONE at once. Trims carry no data and so no DMA mapping, and
 * `NextIo` has no trim: `next()` skips them (they still count toward the job's limits and
 * rates), and a trim-only job's `next()` returns IO_SOURCE_DONE at once; `nextAny()` returns them.
 */
import { WorkloadError } from './errors.js';
import { FIO_DDIRS, engineDoesDeviceIo, maxBlockSize, minBlockSize, type FioJob, type FioSizeSpec } from './fio-job.js';
import { IO_SOURCE_DONE, type ClosedLoopIoSource, type NextIo } from './io-source.js';
import { Mulberry32, NormalSampler, ParetoSampler, RandomPermutation, ZipfSampler, mixSeed } from './random.js';

export const DDIR_READ = 0;
export const DDIR_WRITE = 1;
export const DDIR_TRIM = 2;

export interface FioIoSourceOptions {
  /** Base seed (default 1); each job and clone derives its own from it. */
  seed?: number;
  /** Which numjobs clone, 0-based (default 0). */
  clone?: number;
  /** Size of the device, for `size`/`offset` percentages and jobs without `size` (a job's `filesize` takes its place). */
  deviceSizeBytes?: number;
  /** The device's zone size, for zonemode=zbd jobs without zonesize. */
  deviceZoneSizeBytes?: number;
}

/** The seed of one clone of one job. */
export function fioStreamSeed(seed: number, job: FioJob, clone: number): number {
  return mixSeed(seed, job.index, clone);
}

function resolveSpec(spec: FioSizeSpec, job: FioJob, field: string, device: number | undefined): number {
  if (spec.kind === 'bytes') return spec.bytes;
  if (device === undefined) throw new WorkloadError(job.file, job.line, field, `${spec.percent}% needs the device size (deviceSizeBytes)`);
  return Math.floor((device * spec.percent) / 100);
}

const TWO32 = 4294967296;
// Slots of FioIoSource.state: the doubles that change per I/O live in one Float64Array, and the
// private steps hand offsets over through it, so that no number is boxed on the way (V8 boxes a
// double returned from a call it does not inline).
const S_AT = 0;
const S_OFFSET = 1;
const S_LENGTH = 2;
const S_THINK_UNTIL = 3;
const S_START = 4;
const S_END = 5;
const S_MAIN_BYTES = 6;
const S_PENDING_OFFSET = 7;
const S_PENDING_LENGTH = 8;
const S_RUN_NEXT = 9;
const S_POSITION = 10;
const S_ZBD_LENGTH = 11;
const S_NOW = 12;
const STATE_SLOTS = 13;
const PHASE_MAIN = 0;
const PHASE_VERIFY = 1;
const PHASE_DONE = 2;

type RankSampler = ZipfSampler | ParetoSampler | NormalSampler;

export class FioIoSource implements ClosedLoopIoSource {
  readonly job: FioJob;
  readonly clone: number;
  readonly seed: number;
  /** The region this clone works on, [regionStart, regionEnd). */
  readonly regionStart: number;
  readonly regionEnd: number;
  /** false for engines that do no block-device I/O: the source issues nothing. */
  readonly issuesDeviceIo: boolean;

  /** The I/O of the last nextAny(): offset, length (getters below), direction (DDIR_*). */
  ddir = DDIR_READ;
  private readonly state = new Float64Array(STATE_SLOTS);
  /** I/Os returned so far (trims included, verify reads included). */
  issued = 0;

  private readonly rngDir: Mulberry32;
  private readonly rngLen: Mulberry32;
  private readonly rngOff: Mulberry32;
  private readonly rngTime: Mulberry32;
  private readonly rngMix: Mulberry32;

  // Per direction (index DDIR_*).
  private readonly fixedBs = new Float64Array(3);
  private readonly rangeMin = new Float64Array(3);
  private readonly rangeMax = new Float64Array(3);
  private readonly splitSizes: (Float64Array | undefined)[] = [undefined, undefined, undefined];
  private readonly splitCumulative: (Float64Array | undefined)[] = [undefined, undefined, undefined];
  private readonly minLen = new Float64Array(3);
  private readonly alignment = new Float64Array(3);
  private readonly seqPos = new Float64Array(3);
  private readonly lastEnd = new Float64Array(3);
  private readonly rateBytesPerSec = new Float64Array(3);
  private readonly rateMeanGapNs = new Float64Array(3);
  private readonly rateBytesIssued = new Float64Array(3);
  private readonly rateNextNs = new Float64Array(3);
  private readonly randomPercent = new Float64Array(3);
  private readonly samplers: (RankSampler | undefined)[] = [undefined, undefined, undefined];
  private readonly scatters: (RandomPermutation | undefined)[] = [undefined, undefined, undefined];
  private readonly positions = new Float64Array(3);

  private readonly directionCount: number;
  private readonly firstDdir: number;
  private readonly trimThenWrite: boolean;
  /** rw=trim / randtrim: next() has nothing to return (it would otherwise skip every trim of the job in one call). */
  private readonly trimOnly: boolean;
  private readonly limitBytes: number;
  private readonly limitIos: number;
  private readonly runNs: number;
  private started = false;

  // Random map.
  private permutation: RandomPermutation | undefined;
  private mapBlocks = 0;
  private mapPass = 0;
  private mapIndex = 0;
  private mapBs = 0;
  // Zoned distributions: zone byte starts and sizes, cumulative access percentages.
  private readonly zoneStart: Float64Array;
  private readonly zoneBytes: Float64Array;
  private readonly zoneAccessCumulative: Float64Array;
  private sequenceCount = 0;
  // rw=randread:N runs.
  private runLeft = 0;
  // Counters of the main phase (bytes are in state[S_MAIN_BYTES]).
  private mainIos = 0;
  private writesIssued = 0;
  // thinktime.
  private readonly thinkNs: number;
  private readonly thinkBlocks: number;
  private thinkCount = 0;
  private thinkPending = false;
  private inFlight = 0;
  // zonemode=zbd.
  private readonly zbd: boolean;
  private readonly zbdZoneSize: number;
  private readonly zbdZones: number;
  private readonly zbdWritePointer: Float64Array;
  private readonly zbdOpen: Int32Array;
  private readonly zbdIsOpen: Uint8Array;
  private zbdOpenCount = 0;
  private readonly zbdMaxOpen: number;
  // verify.
  private phase = PHASE_MAIN;
  private readonly verifyAfterWrites: boolean;
  private readonly verifyOnly: boolean;
  private shadow: FioIoSource | undefined;
  private verifyLeft = 0;

  constructor(job: FioJob, options: FioIoSourceOptions = {}, shadowOf?: FioIoSource) {
    const clone = options.clone ?? 0;
    if (!Number.isInteger(clone) || clone < 0 || clone >= job.numjobs) throw new RangeError(`clone ${clone} is outside 0..${job.numjobs - 1}`);
    this.job = job;
    this.clone = clone;
    const seed = fioStreamSeed(options.seed ?? 1, job, clone);
    this.seed = seed;
    this.issuesDeviceIo = job.ioengine === undefined || engineDoesDeviceIo(job.ioengine);

    const device = job.fileSizeBytes ?? options.deviceSizeBytes;
    let start = resolveSpec(job.offset, job, 'offset', device);
    if (job.offsetIncrement) start += clone * resolveSpec(job.offsetIncrement, job, 'offset_increment', device);
    let size: number;
    if (job.size) size = resolveSpec(job.size, job, 'size', device);
    else if (device !== undefined) size = device - start;
    else throw new WorkloadError(job.file, job.line, 'size', 'the job has no size; pass deviceSizeBytes');
    if (device !== undefined && start + size > device) size = device - start;
    const maxBs = Math.max(...job.directions.map((d) => maxBlockSize(job, d)));
    if (size < maxBs) throw new WorkloadError(job.file, job.line, 'size', `the region (${size} bytes at offset ${start}) is smaller than the block size ${maxBs}`);
    this.regionStart = start;
    this.regionEnd = start + size;

    this.rngDir = new Mulberry32(mixSeed(seed, 11));
    this.rngLen = new Mulberry32(mixSeed(seed, 12));
    this.rngOff = new Mulberry32(mixSeed(seed, 13));
    this.rngTime = new Mulberry32(mixSeed(seed, 14));
    this.rngMix = new Mulberry32(mixSeed(seed, 15));

    for (let d = 0; d < 3; d++) {
      const dir = FIO_DDIRS[d];
      this.fixedBs[d] = job.bs[dir];
      const split = job.bsSplit?.[dir];
      if (split && split.length > 0) {
        const sizes = new Float64Array(split.length);
        const cumulative = new Float64Array(split.length);
        let sum = 0;
        for (let i = 0; i < split.length; i++) {
          sizes[i] = split[i].bytes;
          sum += split[i].percent;
          cumulative[i] = sum;
        }
        this.splitSizes[d] = sizes;
        this.splitCumulative[d] = cumulative;
      }
      const range = job.bsRange?.[dir];
      if (range && range.min > 0) {
        this.rangeMin[d] = range.min;
        this.rangeMax[d] = range.max;
      }
      this.minLen[d] = minBlockSize(job, dir);
      const ba = job.blockAlign?.[dir];
      this.alignment[d] = ba !== undefined && ba > 0 ? ba : this.minLen[d];
      this.seqPos[d] = start;
      this.lastEnd[d] = start;
      const bps = (job.rateBytes?.[dir] ?? 0) > 0 ? (job.rateBytes?.[dir] ?? 0) : (job.rateIops?.[dir] ?? 0) * this.minLen[d];
      this.rateBytesPerSec[d] = bps;
      this.rateMeanGapNs[d] = bps > 0 ? (1e9 * this.minLen[d]) / bps : 0;
      this.rateNextNs[d] = job.startDelayNs;
      this.randomPercent[d] = job.percentageRandom[dir];
      this.positions[d] = Math.floor((size - this.minLen[d]) / this.alignment[d]) + 1;
    }
    if (!job.random && job.seqAddBytes < 0) {
      for (let d = 0; d < 3; d++) this.seqPos[d] = start + Math.floor((size - this.minLen[d]) / this.minLen[d]) * this.minLen[d];
    }
    this.directionCount = job.directions.length;
    this.firstDdir = FIO_DDIRS.indexOf(job.directions[0]);
    this.trimThenWrite = job.rw === 'trimwrite' || job.rw === 'randtrimwrite';
    this.trimOnly = job.directions.every((d) => d === 'trim');

    this.limitBytes = job.timeBased ? Infinity : (job.ioSize ?? size) * job.loops;
    this.limitIos = job.numberIos !== undefined && job.numberIos > 0 ? job.numberIos : Infinity;
    this.state[S_START] = job.startDelayNs;
    this.state[S_PENDING_OFFSET] = -1;
    // The verify shadow replays the writes without regard to time: the main source keeps the clock.
    this.runNs = shadowOf === undefined && job.runtimeNs !== undefined && job.runtimeNs > 0 ? job.rampTimeNs + job.runtimeNs : Infinity;
    this.state[S_END] = Infinity;

    // The random map: every block once per pass, when the size is fixed, the same for every
    // direction and equal to the alignment, the distribution uniform, and norandommap not set.
    const dist = job.randomDistribution;
    const fixedSize = FIO_DDIRS.every((d) => !job.bsSplit?.[d]?.length && !(job.bsRange?.[d] && job.bsRange[d].min > 0));
    const oneBs = new Set(job.directions.map((d) => job.bs[d])).size === 1;
    const aligned = job.directions.every((d) => this.alignment[FIO_DDIRS.indexOf(d)] === job.bs[d]);
    if (job.random && !job.norandommap && fixedSize && dist.kind === 'random' && oneBs && aligned) {
      this.mapBs = job.bs[job.directions[0]];
      const blocks = Math.floor(size / this.mapBs);
      if (blocks <= TWO32) {
        this.mapBlocks = blocks;
        this.permutation = new RandomPermutation(blocks, mixSeed(seed, 21, 0));
      }
    }
    if (dist.kind === 'zoned' || dist.kind === 'zoned_abs') {
      const n = dist.zones.length;
      this.zoneStart = new Float64Array(n);
      this.zoneBytes = new Float64Array(n);
      this.zoneAccessCumulative = new Float64Array(n);
      let at = 0;
      let access = 0;
      for (let z = 0; z < n; z++) {
        const zone = dist.zones[z];
        const bytes = 'sizePercent' in zone ? (size * zone.sizePercent) / 100 : zone.sizeBytes;
        this.zoneStart[z] = at;
        this.zoneBytes[z] = bytes;
        access += zone.accessPercent;
        this.zoneAccessCumulative[z] = access;
        at += bytes;
      }
    } else {
      this.zoneStart = new Float64Array(0);
      this.zoneBytes = new Float64Array(0);
      this.zoneAccessCumulative = new Float64Array(0);
    }
    if (job.random && (dist.kind === 'zipf' || dist.kind === 'pareto' || dist.kind === 'normal')) {
      for (const dir of job.directions) {
        const d = FIO_DDIRS.indexOf(dir);
        const n = this.positions[d];
        if (dist.kind === 'zipf') this.samplers[d] = new ZipfSampler(n, dist.theta);
        else if (dist.kind === 'pareto') this.samplers[d] = new ParetoSampler(n, dist.h);
        else this.samplers[d] = new NormalSampler(n, dist.deviationPercent / 100, dist.center ?? 0.5);
        if (dist.kind !== 'normal' && n <= TWO32) this.scatters[d] = new RandomPermutation(n, mixSeed(seed, 31, n % TWO32));
      }
    }

    this.thinkNs = job.thinktimeNs + job.thinktimeSpinNs;
    this.thinkBlocks = job.thinktimeBlocks;

    this.zbd = job.zoneMode === 'zbd';
    if (this.zbd) {
      const zoneSize = job.zoneSizeBytes > 0 ? job.zoneSizeBytes : (options.deviceZoneSizeBytes ?? 0);
      if (zoneSize <= 0) throw new WorkloadError(job.file, job.line, 'zonesize', 'zonemode=zbd needs zonesize, or the device\'s zone size (deviceZoneSizeBytes)');
      this.zbdZoneSize = zoneSize;
      this.zbdZones = Math.max(1, Math.floor(size / zoneSize));
      const limits = [job.maxOpenZones, job.jobMaxOpenZones].filter((v) => v > 0);
      this.zbdMaxOpen = limits.length > 0 ? Math.min(...limits, this.zbdZones) : this.zbdZones;
    } else {
      this.zbdZoneSize = 0;
      this.zbdZones = 0;
      this.zbdMaxOpen = 0;
    }
    this.zbdWritePointer = new Float64Array(this.zbdZones);
    this.zbdOpen = new Int32Array(this.zbdMaxOpen);
    this.zbdIsOpen = new Uint8Array(this.zbdZones);

    const writes = job.directions.includes('write');
    this.verifyAfterWrites = shadowOf === undefined && writes && job.verify && job.doVerify && !job.verifyOnly;
    this.verifyOnly = shadowOf === undefined && writes && job.verify && job.verifyOnly;
    if (this.verifyAfterWrites || this.verifyOnly) this.shadow = new FioIoSource(job, options, this);
    if (this.verifyOnly) {
      this.phase = PHASE_VERIFY;
      this.verifyLeft = Infinity;
    }
  }

  /**
   * The contract: the next data I/O (trims are skipped: they map no memory) and its earliest issue
   * time, or IO_SOURCE_DONE.
   */
  next(io: NextIo, nowNs: number): number {
    if (!this.issuesDeviceIo || this.trimOnly) return IO_SOURCE_DONE;
    const state = this.state;
    state[S_NOW] = nowNs;
    let more = this.advance();
    while (more && this.ddir === DDIR_TRIM) {
      state[S_NOW] = state[S_AT];
      more = this.advance();
    }
    if (!more) return IO_SOURCE_DONE;
    io.offsetBytes = state[S_OFFSET];
    io.lengthBytes = state[S_LENGTH];
    io.write = this.ddir === DDIR_WRITE;
    this.inFlight++;
    return state[S_AT];
  }

  /** Offset of the I/O of the last nextAny(). */
  get offsetBytes(): number {
    return this.state[S_OFFSET];
  }

  /** Length of the I/O of the last nextAny(). */
  get lengthBytes(): number {
    return this.state[S_LENGTH];
  }

  completed(_io: NextIo, nowNs: number): void {
    this.noteCompletion(nowNs);
  }

  /** For callers of nextAny(): one I/O has completed at nowNs. */
  noteCompletion(nowNs: number): void {
    if (this.inFlight > 0) this.inFlight--;
    if (this.thinkPending && this.inFlight === 0) {
      this.thinkPending = false;
      this.state[S_THINK_UNTIL] = Math.max(this.state[S_THINK_UNTIL], nowNs + this.thinkNs);
    }
  }

  /**
   * The next I/O of any direction, trims included: fills offsetBytes/lengthBytes/ddir and returns
   * its earliest issue time, or IO_SOURCE_DONE. The caller reports completions through
   * noteCompletion() (or not at all: thinktime then starts at the issue of the I/O that triggers
   * it plus nothing in flight assumed).
   */
  nextAny(nowNs: number): number {
    this.state[S_NOW] = nowNs;
    return this.advance() ? this.state[S_AT] : IO_SOURCE_DONE;
  }

  /**
   * nextAny() without a number crossing a call: the time the thread is ready is read from
   * state[S_NOW], the issue time left in state[S_AT]; false when done.
   */
  private advance(): boolean {
    const state = this.state;
    const nowNs = state[S_NOW];
    if (!this.started) this.start(nowNs);
    if (this.phase === PHASE_MAIN) {
      if (this.mainIos >= this.limitIos || this.state[S_MAIN_BYTES] >= this.limitBytes) this.endMainPhase();
    }
    if (this.phase === PHASE_VERIFY) {
      const shadow = this.shadow as FioIoSource;
      do {
        shadow.state[S_NOW] = 0;
        if (this.verifyLeft <= 0 || !shadow.advance()) {
          this.phase = PHASE_DONE;
          return false;
        }
      } while (shadow.ddir !== DDIR_WRITE);
      this.verifyLeft--;
      state[S_OFFSET] = shadow.state[S_OFFSET];
      state[S_LENGTH] = shadow.state[S_LENGTH];
      this.ddir = DDIR_READ;
      const issueAt = Math.max(nowNs, state[S_START], state[S_THINK_UNTIL]);
      if (issueAt >= state[S_END]) {
        this.phase = PHASE_DONE;
        return false;
      }
      state[S_AT] = issueAt;
      this.issued++;
      return true;
    }
    if (this.phase === PHASE_DONE) return false;

    let d: number;
    let len: number;
    let off: number;
    if (this.state[S_PENDING_OFFSET] >= 0) {
      d = DDIR_WRITE;
      len = this.state[S_PENDING_LENGTH];
      off = this.state[S_PENDING_OFFSET];
      this.state[S_PENDING_OFFSET] = -1;
    } else {
      if (this.directionCount === 1) d = this.firstDdir;
      else if (this.trimThenWrite) d = DDIR_TRIM;
      else d = this.rngDir.next() * 100 < this.job.rwmixread ? DDIR_READ : DDIR_WRITE;
      len = this.nextLength(d);
      if (this.job.random) this.randomOffset(d, len);
      else this.sequentialOffset(d, len);
      off = state[S_POSITION];
      if (d === DDIR_TRIM && this.trimThenWrite) {
        this.state[S_PENDING_OFFSET] = off;
        this.state[S_PENDING_LENGTH] = len;
      }
    }
    if (this.zbd && d === DDIR_WRITE) {
      this.zbdPlaceWrite(off, len);
      off = state[S_POSITION];
      len = state[S_ZBD_LENGTH];
    }

    let at = Math.max(nowNs, this.state[S_START], this.state[S_THINK_UNTIL]);
    const bps = this.rateBytesPerSec[d];
    if (bps > 0) {
      if (this.job.rateProcess === 'poisson') {
        at = Math.max(at, this.rateNextNs[d]);
        this.rateNextNs[d] += -Math.log(this.rngTime.nextOpen()) * this.rateMeanGapNs[d];
      } else {
        at = Math.max(at, this.state[S_START] + (this.rateBytesIssued[d] * 1e9) / bps);
      }
      this.rateBytesIssued[d] += len;
    }
    if (at >= state[S_END]) {
      this.phase = PHASE_DONE;
      return false;
    }
    state[S_AT] = at;
    state[S_OFFSET] = off;
    state[S_LENGTH] = len;
    this.ddir = d;
    this.lastEnd[d] = off + len;
    this.issued++;
    this.mainIos++;
    // trimwrite trims then writes each block: the region is covered once, counted by the writes.
    if (!(d === DDIR_TRIM && this.state[S_PENDING_OFFSET] >= 0)) this.state[S_MAIN_BYTES] += len;
    if (d === DDIR_WRITE) this.writesIssued++;
    if (this.thinkNs > 0 && ++this.thinkCount >= this.thinkBlocks) {
      this.thinkCount = 0;
      // Think from the moment nothing is in flight (completion reports move it later); if no
      // completion is ever reported, from this issue.
      this.thinkPending = true;
      state[S_THINK_UNTIL] = at + this.thinkNs;
    }
    return true;
  }

  /**
   * The thread starts at its first call: not before startdelay, which fio counts from the start of
   * the whole run (backend.c compares it with the time since genesis); runtime and the rate
   * schedule count from the thread's own start, so a job after a stonewall gets its full runtime.
   */
  private start(nowNs: number): void {
    this.started = true;
    this.state[S_START] = Math.max(nowNs, this.job.startDelayNs);
    this.state[S_END] = this.state[S_START] + this.runNs;
    for (let d = 0; d < 3; d++) this.rateNextNs[d] = this.state[S_START];
  }

  private endMainPhase(): void {
    if (this.verifyAfterWrites && this.writesIssued > 0) {
      this.phase = PHASE_VERIFY;
      this.verifyLeft = this.writesIssued;
    } else {
      this.phase = PHASE_DONE;
    }
  }

  private nextLength(d: number): number {
    const sizes = this.splitSizes[d];
    if (sizes !== undefined) {
      const cumulative = this.splitCumulative[d] as Float64Array;
      const r = this.rngLen.next() * cumulative[cumulative.length - 1];
      for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]) return sizes[i];
      return sizes[sizes.length - 1];
    }
    const min = this.rangeMin[d];
    if (min > 0) {
      const max = this.rangeMax[d];
      if (max <= min) return min;
      if (this.job.bsUnaligned) return min + this.rngLen.below(max - min + 1);
      return min * (1 + this.rngLen.below(Math.floor(max / min)));
    }
    return this.fixedBs[d];
  }

  /** Leaves the offset in state[S_POSITION]. */
  private sequentialOffset(d: number, len: number): void {
    const start = this.regionStart;
    const end = this.regionEnd;
    let off = this.seqPos[d];
    if (off < start || off + len > end) {
      off = this.job.seqAddBytes < 0 ? end - len - ((end - len - start) % this.alignment[d]) : start;
    }
    this.seqPos[d] = off + len + this.job.seqAddBytes;
    this.state[S_POSITION] = off;
  }

  /** Leaves the offset in state[S_POSITION]. */
  private randomOffset(d: number, len: number): void {
    const start = this.regionStart;
    const end = this.regionEnd;
    if (this.runLeft > 0) {
      this.runLeft--;
      const off = this.state[S_RUN_NEXT];
      if (off + len <= end) {
        if (this.job.rwSequencer === 'sequential') this.state[S_RUN_NEXT] = off + len;
        this.state[S_POSITION] = off;
        return;
      }
    }
    if (this.randomPercent[d] < 100 && this.rngMix.next() * 100 >= this.randomPercent[d]) {
      const next = this.lastEnd[d];
      this.state[S_POSITION] = next + len <= end ? next : start;
      return;
    }
    let off: number;
    if (this.permutation !== undefined) {
      if (this.mapIndex >= this.mapBlocks) {
        this.mapPass++;
        this.mapIndex = 0;
        this.permutation = new RandomPermutation(this.mapBlocks, mixSeed(this.seed, 21, this.mapPass));
      }
      off = start + this.permutation.at(this.mapIndex++) * this.mapBs;
    } else {
      const a = this.alignment[d];
      const n = this.job.randomDistribution.kind === 'random' ? Math.floor((end - start - len) / a) + 1 : this.positions[d];
      off = start + this.pickBlock(d, n, a) * a;
      if (off + len > end) off = start + Math.floor((end - len - start) / a) * a;
    }
    if (this.job.randomRunLength > 1) {
      this.runLeft = this.job.randomRunLength - 1;
      this.state[S_RUN_NEXT] = this.job.rwSequencer === 'identical' ? off : off + len;
    }
    this.state[S_POSITION] = off;
  }

  /** A block index in [0, n) per random_distribution, for blocks of `a` bytes. */
  private pickBlock(d: number, n: number, a: number): number {
    const dist = this.job.randomDistribution;
    switch (dist.kind) {
      case 'random':
        return this.rngOff.below(n);
      case 'zipf':
      case 'pareto': {
        const rank = (this.samplers[d] as RankSampler).sample(this.rngOff);
        const scatter = this.scatters[d];
        const shift = dist.center !== undefined ? Math.floor(dist.center * n) : 0;
        return ((scatter !== undefined ? scatter.at(rank) : rank) + shift) % n;
      }
      case 'normal':
        return (this.samplers[d] as RankSampler).sample(this.rngOff);
      case 'zoned':
      case 'zoned_abs': {
        const cumulative = this.zoneAccessCumulative;
        const last = cumulative.length - 1;
        const r = this.rngOff.next() * cumulative[last];
        let z = 0;
        while (z < last && r >= cumulative[z]) z++;
        const first = Math.floor(this.zoneStart[z] / a);
        const count = Math.max(1, Math.floor(this.zoneBytes[z] / a));
        return Math.min(first + this.rngOff.below(count), n - 1);
      }
      case 'sequence': {
        const indices = dist.indices;
        const cycle = Math.floor(this.sequenceCount / indices.length);
        const index = indices[this.sequenceCount % indices.length] + cycle * indices.length * this.job.randomSequenceStride;
        this.sequenceCount++;
        return index % n;
      }
    }
  }

  /** zonemode=zbd: where a write of `len` bytes aimed at `off` lands (state[S_POSITION]) and its length (state[S_ZBD_LENGTH]). */
  private zbdPlaceWrite(off: number, len: number): void {
    const zoneSize = this.zbdZoneSize;
    let zone = Math.min(this.zbdZones - 1, Math.floor((off - this.regionStart) / zoneSize));
    if (this.zbdIsOpen[zone] === 0) {
      if (this.zbdOpenCount < this.zbdMaxOpen) {
        if (this.zbdWritePointer[zone] >= zoneSize) this.zbdWritePointer[zone] = 0; // reset a full zone before writing it again
        this.zbdIsOpen[zone] = 1;
        this.zbdOpen[this.zbdOpenCount++] = zone;
      } else {
        zone = this.zbdOpen[this.rngOff.below(this.zbdOpenCount)];
      }
    }
    const room = zoneSize - this.zbdWritePointer[zone];
    const minLen = this.minLen[DDIR_WRITE];
    let length = len <= room ? len : Math.floor(room / minLen) * minLen;
    if (length <= 0) length = room;
    const at = this.regionStart + zone * zoneSize + this.zbdWritePointer[zone];
    this.zbdWritePointer[zone] += length;
    if (this.zbdWritePointer[zone] >= zoneSize) {
      // Full: the zone leaves the open set.
      this.zbdIsOpen[zone] = 0;
      for (let i = 0; i < this.zbdOpenCount; i++) {
        if (this.zbdOpen[i] === zone) {
          this.zbdOpen[i] = this.zbdOpen[--this.zbdOpenCount];
          break;
        }
      }
    }
    if (!this.job.random) this.seqPos[DDIR_WRITE] = at + length + this.job.seqAddBytes;
    this.state[S_ZBD_LENGTH] = length;
    this.state[S_POSITION] = at;
  }
}

/** A closed-loop source for one numjobs clone of a fio job (what the simulator's job thread calls). */
export function createFioIoSource(job: FioJob, options: FioIoSourceOptions = {}): FioIoSource {
  return new FioIoSource(job, options);
}

/** One source per numjobs clone of each job, in fio's order (job index, then clone). */
export function createFioIoSources(jobs: readonly FioJob[], options: Omit<FioIoSourceOptions, 'clone'> = {}): FioIoSource[] {
  const sources: FioIoSource[] = [];
  for (const job of jobs) for (let clone = 0; clone < job.numjobs; clone++) sources.push(new FioIoSource(job, { ...options, clone }));
  return sources;
}
