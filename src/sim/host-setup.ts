/**
 * The probed host of a scenario, as the engine derives it: the scenario's host preset with its
 * overrides and IOMMU settings, probed for the scenario's kernel and cap variant. For tools that
 * need the same queue limits and DMA device outside a simulation run (trace replay).
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import { ALLOCATOR_NAMES, createAllocator, defaultEndPfn, isAllocatorName } from '../allocators/registry.js';
import { patchDescription } from '../block/host-description.js';
import { PRESETS as HOST_PRESETS } from '../block/presets.js';
import { probeHost, type HostSetup } from '../block/probe.js';
import type { AllocatorFactoryArgs } from '../dma/iommu-dma-domain.js';
import { ScenarioError, type Scenario } from './scenario.js';

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
  const setup = probeHost(description, { kernel: scenario.kernel, cap: host.cap, rcacheClasses: scenario.iommu.rcacheClasses });
  if (scenario.depot === undefined) return setup;
  // The depot knob: the kernel's iova.c with another MAX_GLOBAL_MAGS, or with 6.7's depot list
  // (911aa1245da8) as a what-if on an older kernel; every other switch stays the kernel's.
  const base = setup.features.profile;
  const profile = scenario.depot === 'list' ? { ...base, depot: 'list' as const } : { ...base, depot: 'array' as const, depotSlots: scenario.depot };
  return { ...setup, features: { ...setup.features, profile } };
}

/** The largest request the block layer builds for this host (max_sectors × 512), in bytes. */
export function maxRequestBytes(scenario: Scenario): number {
  return scenarioHostSetup(scenario).limits.maxSectors * 512;
}

/**
 * The scenario's allocator for its IOMMU domain, built by the registry with the domain's granule,
 * start pfn and kernel profile, and the scenario's retry-pass switch.
 */
export function scenarioAllocator(scenario: Scenario): (args: AllocatorFactoryArgs) => IovaAllocator<number> {
  const name = scenario.allocator;
  if (!isAllocatorName(name)) throw new ScenarioError(`scenario "${scenario.name}": allocator: must be one of ${ALLOCATOR_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  return (args) =>
    createAllocator(name, { granule: args.granule, startPfn: args.startPfn, endPfn: defaultEndPfn(args.granule), profile: args.profile, retryPass: scenario.iommu.retryPass });
}
