// Worker-thread entry for simulateAll(): simulates each scenario it is sent and posts the result.
import { parentPort } from 'node:worker_threads';
import { simulate } from './engine.js';
import type { Scenario } from './scenario.js';

parentPort?.on('message', (scenario: Scenario) => {
  try {
    parentPort?.postMessage({ result: simulate(scenario) });
  } catch (error) {
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
