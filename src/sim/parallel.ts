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
import type { Scenario } from './scenario.js';

export interface ParallelOptions {
  readonly workers?: number;
  /** Called as each scenario finishes (index into the input). */
  readonly onResult?: (index: number, result: SimulationResult) => void;
}

const workerUrl = new URL('./worker.js', import.meta.url);

export async function simulateAll(scenarios: readonly Scenario[], options: ParallelOptions = {}): Promise<SimulationResult[]> {
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), scenarios.length));
  const results: SimulationResult[] = new Array<SimulationResult>(scenarios.length);
  if (workers === 1 || !existsSync(fileURLToPath(workerUrl))) {
    scenarios.forEach((scenario, index) => {
      results[index] = simulate(scenario);
      options.onResult?.(index, results[index]);
    });
    return results;
  }
  const pool = new Piscina<Scenario, SimulationResult>({ filename: workerUrl.href, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  try {
    await Promise.all(
      scenarios.map(async (scenario, index) => {
        results[index] = await pool.run(scenario);
        options.onResult?.(index, results[index]);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return results;
}
