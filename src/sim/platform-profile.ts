/**
 * Platform profiles: what the storage stack around the IOVA allocator costs on a given host.
 *
 * The allocator, rcache and flush queue are the same code everywhere; what differs between hosts is
 * the work around them. A platform is named by five choices:
 *
 *   I/O engine    psync (one synchronous pread/pwrite per I/O), libaio (io_submit + io_getevents),
 *                 io_uring (io_uring_enter), sg (SCSI generic SG_IO)
 *   driver        scsi (SCSI midlayer + HBA), nvme, libata (SCSI midlayer + ATA translation + AHCI)
 *   completion    interrupt, polled (fio hipri / io_uring IOPOLL: the submitting thread reaps by
 *                 polling the completion queue, so completion work runs on its CPU, with no
 *                 interrupt), coalesced (one interrupt for `coalesce` completions)
 *   IOMMU         smmuv3, vt-d, amd-vi (the cost of one IOTLB invalidation and of a full flush)
 *   batching      fio's iodepth_batch_submit (I/Os per submission call) and
 *                 iodepth_batch_complete_min/max (completions a reap waits for / collects)
 *
 * Each choice contributes cost constants from the tables below, every one with its source, "estimate"
 * or "calibrated on <experiment>". `platformCosts()` adds them up into the engine's CostModel;
 * `engineSettings()` gives the engine the few plain numbers that are not costs (batch sizes, whether
 * completions are polled, the engine's own depth limit). A scenario names its platform
 * (`platform:` in YAML) and may still override any constant under `costs:`, which applies last:
 * when a scenario changes its platform, constants that still hold the old platform's value follow
 * the new one, and constants set explicitly stay (`rederiveCosts`).
 *
 * Where the costs come from (../shared/spec/published-figures.md): io_uring reaches ~10M IOPS per
 * core, ~100 ns of CPU per I/O, polled with batches of 32 (Axboe 2021) — the io_uring + NVMe +
 * polled rows are split estimates whose sum at batch 32 is that figure (test/sim/platform-profile
 * checks it); SPDK's 13.85M IOPS per core (72 ns) is the floor no kernel path goes below. The libaio +
 * SCSI per-I/O sum (2,500 ns at batch 1) is the one constant calibrated on the seed story. VT-d's
 * strict invalidation is rIOMMU's ~2,100 cycles at ~3 GHz; no per-invalidation figure was found for
 * SMMUv3 or AMD-Vi, so they carry that figure as an estimate. Page-table work per granule is the
 * dma_map_benchmark figure measured on SMMUv3 (Xia 2025), used as an estimate on x86.
 */
import { WorkloadError } from '../workloads/errors.js';
import type { FioJob } from '../workloads/fio-job.js';
import { DEFAULT_COST_MODEL, type CostModel } from './cost-model.js';

export const IO_ENGINES = ['psync', 'libaio', 'io_uring', 'sg'] as const;
export const STORAGE_DRIVERS = ['scsi', 'nvme', 'libata'] as const;
export const COMPLETION_STYLES = ['interrupt', 'polled', 'coalesced'] as const;
export const IOMMU_KINDS = ['smmuv3', 'vt-d', 'amd-vi'] as const;

export type IoEngine = (typeof IO_ENGINES)[number];
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];
export type CompletionStyle = (typeof COMPLETION_STYLES)[number];
export type IommuKind = (typeof IOMMU_KINDS)[number];

export interface PlatformBatch {
  /** I/Os per submission call (fio iodepth_batch_submit; 1: every I/O its own call). */
  readonly submit: number;
  /** Completions a thread at full depth waits for before it reaps (iodepth_batch_complete_min). */
  readonly completeMin: number;
  /** Completions one reap collects at most (iodepth_batch_complete_max). */
  readonly completeMax: number;
}

/** A scenario's platform: which profile rows its costs come from. */
export interface PlatformSelection {
  readonly ioEngine: IoEngine;
  readonly driver: StorageDriver;
  readonly completion: CompletionStyle;
  /** Completions per interrupt when `completion` is coalesced. */
  readonly coalesce: number;
  readonly iommu: IommuKind;
  readonly batch: PlatformBatch;
  /** io_uring's SQPOLL (fio sqthread_poll): a kernel thread submits, the job's CPU makes no call. */
  readonly sqPoll: boolean;
}

/** The platform of the seed story's host and of any scenario that names none. */
export const DEFAULT_PLATFORM: PlatformSelection = {
  ioEngine: 'libaio',
  driver: 'scsi',
  completion: 'interrupt',
  coalesce: 1,
  iommu: 'smmuv3',
  batch: { submit: 1, completeMin: 1, completeMax: 1 },
  sqPoll: false,
};

/** One constant of a profile row: its value in ns and where it comes from. */
export interface SourcedCost {
  readonly ns: number;
  readonly source: string;
}

const AXBOE = 'estimate; the io_uring, nvme and polled rows sum to ~100 ns per I/O at batch 32, io_uring\'s ~10M IOPS/core (Axboe 2021)';
const SEED_CALIBRATED = 'calibrated on the seed story (its 4 KiB workload must not be limited by the job CPUs): 2,500 per I/O at batch 1 with submitBatchNs; the split is an estimate';

export interface EngineRow {
  readonly submitNs: SourcedCost;
  readonly submitBatchNs: SourcedCost;
  readonly reapBatchNs: SourcedCost;
  /** Per bio: bio_endio and the engine's completion event (aio event, CQE, waking a sleeper). */
  readonly bioCompletionNs: SourcedCost;
  /** In-flight I/Os a thread can have whatever its iodepth (synchronous engines: 1). */
  readonly maxDepth: number;
}

export const ENGINE_COSTS: Readonly<Record<IoEngine, EngineRow>> = {
  libaio: {
    submitNs: { ns: 1500, source: SEED_CALIBRATED },
    submitBatchNs: { ns: 1000, source: 'calibrated with submitNs (above): io_submit + io_getevents' },
    reapBatchNs: { ns: 0, source: 'inside submitBatchNs (fio calls io_getevents once per submission at batch 1)' },
    bioCompletionNs: { ns: 150, source: 'estimate' },
    maxDepth: Number.POSITIVE_INFINITY,
  },
  io_uring: {
    submitNs: { ns: 25, source: AXBOE },
    submitBatchNs: { ns: 300, source: AXBOE + ' (io_uring_enter)' },
    reapBatchNs: { ns: 150, source: AXBOE + ' (a pass over the CQ, io_uring_enter GETEVENTS)' },
    bioCompletionNs: { ns: 10, source: AXBOE + ' (posting a CQE)' },
    maxDepth: Number.POSITIVE_INFINITY,
  },
  psync: {
    submitNs: { ns: 300, source: 'estimate' },
    submitBatchNs: { ns: 1200, source: 'estimate: one pread/pwrite system call per I/O' },
    reapBatchNs: { ns: 0, source: 'none: the call returns with its I/O' },
    bioCompletionNs: { ns: 1000, source: 'estimate: waking the sleeping thread (a context switch)' },
    maxDepth: 1,
  },
  sg: {
    submitNs: { ns: 2500, source: 'estimate: sg_io_hdr copy, blk_rq_map_user, no bio merging' },
    submitBatchNs: { ns: 1000, source: 'estimate: the SG_IO ioctl or write(2) on /dev/sg' },
    reapBatchNs: { ns: 0, source: 'inside submitBatchNs' },
    bioCompletionNs: { ns: 150, source: 'estimate' },
    maxDepth: Number.POSITIVE_INFINITY,
  },
};

export interface DriverRow {
  /** Per request: blk-mq dispatch and the driver's queue_rq. */
  readonly dispatchNs: SourcedCost;
  /** Per request: the driver's completion and blk-mq's end of request, without the interrupt. */
  readonly completionNs: SourcedCost;
}

export const DRIVER_COSTS: Readonly<Record<StorageDriver, DriverRow>> = {
  scsi: {
    dispatchNs: { ns: 1500, source: 'estimate: blk-mq dispatch, scsi_queue_rq, the HBA command' },
    completionNs: { ns: 1500, source: 'estimate: SCSI completion and blk-mq end (2,000 with the interrupt, as before platform profiles)' },
  },
  nvme: {
    dispatchNs: { ns: 25, source: AXBOE + ' (nvme_queue_rq, SQ doorbell)' },
    completionNs: { ns: 20, source: AXBOE + ' (CQ entry, blk_mq_end_request_batch)' },
  },
  libata: {
    dispatchNs: { ns: 2000, source: 'estimate: SCSI midlayer, ata_scsi_translate, ahci_qc_issue' },
    completionNs: { ns: 1500, source: 'estimate: ahci_qc_complete, ata_scsi_qc_complete, SCSI completion' },
  },
};

/** Interrupt entry, handler dispatch and exit, once per interrupt. */
export const INTERRUPT_NS: SourcedCost = { ns: 500, source: 'estimate' };

export interface IommuRow {
  readonly iotlbInvalidateNs: SourcedCost;
  readonly iotlbFlushAllNs: SourcedCost;
  readonly pageTableNsPerGranule: SourcedCost;
}

const RIOMMU = 'rIOMMU (Malka et al. 2015): ~2,100 cycles per strict unmap on VT-d, at ~3 GHz';
const XIA = 'dma_map_benchmark on SMMUv3 (Xia 2025): ~1.0 µs map / 1.3 µs unmap for 8 granules';

export const IOMMU_COSTS: Readonly<Record<IommuKind, IommuRow>> = {
  smmuv3: {
    iotlbInvalidateNs: { ns: 700, source: 'estimate: ' + RIOMMU + ', carried over (no SMMUv3 figure found)' },
    iotlbFlushAllNs: { ns: 3000, source: 'estimate: a global invalidation with sync' },
    pageTableNsPerGranule: { ns: 60, source: XIA },
  },
  'vt-d': {
    iotlbInvalidateNs: { ns: 700, source: RIOMMU },
    iotlbFlushAllNs: { ns: 3000, source: 'estimate: a global invalidation with sync' },
    pageTableNsPerGranule: { ns: 60, source: 'estimate: ' + XIA + ', carried over' },
  },
  'amd-vi': {
    iotlbInvalidateNs: { ns: 700, source: 'estimate: ' + RIOMMU + ', carried over (no AMD-Vi figure found)' },
    iotlbFlushAllNs: { ns: 3000, source: 'estimate: a global invalidation with COMPLETION_WAIT' },
    pageTableNsPerGranule: { ns: 60, source: 'estimate: ' + XIA + ', carried over' },
  },
};

/** The constants no platform choice changes (the allocator, rcache and flush-queue work). */
const COMMON_KEYS = ['mergeNs', 'sgSegmentNs', 'rcacheHitNs', 'depotNs', 'treeLockNs', 'treeStepNs', 'treeInsertNs', 'treeEraseNs', 'flushQueueNs'] as const;

/** The engine's cost constants for `platform` (before any explicit `costs:` override). */
export function platformCosts(platform: PlatformSelection = DEFAULT_PLATFORM): CostModel {
  const engine = ENGINE_COSTS[platform.ioEngine];
  const driver = DRIVER_COSTS[platform.driver];
  const iommu = IOMMU_COSTS[platform.iommu];
  const interrupt = platform.completion === 'polled' ? 0 : platform.completion === 'coalesced' ? Math.round(INTERRUPT_NS.ns / platform.coalesce) : INTERRUPT_NS.ns;
  const common = Object.fromEntries(COMMON_KEYS.map((key) => [key, DEFAULT_COST_MODEL[key]])) as Pick<CostModel, (typeof COMMON_KEYS)[number]>;
  return {
    ...common,
    submitNs: engine.submitNs.ns,
    // SQPOLL: the submission call is the SQ thread's, on a CPU the model does not charge.
    submitBatchNs: platform.sqPoll ? 0 : engine.submitBatchNs.ns,
    reapBatchNs: engine.reapBatchNs.ns,
    dispatchNs: driver.dispatchNs.ns,
    completionNs: driver.completionNs.ns + interrupt,
    bioCompletionNs: engine.bioCompletionNs.ns,
    pageTableNsPerGranule: iommu.pageTableNsPerGranule.ns,
    iotlbInvalidateNs: iommu.iotlbInvalidateNs.ns,
    iotlbFlushAllNs: iommu.iotlbFlushAllNs.ns,
  };
}

/**
 * `costs` (a scenario's constants on platform `from`) moved to platform `to`: each constant that
 * still has `from`'s value takes `to`'s; one that differs was set explicitly and stays.
 */
export function rederiveCosts(costs: CostModel, from: PlatformSelection, to: PlatformSelection): CostModel {
  const before = platformCosts(from);
  const after = platformCosts(to);
  const out: Record<string, number> = {};
  for (const key of Object.keys(after) as (keyof CostModel)[]) {
    const value = costs[key];
    out[key] = value === undefined || value === before[key] ? (after[key] as number) : value;
  }
  return out as unknown as CostModel;
}

/** What the engine needs besides costs, as plain numbers. */
export interface EngineSettings {
  /** Completion work runs on the submitting CPU (no interrupt). */
  readonly polled: boolean;
  readonly submitBatch: number;
  readonly reapMin: number;
  readonly reapMax: number;
  /** A thread's in-flight limit on top of its iodepth (synchronous engines: 1). */
  readonly maxDepth: number;
}

export function engineSettings(platform: PlatformSelection = DEFAULT_PLATFORM): EngineSettings {
  return {
    polled: platform.completion === 'polled',
    submitBatch: platform.batch.submit,
    reapMin: platform.batch.completeMin,
    reapMax: platform.batch.completeMax,
    maxDepth: ENGINE_COSTS[platform.ioEngine].maxDepth,
  };
}

/** "io_uring, polled, batch submit 32 / reap 1-32, nvme, amd-vi" for run headers. */
export function describePlatform(platform: PlatformSelection = DEFAULT_PLATFORM): string {
  const completion = platform.completion === 'coalesced' ? `coalesced by ${platform.coalesce}` : platform.completion;
  const b = platform.batch;
  const batch = b.submit === 1 && b.completeMax === 1 ? 'no batching' : `batch submit ${b.submit} / reap ${b.completeMin}-${b.completeMax}`;
  return `${platform.ioEngine}${platform.sqPoll ? ' (SQPOLL)' : ''}, ${completion} completions, ${batch}, ${platform.driver}, ${platform.iommu}`;
}

/** A platform in a scenario file's spelling (`io_engine`, `complete_min`, …). */
export function platformFileData(platform: PlatformSelection): Record<string, unknown> {
  return {
    io_engine: platform.ioEngine,
    driver: platform.driver,
    completion: platform.completion,
    coalesce: platform.coalesce,
    iommu: platform.iommu,
    batch: { submit: platform.batch.submit, complete_min: platform.batch.completeMin, complete_max: platform.batch.completeMax },
    sq_poll: platform.sqPoll,
  };
}

/** The file-spelled `platform:` mapping (already schema-checked) applied to `base`. */
export function platformFromData(
  data: { io_engine?: IoEngine; driver?: StorageDriver; completion?: CompletionStyle; coalesce?: number; iommu?: IommuKind; sq_poll?: boolean; batch?: { submit?: number; complete_min?: number; complete_max?: number } },
  base: PlatformSelection,
): PlatformSelection {
  const batch = data.batch ?? {};
  const completeMin = batch.complete_min ?? base.batch.completeMin;
  return {
    ioEngine: data.io_engine ?? base.ioEngine,
    driver: data.driver ?? base.driver,
    completion: data.completion ?? base.completion,
    coalesce: data.coalesce ?? base.coalesce,
    iommu: data.iommu ?? base.iommu,
    // fio: iodepth_batch_complete_max defaults to iodepth_batch_complete_min.
    batch: { submit: batch.submit ?? base.batch.submit, completeMin, completeMax: batch.complete_max ?? (batch.complete_min === undefined ? base.batch.completeMax : Math.max(1, completeMin)) },
    sqPoll: data.sq_poll ?? base.sqPoll,
  };
}

/** fio's engine names → the profile's. */
const FIO_ENGINES: Readonly<Record<string, IoEngine>> = {
  sync: 'psync',
  psync: 'psync',
  vsync: 'psync',
  pvsync: 'psync',
  pvsync2: 'psync',
  libaio: 'libaio',
  io_uring: 'io_uring',
  sg: 'sg',
};

function fioFlag(job: FioJob, name: string): boolean {
  const value = job.options[name];
  if (value === undefined) return false;
  if (value === true) return true;
  const text = value.trim().toLowerCase();
  if (/^(0|false|off|no)$/.test(text)) return false;
  if (/^(1|true|on|yes)$/.test(text)) return true;
  throw new WorkloadError(job.file, job.line, name, `must be 0 or 1, got "${value}"`);
}

function fioCount(job: FioJob, names: readonly string[], fallback: number, iodepth: number): number {
  for (const name of names) {
    const value = job.options[name];
    if (value === undefined) continue;
    const text = value === true ? '' : value.trim();
    if (!/^\d+$/.test(text)) throw new WorkloadError(job.file, job.line, name, `must be a whole number of I/Os, got "${value === true ? '' : value}"`);
    const n = Number(text);
    // fio: 0 means "the iodepth" for iodepth_batch_submit; above iodepth is iodepth.
    return Math.max(1, Math.min(n === 0 ? iodepth : n, iodepth));
  }
  return fallback;
}

/**
 * The platform a fio job file selects, in scenario-file spelling, for fio-scenario.ts: `ioengine`
 * (fio's engine names mapped to the profile's), `hipri` (polled completion), `iodepth_batch*` and
 * `sqthread_poll`; the driver and IOMMU stay the base's (they are the host's). Options fio defaults
 * (hipri off, batches of 1) take fio's defaults when absent. Jobs that select different platforms
 * cannot share one scenario: the first job's is taken and a note says so. Anything approximated is
 * added to `notes`.
 */
export function platformFromFioJobs(jobs: readonly FioJob[], base: { readonly platform?: PlatformSelection }, notes: string[]): Record<string, unknown> {
  const basePlatform = base.platform ?? DEFAULT_PLATFORM;
  const chosen = jobs.map((job) => {
    const fioEngine = job.ioengine?.trim();
    let ioEngine = basePlatform.ioEngine;
    if (fioEngine === undefined) notes.push(`${job.file}:${job.line}: [${job.name}] no ioengine: simulated with the base's ${basePlatform.ioEngine} (fio's own default is psync)`);
    else if (FIO_ENGINES[fioEngine] !== undefined) ioEngine = FIO_ENGINES[fioEngine];
    else if (fioEngine === 'io_uring_cmd') {
      ioEngine = 'io_uring';
      notes.push(`${job.file}:${job.line}: [${job.name}] ioengine=io_uring_cmd simulated as io_uring through the block layer`);
    } else if (fioEngine === 'posixaio') {
      ioEngine = 'libaio';
      notes.push(`${job.file}:${job.line}: [${job.name}] ioengine=posixaio simulated with libaio's costs`);
    } else notes.push(`${job.file}:${job.line}: [${job.name}] ioengine=${fioEngine} has no cost profile: simulated with the base's ${basePlatform.ioEngine}`);
    const hipri = fioFlag(job, 'hipri');
    if (hipri && ioEngine !== 'io_uring' && !(ioEngine === 'psync' && fioEngine === 'pvsync2')) {
      throw new WorkloadError(job.file, job.line, 'hipri', `polled completion needs ioengine=io_uring or pvsync2, not ${fioEngine ?? basePlatform.ioEngine}`);
    }
    const sqPoll = fioFlag(job, 'sqthread_poll');
    if (sqPoll && ioEngine !== 'io_uring') throw new WorkloadError(job.file, job.line, 'sqthread_poll', `is an io_uring option, not one of ioengine=${fioEngine ?? basePlatform.ioEngine}`);
    const submit = fioCount(job, ['iodepth_batch_submit', 'iodepth_batch'], 1, job.iodepth);
    const completeMin = Math.min(fioCount(job, ['iodepth_batch_complete_min', 'iodepth_batch_complete'], 1, job.iodepth), job.iodepth);
    const completeMax = Math.max(completeMin, fioCount(job, ['iodepth_batch_complete_max'], completeMin, job.iodepth));
    return {
      io_engine: ioEngine,
      completion: hipri ? 'polled' : basePlatform.completion === 'coalesced' ? 'coalesced' : 'interrupt',
      batch: { submit, complete_min: completeMin, complete_max: completeMax },
      sq_poll: sqPoll,
    };
  });
  const first = JSON.stringify(chosen[0]);
  const differing = jobs.filter((_, i) => JSON.stringify(chosen[i]) !== first);
  if (differing.length > 0) {
    notes.push(`${jobs[0].file}: ${differing.map((j) => `[${j.name}]`).join(', ')} select another I/O engine, completion or batching than [${jobs[0].name}]; a scenario has one platform, so every job is simulated with [${jobs[0].name}]'s`);
  }
  return chosen[0];
}

/** Markdown rows of the cost table (README's cost-model section keeps them; a test compares). */
export function costTableMarkdown(): string {
  const rows: string[] = ['| profile row | constant | value (ns) | source |', '|---|---|---|---|'];
  const add = (row: string, key: string, cost: SourcedCost): void => {
    rows.push(`| ${row} | \`${key}\` | ${cost.ns.toLocaleString('en-US')} | ${cost.source} |`);
  };
  for (const engine of IO_ENGINES) {
    const e = ENGINE_COSTS[engine];
    add(`engine ${engine}`, 'submitNs', e.submitNs);
    add(`engine ${engine}`, 'submitBatchNs', e.submitBatchNs);
    add(`engine ${engine}`, 'reapBatchNs', e.reapBatchNs);
    add(`engine ${engine}`, 'bioCompletionNs', e.bioCompletionNs);
  }
  for (const driver of STORAGE_DRIVERS) {
    add(`driver ${driver}`, 'dispatchNs', DRIVER_COSTS[driver].dispatchNs);
    add(`driver ${driver}`, 'completionNs (without interrupt)', DRIVER_COSTS[driver].completionNs);
  }
  add('completion interrupt', 'completionNs += interrupt', INTERRUPT_NS);
  rows.push('| completion polled | `completionNs += 0` | 0 | no interrupt; the work runs on the submitting CPU when it reaps |');
  rows.push(`| completion coalesced | \`completionNs += interrupt / coalesce\` | ${INTERRUPT_NS.ns} / n | ${INTERRUPT_NS.source} |`);
  for (const iommu of IOMMU_KINDS) {
    const row = IOMMU_COSTS[iommu];
    add(`IOMMU ${iommu}`, 'iotlbInvalidateNs', row.iotlbInvalidateNs);
    add(`IOMMU ${iommu}`, 'iotlbFlushAllNs', row.iotlbFlushAllNs);
    add(`IOMMU ${iommu}`, 'pageTableNsPerGranule', row.pageTableNsPerGranule);
  }
  return rows.join('\n');
}
