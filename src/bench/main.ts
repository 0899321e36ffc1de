/**
 * `npm run bench`: how fast the engine, the allocators and the golden-trace replay run on this
 * machine. Medians of several runs after a warm-up, measured side by side in one process; printed as
 * a table, and written as JSON to `--json FILE` (default .bench-out/bench.json), atomically: a
 * temporary file beside it, then a rename, so a reader never sees half a report.
 * Never part of the tests: wall time on a shared machine is not a pass/fail criterion.
 *
 * Each figure is printed beside the previous release's figure for the same measurement, from
 * bench/baseline.json. Measuring the previous release in this run would mean building its commit in a
 * folder of its own (npm ci and tsc: minutes on the shared machine, too heavy for every bench run), so
 * those figures were measured once, by the previous release's own code on this project's 2-core
 * machine (the file's `measured` note says when), and the table labels them so. Ratios are this run /
 * baseline (below 1: smaller now), so on a shared machine they carry that machine's load at both
 * times; the side-by-side figures of one run are the parse and replay columns, and the allocators
 * against each other. To compare two engines in one run, test/support/engine-ab.mjs runs two builds
 * alternately.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { kernelProfile } from '../allocators/kernel-version.js';
import { ALLOCATOR_NAMES } from '../allocators/registry.js';
import { formatRate, formatTable } from '../report/table.js';
import { simulate } from '../sim/engine.js';
import { SAS_128CPU } from '../sim/presets.js';
import { median } from '../stats/summary.js';
import { runAllocBench } from './alloc-bench.js';
import { loadSizeSource, runLatencyBench } from './alloc-latency.js';
import { timeTrace } from './replay-bench.js';

const RUNS = 5;
const REPLAY_RUNS = 11;
const REPLAY_TRACES = ['t27_tree_large', 't28_dma_large', 't13_exhaust32_fast_flush'];

interface EngineBench {
  readonly variant: string;
  readonly simulatedIos: number;
  readonly medianWallMs: number;
  readonly iosPerSecond: number;
  /** Process CPU time (user + system, all threads), median: on a shared machine wall time mostly measures the other processes. */
  readonly medianCpuMs: number;
  readonly iosPerCpuSecond: number;
}

function benchEngine(variant: string, cap: 'none' | 'seed'): EngineBench {
  // No ageing and a 1 ms warm-up: nearly every simulated I/O is counted, and none is skipped time.
  const scenario = { ...SAS_128CPU, name: variant, ageingMaps: 0, warmupMs: 1, durationMs: 300, host: { ...SAS_128CPU.host, cap } };
  simulate(scenario);
  const walls: number[] = [];
  const cpus: number[] = [];
  let ios = 0;
  for (let run = 0; run < RUNS; run++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    ios = simulate(scenario).ios;
    walls.push(Number(process.hrtime.bigint() - start) / 1e6);
    const cpu = process.cpuUsage(cpuStart);
    cpus.push((cpu.user + cpu.system) / 1e3);
  }
  const medianWallMs = median(walls);
  const medianCpuMs = median(cpus);
  return { variant, simulatedIos: ios, medianWallMs, iosPerSecond: ios / (medianWallMs / 1e3), medianCpuMs, iosPerCpuSecond: ios / (medianCpuMs / 1e3) };
}

/** One printed figure: a key shared with the baseline file, a value, and which way is better. */
interface Figure {
  readonly key: string;
  readonly unit: string;
  readonly value: number;
  readonly higherIsBetter: boolean;
  readonly baseline: number | null;
  /** value / baseline, or null without a baseline. */
  readonly ratio: number | null;
}

interface Baseline {
  readonly measured: string;
  readonly figures: Record<string, number>;
}

function readBaseline(): Baseline | null {
  const path = new URL('../../bench/baseline.json', import.meta.url);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
}

const DEFAULT_JSON = join('.bench-out', 'bench.json');

/** Writes `text` to `path` atomically: a temporary file in the same folder, then a rename over it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' } }, strict: true, allowPositionals: false });
  const jsonPath = values.json ?? DEFAULT_JSON;
  if (jsonPath === '') throw new Error('--json: needs a file name');
  const baseline = readBaseline();
  const figures: Figure[] = [];
  const add = (key: string, unit: string, value: number, higherIsBetter = false): void => {
    const base = baseline?.figures[key] ?? null;
    figures.push({ key, unit, value, higherIsBetter, baseline: base, ratio: base === null ? null : value / base });
  };

  const engine = [benchEngine('sas-128cpu, cap none (large mappings)', 'none'), benchEngine('sas-128cpu, cap seed (cacheable)', 'seed')];
  add('engine: sas-128cpu cap none', 'simulated I/Os/s', engine[0].iosPerSecond, true);
  add('engine: sas-128cpu cap seed', 'simulated I/Os/s', engine[1].iosPerSecond, true);
  add('engine: sas-128cpu cap none, CPU', 'I/Os/CPU second', engine[0].iosPerCpuSecond, true);
  add('engine: sas-128cpu cap seed, CPU', 'I/Os/CPU second', engine[1].iosPerCpuSecond, true);

  const allocators = runAllocBench({ allocators: ALLOCATOR_NAMES, pattern: 'churn', seed: 1, runs: RUNS });
  for (const row of allocators.rows) add(`churn: ${row.allocator}`, 'ns/op', row.nsPerOp);

  const latency = await runLatencyBench({ allocators: ALLOCATOR_NAMES, lifetime: 'fifo', sizes: await loadSizeSource('mix'), seed: 1, live: 10_000, ops: 100_000 });
  for (const row of latency.rows) {
    add(`fifo 10k live: ${row.allocator} alloc p50`, 'ns', row.alloc.p50);
    add(`fifo 10k live: ${row.allocator} alloc p99`, 'ns', row.alloc.p99);
    add(`fifo 10k live: ${row.allocator} free p50`, 'ns', row.free.p50);
  }

  const shared = process.env.IOVASIM_SHARED ?? join(process.cwd(), '..', 'shared');
  const replays = [];
  for (const name of REPLAY_TRACES) {
    const tracePath = join(shared, 'conformance', '7.0', `${name}.trace`);
    if (!existsSync(tracePath)) continue;
    const timing = timeTrace(readFileSync(tracePath), tracePath, kernelProfile('7.0'), REPLAY_RUNS);
    replays.push({ trace: `${name} (7.0)`, ...timing });
    add(`${name} (7.0): parse`, 'CPU ns/op', timing.parse.cpuNsPerOp);
    add(`${name} (7.0): replay`, 'CPU ns/op', timing.replay.cpuNsPerOp);
    add(`${name} (7.0): replay wall`, 'wall ns/op', timing.replay.wallNsPerOp);
  }

  const report = {
    date: new Date().toISOString(),
    runs: RUNS,
    node: process.version,
    baseline: baseline?.measured ?? null,
    figures,
    engine,
    allocators: allocators.rows,
    latency,
    replay: replays,
  };
  await writeAtomically(jsonPath, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`iovasim bench (${process.version}; medians of ${RUNS} runs after a warm-up, replay of ${REPLAY_RUNS})\n`);
  process.stdout.write(
    baseline === null
      ? 'previous release: none (bench/baseline.json missing), so no ratios\n\n'
      : `previous release: from bench/baseline.json, not measured in this run; measured ${baseline.measured}\n\n`,
  );
  const number = (x: number): string => (x >= 1e5 ? formatRate(x) : x.toFixed(x < 100 ? 1 : 0));
  process.stdout.write(
    formatTable(
      ['figure', 'unit', 'this run', 'previous release (baseline.json)', 'ratio this/previous', ''],
      figures.map((f) => [
        f.key,
        f.unit,
        number(f.value),
        f.baseline === null ? '-' : number(f.baseline),
        f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
        f.ratio === null ? '' : (f.higherIsBetter ? f.ratio > 1 : f.ratio < 1) ? 'better' : 'worse',
      ]),
    ),
  );
  process.stdout.write(`\nJSON: ${jsonPath}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
