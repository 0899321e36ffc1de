/**
 * What changed in drivers/iommu/iova.c between the kernels iovasim models, as switches.
 * Golden traces prove 5.19 and 7.0 (see ../shared/conformance/README.md); other versions follow
 * from the same switches.
 */
export interface KernelProfile {
  /** Version text as given, e.g. "5.19". */
  readonly version: string;
  /** IOVA_MAG_SIZE: 128 until 6.0, then 127 ("change IOVA_MAG_SIZE to 127 to save memory"). */
  readonly magazineSize: number;
  /**
   * The retry pass of __alloc_and_insert_iova_range() (4e89dce72521, 5.11; started from
   * iova_find_limit() since 5.13). `false` models the pass reverted, the what-if of the 2021 thread.
   */
  readonly retryPass: boolean;
  /** Before dcdb3ba7e2a8 (6.2): retry_pfn = cached.pfn_hi + 1, which wraps to 0 at the anchor. */
  readonly retryOverflowBug: boolean;
  /** Depot per size class: a 32-slot array until 6.7, then an unbounded list with a trimmer. */
  readonly depot: 'array' | 'list';
}

export const MAX_GLOBAL_MAGS = 32;

const FIRST_SUPPORTED: [number, number] = [5, 13];

export class KernelVersionError extends Error {}

function parseVersion(text: string): [number, number] {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new KernelVersionError(`kernel version "${text}" is not of the form MAJOR.MINOR (e.g. 5.19, 7.0)`);
  return [Number(match[1]), Number(match[2])];
}

function atLeast(v: [number, number], major: number, minor: number): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** The switches for a mainline kernel version from 5.13 (when iova_find_limit() appeared) on. */
export function kernelProfile(versionText: string, overrides: Partial<Omit<KernelProfile, 'version'>> = {}): KernelProfile {
  const v = parseVersion(versionText);
  if (!atLeast(v, FIRST_SUPPORTED[0], FIRST_SUPPORTED[1])) {
    throw new KernelVersionError(`kernel version ${versionText} is older than the first modelled (5.13)`);
  }
  return {
    version: versionText.trim(),
    magazineSize: atLeast(v, 6, 0) ? 127 : 128,
    retryPass: true,
    retryOverflowBug: !atLeast(v, 6, 2),
    depot: atLeast(v, 6, 7) ? 'list' : 'array',
    ...overrides,
  };
}
