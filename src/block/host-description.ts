/**
 * A described storage host: the SCSI host template (or NVMe controller), the IOMMU in front of it,
 * the DMA device, the disk and the platform — everything the probe path in ./probe.ts needs to
 * derive the queue limits and the DMA mapping sizes. Presets live in ./presets.ts; YAML files are
 * read by ./host-yaml.ts.
 */
import type { FlushQueueKind } from '../dma/flush-queue.js';
import type { Invalidation, IommuMode, ReservedRegion } from '../dma/iommu-dma-domain.js';
import type { SwiotlbState } from '../dma/mapping-size.js';
import type { SacMode } from '../dma/sac.js';
import type { AtaQuirk } from './libata.js';
import type { CapVariant, HostTransport } from './scsi-host.js';

export type DiskType = 'sas' | 'sata' | 'nvme';
export const DISK_TYPES: readonly DiskType[] = ['sas', 'sata', 'nvme'];

/** `nvme` is an NVMe controller: no SCSI template, its driver sets the limits. */
export type HostKind = HostTransport | 'nvme';
export const HOST_KINDS: readonly HostKind[] = ['sas', 'ata', 'scsi', 'nvme'];

export interface HostDesc {
  readonly name: string;
  readonly transport: HostKind;
  /** Template max_sectors; absent = the midlayer's default (and libata's template rule). */
  readonly maxSectors?: number;
  readonly sgTablesize: number;
  readonly maxSegmentSize?: number;
  readonly dmaBoundary?: bigint;
  readonly virtBoundaryMask?: number;
  readonly canQueue: number;
  readonly nrHwQueues: number;
}

export interface IommuDesc {
  readonly mode: IommuMode;
  readonly invalidation: Invalidation;
  readonly granule: number;
  readonly pageSize: number;
  readonly cpus: number;
  readonly flushQueue: FlushQueueKind;
  /** Absent = what the kernel version does without iommu.forcedac. */
  readonly sac?: SacMode;
  /** domain->geometry.aperture_end = 2^bits - 1 (forced aperture). */
  readonly apertureBits: number;
  readonly reserved: readonly ReservedRegion[];
}

export interface DeviceDesc {
  readonly name: string;
  readonly dmaMaskBits: number;
  readonly pci: boolean;
  readonly trusted: boolean;
  readonly minAlignMask: number;
}

export interface DiskDesc {
  readonly type: DiskType;
  /** SATA: ATA_DFLAG_LBA48. */
  readonly lba48: boolean;
  readonly atapi: boolean;
  readonly quirks: readonly AtaQuirk[];
  readonly logicalBlockSize: number;
  readonly physicalBlockSize: number;
  readonly use16ForRw: boolean;
  /** Block Limits VPD (SCSI/SATA), in logical blocks; 0 = not reported. */
  readonly maxXferBlocks: number;
  readonly optXferBlocks: number;
  /** NVMe Identify Controller MDTS; 0 = no limit. */
  readonly mdts: number;
}

export interface PlatformDesc {
  readonly swiotlb: SwiotlbState;
  /** Bits of the highest RAM address. */
  readonly maxPhysBits: number;
}

export interface HostDescription {
  readonly name: string;
  readonly summary: string;
  /** Kernel version the description defaults to. */
  readonly kernel?: string;
  readonly cap?: CapVariant;
  readonly host: HostDesc;
  readonly iommu: IommuDesc;
  readonly device: DeviceDesc;
  readonly disk: DiskDesc;
  readonly platform: PlatformDesc;
}

export type DescriptionPatch = {
  name?: string;
  summary?: string;
  kernel?: string;
  cap?: CapVariant;
  host?: Partial<HostDesc>;
  iommu?: Partial<IommuDesc>;
  device?: Partial<DeviceDesc>;
  disk?: Partial<DiskDesc>;
  platform?: Partial<PlatformDesc>;
};

/** The base with each section's given fields replaced. */
export function patchDescription(base: HostDescription, patch: DescriptionPatch): HostDescription {
  return {
    name: patch.name ?? base.name,
    summary: patch.summary ?? base.summary,
    kernel: patch.kernel ?? base.kernel,
    cap: patch.cap ?? base.cap,
    host: { ...base.host, ...patch.host },
    iommu: { ...base.iommu, ...patch.iommu },
    device: { ...base.device, ...patch.device },
    disk: { ...base.disk, ...patch.disk },
    platform: { ...base.platform, ...patch.platform },
  };
}

/**
 * Checks that hold across sections; returns [field, problem] or null. (Single fields are checked by
 * the YAML reader and the CLI as they are read.)
 */
export function crossCheck(desc: HostDescription): [string, string] | null {
  const { host, disk, iommu } = desc;
  if ((disk.type === 'nvme') !== (host.transport === 'nvme')) {
    return ['disk.type', `a ${disk.type} disk cannot sit on a ${host.transport} host (nvme disks need an nvme host and the other way round)`];
  }
  if (disk.type === 'sas' && host.transport === 'ata') return ['disk.type', 'a libata (ata) host drives sata disks, not sas'];
  if (disk.type !== 'sata' && (disk.lba48 || disk.atapi || disk.quirks.length > 0)) {
    const field = disk.lba48 ? 'disk.lba48' : disk.atapi ? 'disk.atapi' : 'disk.quirks';
    return [field, `only applies to sata disks, not ${disk.type}`];
  }
  if (disk.physicalBlockSize < disk.logicalBlockSize) return ['disk.physical_block_size', `must be at least the logical block size (${disk.logicalBlockSize})`];
  if (iommu.granule > iommu.pageSize) return ['iommu.granule', `must not exceed the page size (${iommu.pageSize})`];
  return null;
}
