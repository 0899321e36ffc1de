/**
 * The lazy-invalidation flush queue ("DMA-FQ" domains): unmapped IOVAs wait in a ring until a global
 * IOTLB flush that started after they were queued has finished; only then do they go back to the
 * rcache (free_iova_fast()).
 *
 * Kernel: drivers/iommu/dma-iommu.c queue_iova(), fq_ring_free(), fq_flush_iotlb(), fq_flush_timeout()
 * (@ 6d9870b7e5de for 5.19; before 5.17 the same code lived in iova.c). Per-CPU rings of
 * IOVA_FQ_SIZE = 256 slots, full when (tail + 1) % 256 == head, so 255 usable; a 10 ms timer
 * (IOVA_FQ_TIMEOUT) armed by the first queue_iova() while it is not pending; global 64-bit
 * fq_flush_start_cnt / fq_flush_finish_cnt. An entry records start_cnt when queued and is freed only
 * when its counter < finish_cnt. From 6.7 (32d5bc8b09c7, 9f5b681e2a3f; read @ afc5aa46ed56) a device
 * with dev->iommu->shadow_on_flush uses one global ring of 32768 slots and a 1000 ms timer instead,
 * and ring indices wrap with `& (size - 1)`.
 *
 * Proven, counters and release order included, by the lazy DMA goldens (d07-d10, d12 of
 * ../shared/dma-conformance/, 5.19 and 7.0).
 *
 * queue_iova() runs on the unmapping CPU and frees what is due from that CPU's ring into that CPU's
 * magazines; the timer frees every CPU's ring into the magazines of the CPU that runs it. Which CPU
 * that is depends on who runs the timer softirq: by default the CPU that armed it (mod_timer()
 * queues on the local CPU's timer base; timer migration is not modelled), or the CPU that advances
 * the clock when the caller names one — as in the golden-trace harness, where `tick` runs due
 * timers on the trace's current CPU (the d09, d10 and d12 goldens need exactly that).
 */
import type { SimulatedClock } from '../rcache/delayed-work.js';
import type { Rcache } from '../rcache/rcache.js';
import type { IommuPageTable } from './iommu-page-table.js';

export const IOVA_FQ_SIZE = 256;
export const IOVA_FQ_TIMEOUT_MS = 10;
export const IOVA_SINGLE_FQ_SIZE = 32768;
export const IOVA_SINGLE_FQ_TIMEOUT_MS = 1000;

export type FlushQueueKind = 'percpu' | 'single';

/** struct iova_fq: a ring of {iova_pfn, pages, counter}. */
export class FqRing {
  head = 0;
  tail = 0;
  readonly modMask: number;
  readonly pfns: Float64Array;
  readonly pages: Float64Array;
  readonly counters: Float64Array;

  constructor(readonly size: number) {
    this.modMask = size - 1;
    this.pfns = new Float64Array(size);
    this.pages = new Float64Array(size);
    this.counters = new Float64Array(size);
  }

  /** Entries waiting in the ring. */
  get length(): number {
    return (this.tail - this.head + this.size) & this.modMask;
  }

  /** fq_full(): one slot always stays empty. */
  get full(): boolean {
    return ((this.tail + 1) & this.modMask) === this.head;
  }
}

export class FlushQueue {
  readonly rings: FqRing[] = [];
  readonly timeoutMs: number;
  /** fq_flush_start_cnt / fq_flush_finish_cnt. */
  startCnt = 0;
  finishCnt = 0;
  /** flush_iotlb_all() calls: the IOTLB invalidations of a lazy domain. */
  flushes = 0;
  /** Flushes forced by a full ring (the rest come from the timer). */
  fullFlushes = 0;
  timerFlushes = 0;
  /** IOVAs queued and IOVAs handed back to the rcache. */
  queued = 0;
  released = 0;
  /**
   * fq_timer_on, the jiffy the pending timer fires at and the CPU it runs on. The timer is a kernel
   * timer, not delayed work: it is not on the SimulatedClock (whose work is the rcache's depot
   * trimming) but run by IommuDmaDomain.advanceTo(), before any work due at the same jiffy.
   */
  timerOn = false;
  timerDueMs = 0;
  timerCpu = 0;

  constructor(
    readonly rcache: Rcache<number>,
    readonly clock: SimulatedClock,
    readonly kind: FlushQueueKind = 'percpu',
    readonly pageTable: IommuPageTable | null = null,
  ) {
    const size = kind === 'single' ? IOVA_SINGLE_FQ_SIZE : IOVA_FQ_SIZE;
    this.timeoutMs = kind === 'single' ? IOVA_SINGLE_FQ_TIMEOUT_MS : IOVA_FQ_TIMEOUT_MS;
    const count = kind === 'single' ? 1 : rcache.cpuCount;
    for (let i = 0; i < count; i++) this.rings.push(new FqRing(size));
  }

  /** IOVAs queued and not yet handed back. */
  get pending(): number {
    let sum = 0;
    for (const ring of this.rings) sum += ring.length;
    return sum;
  }

  /** fq_ring_free(): hands back, from the head, every entry whose flush has completed. */
  private ringFree(ring: FqRing): void {
    const finish = this.finishCnt;
    const rcache = this.rcache;
    let head = ring.head;
    while (head !== ring.tail && ring.counters[head] < finish) {
      rcache.freeIovaFast(ring.pfns[head], ring.pages[head]);
      this.released++;
      head = (head + 1) & ring.modMask;
    }
    ring.head = head;
  }

  /** fq_flush_iotlb(): one global IOTLB invalidation. */
  flushIotlb(): void {
    this.startCnt++;
    this.flushes++;
    this.pageTable?.flushIotlbAll();
    this.finishCnt++;
  }

  /** queue_iova(): called on `cpu` by the unmap path instead of free_iova_fast(). */
  queueIova(cpu: number, pfn: number, pages: number): void {
    const rcache = this.rcache;
    const savedCpu = rcache.currentCpu;
    rcache.currentCpu = cpu;
    const ring = this.kind === 'single' ? this.rings[0] : this.rings[cpu];
    this.ringFree(ring);
    if (ring.full) {
      this.flushIotlb();
      this.fullFlushes++;
      this.ringFree(ring);
    }
    const idx = ring.tail;
    ring.tail = (idx + 1) & ring.modMask;
    ring.pfns[idx] = pfn;
    ring.pages[idx] = pages;
    ring.counters[idx] = this.startCnt;
    this.queued++;
    rcache.currentCpu = savedCpu;
    if (!this.timerOn) {
      // mod_timer(&fq_timer, jiffies + msecs_to_jiffies(timeout)), with HZ = 1000.
      this.timerOn = true;
      this.timerCpu = cpu;
      this.timerDueMs = this.clock.nowMs + this.timeoutMs;
    }
  }

  /** fq_flush_timeout(): flush, then free every ring (on `cpu`, default the arming CPU). */
  flushTimeout(cpu: number = this.timerCpu): void {
    this.timerOn = false;
    this.flushIotlb();
    this.timerFlushes++;
    const rcache = this.rcache;
    const savedCpu = rcache.currentCpu;
    rcache.currentCpu = cpu;
    for (const ring of this.rings) this.ringFree(ring);
    rcache.currentCpu = savedCpu;
  }
}
