/**
 * The one way a scenario is made: from a YAML file or text, from a mapping (a sweep's base and
 * points, a fio job file's mapped settings), or from a Scenario object built in code — always on
 * the schema of scenario-schema.ts, with errors `FILE:LINE:COLUMN: field: problem`.
 *
 * A file names its base with `preset:` (default sas-128cpu, or the caller's `preset`) and changes
 * what it lists. Typed overrides (`allocator`, `kernel`, `iommu`, `cap`, `cpus`, `durationMs`,
 * `seed`: what the CLI's flags and runScenario's options set) apply last.
 *
 * Changing the CPU count keeps the base's jobs meaningful instead of pinning threads to CPUs that
 * no longer exist: a job that runs on every CPU of the base runs on every CPU of the new count,
 * and when it had one thread per CPU (numjobs equal to the base's CPU count, as the presets do) it
 * still has one thread per CPU. A job on some CPUs keeps those below the new count; if none is
 * left that is an error naming the job. Jobs written in the file without `cpus_allowed` run on
 * every CPU. A Scenario object built in code (`{ ...preset, cpus: 16 }`) has lost its base, so
 * `spreadPresetJobs` applies the same rule to a job that still has one thread on each CPU 0..N-1
 * of a larger host.
 */
import { readFile } from 'node:fs/promises';
import { check, formatPath, SchemaError, YamlFile, type FieldPath, type Issue } from '../schema.js';
import { PRESETS, SAS_128CPU } from './presets.js';
import { COST_MODEL_KEYS, OPTIONAL_COST_KEYS } from './cost-model.js';
import { warmupForDuration } from './measured-window.js';
import { DEFAULT_PLATFORM, platformFromData, rederiveCosts } from './platform-profile.js';
import { cpuListOf, DEFAULT_AGEING_MAPS_PER_HOUR, objectPath, relatedFieldIssues, scenarioData, scenarioDataSchema, scenarioFileSchema, ScenarioError, type JobData, type ScenarioData } from './scenario-schema.js';
import type { AgeingModel, CapVariant, JobSpec, Scenario } from './scenario.js';

/** What the CLI flags and runScenario's options change, as typed values. */
export interface ScenarioOverrides {
  readonly allocator?: string;
  readonly kernel?: string;
  readonly iommu?: 'strict' | 'lazy' | 'passthrough' | 'none';
  readonly cap?: CapVariant;
  readonly cpus?: number;
  readonly durationMs?: number;
  readonly seed?: number;
}

export interface ScenarioLoadOptions {
  /** The base when the file names no `preset:` (default sas-128cpu). */
  readonly preset?: string;
  readonly overrides?: ScenarioOverrides;
}

export const DEFAULT_PRESET = SAS_128CPU.name;

/** Where the data being built came from, so an issue can say where it was written. */
interface Origin {
  readonly file?: YamlFile;
  /** The data's path inside the file (a sweep's `base`). */
  readonly prefix?: FieldPath;
  /** Prefix for the field names in messages (defaults to prefix). */
  readonly fieldPrefix?: FieldPath;
  /** Spell fields as the Scenario object does (durationMs), not as the file does (duration_ms). */
  readonly objectNames?: boolean;
  /** Written before the field name when there is no file (`point [cpus=4]`). */
  readonly label?: string;
}

function fail(issue: Issue, origin: Origin): never {
  if (origin.file !== undefined) throw toScenarioError(origin.file.error(issue, origin.prefix ?? [], origin.fieldPrefix ?? origin.prefix ?? []));
  const path = origin.objectNames ? objectPath(issue.path) : issue.path;
  throw new ScenarioError({ field: [origin.label, formatPath([...(origin.fieldPrefix ?? []), ...path])].filter((s) => s !== undefined && s !== '').join(': '), problem: issue.message });
}

function toScenarioError(error: SchemaError): ScenarioError {
  return new ScenarioError({ file: error.file, line: error.line, column: error.column, field: error.field, problem: error.problem });
}

/** The built-in scenario called `name`; `field` names the option or key that gave it. */
export function presetScenario(name: string, field = 'preset'): Scenario {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) throw new ScenarioError({ field, problem: `unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})` });
  return PRESETS[name];
}

const allCpus = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

function coversEveryCpu(cpus: readonly number[], count: number): boolean {
  return cpus.length === count && cpus.every((c, i) => c === i);
}

/** The base's jobs on a host with `to` CPUs instead of `from` (see the top of this file). */
function respreadJobs(jobs: readonly JobSpec[], from: number, to: number, origin: Origin): readonly JobSpec[] {
  if (from === to) return jobs;
  return jobs.map((job) => {
    if (coversEveryCpu(job.cpus, from)) return { ...job, cpus: allCpus(to), numjobs: job.numjobs === from ? to : job.numjobs };
    const kept = job.cpus.filter((c) => c < to);
    if (kept.length === 0) {
      fail({ path: ['cpus'], message: `the base scenario's job ${JSON.stringify(job.name)} runs on CPUs ${job.cpus[0]}-${job.cpus[job.cpus.length - 1]}, none below the CPU count ${to}; list jobs: with cpus_allowed` }, origin);
    }
    return kept.length === job.cpus.length ? job : { ...job, cpus: kept };
  });
}

function jobFrom(data: JobData, index: number, template: JobSpec, cpus: number): JobSpec {
  let list = allCpus(cpus);
  if (data.cpus_allowed !== undefined) {
    const parsed = cpuListOf(data.cpus_allowed);
    list = 'cpus' in parsed ? parsed.cpus : [];
  }
  return {
    name: data.name ?? `job${index}`,
    rw: data.rw ?? template.rw,
    bs: data.bs ?? template.bs,
    iodepth: data.iodepth ?? template.iodepth,
    numjobs: data.numjobs ?? template.numjobs,
    cpus: list,
    sizeBytes: data.size ?? template.sizeBytes,
  };
}

/** The complete scenario passes the schema and the rules between fields, or the first issue fails. */
function checked(scenario: Scenario, origin: Origin): Scenario {
  const result = check(scenarioDataSchema, scenarioData(scenario));
  if (!result.ok) fail(result.issues[0], origin);
  const related = relatedFieldIssues(result.value);
  if (related.length > 0) fail(related[0], origin);
  return scenario;
}

/** `data` (file spelling, already schema-checked) applied to `base`. */
function build(data: ScenarioData, base: Scenario, origin: Origin): Scenario {
  const cpus = data.cpus ?? base.cpus;
  const template = base.jobs[0];
  const jobs = data.jobs === undefined ? respreadJobs(base.jobs, base.cpus, cpus, origin) : data.jobs.map((job, i) => jobFrom(job, i, template, cpus));
  // A new platform re-derives every constant that still has the base platform's value; explicit
  // overrides (the base's, then this data's) stay.
  const basePlatform = base.platform ?? DEFAULT_PLATFORM;
  const platform = data.platform === undefined ? base.platform : platformFromData(data.platform, basePlatform);
  const costs = platform === undefined || platform === base.platform ? { ...base.costs } : rederiveCosts(base.costs, basePlatform, platform);
  for (const [key, value] of Object.entries(data.costs ?? {})) {
    if (value !== undefined) (costs as unknown as Record<string, number>)[key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
  }
  const iommu = data.iommu ?? {};
  const host = data.host ?? {};
  const disks = data.disks ?? {};
  const scenario: Scenario = {
    name: data.name ?? base.name,
    seed: data.seed ?? base.seed,
    durationMs: data.duration_ms ?? base.durationMs,
    warmupMs: data.warmup_ms ?? base.warmupMs,
    intervalMs: data.interval_ms ?? base.intervalMs,
    ageingMaps: data.ageing_maps ?? base.ageingMaps,
    cpus,
    kernel: data.kernel ?? base.kernel,
    iommu: {
      mode: iommu.mode ?? base.iommu.mode,
      invalidation: iommu.invalidation ?? base.iommu.invalidation,
      ...((iommu.sac ?? base.iommu.sac) === undefined ? {} : { sac: iommu.sac ?? base.iommu.sac }),
      retryPass: iommu.retry_pass ?? base.iommu.retryPass,
      rcacheClasses: iommu.rcache_classes ?? base.iommu.rcacheClasses,
    },
    allocator: data.allocator ?? base.allocator,
    host: {
      preset: host.preset ?? base.host.preset,
      ...optional('maxSectors', host.max_sectors ?? base.host.maxSectors),
      ...optional('sgTablesize', host.sg_tablesize ?? base.host.sgTablesize),
      ...optional('canQueue', host.can_queue ?? base.host.canQueue),
      ...optional('nrHwQueues', host.nr_hw_queues ?? base.host.nrHwQueues),
      queueDepth: host.queue_depth ?? base.host.queueDepth,
      cap: host.cap ?? base.host.cap,
    },
    disks: {
      count: disks.count ?? base.disks.count,
      bandwidthMBps: disks.bandwidth_mbps ?? base.disks.bandwidthMBps,
      commandUs: disks.command_us ?? base.disks.commandUs,
      latencyUs: disks.latency_us ?? base.disks.latencyUs,
    },
    linkMBps: data.link_mbps ?? base.linkMBps,
    jobs,
    ...(platform === undefined ? {} : { platform }),
    costs,
    // --- Ageing over uptime (issue 12, part 2) ---
    ...((data.depot ?? base.depot) === undefined ? {} : { depot: data.depot ?? base.depot }),
    ...(data.ageing === undefined ? (base.ageing === undefined ? {} : { ageing: base.ageing }) : { ageing: ageingFrom(data.ageing, origin) }),
  };
  return checked(scenario, origin);
}

/** The `ageing:` block (file spelling, schema-checked) as an AgeingModel; CPUs beyond the count are left for the related-field check. */
function ageingFrom(data: NonNullable<ScenarioData['ageing']>, origin: Origin): AgeingModel {
  return {
    uptimeHours: data.uptime_hours,
    sampleHours: data.sample_hours ?? Math.max(data.uptime_hours / 24, 0.000_001),
    mapsPerHour: data.maps_per_hour ?? DEFAULT_AGEING_MAPS_PER_HOUR,
    streams: data.streams.map((stream, i) => {
      const list = cpuListOf(stream.cpus_allowed);
      if ('problem' in list) fail({ path: ['ageing', 'streams', i, 'cpus_allowed'], message: list.problem }, origin);
      return {
        name: stream.name ?? `stream${i}`,
        sizes: stream.sizes,
        ...(stream.weights === undefined ? {} : { weights: stream.weights }),
        lifetimeMs: stream.lifetime_ms,
        ratePerSecond: stream.rate_per_s,
        cpus: list.cpus,
        ...(stream.cpus_at_once === undefined ? {} : { cpusAtOnce: stream.cpus_at_once }),
        ...(stream.migrate_s === undefined ? {} : { migrateSeconds: stream.migrate_s }),
        ...(stream.on_s === undefined ? {} : { onSeconds: stream.on_s }),
        ...(stream.off_s === undefined ? {} : { offSeconds: stream.off_s }),
        unmapOn: stream.unmap_on ?? 'irq',
        dmaMaskBits: stream.dma_mask_bits ?? 64,
      };
    }),
  };
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

/**
 * A scenario mapping (file spelling, no `preset:`) on top of `base`. `origin` says where the
 * mapping was written, for error positions; without it messages name the field alone.
 */
export function scenarioFromData(data: unknown, base: Scenario, origin: Origin = {}): Scenario {
  const result = check(scenarioDataSchema, data);
  if (!result.ok) fail(result.issues[0], origin);
  return build(result.value, base, origin);
}

/** A scenario mapping that may name its base with `preset:`; the base otherwise. */
export function scenarioFromFileData(data: unknown, base: Scenario, origin: Origin = {}): Scenario {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) fail({ path: [], message: 'must be a mapping of scenario fields such as preset, cpus, jobs' }, origin);
  const preset = (data as Record<string, unknown>).preset;
  if (typeof preset === 'string' && !Object.prototype.hasOwnProperty.call(PRESETS, preset)) {
    fail({ path: ['preset'], message: `unknown preset ${JSON.stringify(preset)} (known: ${Object.keys(PRESETS).join(', ')})` }, origin);
  }
  const result = check(scenarioFileSchema(Object.keys(PRESETS)), data);
  if (!result.ok) fail(result.issues[0], origin);
  const { preset: name, ...rest } = result.value;
  return build(rest, name === undefined ? base : PRESETS[name], origin);
}

/** Scenario YAML text; `file` names it in errors. */
export function parseScenarioText(text: string, file: string, options: ScenarioLoadOptions = {}): Scenario {
  let yaml: YamlFile;
  try {
    yaml = YamlFile.parse(text, file);
  } catch (error) {
    if (error instanceof SchemaError) throw toScenarioError(error);
    throw error;
  }
  const base = presetScenario(options.preset ?? DEFAULT_PRESET);
  const scenario = scenarioFromFileData(yaml.data() ?? {}, base, { file: yaml });
  return options.overrides === undefined ? scenario : applyOverrides(scenario, options.overrides);
}

/** Reads a scenario YAML file. */
export async function readScenarioFile(path: string, options: ScenarioLoadOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioError({ file: path, field: '', problem: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
  return parseScenarioText(text, path, options);
}

/** The override names as a file spells them, for the schema; errors name the override. */
const OVERRIDE_PATHS: Record<string, FieldPath> = {
  allocator: ['allocator'],
  kernel: ['kernel'],
  cpus: ['cpus'],
  seed: ['seed'],
  durationMs: ['duration_ms'],
  iommu: ['iommu'],
  cap: ['host', 'cap'],
};

function overrideName(path: FieldPath): FieldPath {
  for (const [name, prefix] of Object.entries(OVERRIDE_PATHS)) if (prefix.every((part, i) => path[i] === part)) return [name];
  return objectPath(path);
}

/**
 * `scenario` with the overrides applied, through the same schema; a bad value is a ScenarioError
 * whose field is the override's name (`cpus`, `durationMs`).
 */
export function applyOverrides(scenario: Scenario, overrides: ScenarioOverrides): Scenario {
  if (overrides === null || typeof overrides !== 'object') throw new ScenarioError({ field: 'overrides', problem: 'must be an object' });
  const known = Object.keys(OVERRIDE_PATHS);
  for (const key of Object.keys(overrides)) if (!known.includes(key)) throw new ScenarioError({ field: key, problem: `unknown override (known: ${known.join(', ')})` });
  const patch: Record<string, unknown> = {};
  if (overrides.allocator !== undefined) patch.allocator = overrides.allocator;
  if (overrides.kernel !== undefined) patch.kernel = overrides.kernel;
  if (overrides.cpus !== undefined) patch.cpus = overrides.cpus;
  if (overrides.seed !== undefined) patch.seed = overrides.seed;
  if (overrides.cap !== undefined) patch.host = { cap: overrides.cap };
  if (overrides.durationMs !== undefined) {
    patch.duration_ms = overrides.durationMs;
    // The scenario's warm-up, at most a quarter of the run (./measured-window.ts: a longer run never measures less).
    if (typeof overrides.durationMs === 'number') patch.warmup_ms = warmupForDuration(overrides.durationMs, scenario.warmupMs);
  }
  if (overrides.iommu !== undefined) {
    const mode = overrides.iommu as string;
    if (mode === 'strict' || mode === 'lazy') patch.iommu = { mode: 'translated', invalidation: mode };
    else if (mode === 'passthrough' || mode === 'none') patch.iommu = { mode };
    else throw new ScenarioError({ field: 'iommu', problem: `must be strict, lazy, passthrough or none, got ${JSON.stringify(mode)}` });
  }
  const result = check(scenarioDataSchema, patch);
  if (!result.ok) {
    const issue = result.issues[0];
    throw new ScenarioError({ field: formatPath(overrideName(issue.path)), problem: issue.message });
  }
  try {
    return build(result.value, scenario, { objectNames: true });
  } catch (error) {
    if (!(error instanceof ScenarioError) || error.file !== undefined) throw error;
    const path = error.field.split('.');
    const name = path.length === 1 && Object.prototype.hasOwnProperty.call(FILE_FIELD_OF_OVERRIDE, path[0]) ? FILE_FIELD_OF_OVERRIDE[path[0]] : error.field;
    throw new ScenarioError({ field: name, problem: error.problem });
  }
}

/** Object field → the override that sets it, for errors raised after the patch was applied. */
const FILE_FIELD_OF_OVERRIDE: Record<string, string> = { durationMs: 'durationMs', warmupMs: 'durationMs', cpus: 'cpus', kernel: 'kernel', allocator: 'allocator', seed: 'seed' };

/**
 * Checks a Scenario object built in code (what `simulate()` is given) against the same schema and
 * rules as a file: a ScenarioError `field: problem` in the object's own names (`jobs[0].cpus`).
 */
export function checkScenario(scenario: Scenario): Scenario {
  if (scenario === null || typeof scenario !== 'object' || Array.isArray(scenario)) throw new ScenarioError({ field: 'scenario', problem: `must be a Scenario object, got ${scenario === null ? 'null' : typeof scenario}` });
  const missing = missingField(scenario);
  if (missing !== undefined) throw new ScenarioError({ field: missing, problem: 'missing' });
  return checked(scenario, { objectNames: true });
}

/**
 * The fields a built Scenario must carry (a file may leave any out: its base fills them). The
 * schema checks the values; this only finds the first absent one, by its object path.
 */
const REQUIRED_FIELDS = {
  top: ['name', 'seed', 'durationMs', 'warmupMs', 'intervalMs', 'ageingMaps', 'cpus', 'kernel', 'iommu', 'allocator', 'host', 'disks', 'linkMBps', 'jobs', 'costs'],
  iommu: ['mode', 'invalidation', 'retryPass', 'rcacheClasses'],
  host: ['preset', 'queueDepth', 'cap'],
  disks: ['count', 'bandwidthMBps', 'commandUs', 'latencyUs'],
  job: ['name', 'rw', 'bs', 'iodepth', 'numjobs', 'cpus', 'sizeBytes'],
  platform: ['ioEngine', 'driver', 'completion', 'coalesce', 'iommu', 'batch', 'sqPoll'],
  batch: ['submit', 'completeMin', 'completeMax'],
} as const;

function missingField(scenario: Scenario): string | undefined {
  const record = scenario as unknown as Record<string, unknown>;
  const absent = (value: unknown, keys: readonly string[], prefix: string): string | undefined => {
    if (value === null || typeof value !== 'object') return undefined;
    const key = keys.find((k) => (value as Record<string, unknown>)[k] === undefined);
    return key === undefined ? undefined : `${prefix}${key}`;
  };
  const top = absent(record, REQUIRED_FIELDS.top, '');
  if (top !== undefined) return top;
  const section =
    absent(record.iommu, REQUIRED_FIELDS.iommu, 'iommu.') ??
    absent(record.host, REQUIRED_FIELDS.host, 'host.') ??
    absent(record.disks, REQUIRED_FIELDS.disks, 'disks.') ??
    absent(record.costs, COST_MODEL_KEYS.filter((key) => !OPTIONAL_COST_KEYS.includes(key)), 'costs.') ??
    absent(record.platform, REQUIRED_FIELDS.platform, 'platform.') ??
    absent((record.platform as Record<string, unknown> | undefined)?.batch, REQUIRED_FIELDS.batch, 'platform.batch.');
  if (section !== undefined) return section;
  const jobs = Array.isArray(record.jobs) ? (record.jobs as unknown[]) : [];
  for (let i = 0; i < jobs.length; i++) {
    const job = absent(jobs[i], REQUIRED_FIELDS.job, `jobs[${i}].`);
    if (job !== undefined) return job;
  }
  return undefined;
}

/**
 * A Scenario object whose CPU count was lowered by spreading a preset (`{ ...preset, cpus: 16 }`):
 * each job that still has one thread on each CPU 0..N-1 of a larger host gets one thread on each
 * CPU that exists. Every other job is left as it is (and checkScenario names it if it is wrong).
 */
export function spreadPresetJobs(scenario: Scenario): Scenario {
  if (scenario === null || typeof scenario !== 'object' || !Array.isArray(scenario.jobs) || !Number.isSafeInteger(scenario.cpus) || scenario.cpus < 1) return scenario;
  let changed = false;
  const jobs = scenario.jobs.map((job) => {
    if (job === null || typeof job !== 'object' || !Array.isArray(job.cpus)) return job;
    const k = job.cpus.length;
    if (k > scenario.cpus && job.numjobs === k && coversEveryCpu(job.cpus, k)) {
      changed = true;
      return { ...job, cpus: allCpus(scenario.cpus), numjobs: scenario.cpus };
    }
    return job;
  });
  return changed ? { ...scenario, jobs } : scenario;
}
