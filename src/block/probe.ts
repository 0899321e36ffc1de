/**
 * The probe path of a described host, in kernel order, ending with the queue limits the block layer
 * splits and merges by, the DMA device as the DMA API then sees it, and the mapping sizes.
 *
 * SCSI: scsi_host_alloc() -> scsi_add_host_with_dma() -> sas_host_setup() (SAS transport) ->
 * __scsi_init_queue() -> slave_configure (libata's ata_scsi_dev_config() for SATA disks, then the
 * host driver's own hook, ./slave-configure.ts) ->
 * sd_revalidate_disk(). NVMe: nvme_probe() + nvme_set_queue_limits().
 * The SCSI midlayer pushes its segment limits onto the DMA device (dma_set_seg_boundary(),
 * dma_set_max_seg_size()); NVMe sets max_seg_size to 0xffffffff. Those feed iommu_dma_map_sg().
 */
import { dmaBitMask, DmaDevice } from '../dma/device.js';
import { IommuDmaDomain, type AllocatorSource } from '../dma/iommu-dma-domain.js';
import { dmaKernelFeatures, type DmaKernelFeatures } from '../dma/kernel-features.js';
import { dmaMaxMappingSize, dmaOptMappingSize, type DmaPlatform } from '../dma/mapping-size.js';
import type { SimulatedClock } from '../rcache/delayed-work.js';
import { crossCheck, type HostDescription } from './host-description.js';
import { ataScsiDevConfig } from './libata.js';
import { nvmeSetQueueLimits } from './nvme.js';
import { blkQueueBlockSizes, defaultQueueLimits, type QueueLimits } from './queue-limits.js';
import { sasHostSetup, scsiAddHostWithDma, scsiHostAlloc, scsiInitQueue, type CapVariant, type ScsiHost } from './scsi-host.js';
import { sdRevalidateDisk } from './sd.js';
import { driverSlaveConfigure } from './slave-configure.js';

export const DEFAULT_KERNEL = '7.0';

export class ProbeError extends Error {}

export interface HostSetup {
  readonly description: HostDescription;
  readonly features: DmaKernelFeatures;
  readonly variant: CapVariant;
  /** The DMA device after probe (segment limits set by the driver stack). */
  readonly device: DmaDevice;
  readonly platform: DmaPlatform;
  /** dma_max_mapping_size() and dma_opt_mapping_size() of the device. */
  readonly dmaMax: number;
  readonly dmaOpt: number;
  /** Null for NVMe. */
  readonly host: ScsiHost | null;
  /** SATA disks: the device max_sectors libata ended with. */
  readonly ataMaxSectors: number | null;
  readonly limits: QueueLimits;
  /** How the limits were derived, step by step. */
  readonly trail: readonly string[];
}

export interface ProbeOptions {
  readonly kernel?: string;
  /** Default: `merged` from 6.0, `none` before. */
  readonly cap?: CapVariant;
  /** rcache size classes (6 in mainline); the opt mapping size follows them. */
  readonly rcacheClasses?: number;
}

export function defaultCapVariant(features: DmaKernelFeatures): CapVariant {
  return features.optMappingSize ? 'merged' : 'none';
}

export function probeHost(description: HostDescription, options: ProbeOptions = {}): HostSetup {
  const problem = crossCheck(description);
  if (problem !== null) throw new ProbeError(`${problem[0]}: ${problem[1]}`);
  const features = dmaKernelFeatures(options.kernel ?? description.kernel ?? DEFAULT_KERNEL);
  const variant = options.cap ?? description.cap ?? defaultCapVariant(features);
  const { host: hostDesc, iommu, device: devDesc, disk, platform: platformDesc } = description;
  const pageSize = iommu.pageSize;
  const platform: DmaPlatform = { swiotlb: platformDesc.swiotlb, maxPhysAddress: dmaBitMask(platformDesc.maxPhysBits) };
  const deviceOptions = {
    name: devDesc.name,
    dmaMask: dmaBitMask(devDesc.dmaMaskBits),
    pci: devDesc.pci,
    trusted: devDesc.trusted,
    minAlignMask: devDesc.minAlignMask,
  };
  const provisional = new DmaDevice(deviceOptions);
  const sizeInput = { mode: iommu.mode, pageSize, device: provisional, features, platform, rcacheClasses: options.rcacheClasses };
  const dmaMax = dmaMaxMappingSize(sizeInput);
  const dmaOpt = dmaOptMappingSize(sizeInput);
  const sizes = { max: dmaMax, opt: dmaOpt };
  const lim = defaultQueueLimits();
  const trail: string[] = [];

  const transport = hostDesc.transport;
  if (transport === 'nvme') {
    blkQueueBlockSizes(lim, disk.logicalBlockSize, disk.physicalBlockSize);
    const nvme = nvmeSetQueueLimits(lim, { mdts: disk.mdts }, sizes, features, pageSize);
    trail.push(...nvme.trail);
    const device = new DmaDevice({ ...deviceOptions, maxSegmentSize: 0xffff_ffff });
    return { description, features, variant, device, platform, dmaMax, dmaOpt, host: null, ataMaxSectors: null, limits: lim, trail };
  }

  const host = scsiHostAlloc({ ...hostDesc, transport }, variant);
  scsiAddHostWithDma(host, sizes, variant);
  sasHostSetup(host, sizes, variant);
  const seg = scsiInitQueue(host, lim, sizes, variant, pageSize, features.blkDefMaxSectors);
  trail.push(...host.trail);
  trail.push(`__scsi_init_queue: max_hw_sectors = ${lim.maxHwSectors}, max_segments = ${lim.maxSegments}`);
  let ataMaxSectors: number | null = null;
  if (disk.type === 'sata') {
    ataMaxSectors = ataScsiDevConfig(disk, host, lim, variant, pageSize, features.blkDefMaxSectors);
    trail.push(`ata_scsi_dev_config: device max_sectors ${ataMaxSectors}${variant === 'none' ? ' (not capped by the host)' : ''} -> max_hw_sectors = ${lim.maxHwSectors}`);
  }
  const driverHook = driverSlaveConfigure(hostDesc.name, lim, pageSize, features);
  if (driverHook !== null) trail.push(driverHook);
  blkQueueBlockSizes(lim, disk.logicalBlockSize, disk.physicalBlockSize);
  sdRevalidateDisk(lim, host, disk, features, variant, pageSize);
  trail.push(
    features.ioOptMaxSectors
      ? `sd_revalidate_disk + blk_validate_limits: io_opt = ${lim.ioOpt}, max_sectors = ${lim.maxSectors}`
      : `sd_revalidate_disk: max_sectors = ${lim.maxSectors}`,
  );
  const device = new DmaDevice({ ...deviceOptions, segBoundaryMask: seg.segBoundaryMask, maxSegmentSize: seg.maxSegmentSize });
  return { description, features, variant, device, platform, dmaMax, dmaOpt, host, ataMaxSectors, limits: lim, trail };
}

export interface DomainOverrides {
  readonly allocator?: AllocatorSource;
  readonly clock?: SimulatedClock;
  readonly cpus?: number;
  /** rcache size classes (6 in mainline; more = the unmerged max_opt_dma_size knob). */
  readonly rcacheClasses?: number;
}

/** The IOMMU domain of a probed host, with its device attached. */
export function createDomain(setup: HostSetup, overrides: DomainOverrides = {}): IommuDmaDomain {
  const iommu = setup.description.iommu;
  return new IommuDmaDomain({
    kernel: setup.features,
    mode: iommu.mode,
    invalidation: iommu.invalidation,
    granule: iommu.granule,
    pageSize: iommu.pageSize,
    apertureEnd: dmaBitMask(iommu.apertureBits),
    cpus: overrides.cpus ?? iommu.cpus,
    reservedRegions: iommu.reserved,
    flushQueue: iommu.flushQueue,
    sac: iommu.sac,
    allocator: overrides.allocator,
    clock: overrides.clock,
    rcacheClasses: overrides.rcacheClasses,
    devices: [setup.device],
  });
}
