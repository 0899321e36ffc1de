/**
 * The PCI "SAC" trick: iommu_dma_alloc_iova() first tries an IOVA below 4 GiB for PCI devices whose
 * DMA limit is above 32 bits, and only then the full range.
 *
 * Kernel: drivers/iommu/dma-iommu.c iommu_dma_alloc_iova().
 * - `always` (5.13 .. 6.5; @ 6d9870b7e5de for 5.19): every allocation of a PCI device tries 32 bits
 *   first unless the boot option iommu.forcedac=1 is set. The 32-bit attempt never flushes the rcaches.
 * - `sticky` (6.6+, 791c2b17fb40 "iommu: Optimise PCI SAC address trick"; read @ afc5aa46ed56):
 *   dev->iommu->pci_32bit_workaround starts as !iommu_dma_forcedac for PCI devices; the first failed
 *   32-bit attempt clears it for that device forever and prints
 *   `dev_notice(dev, "Using %d-bit DMA addresses\n", bits_per(dma_limit))`.
 * - `forcedac` (iommu.forcedac=1, 5.13+): never tries 32 bits.
 */
import type { DmaDevice } from './device.js';
import type { DmaKernelFeatures } from './kernel-features.js';

export type SacMode = 'always' | 'sticky' | 'forcedac';

export const SAC_MODES: readonly SacMode[] = ['always', 'sticky', 'forcedac'];

/** What a kernel does without iommu.forcedac: `sticky` from 6.6, `always` before. */
export function defaultSacMode(features: DmaKernelFeatures): SacMode {
  return features.sacSticky ? 'sticky' : 'always';
}

/** At attach: the 6.6+ per-device flag starts as dev_is_pci(dev) && !iommu_dma_forcedac. */
export function sacAttach(mode: SacMode, dev: DmaDevice): void {
  dev.pci32bitWorkaround = mode === 'sticky' && dev.isPci;
}

/** Whether this allocation tries the 32-bit range first (limitAbove32: dma_limit > DMA_BIT_MASK(32)). */
export function sacTry32(mode: SacMode, dev: DmaDevice, limitAbove32: boolean): boolean {
  if (!limitAbove32) return false;
  if (mode === 'always') return dev.isPci;
  if (mode === 'sticky') return dev.pci32bitWorkaround;
  return false;
}

/** After a failed 32-bit attempt: `sticky` clears the device's flag for good and prints the notice. */
export function sacFailed(mode: SacMode, dev: DmaDevice, limitBits: number): void {
  if (mode !== 'sticky') return;
  dev.pci32bitWorkaround = false;
  dev.notices.push(`${dev.name}: Using ${limitBits}-bit DMA addresses`);
}
