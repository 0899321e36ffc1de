/**
 * The IOMMU side of a DMA domain, as dma-iommu.c sees it through the IOMMU core: the page table
 * (iommu_map(), iommu_map_sg(), iommu_unmap_fast()) and the IOTLB (iommu_iotlb_sync(), the driver's
 * flush_iotlb_all()). dma-iommu.c only allocates IOVAs; these are the calls it makes with them, and
 * what the golden DMA traces count (../../../shared/dma-conformance/README.md: `maps`, `unmaps`,
 * `pages`, `invalidations`, `flushall`, `iotlb_sync`).
 *
 * Kernel: drivers/iommu/iommu.c (5.19 and 7.0):
 * - iommu_map(): one call per physically contiguous range; the driver maps it at any page size of
 *   pgsize_bitmap, which changes nothing visible here, so mappings are kept at granule resolution.
 * - iommu_map_sg() (__iommu_map_sg() in 5.19): walks the list and calls iommu_map() once per run of
 *   entries whose physical addresses continue each other (sg_phys(s) == start + len). dma-iommu
 *   hands it entries whose offset was rounded down to the granule and whose length is the IOVA
 *   footprint, padding included, so a run is contiguous in those terms.
 * - iommu_unmap_fast(): unmaps granule by granule and stops at the first granule that is not mapped
 *   (the driver returns 0 there); every unmapped range is added to the caller's iotlb_gather.
 * - iommu_iotlb_sync(): the driver's iotlb_sync; it invalidates only when the gather holds a range.
 * - flush_iotlb_all(): what fq_flush_iotlb() calls; always one invalidation.
 *
 * Counters always run (a few additions per call). Knowing which granules are mapped needs a map of
 * runs, which costs an allocation now and then; the simulator does not need it (every unmap of a
 * correct driver covers exactly what was mapped), so it is off unless `trackGranules` is set, and
 * then an unmap is assumed to find its whole range mapped.
 */

export class IommuPageTable {
  /** iommu_map() calls, including those made by iommu_map_sg(). */
  maps = 0;
  /** iommu_unmap_fast() calls. */
  unmaps = 0;
  /** Granules mapped now. */
  pages = 0;
  /** iommu_iotlb_sync() calls. */
  iotlbSyncs = 0;
  /** The driver's flush_iotlb_all() calls. */
  flushAlls = 0;
  /** IOTLB invalidations: every flush_iotlb_all(), and every iotlb_sync() with a non-empty gather. */
  invalidations = 0;

  /** Mapped runs, start pfn -> granules (only with trackGranules). */
  private readonly runs: Map<number, number> | null;

  constructor(trackGranules = false) {
    this.runs = trackGranules ? new Map() : null;
  }

  /** iommu_map(): `granules` granules from `pfn`. */
  map(pfn: number, granules: number): void {
    this.maps++;
    this.pages += granules;
    if (this.runs !== null) this.runs.set(pfn, granules);
  }

  /**
   * `calls` iommu_map() calls that map `granules` granules in all (iommu_map_sg()); with
   * tracksGranules, the caller also records each call's range with recordMapping().
   */
  addMapCalls(calls: number, granules: number): void {
    this.maps += calls;
    this.pages += granules;
  }

  /** Records that `granules` granules from `pfn` are mapped (tracksGranules only; counts nothing). */
  recordMapping(pfn: number, granules: number): void {
    (this.runs as Map<number, number>).set(pfn, granules);
  }

  /** Whether mapped granules are tracked (iommu_unmap_fast() then stops at an unmapped one). */
  get tracksGranules(): boolean {
    return this.runs !== null;
  }

  /**
   * iommu_unmap_fast(): returns the granules unmapped (fewer than asked when it meets an unmapped
   * granule), which is what the caller's iotlb_gather then covers.
   */
  unmapFast(pfn: number, granules: number): number {
    this.unmaps++;
    const unmapped = this.runs === null ? granules : this.unmapTracked(pfn, granules);
    this.pages -= unmapped;
    return unmapped;
  }

  /**
   * iommu_iotlb_sync() on a gather covering `gathered` granules: an invalidation if it is not empty.
   * A queued (lazy) unmap never syncs; the flush queue's flush_iotlb_all() covers it later.
   */
  iotlbSync(gathered: number): void {
    this.iotlbSyncs++;
    if (gathered !== 0) this.invalidations++;
  }

  /** The driver's flush_iotlb_all(). */
  flushIotlbAll(): void {
    this.flushAlls++;
    this.invalidations++;
  }

  /** Whether `pfn` is mapped (needs trackGranules). */
  isMapped(pfn: number): boolean {
    return this.runContaining(pfn) !== -1;
  }

  private unmapTracked(pfn: number, granules: number): number {
    const runs = this.runs as Map<number, number>;
    let done = 0;
    while (done < granules) {
      const at = pfn + done;
      let length = runs.get(at);
      if (length === undefined) {
        // Only an unmap that starts inside a mapped run gets here; a linear search is fine.
        const start = this.runContaining(at);
        if (start === -1) break;
        length = runs.get(start) as number;
        runs.set(start, at - start);
        length -= at - start;
      } else {
        runs.delete(at);
      }
      const take = Math.min(length, granules - done);
      if (take < length) runs.set(at + take, length - take);
      done += take;
    }
    return done;
  }

  private runContaining(pfn: number): number {
    const runs = this.runs;
    if (runs === null) throw new Error('IommuPageTable: granule tracking is off');
    for (const [start, length] of runs) if (start <= pfn && pfn < start + length) return start;
    return -1;
  }
}
