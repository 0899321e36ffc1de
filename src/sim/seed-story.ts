/**
 * The seed's story on the 128-CPU SAS host: one built-in scenario, varied the way the 2021-22 threads
 * varied the kernel, each simulated with the same cost constants. The published figures it is
 * compared with are experiments (experiments/*.yaml with `seed_story: true`, src/validate/).
 */
import { ALLOCATOR_NAMES } from '../allocators/registry.js';
import { SAS_128CPU } from './presets.js';
import type { Scenario } from './scenario.js';

export interface StoryVariant {
  readonly key: string;
  readonly label: string;
  readonly scenario: Scenario;
}

/** Every allocator of the registry but Linux's own. */
export const ALTERNATIVE_ALLOCATORS: readonly string[] = ALLOCATOR_NAMES.filter((name) => name !== 'linux');

function variant(key: string, label: string, change: (base: Scenario) => Scenario, base: Scenario): StoryVariant {
  return { key, label, scenario: { ...change(base), name: `${base.name}/${key}` } };
}

export function storyVariants(base: Scenario = SAS_128CPU, allocators: readonly string[] = ALTERNATIVE_ALLOCATORS): StoryVariant[] {
  const allSizes = 8; // orders 0..7: every request up to max_sectors (512 KiB) is cacheable
  return [
    variant('a', `${base.kernel}, strict, retry pass (4e89dce72521)`, (s) => s, base),
    variant('b', 'retry pass reverted', (s) => ({ ...s, iommu: { ...s.iommu, retryPass: false } }), base),
    variant('c', 'max_sectors capped by dma_opt_mapping_size (seed)', (s) => ({ ...s, host: { ...s.host, cap: 'seed' } }), base),
    variant('d', 'rcache covers every size (max_opt_dma_size)', (s) => ({ ...s, iommu: { ...s.iommu, rcacheClasses: allSizes } }), base),
    variant('e', 'lazy invalidation', (s) => ({ ...s, iommu: { ...s.iommu, invalidation: 'lazy' } }), base),
    variant('e2', 'lazy, rcache covers every size', (s) => ({ ...s, iommu: { ...s.iommu, invalidation: 'lazy', rcacheClasses: allSizes } }), base),
    ...allocators.map((name) => variant(`f-${name}`, `allocator: ${name}`, (s) => ({ ...s, allocator: name }), base)),
  ];
}
