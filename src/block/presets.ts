/**
 * Ready-made hosts. Template numbers are the drivers' own (sources in each entry); platform details
 * the drivers do not fix (CPU counts, PCI windows, can_queue reported by firmware) are typical values,
 * marked as examples.
 */
import { AMD_HT_REGION, X86_MSI_REGION, type ReservedRegion } from '../dma/iommu-dma-domain.js';
import type { DeviceDesc, DiskDesc, HostDescription, PlatformDesc } from './host-description.js';

const SAS_DISK: DiskDesc = {
  type: 'sas',
  lba48: false,
  atapi: false,
  quirks: [],
  logicalBlockSize: 512,
  physicalBlockSize: 512,
  use16ForRw: false,
  maxXferBlocks: 0,
  optXferBlocks: 0,
  mdts: 0,
};

/** An LBA48 SATA disk (any disk made since 2003). */
export const SATA_LBA48_DISK: DiskDesc = { ...SAS_DISK, type: 'sata', lba48: true };

const PLATFORM: PlatformDesc = { swiotlb: 'on', maxPhysBits: 40 };

const PCI_64: Omit<DeviceDesc, 'name'> = { dmaMaskBits: 64, pci: true, trusted: true, minAlignMask: 0 };

/** Example host-bridge MEM windows of an x86 desktop, reserved by iova_reserve_pci_windows(). */
const X86_PCI_WINDOWS: readonly ReservedRegion[] = [
  { start: 0x000a_0000, end: 0x000b_ffff, type: 'pci-window', name: 'legacy VGA window (example)' },
  { start: 0x8000_0000, end: 0xdfff_ffff, type: 'pci-window', name: '32-bit MMIO window (example)' },
  { start: 0xfc80_0000, end: 0xfe7f_ffff, type: 'pci-window', name: 'chipset MMIO window (example)' },
  { start: 0x40_0000_0000, end: 0x7f_ffff_ffff, type: 'pci-window', name: '64-bit MMIO window (example)' },
];

export const PRESETS: Readonly<Record<string, HostDescription>> = {
  'hisi_sas-smmuv3': {
    name: 'hisi_sas-smmuv3',
    summary: 'HiSilicon hisi_sas v3 SAS HBA (Kunpeng 920) behind an Arm SMMUv3, strict invalidation, SAS SSD',
    host: {
      // drivers/scsi/hisi_sas/hisi_sas_v3_hw.c sht_v3_hw: .max_sectors = SCSI_DEFAULT_MAX_SECTORS,
      // .sg_tablesize = HISI_SAS_SGE_PAGE_CNT (124); can_queue = HISI_SAS_UNRESERVED_IPTT (4096 - 96);
      // nr_hw_queues = the completion-queue vectors (16).
      name: 'hisi_sas_v3_hw',
      transport: 'sas',
      maxSectors: 1024,
      sgTablesize: 124,
      canQueue: 4000,
      nrHwQueues: 16,
    },
    iommu: {
      mode: 'translated',
      // arm64 defaults to IOMMU_DEFAULT_DMA_STRICT; SMMUv3's IOMMU_RESV_SW_MSI is not reserved.
      invalidation: 'strict',
      granule: 4096,
      pageSize: 4096,
      cpus: 128,
      flushQueue: 'percpu',
      apertureBits: 48,
      reserved: [],
    },
    device: { ...PCI_64, name: '0000:74:02.0' },
    disk: SAS_DISK,
    platform: PLATFORM,
  },
  'ahci-vtd': {
    name: 'ahci-vtd',
    summary: 'AHCI SATA controller behind Intel VT-d (lazy invalidation), LBA48 SATA disk',
    host: {
      // drivers/ata/ahci.h AHCI_SHT: __ATA_BASE_SHT (max_sectors: none until a357f7b4583e, then
      // ATA_MAX_SECTORS_LBA48), .can_queue = AHCI_MAX_CMDS (32), .sg_tablesize = AHCI_MAX_SG (168),
      // .dma_boundary = AHCI_DMA_BOUNDARY (0xffffffff).
      name: 'ahci',
      transport: 'ata',
      sgTablesize: 168,
      dmaBoundary: 0xffff_ffffn,
      canQueue: 32,
      nrHwQueues: 1,
    },
    iommu: {
      mode: 'translated',
      invalidation: 'lazy',
      granule: 4096,
      pageSize: 4096,
      cpus: 8,
      flushQueue: 'percpu',
      apertureBits: 48,
      reserved: [...X86_PCI_WINDOWS, X86_MSI_REGION],
    },
    device: { ...PCI_64, name: '0000:00:17.0' },
    disk: SATA_LBA48_DISK,
    platform: PLATFORM,
  },
  'mpt3sas-noiommu': {
    name: 'mpt3sas-noiommu',
    summary: 'Broadcom mpt3sas SAS HBA without an IOMMU (dma-direct), SAS disk',
    host: {
      // drivers/scsi/mpt3sas: shost->max_sectors = 32767 (MPT3SAS_MAX_SECTORS default), sg_tablesize =
      // MPT3SAS_SG_DEPTH (128); can_queue comes from the IOC's facts (example value).
      name: 'mpt3sas',
      transport: 'sas',
      maxSectors: 32767,
      sgTablesize: 128,
      canQueue: 4096,
      nrHwQueues: 1,
    },
    iommu: {
      mode: 'none',
      invalidation: 'strict',
      granule: 4096,
      pageSize: 4096,
      cpus: 32,
      flushQueue: 'percpu',
      apertureBits: 48,
      reserved: [],
    },
    device: { ...PCI_64, name: '0000:03:00.0' },
    disk: SAS_DISK,
    platform: PLATFORM,
  },
  'nvme-amdvi': {
    name: 'nvme-amdvi',
    summary: 'NVMe SSD (MDTS 4 MiB) behind AMD-Vi, lazy invalidation',
    host: {
      // NVMe: sg_tablesize is not read (the driver's NVME_MAX_SEGS comes from the kernel version:
      // 127 up to 6.2, 128 from 6.3, 256 from 6.17); queues and depth as a typical data-centre drive
      // reports (example).
      name: 'nvme',
      transport: 'nvme',
      sgTablesize: 127,
      canQueue: 1023,
      nrHwQueues: 64,
    },
    iommu: {
      mode: 'translated',
      invalidation: 'lazy',
      granule: 4096,
      pageSize: 4096,
      cpus: 64,
      flushQueue: 'percpu',
      apertureBits: 48,
      // amd_iommu_get_resv_regions(): the MSI window and the HyperTransport hole.
      reserved: [X86_MSI_REGION, AMD_HT_REGION],
    },
    // nvme_pci_enable(): 64-bit mask; dma_set_min_align_mask(NVME_CTRL_PAGE_SIZE - 1).
    device: { ...PCI_64, name: '0000:41:00.0', minAlignMask: 4095 },
    disk: { ...SAS_DISK, type: 'nvme', mdts: 10 },
    platform: PLATFORM,
  },
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

export function findPreset(name: string): HostDescription | undefined {
  return Object.prototype.hasOwnProperty.call(PRESETS, name) ? PRESETS[name] : undefined;
}
