/**
 * Turns a parsed fio job (fio-job.ts) into a deterministic stream of I/O records for a seed: the
 * offsets, lengths and directions fio would issue, and a modelled issue time for each.
 *
 * Every decision — which I/O comes next and the earliest time it may go — is made by the job
 * thread's closed-loop source, FioIoSource (fio-io-source.ts, where fio's semantics are described);
 * this file only supplies the clock the simulator would otherwise supply. fio is closed-loop, so
 * issue times depend on the device: the model assumes every I/O takes `serviceTimeNs` (default
 * 100 µs) and iodepth I/Os are kept in flight, which spaces issues serviceTimeNs / iodepth apart,
 * and reports each completion to the source at issue + serviceTimeNs (so thinktime starts there).
 * Trims are kept as records here. The CPU of clone i is cpus_allowed[i mod n] (absent without
 * cpus_allowed). The records are what fio asks its engine to do, whatever the engine: with
 * ioengine=null nothing reaches a device, and the closed-loop source (what the simulator runs)
 * issues nothing for such a job.
 */
import { WorkloadError } from './errors.js';
import { IO_SOURCE_DONE } from './io-source.js';
import { FioIoSource, fioStreamSeed } from './fio-io-source.js';
import type { FioDdir, FioJob } from './fio-job.js';
import type { IoRecord } from './io-record.js';

export { fioStreamSeed } from './fio-io-source.js';

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
const OPS: readonly FioDdir[] = ['read', 'write', 'trim'];

/** Generates the records of one clone of a job. */
export function* generateFioJob(job: FioJob, options: FioGenerateOptions = {}): Generator<IoRecord> {
  const clone = options.clone ?? 0;
  const source = new FioIoSource(job, { seed: options.seed, clone, deviceSizeBytes: options.deviceSizeBytes });
  const serviceNs = options.serviceTimeNs ?? DEFAULT_SERVICE_NS;
  const maxRecords = options.maxRecords ?? Infinity;
  const pid = options.pid ?? clone + 1;
  const device = job.filename ?? job.name;
  const cpu = job.cpusAllowed && job.cpusAllowed.length > 0 ? job.cpusAllowed[clone % job.cpusAllowed.length] : undefined;
  if (job.timeBased && !(job.runtimeNs !== undefined && job.runtimeNs > 0) && maxRecords === Infinity) {
    throw new WorkloadError(job.file, job.line, 'time_based', 'time_based without runtime never ends; set runtime or maxRecords');
  }

  const spacingNs = serviceNs / job.iodepth;
  let clock = job.startDelayNs;
  let count = 0;
  while (count < maxRecords) {
    const at = source.nextAny(clock);
    if (at === IO_SOURCE_DONE) return;
    clock = at + spacingNs;
    source.noteCompletion(at + serviceNs);
    count++;
    const record: IoRecord = { timeNs: Math.round(at), op: OPS[source.ddir], offsetBytes: source.offsetBytes, lengthBytes: source.lengthBytes, device, pid, line: count };
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
