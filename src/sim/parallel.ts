/**
 * Runs independent scenarios on worker threads (one per core by default), on the same piscina pool
 * the sweeps use (src/sweep/local.ts). Each simulation is deterministic on its own, so results do
 * not depend on which thread ran what.
 *
 * Scenarios are queued in input order and each thread takes the next when it finishes one, so
 * callers put the slowest scenarios first. Run from TypeScript source (vitest) there is no worker.js
 * beside this file, and a pool of one thread would only add a copy: both simulate in this thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { SimulationResult } from './engine.js';
import { simulate } from './engine.js';
import { fioIoSources, type FioWorkload } from './fio-workload.js';
import type { Scenario } from './scenario.js';
import type { SimulationTask } from './worker.js';

export interface ParallelOptions {
  readonly workers?: number;
  /**
   * A fio job file every scenario runs (each thread's I/O source, ./fio-workload.ts): sent to the
   * workers as data, where the sources are rebuilt, so results equal a run in this thread.
   */
  readonly fioWorkload?: FioWorkload;
  /** Called as each scenario finishes (index into the input). */
  readonly onResult?: (index: number, result: SimulationResult) => void;
}

const workerUrl = new URL('./worker.js', import.meta.url);

export async function simulateAll(scenarios: readonly Scenario[], options: ParallelOptions = {}): Promise<SimulationResult[]> {
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), scenarios.length));
  const results: SimulationResult[] = new Array<SimulationResult>(scenarios.length);
  if (workers === 1 || !existsSync(fileURLToPath(workerUrl))) {
    const ioSources = options.fioWorkload === undefined ? undefined : fioIoSources(options.fioWorkload);
    scenarios.forEach((scenario, index) => {
      results[index] = simulate(scenario, ioSources === undefined ? {} : { ioSources });
      options.onResult?.(index, results[index]);
    });
    return results;
  }
  const pool = new Piscina<SimulationTask, SimulationResult>({ filename: workerUrl.href, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  try {
    await Promise.all(
      scenarios.map(async (scenario, index) => {
        results[index] = await pool.run(options.fioWorkload === undefined ? scenario : { scenario, fioWorkload: options.fioWorkload });
        options.onResult?.(index, results[index]);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return results;
}
