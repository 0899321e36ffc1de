/**
 * Host drivers' own slave_configure hooks: what a low-level driver does to a disk's queue after the
 * transport (libsas, libata's ata_scsi_dev_config()) configured it and before sd_revalidate_disk().
 * A hook is keyed by the host template's name and applies in the kernels the table of changes
 * (../kernel/changes.ts) gives it, through a DmaKernelFeatures switch; a driver without a hook here
 * keeps what the midlayer set.
 *
 * - hisi_sas v3 (drivers/scsi/hisi_sas/hisi_sas_v3_hw.c slave_configure_v3_hw(), fce54ed02757,
 *   5.19 and 6.0; reverted by 245050af5d15 in 6.1): max_hw_sectors = min(max_hw_sectors,
 *   (PAGE_SIZE * 32) >> SECTOR_SHIFT) "according to IOMMU IOVA caching limit", whatever the IOMMU
 *   mode, for SAS and SATA disks alike (SATA after libata's own limit). blk_queue_max_hw_sectors()
 *   then pulls max_sectors down with it, so a 5.19/6.0 Kunpeng host shows 128/128 KiB.
 */
import type { DmaKernelFeatures } from '../dma/kernel-features.js';
import { blkQueueMaxHwSectors, SECTOR_SIZE, type QueueLimits } from './queue-limits.js';

export interface SlaveConfigureHook {
  /** struct scsi_host_template .name of the driver. */
  readonly template: string;
  /** The kernels that have the hook. */
  readonly applies: (features: DmaKernelFeatures) => boolean;
  /** Changes the limits; returns the trail line. */
  readonly configure: (lim: QueueLimits, pageSize: number, features: DmaKernelFeatures) => string;
}

export const SLAVE_CONFIGURE_HOOKS: readonly SlaveConfigureHook[] = [
  {
    template: 'hisi_sas_v3_hw',
    applies: (features) => features.hisiSasV3HwSectorsCap,
    configure: (lim, pageSize, features) => {
      const cap = (pageSize * 32) / SECTOR_SIZE;
      const maxHw = Math.min(lim.maxHwSectors, cap);
      blkQueueMaxHwSectors(lim, maxHw, pageSize, features.blkDefMaxSectors);
      return `slave_configure_v3_hw (fce54ed02757, until 6.1): max_hw_sectors = min(max_hw_sectors, (PAGE_SIZE * 32) >> 9 = ${cap}) = ${lim.maxHwSectors}`;
    },
  },
];

/** Runs the driver's hook if it has one in this kernel; returns its trail line or null. */
export function driverSlaveConfigure(template: string, lim: QueueLimits, pageSize: number, features: DmaKernelFeatures): string | null {
  for (const hook of SLAVE_CONFIGURE_HOOKS) {
    if (hook.template === template && hook.applies(features)) return hook.configure(lim, pageSize, features);
  }
  return null;
}
