// Worker-thread task for simulateAll() (a piscina pool): simulates one scenario, returns its result.
import { simulate, type SimulationResult } from './engine.js';
import type { Scenario } from './scenario.js';

export default function simulateScenario(scenario: Scenario): SimulationResult {
  return simulate(scenario);
}
