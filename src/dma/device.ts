/**
 * A device as the DMA API sees it (struct device + struct device_dma_parameters + the IOMMU's
 * per-device flags).
 *
 * Kernel: include/linux/dma-mapping.h (dma_get_mask(), dma_get_seg_boundary(),
 * dma_get_max_seg_size()), kernel/dma/mapping.c, drivers/pci/probe.c pci_setup_device() (PCI
 * devices start with max_segment_size 64 KiB and a 4 GiB segment boundary), drivers/iommu/
 * dma-iommu.c (dev_is_untrusted(), dev->iommu->pci_32bit_workaround from 6.6). Masks are u64 in the
 * kernel; they are bigint here and turned into number pfn limits once, when a domain attaches the
 * device, so the mapping hot path never touches a bigint.
 */

/** DMA_BIT_MASK(n): the all-ones mask of n bits (n = 64 gives ~0ULL). */
export function dmaBitMask(bits: number): bigint {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new RangeError(`DMA mask of ${bits} bits: must be 1..64`);
  return (1n << BigInt(bits)) - 1n;
}

/** bits_per(n): the number of bits needed to hold n (1 for 0). */
export function bitsPer(n: bigint): number {
  return n === 0n ? 1 : n.toString(2).length;
}

/** True when mask is 2^k - 1 for some k >= 1 (a valid DMA or segment-boundary mask). */
export function isLowMask(mask: bigint): boolean {
  return mask > 0n && (mask & (mask + 1n)) === 0n;
}

export interface DmaDeviceOptions {
  /** Name used in notices, e.g. "0000:74:02.0". */
  readonly name?: string;
  /** dma_set_mask(): streaming mask; default DMA_BIT_MASK(64). */
  readonly dmaMask?: bigint;
  /** dma_set_coherent_mask(): used by dma_alloc_*; default the streaming mask. */
  readonly coherentDmaMask?: bigint;
  /** dev->bus_dma_limit: 0 (default) means none. */
  readonly busDmaLimit?: bigint;
  /** dma_set_max_seg_size(); default 65536 (pci_setup_device()). */
  readonly maxSegmentSize?: number;
  /** dma_set_seg_boundary(); default 0xffffffff (pci_setup_device()). */
  readonly segBoundaryMask?: bigint;
  /** dev_is_pci(): the SAC trick applies only to PCI devices. Default true. */
  readonly pci?: boolean;
  /** pci_dev->untrusted is false. Untrusted devices bounce unaligned buffers and are always strict. */
  readonly trusted?: boolean;
  /** dma_get_min_align_mask() (NVMe sets NVME_CTRL_PAGE_SIZE - 1); default 0. */
  readonly minAlignMask?: number;
}

export class DmaDevice {
  readonly name: string;
  readonly dmaMask: bigint;
  readonly coherentDmaMask: bigint;
  readonly busDmaLimit: bigint;
  readonly maxSegmentSize: number;
  readonly segBoundaryMask: bigint;
  /** segBoundaryMask + 1 as a number (2^64 for the all-ones mask): the IOVA segment boundary size. */
  readonly segBoundarySize: number;
  readonly isPci: boolean;
  readonly untrusted: boolean;
  readonly minAlignMask: number;

  /**
   * dev->iommu->pci_32bit_workaround (6.6+): set when a domain attaches a PCI device (unless
   * iommu.forcedac), cleared for good by the first failed 32-bit attempt. Unused before 6.6.
   */
  pci32bitWorkaround = false;
  /** Kernel notices printed for this device ("Using 48-bit DMA addresses"). */
  readonly notices: string[] = [];

  /** Set by IommuDmaDomain.attach(): dma_limit >> shift for streaming and coherent mappings. */
  limitPfn = 0;
  coherentLimitPfn = 0;
  /** dma_limit > DMA_BIT_MASK(32) for the streaming / coherent limit. */
  limitAbove32 = false;
  coherentLimitAbove32 = false;
  /** bits_per(dma_limit), for the 6.6+ notice. */
  limitBits = 64;
  coherentLimitBits = 64;

  constructor(options: DmaDeviceOptions = {}) {
    this.name = options.name ?? 'dev';
    this.dmaMask = options.dmaMask ?? dmaBitMask(64);
    this.coherentDmaMask = options.coherentDmaMask ?? this.dmaMask;
    this.busDmaLimit = options.busDmaLimit ?? 0n;
    this.maxSegmentSize = options.maxSegmentSize ?? 65536;
    this.segBoundaryMask = options.segBoundaryMask ?? 0xffff_ffffn;
    this.isPci = options.pci ?? true;
    this.untrusted = options.trusted === false;
    this.minAlignMask = options.minAlignMask ?? 0;
    for (const [field, mask] of [
      ['dmaMask', this.dmaMask],
      ['coherentDmaMask', this.coherentDmaMask],
      ['segBoundaryMask', this.segBoundaryMask],
    ] as const) {
      if (!isLowMask(mask) || mask > dmaBitMask(64)) throw new RangeError(`${this.name}: ${field} 0x${mask.toString(16)} is not of the form 2^n - 1`);
    }
    if (!Number.isInteger(this.maxSegmentSize) || this.maxSegmentSize < 1 || this.maxSegmentSize > 0xffff_ffff) {
      throw new RangeError(`${this.name}: maxSegmentSize ${this.maxSegmentSize} must be 1..2^32-1`);
    }
    this.segBoundarySize = Number(this.segBoundaryMask + 1n);
  }

  /**
   * dma_addressing_limited(): min_not_zero(dma mask, bus_dma_limit) < dma_get_required_mask(), the
   * low mask that covers the highest RAM address.
   */
  addressingLimited(requiredMask: bigint): boolean {
    const limit = this.busDmaLimit !== 0n && this.busDmaLimit < this.dmaMask ? this.busDmaLimit : this.dmaMask;
    return limit < requiredMask;
  }
}
