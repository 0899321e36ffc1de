// Scaling a parameter goes through the scenario loader: the field changes, whole-number fields stay
// whole, jobs.X changes every job, and a bad path is an error.
import { describe, expect, it } from 'vitest';
import { SAS_128CPU } from '../../src/sim/presets.js';
import { readAssumptions } from '../../src/validate/assumptions.js';
import { readExperiments } from '../../src/validate/experiment.js';
import { defaultParameters, scaleParameter } from '../../src/validate/sensitivity.js';

describe('scaleParameter', () => {
  it('multiplies the field and nothing else', () => {
    const link = scaleParameter(SAS_128CPU, 'link_mbps', 2);
    expect(link.linkMBps).toBe(14_000);
    expect({ ...link, linkMBps: SAS_128CPU.linkMBps }).toEqual(SAS_128CPU);
    expect(scaleParameter(SAS_128CPU, 'costs.tree_step_ns', 0.5).costs.treeStepNs).toBe(17.5);
    expect(scaleParameter(SAS_128CPU, 'disks.latency_us', 0.5).disks.latencyUs).toBe(30);
  });

  it('keeps whole-number fields whole and scales every job', () => {
    expect(scaleParameter({ ...SAS_128CPU, host: { ...SAS_128CPU.host, queueDepth: 31 } }, 'host.queue_depth', 0.5).host.queueDepth).toBe(16);
    const threads = scaleParameter(SAS_128CPU, 'jobs.numjobs', 0.5);
    expect(threads.jobs.map((j) => j.numjobs)).toEqual([64]);
    expect(threads.jobs[0].cpus).toEqual(SAS_128CPU.jobs[0].cpus);
    expect(scaleParameter(SAS_128CPU, 'jobs.numjobs', 2).jobs[0].numjobs).toBe(256);
    expect(scaleParameter({ ...SAS_128CPU, ageingMaps: 0 }, 'ageing_maps', 2).ageingMaps).toBe(0);
  });

  it('refuses a path that is not a number of the scenario', () => {
    expect(() => scaleParameter(SAS_128CPU, 'kernel', 2)).toThrow(/kernel: not a number/);
  });

  it('varies by default the assumptions marked vary and the calibrated constant', () => {
    const parameters = defaultParameters(readExperiments(), readAssumptions());
    expect(parameters).toEqual(expect.arrayContaining(['link_mbps', 'host.queue_depth', 'jobs.numjobs', 'ageing_maps', 'costs.tree_step_ns', 'costs.submit_ns']));
    expect(parameters).not.toContain('costs.merge_ns');
  });
});
