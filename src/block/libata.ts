/**
 * How libata sizes requests for an ATA device, on a libata host (AHCI) or behind a SAS HBA (libsas
 * calls the same ata_scsi_dev_config()).
 *
 * Kernel: drivers/ata/libata-core.c ata_dev_configure(): dev->max_sectors = ATA_MAX_SECTORS (256);
 * LBA48 devices ATA_MAX_SECTORS_LBA48 (65535); a PATA drive behind a SATA bridge (ata_dev_knobble())
 * back to 256; ATAPI tapes ATA_MAX_SECTORS_TAPE (65535); quirks ATA_HORKAGE_MAX_SEC_128 (min with
 * 128), MAX_SEC_1024 (min with 1024), MAX_SEC_LBA48 (= 65535).
 * drivers/ata/libata-scsi.c ata_scsi_dev_config(): from 0568e6122574 (in the posted series and in
 * 6.0) dev->max_sectors = min(dev->max_sectors, shost->max_sectors) first; then
 * blk_queue_max_hw_sectors(q, dev->max_sectors) — which REPLACES the max_hw_sectors
 * __scsi_init_queue() set from the host, so before that commit an LBA48 disk got 65535 sectors
 * (max_hw_sectors_kb 32767) whatever the host said. ATAPI devices lose one segment to the drain buffer.
 */
import type { CapVariant, ScsiHost } from './scsi-host.js';
import { blkQueueMaxHwSectors, blkQueueMaxSegments, type QueueLimits } from './queue-limits.js';

export const ATA_MAX_SECTORS_128 = 128;
export const ATA_MAX_SECTORS = 256;
export const ATA_MAX_SECTORS_1024 = 1024;
export const ATA_MAX_SECTORS_LBA48 = 65535;
export const ATA_MAX_SECTORS_TAPE = 65535;

export type AtaQuirk = 'max_sec_128' | 'max_sec_1024' | 'max_sec_lba48';
export const ATA_QUIRKS: readonly AtaQuirk[] = ['max_sec_128', 'max_sec_1024', 'max_sec_lba48'];

export interface AtaDeviceDesc {
  /** ATA_DFLAG_LBA48. */
  readonly lba48: boolean;
  /** ATA_DEV_ATAPI (a packet device); with `tape`, an ATAPI tape. */
  readonly atapi?: boolean;
  readonly tape?: boolean;
  /** ata_dev_knobble(): a PATA device behind a SATA bridge. */
  readonly bridgeLimited?: boolean;
  readonly quirks?: readonly AtaQuirk[];
}

/** ata_dev_configure(): the device's own max_sectors. */
export function ataDevConfigureMaxSectors(dev: AtaDeviceDesc): number {
  let maxSectors = dev.lba48 ? ATA_MAX_SECTORS_LBA48 : ATA_MAX_SECTORS;
  if (dev.bridgeLimited) maxSectors = ATA_MAX_SECTORS;
  if (dev.atapi && dev.tape) maxSectors = ATA_MAX_SECTORS_TAPE;
  const quirks = dev.quirks ?? [];
  if (quirks.includes('max_sec_128')) maxSectors = Math.min(ATA_MAX_SECTORS_128, maxSectors);
  if (quirks.includes('max_sec_1024')) maxSectors = Math.min(ATA_MAX_SECTORS_1024, maxSectors);
  if (quirks.includes('max_sec_lba48')) maxSectors = ATA_MAX_SECTORS_LBA48;
  return maxSectors;
}

/**
 * ata_scsi_dev_config(): the host clamp (`seed` and `merged`) and blk_queue_max_hw_sectors(). Returns
 * the device's final max_sectors.
 */
export function ataScsiDevConfig(
  dev: AtaDeviceDesc,
  host: ScsiHost,
  lim: QueueLimits,
  variant: CapVariant,
  pageSize: number,
  defMaxSectors: number,
): number {
  let maxSectors = ataDevConfigureMaxSectors(dev);
  if (variant !== 'none') maxSectors = Math.min(maxSectors, host.maxSectors);
  blkQueueMaxHwSectors(lim, maxSectors, pageSize, defMaxSectors);
  if (dev.atapi) blkQueueMaxSegments(lim, lim.maxSegments - 1);
  return maxSectors;
}
