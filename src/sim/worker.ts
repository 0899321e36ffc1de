// Worker-thread task for simulateAll() (a piscina pool): simulates one scenario, returns its result.
// A fio job file comes as data (FioWorkload) and its I/O sources are rebuilt here.
import { simulate, type SimulationResult } from './engine.js';
import { fioIoSources, type FioWorkload } from './fio-workload.js';
import type { Scenario } from './scenario.js';

export type SimulationTask = Scenario | { readonly scenario: Scenario; readonly fioWorkload: FioWorkload };

export default function simulateScenario(task: SimulationTask): SimulationResult {
  if ('fioWorkload' in task) return simulate(task.scenario, { ioSources: fioIoSources(task.fioWorkload) });
  return simulate(task);
}
