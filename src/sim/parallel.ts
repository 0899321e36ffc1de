/**
 * Runs independent scenarios on worker threads (one per core by default). Each simulation is
 * deterministic on its own, so results do not depend on which worker ran what.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SimulationResult } from './engine.js';
import type { Scenario } from './scenario.js';
import { simulate } from './engine.js';

export interface ParallelOptions {
  readonly workers?: number;
  /** Called as each scenario finishes (index into the input). */
  readonly onResult?: (index: number, result: SimulationResult) => void;
}

const workerUrl = new URL('./worker.js', import.meta.url);

export async function simulateAll(scenarios: readonly Scenario[], options: ParallelOptions = {}): Promise<SimulationResult[]> {
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), scenarios.length));
  const results: SimulationResult[] = new Array<SimulationResult>(scenarios.length);
  // Run from TypeScript source (vitest, vite-node) there is no worker.js beside this file: simulate here.
  if (workers === 1 || !existsSync(fileURLToPath(workerUrl))) {
    scenarios.forEach((scenario, index) => {
      results[index] = simulate(scenario);
      options.onResult?.(index, results[index]);
    });
    return results;
  }
  // In input order, so callers put the slowest scenarios first.
  const order = scenarios.map((_, i) => i);
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const worker = new Worker(workerUrl);
      try {
        while (next < order.length) {
          const index = order[next++];
          results[index] = await new Promise<SimulationResult>((resolve, reject) => {
            worker.once('message', (message: { result?: SimulationResult; error?: string }) => {
              if (message.error !== undefined) reject(new Error(message.error));
              else resolve(message.result as SimulationResult);
            });
            worker.once('error', reject);
            worker.postMessage(scenarios[index]);
          });
          options.onResult?.(index, results[index]);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results;
}
