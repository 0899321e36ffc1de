// Scenarios the simulator tests share.
import { SAS_128CPU } from '../../src/sim/presets.js';
import type { Scenario } from '../../src/sim/scenario.js';

/** A small host: quick to simulate, same mechanisms as the 128-CPU preset. */
export const SMALL_SCENARIO: Scenario = {
  ...SAS_128CPU,
  name: 'small',
  cpus: 8,
  durationMs: 30,
  warmupMs: 10,
  ageingMaps: 0,
  disks: { ...SAS_128CPU.disks, count: 2 },
  linkMBps: 2000,
  host: { ...SAS_128CPU.host, nrHwQueues: 4 },
  jobs: [{ ...SAS_128CPU.jobs[0], numjobs: 8, cpus: [0, 1, 2, 3, 4, 5, 6, 7] }],
};
