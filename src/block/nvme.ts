/**
 * The NVMe PCI driver's request-size limits (NVMe is not SCSI: no host template and no cap variant;
 * the kernel version decides).
 *
 * Kernel: drivers/nvme/host/pci.c nvme_probe()/nvme_reset_work(): ctrl->max_hw_sectors =
 * min_t(u32, NVME_MAX_KB_SZ << 1, dma_max_mapping_size(dev) >> 9) — dma_opt_mapping_size() from 6.4
 * (3710e2b056cb, after soft lockups in fq_flush_timeout on a 448-core AMD server with MDTS 4 MiB);
 * ctrl->max_segments = NVME_MAX_SEGS; dma_set_max_seg_size(dev, 0xffffffff).
 * NVME_MAX_KB_SZ / NVME_MAX_SEGS: 4096 / 127 up to 6.2; 8192 / 128 from 6.3 (7846c1b5a5db); from the
 * 6.17 blk_rq_dma_map conversion (7ce3c1dd78fc, 16353f1b0e08) NVME_MAX_BYTE = 8 MiB and 256
 * segments. Only those limits of the 6.17 path are modelled, not its scatterlist-free mapping.
 * drivers/nvme/host/core.c: max_hw_sectors = min_not_zero(that, MDTS in sectors); nvme_set_queue_limits():
 * max_segments = min_not_zero(max_hw_sectors / (NVME_CTRL_PAGE_SIZE >> 9) + 1, ctrl->max_segments),
 * blk_queue_max_hw_sectors(), blk_queue_virt_boundary(NVME_CTRL_PAGE_SIZE - 1).
 * Not modelled: io_opt from the namespace's NOWS/NPWG (nvme_update_disk_info()); io_opt stays 0.
 */
import { bytesToSectorsU32 } from '../dma/mapping-size.js';
import type { DmaKernelFeatures } from '../dma/kernel-features.js';
import {
  blkQueueMaxHwSectors,
  blkQueueMaxSegments,
  blkQueueVirtBoundary,
  blkValidateMaxSectors,
  minNotZero,
  type QueueLimits,
} from './queue-limits.js';

/** NVME_MAX_KB_SZ and NVME_MAX_SEGS before 6.3 (later values: DmaKernelFeatures.nvmeMaxKb / nvmeMaxSegments). */
export const NVME_MAX_KB_SZ = 4096;
export const NVME_MAX_SEGS = 127;
export const NVME_CTRL_PAGE_SIZE = 4096;

export interface NvmeControllerDesc {
  /** Identify Controller MDTS: a power of two in units of the minimum page size (4 KiB); 0 = no limit. */
  readonly mdts: number;
}

/** The queue limits of an NVMe namespace; returns the controller's max_hw_sectors. */
export function nvmeSetQueueLimits(
  lim: QueueLimits,
  ctrl: NvmeControllerDesc,
  sizes: { readonly max: number; readonly opt: number },
  features: DmaKernelFeatures,
  pageSize: number,
): { maxHwSectors: number; trail: string[] } {
  const trail: string[] = [];
  const bytes = features.nvmeOptCap ? sizes.opt : sizes.max;
  const maxKb = features.nvmeMaxKb;
  let maxHw = Math.min(maxKb << 1, bytesToSectorsU32(bytes));
  trail.push(`nvme_probe: min(NVME_MAX_KB_SZ << 1 = ${maxKb << 1}, ${features.nvmeOptCap ? 'dma_opt_mapping_size' : 'dma_max_mapping_size'} >> 9) = ${maxHw}`);
  if (ctrl.mdts !== 0) {
    const mdtsSectors = 2 ** (ctrl.mdts + 12 - 9);
    maxHw = minNotZero(maxHw, mdtsSectors);
    trail.push(`MDTS ${ctrl.mdts}: ${mdtsSectors} sectors -> max_hw_sectors ${maxHw}`);
  }
  const maxSegments = minNotZero(Math.floor(maxHw / (NVME_CTRL_PAGE_SIZE >> 9)) + 1, features.nvmeMaxSegments);
  blkQueueMaxHwSectors(lim, maxHw, pageSize, features.blkDefMaxSectors);
  blkQueueMaxSegments(lim, Math.min(maxSegments, 0xffff));
  blkQueueVirtBoundary(lim, NVME_CTRL_PAGE_SIZE - 1);
  if (features.ioOptMaxSectors) blkValidateMaxSectors(lim, features.blkDefMaxSectors, pageSize, features.ioOptPhysicalBlockRound);
  return { maxHwSectors: maxHw, trail };
}
