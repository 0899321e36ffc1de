/**
 * A fio job file as a simulator Scenario: the host, IOMMU and costs come from a base scenario (a
 * preset), the threads from the job file — one JobSpec per job with its numjobs, CPUs, iodepth and
 * size. What each thread issues, and when, is not in the JobSpec: ./fio-workload.ts gives every
 * thread a FioIoSource (block-size mixes, rwmixread, random_distribution, rate, thinktime,
 * number_ios, verify, zoned write pointers, ioengine=null) under fio's phase order (stonewall,
 * wait_for). A JobSpec's `rw` and `bs` are only the job's nearest single direction and smallest
 * block size (what the scenario schema needs). `notes` lists, one line each, what is still not
 * simulated: the job file reader's notes on options (../workloads/fio-options.ts), and what this
 * mapping approximates (buffered I/O, trims, sizes in % of a device, the simulated duration).
 */
import { basename, extname } from 'node:path';
import { PRESETS as HOST_PRESETS } from '../block/presets.js';
import { WorkloadError } from '../workloads/errors.js';
import { maxBlockSize, minBlockSize, type FioJob, type FioJobFile } from '../workloads/fio-job.js';
import { platformFromFioJobs } from './platform-profile.js';
import { planFioPhases } from '../workloads/fio-phases.js';
import { DEFAULT_ZONE_SIZE_BYTES } from './fio-workload.js';
import { warmupForDuration } from './measured-window.js';
import { scenarioFromData } from './scenario-loader.js';
import { ScenarioError } from './scenario-schema.js';
import type { ReadWrite, Scenario } from './scenario.js';

export interface FioScenario {
  readonly scenario: Scenario;
  /** What the simulation approximates or leaves out, one sentence each. */
  readonly notes: string[];
  /** The size of the device the jobs address (see deviceSize). */
  readonly deviceSizeBytes: number;
}

/** The longest duration a scenario accepts (scenario.ts: duration_ms ≤ 3,600,000). */
const MAX_DURATION_MS = 3_600_000;
/** Simulated durations above this get a note: they take a long time to simulate. */
const LONG_DURATION_MS = 10_000;

/**
 * fio's rw → the JobSpec's nearest single direction (the I/O source issues the real mix), and a
 * note for what the simulation leaves out.
 */
function mapRw(job: FioJob): { rw: ReadWrite; note: string | null } {
  const mixed = (random: boolean): { rw: ReadWrite; note: null } => {
    const reads = job.rwmixread >= 50;
    return { rw: random ? (reads ? 'randread' : 'randwrite') : reads ? 'read' : 'write', note: null };
  };
  switch (job.rw) {
    case 'read':
    case 'write':
    case 'randread':
    case 'randwrite':
      return { rw: job.rw, note: null };
    case 'readwrite':
      return mixed(false);
    case 'randrw':
      return mixed(true);
    case 'trim':
    case 'trimwrite':
      return { rw: 'write', note: `rw=${job.rw}: the trims are not issued (they carry no data buffer, so no DMA mapping); ${job.rw === 'trim' ? 'the job issues no I/O' : 'the writes are'}` };
    case 'randtrim':
    case 'randtrimwrite':
      return { rw: 'randwrite', note: `rw=${job.rw}: the trims are not issued (they carry no data buffer, so no DMA mapping); ${job.rw === 'randtrim' ? 'the job issues no I/O' : 'the writes are'}` };
  }
}

/** Every block size a job may issue (bs, bsrange ends, bssplit entries), per direction. */
function blockSizes(job: FioJob): number[] {
  const sizes = new Set<number>();
  for (const d of job.directions) {
    sizes.add(minBlockSize(job, d));
    sizes.add(maxBlockSize(job, d));
    for (const entry of job.bsSplit?.[d] ?? []) sizes.add(entry.bytes);
  }
  return [...sizes].filter((b) => b > 0);
}

/**
 * How long the timed jobs run, phase after phase (fio-phases.ts): a job starts with its phase (or
 * when the job it waits for ends), not before its startdelay (counted from the start of the run),
 * and runs ramp_time + runtime; a phase ends with its last job. Jobs without runtime count as ending
 * when they start (their length depends on the simulated speed).
 */
function timedRunNs(jobs: readonly FioJob[]): number {
  const endOfJob = new Map<number, number>();
  let phaseStart = 0;
  for (const phase of planFioPhases(jobs)) {
    let phaseEnd = phaseStart;
    for (const entry of phase.jobs) {
      const job = entry.job;
      const after = entry.waitsForJob === undefined ? phaseStart : Math.max(phaseStart, endOfJob.get(entry.waitsForJob) ?? 0);
      const start = Math.max(after, job.startDelayNs);
      const end = job.runtimeNs !== undefined && job.runtimeNs > 0 ? start + job.rampTimeNs + job.runtimeNs : start;
      endOfJob.set(job.index, end);
      phaseEnd = Math.max(phaseEnd, end);
    }
    phaseStart = phaseEnd;
  }
  return phaseStart;
}

function roundUp(bytes: number, block: number): number {
  return Math.ceil(bytes / block) * block;
}

/**
 * The device the jobs address: the base scenario's job size (what `size=%` and jobs without size
 * refer to), or more when a job's byte offsets reach past it (offset + clones × offset_increment +
 * size), so that every region the job file names fits (fio would run on the real device's size).
 */
function deviceSize(jobs: readonly FioJob[], baseBytes: number): number {
  let bytes = baseBytes;
  for (const job of jobs) {
    const offset = job.offset.kind === 'bytes' ? job.offset.bytes : 0;
    const step = job.offsetIncrement?.kind === 'bytes' ? job.offsetIncrement.bytes : 0;
    // Without size fio uses the whole device: each clone gets at least the base size beyond its offset.
    const size = job.size?.kind === 'bytes' ? job.size.bytes : (job.fileSizeBytes ?? Math.max(baseBytes, job.ioSize ?? 0));
    bytes = Math.max(bytes, offset + (job.numjobs - 1) * step + size);
  }
  return bytes;
}

/** "0,1,2,3,8" → "0-3,8". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...cpus].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const JOB_FIELD_TO_FIO: Record<string, string> = { rw: 'rw', bs: 'bs', iodepth: 'iodepth', numjobs: 'numjobs', cpus_allowed: 'cpus_allowed', size: 'size', name: 'name' };

/**
 * Maps the jobs of a parsed fio job file onto `base` (whose CPU count the jobs' cpus_allowed must
 * fit). Bad values become WorkloadErrors `FILE:LINE: option: problem` at the job's section.
 */
export function fioToScenario(parsed: FioJobFile, base: Scenario, options: { name?: string; /** The caller sets the duration itself: no notes about runtime. */ durationOverridden?: boolean } = {}): FioScenario {
  const file = parsed.file;
  if (parsed.jobs.length === 0) throw new WorkloadError(file, undefined, 'jobs', 'the job file defines no job (only global sections)');
  const notes: string[] = [];
  for (const warning of parsed.warnings) notes.push(`${warning.file}:${warning.line}: ${warning.option}: ${warning.message}`);
  // The reader's notes: options present that are not simulated or only approximated.
  for (const note of parsed.notes) notes.push(`${note.file}:${note.line}: ${note.option}: ${note.message}`);
  // Per-job notes with the same text are said once, naming every job; file-wide ones come last.
  const byText = new Map<string, FioJob[]>();
  const noteFor = (job: FioJob, text: string): void => {
    const jobs = byText.get(text) ?? [];
    if (!jobs.includes(job)) jobs.push(job);
    byText.set(text, jobs);
  };
  const global = new Set<string>();
  const allCpus = Array.from({ length: base.cpus }, (_, i) => i);
  const template = base.jobs[0];

  // O_DIRECT I/O must be whole logical blocks of the disk (the kernel fails it with EINVAL).
  const logicalBlock = HOST_PRESETS[base.host.preset]?.disk.logicalBlockSize ?? 512;
  const jobs = parsed.jobs.map((job) => {
    const { rw, note } = mapRw(job);
    if (note) noteFor(job, note);
    const odd = blockSizes(job).find((b) => b % logicalBlock !== 0);
    if (odd !== undefined && job.direct) {
      throw new WorkloadError(job.file, job.line, 'bs', `${odd} is not a multiple of the disk's logical block size ${logicalBlock} (host ${base.host.preset}): direct=1 I/O must be whole blocks`);
    }
    if (odd !== undefined) noteFor(job, `buffered bs=${odd} simulated as direct I/O of bs=${roundUp(odd, logicalBlock)} (whole ${logicalBlock}-byte logical blocks)`);
    let smallest = Math.min(...job.directions.map((d) => minBlockSize(job, d)));
    smallest = roundUp(smallest, logicalBlock);
    let sizeBytes = template.sizeBytes;
    if (job.size?.kind === 'bytes') sizeBytes = job.size.bytes;
    else if (job.size?.kind === 'percent') {
      sizeBytes = Math.floor((template.sizeBytes * job.size.percent) / 100);
      noteFor(job, `size=${job.size.percent}% taken of a ${template.sizeBytes}-byte device (the base scenario's job size; the disks' capacity is not modelled)`);
    }
    if (sizeBytes < smallest) {
      noteFor(job, `size=${sizeBytes} is below one block; each thread works over ${smallest} bytes`);
      sizeBytes = smallest;
    }
    sizeBytes = Math.max(4096, Math.floor(sizeBytes / smallest) * smallest);
    if (job.zoneMode === 'zbd' && job.zoneSizeBytes === 0) noteFor(job, `zonemode=zbd without zonesize: zones of ${DEFAULT_ZONE_SIZE_BYTES / 2 ** 20} MiB (the simulated disks are not zoned devices)`);
    if (!job.direct) global.add('buffered I/O (direct=0) is simulated as direct I/O: the page cache is not modelled');
    return {
      name: job.name,
      rw,
      bs: smallest,
      iodepth: job.iodepth,
      numjobs: job.numjobs,
      cpus_allowed: formatCpuList(job.cpusAllowed ?? allCpus),
      size: sizeBytes,
      __line: job.line,
      __file: job.file,
    };
  });

  for (const [text, jobs] of byText) {
    const where = jobs.length === 1 ? `${jobs[0].file}:${jobs[0].line}: [${jobs[0].name}]` : `${file}: ${jobs.map((j) => `[${j.name}]`).join(', ')}`;
    notes.push(`${where} ${text}`);
  }
  notes.push(...global);

  const data: Record<string, unknown> = {
    name: options.name ?? basename(file, extname(file)),
    jobs: jobs.map(({ __line: _line, __file: _file, ...rest }) => rest),
    platform: platformFromFioJobs(parsed.jobs, base, notes),
  };
  // Time: the run lasts as long as fio's would: phases (stonewall) one after another, each as long
  // as its longest timed job (startdelay + ramp_time + runtime); ramp_time becomes the warm-up.
  const timed = parsed.jobs.filter((j) => j.runtimeNs !== undefined && j.runtimeNs > 0);
  if (timed.length > 0) {
    const rampNs = Math.max(...parsed.jobs.map((j) => j.rampTimeNs + j.startDelayNs));
    let durationMs = timedRunNs(parsed.jobs) / 1e6;
    if (durationMs > MAX_DURATION_MS) {
      notes.push(`runtime ${durationMs / 1e3} s is above the simulator's limit of ${MAX_DURATION_MS / 1e3} s; simulating ${MAX_DURATION_MS} ms`);
      durationMs = MAX_DURATION_MS;
    }
    data.duration_ms = durationMs;
    if (rampNs > 0 && rampNs / 1e6 < durationMs) data.warmup_ms = rampNs / 1e6;
    else data.warmup_ms = warmupForDuration(durationMs, base.warmupMs);
    if (durationMs > LONG_DURATION_MS && options.durationOverridden !== true) notes.push(`runtime: simulating ${durationMs} ms of a ${base.cpus}-CPU host takes a long time; pass --duration MS for a shorter run`);
    if (timed.length < parsed.jobs.length && options.durationOverridden !== true) notes.push(`${parsed.jobs.filter((j) => !timed.includes(j)).map((j) => `[${j.name}]`).join(', ')} without runtime: the simulated duration counts only the timed jobs (${durationMs} ms)`);
  } else if (options.durationOverridden !== true) {
    notes.push(`no runtime in the job file: simulating ${base.durationMs} ms (the base scenario's duration; --duration to change)`);
  }
  try {
    return { scenario: scenarioFromData(data, base, { label: file }), notes, deviceSizeBytes: deviceSize(parsed.jobs, template.sizeBytes) };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    const match = /^jobs\[(\d+)\]\.(\w+)$/.exec(error.field.slice(file.length + 2));
    if (match) {
      const job = jobs[Number(match[1])];
      throw new WorkloadError(job.__file, job.__line, JOB_FIELD_TO_FIO[match[2]] ?? match[2], error.problem);
    }
    throw error;
  }
}
