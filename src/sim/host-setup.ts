/**
 * The probed host of a scenario, as the engine derives it: the scenario's host preset with its
 * overrides and IOMMU settings, probed for the scenario's kernel and cap variant. For tools that
 * need the same queue limits and DMA device outside a simulation run (trace replay).
 */
import { patchDescription } from '../block/host-description.js';
import { PRESETS as HOST_PRESETS } from '../block/presets.js';
import { probeHost, type HostSetup } from '../block/probe.js';
import type { Scenario } from './scenario.js';

export function scenarioHostSetup(scenario: Scenario): HostSetup {
  const host = scenario.host;
  const description = patchDescription(HOST_PRESETS[host.preset], {
    host: {
      ...(host.maxSectors === undefined ? {} : { maxSectors: host.maxSectors }),
      ...(host.sgTablesize === undefined ? {} : { sgTablesize: host.sgTablesize }),
      ...(host.canQueue === undefined ? {} : { canQueue: host.canQueue }),
      ...(host.nrHwQueues === undefined ? {} : { nrHwQueues: host.nrHwQueues }),
    },
    iommu: { mode: scenario.iommu.mode, invalidation: scenario.iommu.invalidation, cpus: scenario.cpus, ...(scenario.iommu.sac === undefined ? {} : { sac: scenario.iommu.sac }) },
  });
  return probeHost(description, { kernel: scenario.kernel, cap: host.cap, rcacheClasses: scenario.iommu.rcacheClasses });
}

/** The largest request the block layer builds for this host (max_sectors × 512), in bytes. */
export function maxRequestBytes(scenario: Scenario): number {
  return scenarioHostSetup(scenario).limits.maxSectors * 512;
}
