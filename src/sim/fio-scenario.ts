/**
 * A fio job file as a simulator Scenario: the host, IOMMU and costs come from a base scenario (a
 * preset), the workload from the job file. The engine's jobs are simpler than fio's — one direction,
 * one block size, closed loop at full iodepth — so everything the mapping has to approximate is
 * reported in `notes`, one line each, for the user to see.
 */
import { basename, extname } from 'node:path';
import { PRESETS as HOST_PRESETS } from '../block/presets.js';
import { WorkloadError } from '../workloads/errors.js';
import { maxBlockSize, minBlockSize, type FioJob, type FioJobFile } from '../workloads/fio-job.js';
import { warmupForDuration } from './measured-window.js';
import { scenarioFromData } from './scenario-loader.js';
import { ScenarioError } from './scenario-schema.js';
import type { ReadWrite, Scenario } from './scenario.js';

export interface FioScenario {
  readonly scenario: Scenario;
  /** What the mapping approximated or left out, one sentence each. */
  readonly notes: string[];
}

/** The longest duration a scenario accepts (scenario.ts: duration_ms ≤ 3,600,000). */
const MAX_DURATION_MS = 3_600_000;
/** Simulated durations above this get a note: they take a long time to simulate. */
const LONG_DURATION_MS = 10_000;

/** fio's rw → the nearest scenario direction, and whether that is an approximation. */
function mapRw(job: FioJob): { rw: ReadWrite; note: string | null } {
  const mixed = (random: boolean): { rw: ReadWrite; note: string } => {
    const reads = job.rwmixread >= 50;
    const rw: ReadWrite = random ? (reads ? 'randread' : 'randwrite') : reads ? 'read' : 'write';
    return {
      rw,
      note: `rw=${job.rw} (${job.rwmixread}% reads) simulated as rw=${rw}: a scenario job has one direction (the engine maps reads and writes alike; only sequential versus random changes the model)`,
    };
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
      return { rw: 'write', note: `rw=${job.rw} simulated as rw=write: trims carry no data buffer and are not modelled` };
    case 'randtrim':
    case 'randtrimwrite':
      return { rw: 'randwrite', note: `rw=${job.rw} simulated as rw=randwrite: trims carry no data buffer and are not modelled` };
  }
}

function describeBs(job: FioJob): string {
  const dirs = job.directions;
  const split = dirs.map((d) => job.bsSplit?.[d]).find((s) => s !== undefined && s.length > 0);
  if (split) return `bssplit=${split.map((e) => `${e.bytes}/${e.percent}`).join(':')}`;
  const range = dirs.map((d) => job.bsRange?.[d]).find((r) => r !== undefined && r.max > 0);
  if (range) return `bsrange=${range.min}-${range.max}`;
  return `bs=${dirs.map((d) => job.bs[d]).join(',')}`;
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
    let smallest = Math.min(...job.directions.map((d) => minBlockSize(job, d)));
    const largest = Math.max(...job.directions.map((d) => maxBlockSize(job, d)));
    if (smallest !== largest) noteFor(job, `${describeBs(job)} simulated as bs=${smallest} (the smallest block size: a scenario job has one)`);
    if (smallest % logicalBlock !== 0) {
      const rounded = Math.ceil(smallest / logicalBlock) * logicalBlock;
      noteFor(job, `buffered bs=${smallest} simulated as direct I/O of bs=${rounded} (whole ${logicalBlock}-byte logical blocks)`);
      smallest = rounded;
    }
    let sizeBytes = template.sizeBytes;
    if (job.size?.kind === 'bytes') sizeBytes = job.size.bytes;
    else if (job.size?.kind === 'percent') {
      sizeBytes = Math.floor((template.sizeBytes * job.size.percent) / 100);
      noteFor(job, `size=${job.size.percent}% taken of the base scenario's ${template.sizeBytes} bytes per thread (the device size is not modelled)`);
    }
    if (sizeBytes < smallest) {
      noteFor(job, `size=${sizeBytes} is below one block; each thread works over ${smallest} bytes`);
      sizeBytes = smallest;
    }
    sizeBytes = Math.max(4096, Math.floor(sizeBytes / smallest) * smallest);
    if ((job.rateIops && Object.values(job.rateIops).some((v) => v > 0)) || (job.rateBytes && Object.values(job.rateBytes).some((v) => v > 0))) {
      noteFor(job, 'rate limits (rate_iops / rate) are not modelled: scenario jobs run closed-loop at full iodepth');
    }
    if (job.thinktimeNs > 0) noteFor(job, 'thinktime is not modelled');
    if (job.randomDistribution.kind !== 'random' && job.random) noteFor(job, `random_distribution=${job.randomDistribution.kind} simulated as uniform random offsets`);
    if (job.numberIos !== undefined || job.ioSize !== undefined) noteFor(job, 'number_ios / io_size are not modelled: threads run for the whole simulated duration');
    if (job.seqAddBytes !== 0 && !job.random) noteFor(job, `rw=${job.rw}:${job.seqAddBytes} (holes or backwards steps) simulated as plain sequential I/O`);
    if (!job.direct) global.add('buffered I/O (direct=0) is simulated as direct I/O: the page cache is not modelled');
    if ((job.stonewall || job.newGroup) && job.index > 0) global.add('stonewall / new_group: the jobs run concurrently in the simulation, not one after another');
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
  };
  // Time: fio's runtime (after ramp_time and startdelay) becomes the simulated duration, ramp_time the warm-up.
  const timed = parsed.jobs.filter((j) => j.runtimeNs !== undefined && j.runtimeNs > 0);
  if (timed.length > 0) {
    const rampNs = Math.max(...parsed.jobs.map((j) => j.rampTimeNs + j.startDelayNs));
    let durationMs = Math.max(...timed.map((j) => (j.startDelayNs + j.rampTimeNs + (j.runtimeNs as number)) / 1e6));
    if (durationMs > MAX_DURATION_MS) {
      notes.push(`runtime ${durationMs / 1e3} s is above the simulator's limit of ${MAX_DURATION_MS / 1e3} s; simulating ${MAX_DURATION_MS} ms`);
      durationMs = MAX_DURATION_MS;
    }
    data.duration_ms = durationMs;
    if (rampNs > 0 && rampNs / 1e6 < durationMs) data.warmup_ms = rampNs / 1e6;
    else data.warmup_ms = warmupForDuration(durationMs, base.warmupMs);
    if (durationMs > LONG_DURATION_MS && options.durationOverridden !== true) notes.push(`runtime: simulating ${durationMs} ms of a ${base.cpus}-CPU host takes a long time; pass --duration MS for a shorter run`);
  } else if (options.durationOverridden !== true) {
    notes.push(`no runtime in the job file: simulating ${base.durationMs} ms (the base scenario's duration; --duration to change)`);
  }
  try {
    return { scenario: scenarioFromData(data, base, { label: file }), notes };
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
