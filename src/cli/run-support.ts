/**
 * What `iovasim run` and `iovasim replay` share: the override options, `--compare` variants, the
 * progress bar, the fio-shaped JSON and error translation for workload input.
 */
import { KernelVersionError } from '../allocators/kernel-version.js';
import { ALLOCATOR_NAMES } from '../allocators/registry.js';
import { dmaKernelFeatures } from '../dma/kernel-features.js';
import type { SimulationResult } from '../sim/engine.js';
import type { DirectionResult } from '../sim/simulation-result.js';
import type { Scenario } from '../sim/scenario.js';
import { ScenarioError } from '../sim/scenario.js';
import { WorkloadError } from '../workloads/errors.js';
import { parseFioTimeNs } from '../workloads/fio-job.js';
import type { OptionSpec } from './args.js';
import { applyOverrides } from './commands/simulate.js';
import { UsageError, UserError } from './errors.js';

/** The options both commands take (run adds --duration). */
export const OVERRIDE_OPTIONS: Record<string, OptionSpec> = {
  preset: { type: 'string', description: 'base scenario for the host, IOMMU and costs (default sas-128cpu)' },
  allocator: { type: 'string', description: `allocator: ${ALLOCATOR_NAMES.join(', ')}` },
  kernel: { type: 'string', description: 'kernel version, e.g. 5.19 or 7.0' },
  iommu: { type: 'string', description: 'strict | lazy | passthrough' },
  cap: { type: 'string', description: 'dma_opt_mapping_size cap variant: seed | merged | none' },
  cpus: { type: 'string', description: 'number of CPUs' },
  seed: { type: 'string', description: 'seed for every random choice' },
  compare: { type: 'string', description: 'comma-separated variants run on the same workload: allocator names, strict, lazy, passthrough, seed, merged, none, kernel versions (join with + to combine, e.g. gap-tree+lazy)' },
  json: { type: 'boolean', description: 'print fio-style JSON (jobs[].read …, plus an "iovasim" object with every figure)' },
  report: { type: 'string', description: 'write a self-contained HTML report: to FILE when it ends in .html, else to DIR/index.html' },
  help: { type: 'boolean', description: 'show this help' },
};

/** fio's own spellings that `run` accepts (fio's HOWTO, "Command line options"). */
export const FIO_RUN_OPTIONS: Record<string, OptionSpec> = {
  'output-format': { type: 'string', description: 'fio’s spelling: json (the same as --json) or normal (the table)' },
  runtime: { type: 'string', description: 'fio’s spelling of the simulated time: seconds, or with fio’s suffix (500ms, 2s, 1m); not with --duration' },
  section: { type: 'string', repeatable: true, description: 'fio’s --section: run only this job section (repeat it, or a comma list, for several)' },
  'mb-memory': { type: 'string', description: 'the simulated host’s memory in MiB, for a job file that uses fio’s $mb_memory' },
};

/** --mb-memory MIB → the parser's mbMemory; undefined when not given. */
export function mbMemoryOption(options: Record<string, string | boolean | undefined>): number | undefined {
  const raw = options['mb-memory'];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`--mb-memory: must be a whole number of MiB above 0, got "${String(raw)}"`);
  return value;
}

/** --json or --output-format=json; --output-format=normal is the table; anything else is refused. */
export function jsonOutput(options: Record<string, string | boolean | undefined>): boolean {
  const format = options['output-format'];
  if (format === undefined) return options.json === true;
  if (format !== 'json' && format !== 'normal') throw new UsageError(`--output-format: "${String(format)}" is not json or normal (the formats iovasim writes)`);
  if (format === 'normal' && options.json === true) throw new UsageError('--output-format normal contradicts --json');
  return format === 'json';
}

/** --runtime (fio's seconds, or a fio time suffix) as the duration override; with --duration, an error. */
export function runtimeOverride(options: Record<string, string | boolean | undefined>): { durationMs?: number } {
  const raw = options.runtime;
  if (raw === undefined) return {};
  if (options.duration !== undefined) throw new UsageError('--runtime and --duration both set the simulated time: give one');
  let ns: number;
  try {
    ns = parseFioTimeNs(String(raw), 's');
  } catch (error) {
    if (error instanceof Error) throw new UsageError(`--runtime: ${error.message}`);
    throw error;
  }
  if (ns <= 0) throw new UsageError(`--runtime: must be above 0, got "${String(raw)}"`);
  return { durationMs: ns / 1e6 };
}

/** --section NAME (repeated or a comma list) → the section names; undefined when not given. */
export function sectionsOption(options: Record<string, string | boolean | undefined>): string[] | undefined {
  const raw = options.section;
  if (raw === undefined) return undefined;
  const names = String(raw).split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new UsageError('--section: empty section name');
  return [...new Set(names)];
}

export interface Variant {
  /** As written in --compare (or the scenario's name for a single run). */
  readonly label: string;
  readonly scenario: Scenario;
}

const KERNEL_TOKEN = /^\d+\.\d+$/;

/** The override one --compare word stands for. */
function overrideOf(word: string): Record<string, string> {
  if ((ALLOCATOR_NAMES as readonly string[]).includes(word)) return { allocator: word };
  if (word === 'strict' || word === 'lazy' || word === 'passthrough') return { iommu: word };
  if (word === 'seed' || word === 'merged' || word === 'none') return { cap: word };
  if (KERNEL_TOKEN.test(word)) return { kernel: word };
  throw new UsageError(
    `--compare: "${word}" is not an allocator (${ALLOCATOR_NAMES.join(', ')}), an IOMMU mode (strict, lazy, passthrough), a cap variant (seed, merged, none) or a kernel version such as 5.19`,
  );
}

/** Checks what validateScenario leaves to run time: the kernel version is one the model knows. */
export function checkKernel(scenario: Scenario, option = '--kernel'): void {
  try {
    dmaKernelFeatures(scenario.kernel);
  } catch (error) {
    if (error instanceof KernelVersionError) throw new UsageError(`${option}: ${error.message}`);
    throw error;
  }
}

/** `--compare a,b+c` → one variant per item, each the base scenario with that item's overrides. */
export function compareVariants(base: Scenario, list: string): Variant[] {
  const items = list.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError('--compare: empty item in the list');
  if (new Set(items).size !== items.length) throw new UsageError('--compare: an item is listed twice');
  return items.map((item) => {
    let scenario = base;
    const seen = new Set<string>();
    for (const word of item.split('+').map((s) => s.trim())) {
      const override = overrideOf(word);
      const key = Object.keys(override)[0];
      if (seen.has(key)) throw new UsageError(`--compare: "${item}" sets the ${key} twice`);
      seen.add(key);
      scenario = applyOverrides(scenario, override);
    }
    scenario = { ...scenario, name: `${base.name} [${item}]` };
    checkKernel(scenario, `--compare ${item}`);
    return { label: item, scenario };
  });
}

/** A one-line progress bar on a terminal: `[#########...........]  45%  label`. */
export class ProgressBar {
  private lastDrawn = -1;
  private active = false;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly enabled: boolean,
    private readonly width = 30,
  ) {}

  update(fraction: number, label = ''): void {
    if (!this.enabled) return;
    const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    const permille = Math.floor(f * 1000);
    if (permille === this.lastDrawn) return;
    this.lastDrawn = permille;
    const filled = Math.round(f * this.width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ${label}\x1b[K`);
    this.active = true;
  }

  done(): void {
    if (this.enabled && this.active) this.stream.write('\r\x1b[K');
    this.active = false;
    this.lastDrawn = -1;
  }
}

export { iovasimVersion } from './version.js';
import { iovasimVersion } from './version.js';

const ZERO_DIRECTION = {
  io_bytes: 0,
  io_kbytes: 0,
  bw_bytes: 0,
  bw: 0,
  iops: 0,
  runtime: 0,
  total_ios: 0,
  lat_ns: { max: 0, mean: 0, N: 0, percentile: { '50.000000': 0, '99.000000': 0, '99.900000': 0 } },
};

/** One of fio's direction groups from the engine's figures for that direction (zeros when it had no I/O). */
function directionStats(result: SimulationResult, direction: DirectionResult): Record<string, unknown> {
  if (direction.ios === 0) return ZERO_DIRECTION;
  const ns = (us: number): number => Math.round(us * 1e3);
  return {
    io_bytes: direction.bytes,
    io_kbytes: Math.floor(direction.bytes / 1024),
    bw_bytes: Math.round(direction.bandwidthMBps * 1e6),
    bw: Math.round((direction.bandwidthMBps * 1e6) / 1024),
    iops: direction.iops,
    runtime: Math.round(result.measuredMs),
    total_ios: direction.ios,
    lat_ns: {
      max: ns(direction.latencyUs.max),
      mean: direction.latencyUs.mean * 1e3,
      N: direction.ios,
      percentile: {
        '50.000000': ns(direction.latencyUs.p50),
        '99.000000': ns(direction.latencyUs.p99),
        '99.900000': ns(direction.latencyUs.p999),
      },
    },
  };
}


/**
 * fio's --output-format=json where it overlaps: `"fio version"`, `jobs[]` with `jobname`, and
 * `read` / `write` / `trim` (`io_bytes`, `bw` in KiB/s, `iops`, `lat_ns` with percentiles), reads
 * and writes each from the engine's own count of that direction; one job entry per variant. Everything else is under `"iovasim"`: the run's metadata and each
 * variant's full SimulationResult (`results[i]` belongs to `jobs[i]`). No wall-clock fields, so
 * the same input and seed give byte-identical output.
 */
export function fioStyleJson(
  variants: readonly Variant[],
  results: readonly SimulationResult[],
  meta: { command: string; input: string; format: string; notes: readonly string[]; extra?: Record<string, unknown> },
): Record<string, unknown> {
  return {
    'fio version': `iovasim-${iovasimVersion()}`,
    jobs: results.map((result, i) => ({
      jobname: variants[i].label,
      groupid: i,
      error: 0,
      'job options': { scenario: result.scenario.name, allocator: result.scenario.allocator, kernel: result.scenario.kernel, iommu: iommuWord(result.scenario), cap: result.scenario.host.cap },
      read: directionStats(result, result.read),
      write: directionStats(result, result.write),
      trim: ZERO_DIRECTION,
    })),
    iovasim: {
      command: meta.command,
      input: meta.input,
      format: meta.format,
      notes: meta.notes,
      ...(meta.extra ?? {}),
      results,
    },
  };
}

/** strict | lazy | passthrough | none, as --iommu spells it. */
export function iommuWord(scenario: Scenario): string {
  return scenario.iommu.mode === 'translated' ? scenario.iommu.invalidation : scenario.iommu.mode;
}

/** Runs `body`, turning input errors into the clean one-line messages the CLI prints. */
export async function userErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof WorkloadError || error instanceof ScenarioError) throw new UserError(error.message);
    if (error instanceof KernelVersionError) throw new UsageError(`--kernel: ${error.message}`);
    if (error instanceof Error && /^unknown allocator/.test(error.message)) throw new UsageError(`--allocator: ${error.message}`);
    throw error;
  }
}

/** Writes notes to stderr, one per line. */
export function printNotes(stream: NodeJS.WritableStream, notes: readonly string[]): void {
  for (const note of notes) stream.write(`note: ${note}\n`);
}
