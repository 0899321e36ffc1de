/**
 * The scenario file format as a schema (src/schema.ts): every key, its type and its range, in the
 * snake_case a scenario YAML uses. The same schema checks a file, a sweep's base and points, a fio
 * job file's mapped settings and (through `scenarioData`) a Scenario object built in code, so there
 * is one set of rules. Rules that relate fields (warm-up below duration, a job's CPUs below the
 * CPU count, a block size the disk can take with direct I/O, a kernel the model knows) are in
 * `relatedFieldIssues`, run on the complete scenario after the preset and overrides are applied.
 */
import { z } from 'zod';
import { ALLOCATOR_NAMES } from '../allocators/registry.js';
import { KernelVersionError } from '../allocators/kernel-version.js';
import { PRESET_NAMES, PRESETS as HOST_PRESETS } from '../block/presets.js';
import { dmaKernelFeatures } from '../dma/kernel-features.js';
import { decimal, mapping, oneOf, SchemaError, text, valueText, wholeNumber, type FieldPath, type Issue, type SchemaProblem } from '../schema.js';
import { COST_MODEL_KEYS } from './cost-model.js';
import { COMPLETION_STYLES, IO_ENGINES, IOMMU_KINDS, STORAGE_DRIVERS } from './platform-profile.js';
import type { Scenario } from './scenario.js';

/** A scenario that does not fit the schema; the message is `FILE:LINE:COLUMN: field: problem`. */
export class ScenarioError extends SchemaError {
  constructor(problem: SchemaProblem | string) {
    super(problem);
  }
}

/** Ageing streams whose mean lifetime is below this keep real time; longer-lived ones are compressed (./ageing.ts). */
export const SHORT_LIVED_MS = 1000;
/** Background maps simulated per hour of uptime when a scenario does not say. */
export const DEFAULT_AGEING_MAPS_PER_HOUR = 200_000;

/** The smallest logical block size of any disk: no direct I/O is finer. */
const SECTOR = 512;

export const READ_WRITES = ['read', 'write', 'randread', 'randwrite'] as const;

const cpuList = z.union([z.string(), z.int().min(0), z.array(z.int().min(0))], { error: (issue) => `must be a CPU list such as "0-127" or "0,2,4-7", got ${valueText(issue.input)}` });

export const jobSchema = mapping({
  name: text().optional(),
  rw: oneOf(READ_WRITES).optional(),
  bs: wholeNumber(SECTOR, 64 * 1024 * 1024)
    .multipleOf(SECTOR, { error: (issue) => `must be a multiple of ${SECTOR} bytes (the smallest logical block size; all simulated I/O is direct), got ${valueText(issue.input)}` })
    .optional(),
  iodepth: wholeNumber(1, 65536).optional(),
  numjobs: wholeNumber(1, 4096).optional(),
  cpus_allowed: cpuList.optional(),
  size: wholeNumber(4096, 2 ** 50).optional(),
});

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const costShape = Object.fromEntries(COST_MODEL_KEYS.map((key) => [snake(key), decimal(0, 1e9).optional()])) as Record<string, z.ZodOptional<z.ZodNumber>>;

const kernel = z
  .string({ error: (issue) => `must be a quoted version such as "6.0" (unquoted, 6.10 would read as 6.1), got ${valueText(issue.input)}` })
  .min(1, { error: 'must not be empty' });

/** The fields of a scenario; every one optional (a file changes what it names of its base). */
export const scenarioFields = {
  name: text().optional(),
  seed: wholeNumber(0, 2 ** 32 - 1).optional(),
  duration_ms: decimal(1, 3_600_000).optional(),
  warmup_ms: decimal(0, 3_600_000).optional(),
  interval_ms: decimal(0.1, 3_600_000).optional(),
  ageing_maps: wholeNumber(0, 1e9).optional(),
  cpus: wholeNumber(1, 4096).optional(),
  kernel: kernel.optional(),
  iommu: mapping({
    mode: oneOf(['translated', 'passthrough', 'none']).optional(),
    invalidation: oneOf(['strict', 'lazy']).optional(),
    sac: oneOf(['always', 'sticky', 'forcedac']).optional(),
    retry_pass: z.boolean({ error: (issue) => `must be true or false, got ${valueText(issue.input)}` }).optional(),
    rcache_classes: wholeNumber(1, 20).optional(),
  }).optional(),
  allocator: oneOf(ALLOCATOR_NAMES).optional(),
  host: mapping({
    preset: oneOf(PRESET_NAMES as [string, ...string[]]).optional(),
    max_sectors: wholeNumber(1, 65535).optional(),
    sg_tablesize: wholeNumber(1, 65535).optional(),
    can_queue: wholeNumber(1, 1 << 20).optional(),
    nr_hw_queues: wholeNumber(1, 4096).optional(),
    queue_depth: wholeNumber(1, 65536).optional(),
    cap: oneOf(['seed', 'merged', 'none']).optional(),
  }).optional(),
  disks: mapping({
    count: wholeNumber(1, 4096).optional(),
    bandwidth_mbps: decimal(1, 1e6).optional(),
    command_us: decimal(0, 1e6).optional(),
    latency_us: decimal(0, 1e7).optional(),
  }).optional(),
  link_mbps: decimal(1, 1e7).optional(),
  jobs: z.array(jobSchema, { error: (issue) => `must be a list of jobs, got ${valueText(issue.input)}` }).min(1, { error: 'must list at least one job' }).optional(),
  /** The platform profile (./platform-profile.ts) the costs come from; `costs:` still overrides. */
  platform: mapping({
    io_engine: oneOf(IO_ENGINES).optional(),
    driver: oneOf(STORAGE_DRIVERS).optional(),
    completion: oneOf(COMPLETION_STYLES).optional(),
    coalesce: wholeNumber(1, 4096).optional(),
    iommu: oneOf(IOMMU_KINDS).optional(),
    batch: mapping({
      submit: wholeNumber(1, 65536).optional(),
      complete_min: wholeNumber(1, 65536).optional(),
      complete_max: wholeNumber(1, 65536).optional(),
    }).optional(),
    sq_poll: z.boolean({ error: (issue) => `must be true or false, got ${valueText(issue.input)}` }).optional(),
  }).optional(),
  costs: mapping(costShape).optional(),
  // --- Ageing over uptime (issue 12, part 2; ./ageing.ts) ---
  depot: z
    .union([z.int().min(1).max(4096), z.literal('list')], { error: (issue) => `must be a number of depot slots per size class (1-4096; 32 before 6.7) or "list" (6.7's list), got ${valueText(issue.input)}` })
    .optional(),
  ageing: mapping({
    uptime_hours: decimal(0, 100_000),
    sample_hours: decimal(0.000_001, 100_000).optional(),
    maps_per_hour: wholeNumber(1, 1e9).optional(),
    streams: z
      .array(
        mapping({
          name: text().optional(),
          sizes: z.array(wholeNumber(1, 2 ** 31), { error: (issue) => `must be a list of mapping sizes in bytes, got ${valueText(issue.input)}` }).min(1, { error: 'must list at least one size' }),
          weights: z.array(decimal(0, 1e9), { error: (issue) => `must be a list of weights, got ${valueText(issue.input)}` }).optional(),
          lifetime_ms: decimal(0.000_001, 1e12),
          rate_per_s: decimal(0, 1e9),
          cpus_allowed: cpuList,
          cpus_at_once: wholeNumber(1, 4096).optional(),
          migrate_s: decimal(0.001, 1e9).optional(),
          on_s: decimal(0.001, 1e9).optional(),
          off_s: decimal(0.001, 1e9).optional(),
          unmap_on: oneOf(['irq', 'same']).optional(),
          dma_mask_bits: z.union([z.literal(32), z.literal(64)], { error: (issue) => `must be 32 or 64, got ${valueText(issue.input)}` }).optional(),
        }),
        { error: (issue) => `must be a list of background streams, got ${valueText(issue.input)}` },
      )
      .min(1, { error: 'must list at least one stream' }),
  }).optional(),
};

/** A scenario mapping without `preset:` (a sweep point, the data of a Scenario object). */
export const scenarioDataSchema = mapping(scenarioFields);
export type ScenarioData = z.infer<typeof scenarioDataSchema>;
export type JobData = z.infer<typeof jobSchema>;

/** A scenario file: the fields, and `preset:` naming the built-in scenario they change. */
export function scenarioFileSchema(presetNames: readonly string[]) {
  return mapping({ preset: oneOf(presetNames as [string, ...string[]]).optional(), ...scenarioFields });
}
export type ScenarioFile = ScenarioData & { preset?: string };

/** The dotted paths an axis of a sweep may name (`host.max_sectors`, `costs.tree_step_ns`, …). */
export function scenarioFieldPaths(): string[] {
  const paths: string[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string): void => {
    for (const [key, schema] of Object.entries(shape)) {
      const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
      paths.push(prefix + key);
      if (inner instanceof z.ZodObject) walk(inner.shape as Record<string, z.ZodType>, `${prefix}${key}.`);
    }
  };
  walk(scenarioFields, '');
  return paths;
}

/** fio's cpus_allowed: "0-127", "0,2,4-7", a number or a list of numbers; sorted, no repeats. */
export function cpuListOf(value: string | number | readonly number[]): { cpus: number[] } | { problem: string } {
  if (typeof value === 'number') return { cpus: [value] };
  if (typeof value !== 'string') return { cpus: [...new Set(value)].sort((a, b) => a - b) };
  const result = new Set<number>();
  for (const part of value.split(',')) {
    const match = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!match) return { problem: `"${part}" is not a CPU number or range` };
    const lo = Number(match[1]);
    const hi = match[2] === undefined ? lo : Number(match[2]);
    if (hi < lo) return { problem: `range ${part} runs backwards` };
    if (hi - lo > 65536) return { problem: `range ${part} is larger than any host` };
    for (let c = lo; c <= hi; c++) result.add(c);
  }
  return { cpus: [...result].sort((a, b) => a - b) };
}

/** A Scenario object as the file would spell it (for checking objects built in code). */
export function scenarioData(scenario: Scenario): Record<string, unknown> {
  const s = scenario as Partial<Scenario> & Record<string, unknown>;
  const section = (value: unknown, keys: Record<string, string>): unknown => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(record)) if (v !== undefined) out[keys[key] ?? `${key} (not a scenario field)`] = v;
    return out;
  };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(s)) {
    if (v === undefined) continue;
    const name = OBJECT_TO_FILE[key] ?? `${key} (not a scenario field)`;
    if (key === 'iommu') out[name] = section(v, { mode: 'mode', invalidation: 'invalidation', sac: 'sac', retryPass: 'retry_pass', rcacheClasses: 'rcache_classes' });
    else if (key === 'host') out[name] = section(v, { preset: 'preset', maxSectors: 'max_sectors', sgTablesize: 'sg_tablesize', canQueue: 'can_queue', nrHwQueues: 'nr_hw_queues', queueDepth: 'queue_depth', cap: 'cap' });
    else if (key === 'disks') out[name] = section(v, { count: 'count', bandwidthMBps: 'bandwidth_mbps', commandUs: 'command_us', latencyUs: 'latency_us' });
    else if (key === 'costs') out[name] = section(v, Object.fromEntries(COST_MODEL_KEYS.map((k) => [k, snake(k)])));
    else if (key === 'ageing') out[name] = ageingData(v);
    else if (key === 'platform') {
      const platform = section(v, { ioEngine: 'io_engine', driver: 'driver', completion: 'completion', coalesce: 'coalesce', iommu: 'iommu', batch: 'batch', sqPoll: 'sq_poll' });
      if (platform !== null && typeof platform === 'object' && !Array.isArray(platform) && 'batch' in platform) {
        const record = platform as Record<string, unknown>;
        record.batch = section(record.batch, { submit: 'submit', completeMin: 'complete_min', completeMax: 'complete_max' });
      }
      out[name] = platform;
    }
    else if (key === 'jobs' && Array.isArray(v)) out[name] = v.map((job) => section(job, { name: 'name', rw: 'rw', bs: 'bs', iodepth: 'iodepth', numjobs: 'numjobs', cpus: 'cpus_allowed', sizeBytes: 'size' }));
    else out[name] = v;
  }
  return out;
}

/** An AgeingModel object in the file's spelling (unknown keys kept, so the schema names them). */
function ageingData(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys: Record<string, string> = { uptimeHours: 'uptime_hours', sampleHours: 'sample_hours', mapsPerHour: 'maps_per_hour', streams: 'streams' };
  const streamKeys: Record<string, string> = {
    name: 'name',
    sizes: 'sizes',
    weights: 'weights',
    lifetimeMs: 'lifetime_ms',
    ratePerSecond: 'rate_per_s',
    cpus: 'cpus_allowed',
    cpusAtOnce: 'cpus_at_once',
    migrateSeconds: 'migrate_s',
    onSeconds: 'on_s',
    offSeconds: 'off_s',
    unmapOn: 'unmap_on',
    dmaMaskBits: 'dma_mask_bits',
  };
  const rename = (record: Record<string, unknown>, names: Record<string, string>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined).map(([k, v]) => [names[k] ?? `${k} (not a scenario field)`, v]));
  const out = rename(value as Record<string, unknown>, keys);
  if (Array.isArray(out.streams)) out.streams = out.streams.map((s: unknown) => (s !== null && typeof s === 'object' && !Array.isArray(s) ? rename(s as Record<string, unknown>, streamKeys) : s));
  return out;
}

const OBJECT_TO_FILE: Record<string, string> = {
  name: 'name',
  seed: 'seed',
  durationMs: 'duration_ms',
  warmupMs: 'warmup_ms',
  intervalMs: 'interval_ms',
  ageingMaps: 'ageing_maps',
  cpus: 'cpus',
  kernel: 'kernel',
  iommu: 'iommu',
  allocator: 'allocator',
  host: 'host',
  disks: 'disks',
  linkMBps: 'link_mbps',
  jobs: 'jobs',
  costs: 'costs',
  depot: 'depot',
  ageing: 'ageing',
  platform: 'platform',
};


const FILE_TO_OBJECT: Record<string, string> = {
  ...Object.fromEntries(Object.entries(OBJECT_TO_FILE).map(([object, file]) => [file, object])),
  retry_pass: 'retryPass',
  rcache_classes: 'rcacheClasses',
  max_sectors: 'maxSectors',
  sg_tablesize: 'sgTablesize',
  can_queue: 'canQueue',
  nr_hw_queues: 'nrHwQueues',
  queue_depth: 'queueDepth',
  bandwidth_mbps: 'bandwidthMBps',
  command_us: 'commandUs',
  latency_us: 'latencyUs',
  cpus_allowed: 'cpus',
  size: 'sizeBytes',
  uptime_hours: 'uptimeHours',
  sample_hours: 'sampleHours',
  maps_per_hour: 'mapsPerHour',
  lifetime_ms: 'lifetimeMs',
  rate_per_s: 'ratePerSecond',
  cpus_at_once: 'cpusAtOnce',
  migrate_s: 'migrateSeconds',
  on_s: 'onSeconds',
  off_s: 'offSeconds',
  unmap_on: 'unmapOn',
  dma_mask_bits: 'dmaMaskBits',
  io_engine: 'ioEngine',
  sq_poll: 'sqPoll',
  complete_min: 'completeMin',
  complete_max: 'completeMax',
  ...Object.fromEntries(COST_MODEL_KEYS.map((k) => [snake(k), k])),
};

/** A file path (`jobs.0.cpus_allowed`) in the Scenario object's names (`jobs.0.cpus`). */
export function objectPath(path: FieldPath): FieldPath {
  return path.map((part) => (typeof part === 'number' ? part : (FILE_TO_OBJECT[part] ?? part.replace(/ \(not a scenario field\)$/, ''))));
}

/**
 * Rules between fields of a complete scenario (file spelling): the warm-up ends before the run,
 * every job's CPUs exist, a block size is whole logical blocks of the host's disk (direct I/O: the
 * kernel refuses anything else with EINVAL), a thread's area holds a block, and the kernel is one
 * the model has (5.13 and later).
 */
export function relatedFieldIssues(data: ScenarioData): Issue[] {
  const issues: Issue[] = [];
  const cpus = data.cpus ?? 1;
  if (data.warmup_ms !== undefined && data.duration_ms !== undefined && data.warmup_ms >= data.duration_ms) {
    issues.push({ path: ['warmup_ms'], message: `must be below duration_ms (${data.duration_ms}), got ${data.warmup_ms}` });
  }
  const host = data.host?.preset === undefined ? undefined : HOST_PRESETS[data.host.preset];
  const logical = host?.disk.logicalBlockSize ?? SECTOR;
  for (const [i, job] of (data.jobs ?? []).entries()) {
    if (job.cpus_allowed !== undefined) {
      const list = cpuListOf(job.cpus_allowed);
      if ('problem' in list) issues.push({ path: ['jobs', i, 'cpus_allowed'], message: list.problem });
      else if (list.cpus.length === 0) issues.push({ path: ['jobs', i, 'cpus_allowed'], message: 'names no CPU' });
      else if (list.cpus[list.cpus.length - 1] >= cpus) issues.push({ path: ['jobs', i, 'cpus_allowed'], message: `CPU ${list.cpus[list.cpus.length - 1]} is not below the CPU count ${cpus}` });
    }
    if (job.bs !== undefined && job.bs % logical !== 0) {
      issues.push({ path: ['jobs', i, 'bs'], message: `${job.bs} is not a multiple of the disk's logical block size ${logical} (host ${data.host?.preset}); direct I/O must be whole blocks` });
    }
    if (job.bs !== undefined && job.size !== undefined && job.size < job.bs) issues.push({ path: ['jobs', i, 'size'], message: `must hold at least one block (bs ${job.bs}), got ${job.size}` });
  }
  for (const [i, stream] of (data.ageing?.streams ?? []).entries()) {
    const list = cpuListOf(stream.cpus_allowed);
    if ('problem' in list) issues.push({ path: ['ageing', 'streams', i, 'cpus_allowed'], message: list.problem });
    else if (list.cpus.length === 0) issues.push({ path: ['ageing', 'streams', i, 'cpus_allowed'], message: 'names no CPU' });
    else if (list.cpus[list.cpus.length - 1] >= cpus) issues.push({ path: ['ageing', 'streams', i, 'cpus_allowed'], message: `CPU ${list.cpus[list.cpus.length - 1]} is not below the CPU count ${cpus}` });
    if (stream.weights !== undefined && stream.weights.length !== stream.sizes.length) {
      issues.push({ path: ['ageing', 'streams', i, 'weights'], message: `must give one weight per size (${stream.sizes.length}), got ${stream.weights.length}` });
    } else if (stream.weights !== undefined && !stream.weights.some((w) => w > 0)) issues.push({ path: ['ageing', 'streams', i, 'weights'], message: 'must have at least one weight above 0' });
    if ((stream.on_s === undefined) !== (stream.off_s === undefined)) issues.push({ path: ['ageing', 'streams', i, stream.on_s === undefined ? 'on_s' : 'off_s'], message: 'on_s and off_s go together (a stream in bursts)' });
  }
  if (data.ageing !== undefined) {
    // The compression (./ageing.ts) needs room for the short-lived streams beside every long-lived birth.
    const streams = data.ageing.streams;
    const perHour = (long: boolean): number => streams.filter((s) => s.lifetime_ms >= SHORT_LIVED_MS === long).reduce((n, s) => n + s.rate_per_s * 3600, 0);
    const budget = data.ageing.maps_per_hour ?? DEFAULT_AGEING_MAPS_PER_HOUR;
    if (perHour(false) > 0 && perHour(true) >= budget) {
      issues.push({ path: ['ageing', 'maps_per_hour'], message: `the long-lived streams alone make ${Math.round(perHour(true))} maps an hour; give at least twice that (${Math.ceil(2 * perHour(true))}) so the short-lived streams have room` });
    }
  }
  const platform = data.platform;
  if (platform?.completion === 'polled' && platform.io_engine !== undefined && platform.io_engine !== 'io_uring' && platform.io_engine !== 'psync') {
    issues.push({ path: ['platform', 'completion'], message: `polled completion needs io_engine io_uring (or psync as pvsync2), not ${platform.io_engine}` });
  }
  if (platform?.sq_poll === true && platform.io_engine !== undefined && platform.io_engine !== 'io_uring') {
    issues.push({ path: ['platform', 'sq_poll'], message: `is an io_uring feature, not one of io_engine ${platform.io_engine}` });
  }
  const batch = platform?.batch;
  if (batch?.complete_min !== undefined && batch.complete_max !== undefined && batch.complete_max < batch.complete_min) {
    issues.push({ path: ['platform', 'batch', 'complete_max'], message: `must be at least complete_min (${batch.complete_min}), got ${batch.complete_max}` });
  }
  if (data.kernel !== undefined) {
    try {
      dmaKernelFeatures(data.kernel);
    } catch (error) {
      if (!(error instanceof KernelVersionError)) throw error;
      issues.push({ path: ['kernel'], message: error.message });
    }
  }
  return issues;
}
