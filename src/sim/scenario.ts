/**
 * A scenario: the host, its disks, the IOMMU, the kernel, the allocator and the workload of one
 * simulation run. Scenarios are plain data. They are made by scenario-loader.ts (from YAML, a
 * mapping or a preset with overrides) and checked against the schema of scenario-schema.ts; presets
 * (presets.ts) describe published setups.
 */
import { SchemaError, YamlFile } from '../schema.js';
import { DEFAULT_COST_MODEL, type CostModel } from './cost-model.js';
import type { PlatformSelection } from './platform-profile.js';
import { PRESETS } from './presets.js';
import { checkScenario, parseScenarioText, scenarioFromData, scenarioFromFileData } from './scenario-loader.js';
import { cpuListOf, ScenarioError } from './scenario-schema.js';

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
  /**
   * The platform profile (I/O engine, driver, completion style, IOMMU, batching) that `costs` were
   * derived from, and whose batching and completion style the engine follows; absent: the default
   * platform (libaio, SCSI, interrupts, SMMUv3, no batching). See ./platform-profile.ts.
   */
  readonly platform?: PlatformSelection;
  /** The cost constants: the platform's, with any explicit override (`costs:` in a file). */
  readonly costs: CostModel;

  // --- Ageing over uptime (issue 12, part 2; ./ageing.ts) ---
  /**
   * The depot of each rcache size class: the slots of the pre-6.7 fixed array (MAX_GLOBAL_MAGS, 32),
   * or 'list' for 6.7's unbounded list with its 100 ms trimmer (911aa1245da8). Absent: the kernel's own.
   */
  readonly depot?: number | 'list';
  /** Uptime to age the domain through before measuring, under a background mix. Absent: none. */
  readonly ageing?: AgeingModel;
}

/** A host's uptime and what ran during it (see ./ageing.ts for how it is simulated). */
export interface AgeingModel {
  readonly uptimeHours: number;
  /** One time-series sample every this many hours of uptime. */
  readonly sampleHours: number;
  /** Background maps simulated per hour of uptime: sets the time compression (./ageing.ts). */
  readonly mapsPerHour: number;
  readonly streams: readonly BackgroundStream[];
}

/** One source of DMA mappings during the uptime. */
export interface BackgroundStream {
  readonly name: string;
  /** Mapping sizes in bytes, drawn with `weights` (equal weights when absent). */
  readonly sizes: readonly number[];
  readonly weights?: readonly number[];
  /** Mean lifetime of a mapping, ms (exponentially distributed). */
  readonly lifetimeMs: number;
  /** New mappings per second of uptime (Poisson arrivals). */
  readonly ratePerSecond: number;
  /** CPUs the stream maps on. */
  readonly cpus: readonly number[];
  /** How many of `cpus` the stream uses at once, re-drawn every `migrateSeconds` (a process moving). */
  readonly cpusAtOnce?: number;
  readonly migrateSeconds?: number;
  /** A stream that runs in bursts: maps for `onSeconds`, then none for `offSeconds` (its mappings drain), and again. */
  readonly onSeconds?: number;
  readonly offSeconds?: number;
  /** Where a mapping is unmapped: its CPU's interrupt CPU (a completion), or the mapping CPU itself. */
  readonly unmapOn: 'irq' | 'same';
  /** The device's DMA mask: 64 (the disk's host adapter), or 32 (another device in the domain that can only address 4 GiB). */
  readonly dmaMaskBits: 32 | 64;
}

export { ScenarioError } from './scenario-schema.js';
export { DEFAULT_COST_MODEL };

/**
 * Checks a scenario. With one argument: a Scenario object built in code, checked against the
 * scenario schema (what `simulate()` does at entry); it is returned unchanged or a ScenarioError
 * `field: problem` names what is wrong. With three (the earlier form): a scenario mapping in the
 * file's spelling applied to `base`, errors prefixed with `source`.
 */
export function validateScenario(scenario: Scenario): Scenario;
export function validateScenario(data: unknown, source: string, base: Scenario): Scenario;
export function validateScenario(data: unknown, source?: string, base?: Scenario): Scenario {
  if (source === undefined || base === undefined) return checkScenario(data as Scenario);
  return scenarioFromData(data, base, { label: source });
}

/** fio's cpus_allowed: "0-127", "0,2,4-7", or a number; every CPU below `cpus`. */
export function parseCpuList(value: unknown, path: string, cpus: number, fail: (path: string, problem: string) => never): number[] {
  if (typeof value !== 'string' && typeof value !== 'number') return fail(path, 'must be a CPU list such as "0-127" or "0,2,4-7"');
  const list = cpuListOf(value);
  if ('problem' in list) return fail(path, list.problem);
  const last = list.cpus[list.cpus.length - 1];
  if (last >= cpus) fail(path, `CPU ${last} is not below the CPU count ${cpus}`);
  return list.cpus;
}

/** Parses scenario YAML text (the earlier form of parseScenarioText, kept for callers). */
export function parseScenarioYaml(text: string, source: string, _presets: Record<string, Scenario>, fallback: Scenario): Scenario {
  const preset = Object.keys(PRESETS).find((name) => PRESETS[name] === fallback);
  if (preset !== undefined) return parseScenarioText(text, source, { preset });
  // A base that is not a preset: the file's own preset: still wins.
  let yaml: YamlFile;
  try {
    yaml = YamlFile.parse(text, source);
  } catch (error) {
    if (error instanceof SchemaError) throw new ScenarioError({ file: error.file, line: error.line, column: error.column, field: error.field, problem: error.problem });
    throw error;
  }
  return scenarioFromFileData(yaml.data() ?? {}, fallback, { file: yaml });
}
