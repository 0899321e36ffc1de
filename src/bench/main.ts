/**
 * `npm run bench`: how fast the engine, the allocators and the golden-trace replay run on this
 * machine. Medians of several runs after a warm-up, measured side by side in one process; printed as
 * a table, and as JSON with --json (also written atomically to .bench-out/bench.json).
 * Never part of the tests: wall time on a shared machine is not a pass/fail criterion.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ALLOCATOR_NAMES } from '../allocators/registry.js';
import { kernelProfile } from '../allocators/kernel-version.js';
import { timeTrace } from './replay-bench.js';
import { formatRate, formatTable } from '../report/table.js';
import { createSimAllocator } from '../sim/allocators.js';
import { simulate } from '../sim/engine.js';
import { SAS_128CPU } from '../sim/presets.js';
import { median } from '../stats/summary.js';
import { runAllocBench } from './alloc-bench.js';

const RUNS = 5;

interface EngineBench {
  readonly variant: string;
  readonly simulatedIos: number;
  readonly medianWallMs: number;
  readonly iosPerSecond: number;
}

function benchEngine(variant: string, cap: 'none' | 'seed'): EngineBench {
  // No ageing and a 1 ms warm-up: nearly every simulated I/O is counted, and none is skipped time.
  const scenario = { ...SAS_128CPU, name: variant, ageingMaps: 0, warmupMs: 1, durationMs: 300, host: { ...SAS_128CPU.host, cap } };
  simulate(scenario, createSimAllocator);
  const walls: number[] = [];
  let ios = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    ios = simulate(scenario, createSimAllocator).ios;
    walls.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const medianWallMs = median(walls);
  return { variant, simulatedIos: ios, medianWallMs, iosPerSecond: ios / (medianWallMs / 1e3) };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const engine = [benchEngine('sas-128cpu, cap none (large mappings)', 'none'), benchEngine('sas-128cpu, cap seed (cacheable)', 'seed')];
  const allocators = runAllocBench({ allocators: ALLOCATOR_NAMES, pattern: 'churn', seed: 1, runs: RUNS });
  const shared = process.env.IOVASIM_SHARED ?? join(process.cwd(), '..', 'shared');
  const tracePath = join(shared, 'conformance', '7.0', 't28_dma_large.trace');
  const replay = existsSync(tracePath) ? timeTrace(readFileSync(tracePath), tracePath, kernelProfile('7.0'), 11) : null;

  const report = { runs: RUNS, node: process.version, engine, allocators: allocators.rows, replay: replay && { trace: 't28_dma_large (7.0)', ...replay } };
  await mkdir('.bench-out', { recursive: true });
  await writeFile('.bench-out/bench.json.tmp', JSON.stringify(report, null, 2) + '\n');
  await rename('.bench-out/bench.json.tmp', '.bench-out/bench.json');
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  process.stdout.write(`iovasim bench (${process.version}, medians of ${RUNS} runs after a warm-up)\n\nsimulator engine:\n`);
  process.stdout.write(formatTable(['scenario', 'simulated I/Os', 'wall ms', 'I/Os per second'], engine.map((e) => [e.variant, String(e.simulatedIos), e.medianWallMs.toFixed(0), formatRate(e.iosPerSecond)])));
  process.stdout.write('\nallocators, churn pattern (see docs/allocators.md for the others):\n');
  process.stdout.write(
    formatTable(
      ['allocator', 'ns/op', 'vs linux', 'steps/op'],
      allocators.rows.map((r) => [r.allocator, r.nsPerOp.toFixed(0), r.speedupVsLinux === null ? '-' : `${r.speedupVsLinux.toFixed(2)}x`, r.stepsPerOp.toFixed(1)]),
    ),
  );
  if (replay !== null) {
    process.stdout.write(`\ngolden replay t28_dma_large (7.0): ${replay.ops} ops, ${replay.replay.medianWallMs.toFixed(1)} ms, ${replay.replay.wallNsPerOp.toFixed(0)} ns/op, ${formatRate(replay.opsPerSecond)} ops/s\n`);
  }
  process.stdout.write('\nJSON: .bench-out/bench.json\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
