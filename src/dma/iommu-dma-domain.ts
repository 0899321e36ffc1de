/**
 * An IOMMU DMA domain: the IOVA space of one device group as dma-iommu sets it up.
 *
 * Kernel: drivers/iommu/dma-iommu.c iommu_dma_init_domain() + iova_reserve_iommu_regions() +
 * iova_reserve_pci_windows() (@ 6d9870b7e5de for 5.19, @ afc5aa46ed56 for 6.9), drivers/iommu/iommu.c
 * for the default domain type. Granule = the smallest IOMMU page size; start_pfn = max(1, base >>
 * shift), raised to aperture_start >> shift when the domain forces its aperture; init_iova_domain()
 * and iova_domain_init_rcaches(); a lazy ("DMA-FQ") domain gets a flush queue (falling back to strict
 * if it cannot); then every reserved region except IOMMU_RESV_SW_MSI is reserve_iova()'d — for PCI
 * devices the host-bridge windows first, then the IOMMU's regions (x86: the MSI window
 * 0xFEE00000-0xFEEFFFFF). Untrusted (external-facing) PCI devices always get a strict domain.
 *
 * Modes: `translated` (the DMA API allocates IOVAs here), `passthrough` (identity domain: dma-direct
 * with an IOMMU present) and `none` (no IOMMU: dma-direct). Only `translated` owns an allocator, an
 * rcache and, when lazy, a flush queue. The allocator is Linux's IovaDomain for the kernel version
 * unless another IovaAllocator is given; it plugs in unchanged behind the same Rcache. Simulated
 * time moves through advanceTo(): the SimulatedClock runs the rcache's delayed work (depot trimming),
 * and the flush-queue timer, a kernel timer, runs before any work due at the same jiffy. The
 * IommuPageTable counts what dma-iommu asks of the IOMMU (maps, unmaps, syncs, flushes).
 */
import type { IovaAllocator } from '../allocators/allocator.js';
import { IovaDomain } from '../allocators/iova-domain.js';
import type { KernelProfile } from '../allocators/kernel-version.js';
import { numberPfn } from '../allocators/pfn.js';
import { SimulatedClock } from '../rcache/delayed-work.js';
import { Rcache } from '../rcache/rcache.js';
import { bitsPer, dmaBitMask, type DmaDevice } from './device.js';
import { FlushQueue, type FlushQueueKind } from './flush-queue.js';
import { IommuPageTable } from './iommu-page-table.js';
import { dmaKernelFeatures, type DmaKernelFeatures } from './kernel-features.js';
import { defaultSacMode, sacAttach, type SacMode } from './sac.js';

export type IommuMode = 'translated' | 'passthrough' | 'none';
export type Invalidation = 'strict' | 'lazy';

export const IOMMU_MODES: readonly IommuMode[] = ['translated', 'passthrough', 'none'];

/**
 * enum iommu_resv_type, plus the two kinds dma-iommu reserves for PCI devices itself: host-bridge MEM
 * windows (`pci-window`, bus addresses) and gaps between the bridge's dma-ranges (`pci-dma-gap`).
 */
export type ReservedRegionType = 'msi' | 'sw-msi' | 'reserved' | 'direct' | 'direct-relaxable' | 'pci-window' | 'pci-dma-gap';

export const RESERVED_REGION_TYPES: readonly ReservedRegionType[] = ['msi', 'sw-msi', 'reserved', 'direct', 'direct-relaxable', 'pci-window', 'pci-dma-gap'];

export interface ReservedRegion {
  /** First and last byte (inclusive), as IOVAs. */
  readonly start: number;
  readonly end: number;
  readonly type: ReservedRegionType;
  readonly name?: string;
}

/** x86 (VT-d and AMD-Vi): the interrupt-remapping MSI window, IOMMU_RESV_MSI. */
export const X86_MSI_REGION: ReservedRegion = { start: 0xfee0_0000, end: 0xfeef_ffff, type: 'msi', name: 'MSI window' };
/** AMD-Vi: the HyperTransport hole 0xFD_0000_0000 - 0xFF_FFFF_FFFF, IOMMU_RESV_RESERVED. */
export const AMD_HT_REGION: ReservedRegion = { start: 0xfd_0000_0000, end: 0xff_ffff_ffff, type: 'reserved', name: 'HyperTransport' };

export interface AllocatorFactoryArgs {
  readonly granule: number;
  readonly startPfn: number;
  readonly profile: KernelProfile;
}

export type AllocatorSource = IovaAllocator<number> | ((args: AllocatorFactoryArgs) => IovaAllocator<number>);

export interface IommuDmaDomainOptions {
  /** Kernel version ("5.19", "6.6", ...) or its feature switches. */
  readonly kernel: string | DmaKernelFeatures;
  readonly mode?: IommuMode;
  /** iommu.strict: `strict` invalidates per unmap, `lazy` queues IOVAs behind a flush. Default strict. */
  readonly invalidation?: Invalidation;
  /** Smallest IOMMU page size in bytes (power of two, at most pageSize). Default 4096. */
  readonly granule?: number;
  /** The CPU's PAGE_SIZE; iova_rcache_range() is PAGE_SIZE << 5. Default 4096. */
  readonly pageSize?: number;
  /** Lowest IOVA the domain may use (dma-iommu's `base`). Default 0. */
  readonly base?: number;
  /** domain->geometry; forceAperture defaults to true with a 48-bit aperture. */
  readonly forceAperture?: boolean;
  readonly apertureStart?: number;
  readonly apertureEnd?: bigint;
  readonly cpus?: number;
  readonly reservedRegions?: readonly ReservedRegion[];
  readonly allocator?: AllocatorSource;
  /**
   * The clock of the rcache's delayed work. The flush-queue timer is not on it: it runs in this
   * domain's advanceTo(), so a domain whose clock another advances runs its timer late.
   */
  readonly clock?: SimulatedClock;
  /** `single` = the 6.7+ shadow_on_flush queue. Default `percpu`. */
  readonly flushQueue?: FlushQueueKind;
  readonly sac?: SacMode;
  /**
   * rcache size classes: IOVA_RANGE_CACHE_MAX_SIZE (6, up to 128 KiB) in mainline; more models the
   * never-merged max_opt_dma_size knob (John Garry, 2021-22), which cached larger orders.
   */
  readonly rcacheClasses?: number;
  /** Devices attached at init (iommu_dma_init_domain() is called for the group's device). */
  readonly devices?: readonly DmaDevice[];
  /**
   * Keep track of which granules are mapped, so that iommu_unmap_fast() stops at the first unmapped
   * one as the kernel's does (the golden-trace replayer); otherwise only the counters run.
   */
  readonly trackMappedGranules?: boolean;
}

export class DomainConfigError extends Error {}

/** Largest DMA limit whose addresses (plus an in-granule offset) stay exact as numbers. */
const MAX_EXACT_ADDRESS = BigInt(Number.MAX_SAFE_INTEGER);

export class IommuDmaDomain {
  readonly features: DmaKernelFeatures;
  readonly profile: KernelProfile;
  readonly mode: IommuMode;
  readonly invalidation: Invalidation;
  readonly granule: number;
  readonly shift: number;
  /** iova_mask(): granule - 1. */
  readonly granuleMask: number;
  readonly pageSize: number;
  readonly startPfn: number;
  readonly forceAperture: boolean;
  readonly apertureEnd: bigint;
  readonly cpus: number;
  readonly sac: SacMode;
  readonly clock: SimulatedClock;
  /** Present in translated mode only. */
  readonly allocator: IovaAllocator<number> | null;
  readonly rcache: Rcache<number> | null;
  /** Present for a lazy translated domain only. */
  readonly flushQueue: FlushQueue | null;
  /** Regions reserve_iova()'d at init, in order, with their pfns; skipped SW_MSI regions not listed. */
  readonly reserved: { region: ReservedRegion; pfnLo: number; pfnHi: number; accepted: boolean }[] = [];
  readonly devices: DmaDevice[] = [];
  /** The IOMMU page table and IOTLB: map/unmap calls, mapped granules, syncs and flushes. */
  readonly pageTable: IommuPageTable;

  constructor(options: IommuDmaDomainOptions) {
    this.features = typeof options.kernel === 'string' ? dmaKernelFeatures(options.kernel) : options.kernel;
    this.profile = this.features.profile;
    this.mode = options.mode ?? 'translated';
    this.granule = options.granule ?? 4096;
    this.pageSize = options.pageSize ?? 4096;
    if (!isPowerOfTwo(this.pageSize) || this.pageSize < 4096) throw new DomainConfigError(`page size ${this.pageSize} is not a power of two of at least 4096`);
    if (!isPowerOfTwo(this.granule) || this.granule > this.pageSize) {
      throw new DomainConfigError(`granule ${this.granule} is not a power of two no larger than the page size (${this.pageSize})`);
    }
    this.shift = 31 - Math.clz32(this.granule);
    this.granuleMask = this.granule - 1;
    this.cpus = options.cpus ?? 1;
    if (!Number.isInteger(this.cpus) || this.cpus < 1) throw new DomainConfigError(`cpu count ${this.cpus} must be a positive integer`);
    this.forceAperture = options.forceAperture ?? true;
    this.apertureEnd = options.apertureEnd ?? dmaBitMask(48);
    const base = options.base ?? 0;
    let startPfn = Math.max(1, Math.floor(base / this.granule));
    if (this.forceAperture) startPfn = Math.max(startPfn, Math.floor((options.apertureStart ?? 0) / this.granule));
    this.startPfn = startPfn;
    this.sac = options.sac ?? defaultSacMode(this.features);
    this.clock = options.clock ?? new SimulatedClock();
    this.pageTable = new IommuPageTable(options.trackMappedGranules ?? false);

    const devices = options.devices ?? [];
    let invalidation = options.invalidation ?? 'strict';
    // iommu_get_def_domain_type(): untrusted devices always get a strict DMA domain.
    if (devices.some((d) => d.untrusted)) invalidation = 'strict';
    if (this.mode !== 'translated') {
      this.invalidation = invalidation;
      this.allocator = null;
      this.rcache = null;
      this.flushQueue = null;
    } else {
      const allocator = this.makeAllocator(options.allocator);
      this.allocator = allocator;
      this.rcache = new Rcache(allocator, numberPfn, this.profile, this.cpus, this.clock, options.rcacheClasses);
      const fqKind = options.flushQueue ?? 'percpu';
      if (fqKind === 'single' && !this.features.singleFlushQueue) {
        throw new DomainConfigError(`the single flush queue (shadow_on_flush) exists from 6.7, not in ${this.features.version}`);
      }
      this.invalidation = invalidation;
      this.flushQueue = invalidation === 'lazy' ? new FlushQueue(this.rcache, this.clock, fqKind, this.pageTable) : null;
      for (const region of options.reservedRegions ?? []) this.reserveRegion(region);
    }
    for (const dev of devices) this.attach(dev);
  }

  private makeAllocator(source: AllocatorSource | undefined): IovaAllocator<number> {
    const args: AllocatorFactoryArgs = { granule: this.granule, startPfn: this.startPfn, profile: this.profile };
    const allocator =
      source === undefined
        ? new IovaDomain(numberPfn, this.profile, this.granule, this.startPfn)
        : typeof source === 'function'
          ? source(args)
          : source;
    const dma32 = 2 ** (32 - this.shift);
    if (allocator.dma32BitPfn !== dma32) {
      throw new DomainConfigError(`allocator "${allocator.name}" has dma32BitPfn ${allocator.dma32BitPfn}, but a ${this.granule}-byte granule needs ${dma32}`);
    }
    if (allocator.startPfn !== this.startPfn) {
      throw new DomainConfigError(`allocator "${allocator.name}" starts at pfn ${allocator.startPfn}, but this domain starts at pfn ${this.startPfn}`);
    }
    return allocator;
  }

  /** One iova_reserve_iommu_regions() step: IOMMU_RESV_SW_MSI is skipped ("We ARE the software that manages these!"). */
  private reserveRegion(region: ReservedRegion): void {
    if (region.type === 'sw-msi') return;
    if (!(region.end >= region.start) || region.start < 0) throw new DomainConfigError(`reserved region ${region.name ?? ''} [0x${region.start.toString(16)}, 0x${region.end.toString(16)}] is empty or negative`);
    const pfnLo = Math.floor(region.start / this.granule);
    const pfnHi = Math.floor(region.end / this.granule);
    const accepted = (this.allocator as IovaAllocator<number>).reserveIova(pfnLo, pfnHi);
    this.reserved.push({ region, pfnLo, pfnHi, accepted });
  }

  /**
   * Attaches a device: computes its DMA limits as iommu_dma_alloc_iova() does (min_not_zero(mask,
   * bus_dma_limit), then min with aperture_end when the aperture is forced) and sets the 6.6+ SAC flag.
   */
  attach(dev: DmaDevice): void {
    if (dev.untrusted && this.invalidation === 'lazy') {
      throw new DomainConfigError(`${dev.name} is untrusted: the kernel gives it a strict domain, not this lazy one`);
    }
    const streaming = this.effectiveLimit(dev.dmaMask, dev);
    const coherent = this.effectiveLimit(dev.coherentDmaMask, dev);
    if (this.mode === 'translated') {
      for (const limit of [streaming, coherent]) {
        if (limit > MAX_EXACT_ADDRESS) {
          throw new DomainConfigError(`${dev.name}: DMA limit 0x${limit.toString(16)} is above 2^53 - 1; iovasim keeps DMA addresses as exact numbers (use a forced aperture of at most 53 bits)`);
        }
      }
    }
    dev.limitPfn = Number(streaming >> BigInt(this.shift));
    dev.coherentLimitPfn = Number(coherent >> BigInt(this.shift));
    dev.limitAbove32 = streaming > 0xffff_ffffn;
    dev.coherentLimitAbove32 = coherent > 0xffff_ffffn;
    dev.limitBits = bitsPer(streaming);
    dev.coherentLimitBits = bitsPer(coherent);
    sacAttach(this.sac, dev);
    if (!this.devices.includes(dev)) this.devices.push(dev);
  }

  private effectiveLimit(mask: bigint, dev: DmaDevice): bigint {
    let limit = dev.busDmaLimit !== 0n && dev.busDmaLimit < mask ? dev.busDmaLimit : mask;
    if (this.forceAperture && this.apertureEnd < limit) limit = this.apertureEnd;
    return limit;
  }

  /** iova_align(): size rounded up to whole granules. */
  iovaAlign(bytes: number): number {
    return Math.ceil(bytes / this.granule) * this.granule;
  }

  /** iova_rcache_range() (6.0+): PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1) — the page size, not the granule. */
  get rcacheRange(): number {
    return this.pageSize * 32;
  }

  /** IOTLB invalidations so far: one per strict unmap, one per flush-queue flush. */
  get iotlbInvalidations(): number {
    return this.pageTable.invalidations;
  }

  /** Simulated time in ms. */
  get nowMs(): number {
    return this.clock.nowMs;
  }

  /**
   * Advances simulated time to `ms`, running what falls due in order: the flush-queue timer and the
   * rcache's delayed work (7.0's depot trimming) each at its jiffy, and at the same jiffy the timer
   * first — timers run in softirq context, while delayed work only queues its work item there and
   * runs later in a kworker. `timerCpu` is the CPU whose softirq runs the flush-queue timer (its
   * fq_flush_timeout() frees into that CPU's magazines); by default the CPU that armed it.
   */
  advanceTo(ms: number, timerCpu = -1): void {
    const clock = this.clock;
    if (ms < clock.nowMs) throw new RangeError(`cannot move time back from ${clock.nowMs} ms to ${ms} ms`);
    const fq = this.flushQueue;
    let timerRan = false;
    while (fq !== null && fq.timerOn && fq.timerDueMs <= ms) {
      const due = fq.timerDueMs;
      // Work due before the timer's jiffy runs first; then the clock stands at that jiffy with the
      // work due at it still pending, the timer runs, and the loop (or the advance below) runs it.
      if (due - 1 > clock.nowMs) clock.advance(due - 1 - clock.nowMs);
      if (due > clock.nowMs) clock.nowMs = due;
      fq.flushTimeout(timerCpu < 0 ? fq.timerCpu : timerCpu);
      timerRan = true;
    }
    if (ms > clock.nowMs) clock.advance(ms - clock.nowMs);
    else if (timerRan) clock.advance(0);
  }

  /** Advances simulated time by `ms` (see advanceTo() for `timerCpu`). */
  advance(ms: number, timerCpu = -1): void {
    if (ms < 0) throw new RangeError(`cannot advance time by ${ms} ms`);
    this.advanceTo(this.clock.nowMs + ms, timerCpu);
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 2 ** 30 && (n & (n - 1)) === 0;
}
