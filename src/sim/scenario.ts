/**
 * A scenario: the host, its disks, the IOMMU, the kernel, the allocator and the workload of one
 * simulation run. Scenarios are plain data; they load from YAML with every field checked (an unknown
 * key or a wrong type is an error naming the file and field), and presets describe published setups.
 */
import { parse as parseYaml } from 'yaml';
import { ALLOCATOR_NAMES } from '../allocators/registry.js';
import { PRESET_NAMES } from '../block/presets.js';
import { COST_MODEL_KEYS, DEFAULT_COST_MODEL, type CostModel } from './cost-model.js';

export type ReadWrite = 'read' | 'write' | 'randread' | 'randwrite';
export type CapVariant = 'seed' | 'merged' | 'none';

export interface JobSpec {
  readonly name: string;
  readonly rw: ReadWrite;
  /** Block size in bytes. */
  readonly bs: number;
  readonly iodepth: number;
  readonly numjobs: number;
  /** CPUs the job's threads may run on (fio's cpus_allowed); thread k runs on cpus[k % cpus.length]. */
  readonly cpus: readonly number[];
  /** Bytes of the disk each thread works over (fio's size). */
  readonly sizeBytes: number;
}

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  readonly durationMs: number;
  /** Metrics start after this much simulated time (the rcache and depot fill first). */
  readonly warmupMs: number;
  readonly intervalMs: number;
  /**
   * Mappings replayed at the end of the warm-up to age the domain as minutes of uptime would
   * (magazines and depots full, the 32-bit space fragmented), without simulating that time. 0: none.
   */
  readonly ageingMaps: number;
  readonly cpus: number;
  readonly kernel: string;
  readonly iommu: {
    readonly mode: 'translated' | 'passthrough' | 'none';
    readonly invalidation: 'strict' | 'lazy';
    /** The PCI 32-bit first attempt: by kernel version when absent. */
    readonly sac?: 'always' | 'sticky' | 'forcedac';
    /** false: the 2021 what-if with the retry pass (4e89dce72521) reverted. */
    readonly retryPass: boolean;
    /** rcache size classes: 6 in mainline (up to 128 KiB); more = the unmerged max_opt_dma_size knob. */
    readonly rcacheClasses: number;
  };
  readonly allocator: string;
  readonly host: {
    /** A host description from `iovasim limits --list` (src/block/presets.ts): HBA, IOMMU, device, disk. */
    readonly preset: string;
    /** Overrides of the preset's SCSI host template; absent: the preset's values. */
    readonly maxSectors?: number;
    readonly sgTablesize?: number;
    readonly canQueue?: number;
    readonly nrHwQueues?: number;
    /** Commands in flight per disk (the SCSI device's queue depth). */
    readonly queueDepth: number;
    /** How dma_opt_mapping_size() caps the host: the series as posted (seed), as merged, or not at all. */
    readonly cap: CapVariant;
  };
  readonly disks: {
    readonly count: number;
    /** Media bandwidth per disk, MB/s (10^6 bytes). */
    readonly bandwidthMBps: number;
    /** Per-command overhead inside the disk, µs. */
    readonly commandUs: number;
    /** Fixed latency added to every command, µs. */
    readonly latencyUs: number;
  };
  /** The shared link between host and disks (HBA, expander), MB/s. */
  readonly linkMBps: number;
  readonly jobs: readonly JobSpec[];
  readonly costs: CostModel;
}

export class ScenarioError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Checks untrusted data against the Scenario shape; messages name `source: path.to.field`. */
export function validateScenario(data: unknown, source: string, base: Scenario): Scenario {
  const fail = (path: string, problem: string): never => {
    throw new ScenarioError(`${source}: ${path}: ${problem}`);
  };
  const object = (value: unknown, path: string, keys: readonly string[]): Record<string, Json> => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be a mapping');
    const record = value as Record<string, Json>;
    for (const key of Object.keys(record)) {
      if (!keys.includes(key)) fail(`${path}.${key}`.replace(/^\./, ''), `unknown key (known: ${keys.join(', ')})`);
    }
    return record;
  };
  const number = (value: Json | undefined, path: string, fallback: number, min: number, max: number, integer = true): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(path, `must be a number, got ${JSON.stringify(value)}`);
    if (integer && !Number.isInteger(value)) fail(path, `must be a whole number, got ${value}`);
    if (value < min || value > max) fail(path, `must be between ${min} and ${max}, got ${value}`);
    return value;
  };
  const choice = <T extends string>(value: Json | undefined, path: string, fallback: T, options: readonly T[]): T => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !options.includes(value as T)) return fail(path, `must be one of ${options.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T;
  };
  const string = (value: Json | undefined, path: string, fallback: string): string => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) return fail(path, 'must be a non-empty string');
    return value;
  };
  const optional = (value: Json | undefined, path: string, fallback: number | undefined, min: number, max: number): number | undefined =>
    value === undefined ? fallback : number(value, path, 0, min, max);
  const boolean = (value: Json | undefined, path: string, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') return fail(path, `must be true or false, got ${JSON.stringify(value)}`);
    return value;
  };

  const top = object(data, '', ['name', 'seed', 'duration_ms', 'warmup_ms', 'interval_ms', 'ageing_maps', 'cpus', 'kernel', 'iommu', 'allocator', 'host', 'disks', 'link_mbps', 'jobs', 'costs']);
  const cpus = number(top.cpus, 'cpus', base.cpus, 1, 4096);
  const iommu = object(top.iommu ?? {}, 'iommu', ['mode', 'invalidation', 'sac', 'retry_pass', 'rcache_classes']);
  const host = object(top.host ?? {}, 'host', ['preset', 'max_sectors', 'sg_tablesize', 'can_queue', 'nr_hw_queues', 'queue_depth', 'cap']);
  const disks = object(top.disks ?? {}, 'disks', ['count', 'bandwidth_mbps', 'command_us', 'latency_us']);
  const costs = object(top.costs ?? {}, 'costs', COST_MODEL_KEYS.map(snake));
  const costValues: Record<string, number> = { ...base.costs };
  for (const key of COST_MODEL_KEYS) costValues[key] = number(costs[snake(key)], `costs.${snake(key)}`, base.costs[key], 0, 1e9, false);

  let jobs = base.jobs;
  if (top.jobs !== undefined) {
    if (!Array.isArray(top.jobs) || top.jobs.length === 0) fail('jobs', 'must be a non-empty list');
    jobs = (top.jobs as Json[]).map((raw, i) => {
      const path = `jobs[${i}]`;
      const job = object(raw, path, ['name', 'rw', 'bs', 'iodepth', 'numjobs', 'cpus_allowed', 'size']);
      const template = base.jobs[0];
      return {
        name: string(job.name, `${path}.name`, `job${i}`),
        rw: choice(job.rw, `${path}.rw`, template.rw, ['read', 'write', 'randread', 'randwrite'] as const),
        bs: number(job.bs, `${path}.bs`, template.bs, 512, 64 * 1024 * 1024),
        iodepth: number(job.iodepth, `${path}.iodepth`, template.iodepth, 1, 65536),
        numjobs: number(job.numjobs, `${path}.numjobs`, template.numjobs, 1, 4096),
        cpus: job.cpus_allowed === undefined ? template.cpus.filter((c) => c < cpus) : parseCpuList(job.cpus_allowed, `${path}.cpus_allowed`, cpus, fail),
        sizeBytes: number(job.size, `${path}.size`, template.sizeBytes, 4096, 2 ** 50),
      };
    });
  }
  const scenario: Scenario = {
    name: string(top.name, 'name', base.name),
    seed: number(top.seed, 'seed', base.seed, 0, 2 ** 32 - 1),
    durationMs: number(top.duration_ms, 'duration_ms', base.durationMs, 1, 3_600_000, false),
    warmupMs: number(top.warmup_ms, 'warmup_ms', base.warmupMs, 0, 3_600_000, false),
    intervalMs: number(top.interval_ms, 'interval_ms', base.intervalMs, 0.1, 3_600_000, false),
    ageingMaps: number(top.ageing_maps, 'ageing_maps', base.ageingMaps, 0, 1e9),
    cpus,
    kernel: string(top.kernel, 'kernel', base.kernel),
    iommu: {
      mode: choice(iommu.mode, 'iommu.mode', base.iommu.mode, ['translated', 'passthrough', 'none'] as const),
      invalidation: choice(iommu.invalidation, 'iommu.invalidation', base.iommu.invalidation, ['strict', 'lazy'] as const),
      sac: iommu.sac === undefined ? base.iommu.sac : choice(iommu.sac, 'iommu.sac', 'always', ['always', 'sticky', 'forcedac'] as const),
      retryPass: boolean(iommu.retry_pass, 'iommu.retry_pass', base.iommu.retryPass),
      rcacheClasses: number(iommu.rcache_classes, 'iommu.rcache_classes', base.iommu.rcacheClasses, 1, 20),
    },
    allocator: choice(top.allocator, 'allocator', base.allocator, ALLOCATOR_NAMES),
    host: {
      preset: host.preset === undefined ? base.host.preset : choice(host.preset, 'host.preset', base.host.preset, PRESET_NAMES),
      maxSectors: optional(host.max_sectors, 'host.max_sectors', base.host.maxSectors, 1, 65535),
      sgTablesize: optional(host.sg_tablesize, 'host.sg_tablesize', base.host.sgTablesize, 1, 65535),
      canQueue: optional(host.can_queue, 'host.can_queue', base.host.canQueue, 1, 1 << 20),
      nrHwQueues: optional(host.nr_hw_queues, 'host.nr_hw_queues', base.host.nrHwQueues, 1, 4096),
      queueDepth: number(host.queue_depth, 'host.queue_depth', base.host.queueDepth, 1, 65536),
      cap: choice(host.cap, 'host.cap', base.host.cap, ['seed', 'merged', 'none'] as const),
    },
    disks: {
      count: number(disks.count, 'disks.count', base.disks.count, 1, 4096),
      bandwidthMBps: number(disks.bandwidth_mbps, 'disks.bandwidth_mbps', base.disks.bandwidthMBps, 1, 1e6, false),
      commandUs: number(disks.command_us, 'disks.command_us', base.disks.commandUs, 0, 1e6, false),
      latencyUs: number(disks.latency_us, 'disks.latency_us', base.disks.latencyUs, 0, 1e7, false),
    },
    linkMBps: number(top.link_mbps, 'link_mbps', base.linkMBps, 1, 1e7, false),
    jobs,
    costs: costValues as unknown as CostModel,
  };
  if (scenario.warmupMs >= scenario.durationMs) fail('warmup_ms', `must be below duration_ms (${scenario.durationMs})`);
  for (const [i, job] of scenario.jobs.entries()) {
    if (job.cpus.length === 0) fail(`jobs[${i}].cpus_allowed`, `names no CPU below the CPU count ${cpus}`);
  }
  return scenario;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** fio's cpus_allowed: "0-127", "0,2,4-7", or a number. */
export function parseCpuList(value: unknown, path: string, cpus: number, fail: (path: string, problem: string) => never): number[] {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return fail(path, 'must be a CPU list such as "0-127" or "0,2,4-7"');
  const result: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!match) return fail(path, `"${part}" is not a CPU number or range`);
    const lo = Number(match[1]);
    const hi = match[2] === undefined ? lo : Number(match[2]);
    if (hi < lo) fail(path, `range ${part} runs backwards`);
    if (hi >= cpus) fail(path, `CPU ${hi} is not below the CPU count ${cpus}`);
    for (let c = lo; c <= hi; c++) if (!result.includes(c)) result.push(c);
  }
  return result;
}

export { DEFAULT_COST_MODEL };

/** Parses scenario YAML text (a preset name under `preset:` may supply the defaults). */
export function parseScenarioYaml(text: string, source: string, presets: Record<string, Scenario>, fallback: Scenario): Scenario {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const yamlError = error as { linePos?: { line: number; col: number }[]; message: string };
    const position = yamlError.linePos?.[0];
    throw new ScenarioError(`${source}${position ? `:${position.line}:${position.col}` : ''}: not valid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ScenarioError(`${source}: must be a YAML mapping of scenario fields`);
  const { preset, ...rest } = data as Record<string, unknown>;
  let base = fallback;
  if (preset !== undefined) {
    if (typeof preset !== 'string' || !Object.prototype.hasOwnProperty.call(presets, preset)) {
      throw new ScenarioError(`${source}: preset: unknown preset ${JSON.stringify(preset)} (known: ${Object.keys(presets).join(', ')})`);
    }
    base = presets[preset];
  }
  return validateScenario(rest, source, base);
}

/**
 * Checks an already-built Scenario (a library caller's object) by the rules of a scenario file, so
 * a missing or malformed field is a ScenarioError naming it (`scenario "NAME": path: problem`).
 */
export function checkScenario(scenario: Scenario): Scenario {
  if (scenario === null || typeof scenario !== 'object') throw new ScenarioError('scenario: must be a scenario object');
  const source = `scenario ${JSON.stringify(typeof scenario.name === 'string' ? scenario.name : '(unnamed)')}`;
  const need = <T>(value: T | undefined, path: string): T => {
    if (value === undefined || value === null) throw new ScenarioError(`${source}: ${path}: missing`);
    return value;
  };
  const iommu = need(scenario.iommu, 'iommu');
  const host = need(scenario.host, 'host');
  const disks = need(scenario.disks, 'disks');
  const costs = need(scenario.costs, 'costs');
  const jobs = need(scenario.jobs, 'jobs');
  if (!Array.isArray(jobs)) throw new ScenarioError(`${source}: jobs: must be a list`);
  const data = {
    name: need(scenario.name, 'name'),
    seed: need(scenario.seed, 'seed'),
    duration_ms: need(scenario.durationMs, 'duration_ms'),
    warmup_ms: need(scenario.warmupMs, 'warmup_ms'),
    interval_ms: need(scenario.intervalMs, 'interval_ms'),
    ageing_maps: need(scenario.ageingMaps, 'ageing_maps'),
    cpus: need(scenario.cpus, 'cpus'),
    kernel: need(scenario.kernel, 'kernel'),
    iommu: {
      mode: need(iommu.mode, 'iommu.mode'),
      invalidation: need(iommu.invalidation, 'iommu.invalidation'),
      ...(iommu.sac === undefined ? {} : { sac: iommu.sac }),
      retry_pass: need(iommu.retryPass, 'iommu.retry_pass'),
      rcache_classes: need(iommu.rcacheClasses, 'iommu.rcache_classes'),
    },
    allocator: need(scenario.allocator, 'allocator'),
    host: {
      preset: need(host.preset, 'host.preset'),
      ...(host.maxSectors === undefined ? {} : { max_sectors: host.maxSectors }),
      ...(host.sgTablesize === undefined ? {} : { sg_tablesize: host.sgTablesize }),
      ...(host.canQueue === undefined ? {} : { can_queue: host.canQueue }),
      ...(host.nrHwQueues === undefined ? {} : { nr_hw_queues: host.nrHwQueues }),
      queue_depth: need(host.queueDepth, 'host.queue_depth'),
      cap: need(host.cap, 'host.cap'),
    },
    disks: {
      count: need(disks.count, 'disks.count'),
      bandwidth_mbps: need(disks.bandwidthMBps, 'disks.bandwidth_mbps'),
      command_us: need(disks.commandUs, 'disks.command_us'),
      latency_us: need(disks.latencyUs, 'disks.latency_us'),
    },
    link_mbps: need(scenario.linkMBps, 'link_mbps'),
    jobs: jobs.map((job: JobSpec, i) => {
      const cpus = need(job.cpus, `jobs[${i}].cpus_allowed`);
      return {
        name: need(job.name, `jobs[${i}].name`),
        rw: need(job.rw, `jobs[${i}].rw`),
        bs: need(job.bs, `jobs[${i}].bs`),
        iodepth: need(job.iodepth, `jobs[${i}].iodepth`),
        numjobs: need(job.numjobs, `jobs[${i}].numjobs`),
        cpus_allowed: Array.isArray(cpus) ? cpus.join(',') : cpus,
        size: need(job.sizeBytes, `jobs[${i}].size`),
      };
    }),
    costs: Object.fromEntries(COST_MODEL_KEYS.map((key) => [snake(key), need(costs[key], `costs.${snake(key)}`)])),
  };
  validateScenario(data, source, scenario);
  return scenario;
}
