/**
 * A fio job file as the simulator's per-thread I/O sources: what makes the workload simulated the
 * workload written. fio-scenario.ts turns the job file into the engine's JobSpecs (threads, CPUs,
 * iodepth); this file gives every thread (one numjobs clone of one job) a FioIoSource
 * (../workloads/fio-io-source.ts: block-size mixes, rwmixread, random_distribution, rates,
 * thinktime, number_ios, verify, zoned write pointers, ioengine=null), and orders the threads as
 * fio's job control does.
 *
 * Design.
 * - A `FioWorkload` is plain data (the job file's text, its path for `include` and messages, the
 *   environment `${VAR}` reads, the chosen sections, the device sizes). Functions cannot cross to
 *   worker threads; this can, and `fioIoSources(workload)` rebuilds the same sources from it on any
 *   thread, so a run on a worker is byte-identical to one in the calling thread.
 * - Seeds: the engine hands each thread `mixSeed(scenario.seed, thread)`; the FioIoSource mixes in
 *   the job's index and the clone (fioStreamSeed), so `--seed` fixes every choice.
 * - Phases (fio's stonewall and wait_for, planned by ../workloads/fio-phases.ts): a `PhaseGate`
 *   shared by the sources of one run. A thread's first `next()` asks the gate; until its phase is
 *   open (every thread of every earlier phase has exited) and, for wait_for, every clone of the
 *   waitee has exited, it answers IO_SOURCE_BLOCKED and the engine lets the thread sleep. A thread
 *   exits, as in fio, when its source is done and its last I/O has completed; the exit that
 *   finishes a phase wakes the threads it held, at that simulated instant. The FioIoSource counts
 *   runtime and rates from its own first call, so a later phase gets its full runtime (fio's
 *   startdelay still counts from the start of the run).
 * - A factory returned by `fioIoSources` serves any number of runs: thread 0 is asked for first in
 *   each run (the engine builds threads in order), and it starts a new gate.
 * - Trims map no memory: a trim-only job's source issues nothing (fio-scenario.ts announces it),
 *   a trimwrite job's issues its writes.
 * - Lengths and offsets are rounded to whole logical blocks (a buffered job's odd block size runs
 *   as direct I/O of whole blocks; fio-scenario.ts announces it), since the block layer needs them.
 */
import { WorkloadError } from '../workloads/errors.js';
import { FioIoSource } from '../workloads/fio-io-source.js';
import { parseFioJobText, type FioJob, type FioJobFile } from '../workloads/fio-job.js';
import { planFioPhases } from '../workloads/fio-phases.js';
import { IO_SOURCE_BLOCKED, IO_SOURCE_DONE, type ClosedLoopIoSource, type NextIo } from '../workloads/io-source.js';
import type { SimulateOptions } from './engine.js';

/** Everything needed to rebuild a job file's I/O sources on any thread (structured-clone safe). */
export interface FioWorkload {
  /** The job file's path (for messages and `include`, which is read relative to it). */
  readonly file: string;
  readonly text: string;
  /** The environment `${VAR}` expands from. */
  readonly env: Readonly<Record<string, string>>;
  /** fio's --section: only the jobs of these sections run (all when absent). */
  readonly sections?: readonly string[];
  /** fio's `$ncpus`. */
  readonly ncpus: number;
  /** fio's `$mb_memory`: the simulated host's memory in MiB, when the job file needs it. */
  readonly mbMemory?: number;
  /** The device the jobs address: `size=%`, jobs without size, offsets. */
  readonly deviceSizeBytes: number;
  /** Zone size for zonemode=zbd jobs without zonesize. */
  readonly deviceZoneSizeBytes: number;
  /** The disk's logical block size: I/Os are rounded to whole blocks. */
  readonly logicalBlockSize: number;
}

/** The zone size a zonemode=zbd job without zonesize is given (the simulated disks are not zoned). */
export const DEFAULT_ZONE_SIZE_BYTES = 256 * 2 ** 20;

/**
 * The part of the environment a job file reads (what a FioWorkload carries): the variables its
 * text names as `${NAME}`, or all of them when it includes other files (which may name more).
 * Nothing else of the environment is copied into the workload, which may be handed on.
 */
export function environmentSnapshot(env: Readonly<Record<string, string | undefined>>, text: string): Record<string, string> {
  const everything = /^\s*include\s/m.test(text);
  const named = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && (everything || named.has(key))) out[key] = value;
  return out;
}

/**
 * Parses the workload's job file and keeps the jobs of its sections (fio's --section: a job runs if
 * its section is named; naming a section that has no job is an error, as fio's "no jobs" is).
 */
export function parseFioWorkload(workload: Pick<FioWorkload, 'file' | 'text' | 'env' | 'sections' | 'ncpus' | 'mbMemory'>): FioJobFile {
  const parsed = parseFioJobText(workload.text, workload.file, { env: workload.env, ncpus: workload.ncpus, ...(workload.mbMemory === undefined ? {} : { mbMemory: workload.mbMemory }) });
  const sections = workload.sections;
  if (sections === undefined || sections.length === 0) return parsed;
  const known = new Set(parsed.jobs.map((j) => j.section));
  const missing = sections.filter((s) => !known.has(s));
  if (missing.length > 0) {
    throw new WorkloadError(workload.file, undefined, 'section', `no job section ${missing.map((s) => JSON.stringify(s)).join(', ')} (the file's job sections: ${[...known].join(', ')})`);
  }
  const wanted = new Set(sections);
  return { ...parsed, jobs: parsed.jobs.filter((j) => wanted.has(j.section)) };
}

/**
 * fio's job control over the threads of one run: which phase each thread is in, whom it waits for,
 * and who has exited.
 */
export class PhaseGate {
  private readonly phaseOfThread: Int32Array;
  private readonly waiteeOfThread: Int32Array;
  private readonly jobOfThread: Int32Array;
  /** Threads not yet exited, per phase; clones not yet exited, per job slot. */
  private readonly liveInPhase: Int32Array;
  private readonly liveOfJob: Int32Array;
  /** Phases below this one have every thread exited. */
  private firstUnfinishedPhase = 0;
  private readonly blocked: Uint8Array;
  private readonly wakes: (((nowNs: number) => void) | null)[];
  /** When each thread exited (ns; -1 while it runs), for tests and reports. */
  readonly exitNs: Float64Array;
  /** When each thread was let through (ns; -1 before). */
  readonly startNs: Float64Array;

  constructor(jobs: readonly FioJob[]) {
    const phases = planFioPhases(jobs);
    const slotOfJob = new Map<number, number>();
    jobs.forEach((job, slot) => slotOfJob.set(job.index, slot));
    const threads = jobs.reduce((n, j) => n + j.numjobs, 0);
    this.phaseOfThread = new Int32Array(threads);
    this.waiteeOfThread = new Int32Array(threads).fill(-1);
    this.jobOfThread = new Int32Array(threads);
    this.liveInPhase = new Int32Array(phases.length);
    this.liveOfJob = new Int32Array(jobs.length);
    this.blocked = new Uint8Array(threads);
    this.wakes = new Array<((nowNs: number) => void) | null>(threads).fill(null);
    this.exitNs = new Float64Array(threads).fill(-1);
    this.startNs = new Float64Array(threads).fill(-1);
    const phaseOfJob = new Map<number, { phase: number; waitee: number }>();
    for (const phase of phases) for (const entry of phase.jobs) phaseOfJob.set(entry.job.index, { phase: phase.index, waitee: entry.waitsForJob === undefined ? -1 : (slotOfJob.get(entry.waitsForJob) ?? -1) });
    let thread = 0;
    jobs.forEach((job, slot) => {
      const { phase, waitee } = phaseOfJob.get(job.index) as { phase: number; waitee: number };
      for (let clone = 0; clone < job.numjobs; clone++, thread++) {
        this.phaseOfThread[thread] = phase;
        this.waiteeOfThread[thread] = waitee;
        this.jobOfThread[thread] = slot;
      }
      this.liveInPhase[phase] += job.numjobs;
      this.liveOfJob[slot] = job.numjobs;
    });
  }

  get threads(): number {
    return this.phaseOfThread.length;
  }

  setWake(thread: number, wake: (nowNs: number) => void): void {
    this.wakes[thread] = wake;
  }

  /** May `thread` issue its first I/O now? If not, it is held and woken when it may. */
  tryStart(thread: number, nowNs: number): boolean {
    const waitee = this.waiteeOfThread[thread];
    if (this.phaseOfThread[thread] > this.firstUnfinishedPhase || (waitee >= 0 && this.liveOfJob[waitee] > 0)) {
      this.blocked[thread] = 1;
      return false;
    }
    this.startNs[thread] = nowNs;
    return true;
  }

  /** `thread` has exited at `nowNs` (source done, nothing in flight): wake whoever that lets start. */
  exited(thread: number, nowNs: number): void {
    if (this.exitNs[thread] >= 0) return;
    this.exitNs[thread] = nowNs;
    this.liveInPhase[this.phaseOfThread[thread]]--;
    this.liveOfJob[this.jobOfThread[thread]]--;
    while (this.firstUnfinishedPhase < this.liveInPhase.length && this.liveInPhase[this.firstUnfinishedPhase] === 0) this.firstUnfinishedPhase++;
    for (let other = 0; other < this.blocked.length; other++) {
      if (this.blocked[other] === 0) continue;
      const waitee = this.waiteeOfThread[other];
      if (this.phaseOfThread[other] > this.firstUnfinishedPhase || (waitee >= 0 && this.liveOfJob[waitee] > 0)) continue;
      this.blocked[other] = 0;
      this.wakes[other]?.(nowNs);
    }
  }
}

/** One thread of a fio job under the run's PhaseGate, with its I/O in whole logical blocks. */
export class FioThreadSource implements ClosedLoopIoSource {
  private started = false;
  private finished = false;
  private inflight = 0;

  constructor(
    readonly source: FioIoSource,
    private readonly gate: PhaseGate,
    private readonly thread: number,
    private readonly logicalBlockSize: number,
  ) {}

  next(io: NextIo, nowNs: number): number {
    if (!this.started) {
      if (!this.gate.tryStart(this.thread, nowNs)) return IO_SOURCE_BLOCKED;
      this.started = true;
    }
    const at = this.source.next(io, nowNs);
    if (at === IO_SOURCE_DONE) {
      this.finished = true;
      if (this.inflight === 0) this.gate.exited(this.thread, nowNs);
      return IO_SOURCE_DONE;
    }
    const block = this.logicalBlockSize;
    const offset = io.offsetBytes;
    const skew = offset % block;
    if (skew !== 0) io.offsetBytes = offset - skew;
    const end = offset + io.lengthBytes;
    const tail = end % block;
    io.lengthBytes = (tail === 0 ? end : end + block - tail) - io.offsetBytes;
    this.inflight++;
    return at;
  }

  completed(io: NextIo, nowNs: number): void {
    this.source.completed(io, nowNs);
    if (--this.inflight === 0 && this.finished) this.gate.exited(this.thread, nowNs);
  }

  attachWake(wake: (nowNs: number) => void): void {
    this.gate.setWake(this.thread, wake);
  }
}

export type IoSourceFactory = NonNullable<SimulateOptions['ioSources']>;

/**
 * The engine's `ioSources` for a fio workload: thread k (0-based over the jobs, clones in order) of
 * each run gets a FioIoSource of its job and clone under that run's PhaseGate. `onRun` sees each
 * run's gate (tests read its start and exit times).
 */
export function fioIoSources(workload: FioWorkload, onRun?: (gate: PhaseGate) => void): IoSourceFactory {
  const jobs = parseFioWorkload(workload).jobs;
  const jobOfThread: FioJob[] = [];
  const cloneOfThread: number[] = [];
  for (const job of jobs) {
    for (let clone = 0; clone < job.numjobs; clone++) {
      jobOfThread.push(job);
      cloneOfThread.push(clone);
    }
  }
  let gate: PhaseGate | null = null;
  return (_spec, thread, seed) => {
    if (thread >= jobOfThread.length) return undefined;
    if (thread === 0 || gate === null) {
      gate = new PhaseGate(jobs);
      onRun?.(gate);
    }
    const source = new FioIoSource(jobOfThread[thread], {
      seed,
      clone: cloneOfThread[thread],
      deviceSizeBytes: workload.deviceSizeBytes,
      deviceZoneSizeBytes: workload.deviceZoneSizeBytes,
    });
    return new FioThreadSource(source, gate, thread, workload.logicalBlockSize);
  };
}
