/**
 * Wraps an allocator to count the calls that reach it, so the simulator can charge tree-lock time
 * for exactly the work the allocator did (the rcache absorbs the rest without the lock), and to
 * know the ranges it holds (for the occupancy picture) without asking the allocator to enumerate.
 *
 * The held ranges sit in a typed-array hash (PfnIndexMap), not a Map: a request that reaches the
 * allocator updates it twice, and 64-bit pfns (above 2^31) are not small integers, so a Map boxed a
 * key on every insert. The interface has no way to enumerate an allocator's ranges, so the picture
 * cannot be derived from the allocator at the end without a new method on every allocator.
 */
import type { AllocatorStats, IovaAllocator, IovaRange } from '../allocators/allocator.js';
import { PfnIndexMap } from '../allocators/pfn-index-map.js';
import type { CostModel } from './cost-model.js';

export class CountingAllocator implements IovaAllocator<number> {
  allocCalls = 0;
  allocSuccesses = 0;
  freeCalls = 0;
  freeSuccesses = 0;
  /** Start pfn -> granules of every range allocated or reserved through this wrapper and not freed. */
  readonly held = new PfnIndexMap(1024);

  private markedSteps = 0;
  private markedAllocCalls = 0;
  private markedAllocSuccesses = 0;
  private markedFreeCalls = 0;
  private markedFreeSuccesses = 0;

  constructor(readonly inner: IovaAllocator<number> & { readonly lastAllocHung?: boolean }) {}

  /** Starts measuring a piece of work (one map, one unmap, one clock advance). */
  mark(): void {
    this.markedSteps = this.inner.searchSteps;
    this.markedAllocCalls = this.allocCalls;
    this.markedAllocSuccesses = this.allocSuccesses;
    this.markedFreeCalls = this.freeCalls;
    this.markedFreeSuccesses = this.freeSuccesses;
  }

  /** Search steps taken since mark(). */
  get stepsSinceMark(): number {
    return this.inner.searchSteps - this.markedSteps;
  }

  /** Calls that reached the allocator since mark(): each takes the tree lock. */
  get callsSinceMark(): number {
    return this.allocCalls - this.markedAllocCalls + this.freeCalls - this.markedFreeCalls;
  }

  /** How long the work since mark() held the tree lock: lock taking, walk steps, inserts, erases. */
  lockHoldSinceMark(costs: CostModel): number {
    return (
      this.callsSinceMark * costs.treeLockNs +
      this.stepsSinceMark * costs.treeStepNs +
      (this.allocSuccesses - this.markedAllocSuccesses) * costs.treeInsertNs +
      (this.freeSuccesses - this.markedFreeSuccesses) * costs.treeEraseNs
    );
  }

  get name(): string {
    return this.inner.name;
  }
  get startPfn(): number {
    return this.inner.startPfn;
  }
  get dma32BitPfn(): number {
    return this.inner.dma32BitPfn;
  }
  get searchSteps(): number {
    return this.inner.searchSteps;
  }
  get lastAllocHung(): boolean {
    return this.inner.lastAllocHung ?? false;
  }

  allocIova(size: number, limitPfn: number, sizeAligned: boolean): number | null {
    this.allocCalls++;
    const pfn = this.inner.allocIova(size, limitPfn, sizeAligned);
    if (pfn !== null) {
      this.allocSuccesses++;
      this.held.set(pfn, size);
    }
    return pfn;
  }

  freeIova(pfn: number): boolean {
    this.freeCalls++;
    const freed = this.inner.freeIova(pfn);
    if (freed) {
      this.freeSuccesses++;
      this.held.delete(pfn);
    }
    return freed;
  }

  reserveIova(pfnLo: number, pfnHi: number): boolean {
    const reserved = this.inner.reserveIova(pfnLo, pfnHi);
    if (reserved) this.held.set(pfnLo, pfnHi - pfnLo + 1);
    return reserved;
  }

  findIova(pfn: number): IovaRange<number> | null {
    return this.inner.findIova(pfn);
  }

  stats(endPfn: number): AllocatorStats {
    return this.inner.stats(endPfn);
  }
}
