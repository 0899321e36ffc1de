/**
 * Replays the mapping lifetimes of an IOMMU/DMA ftrace capture against the modelled DMA layer, in
 * recorded order: every map event allocates an IOVA of the recorded size (iommu_dma_alloc_iova(),
 * through the rcache and the scenario's allocator), every unmap frees the mapping it ends. Where the
 * model placed each mapping is compared with where the kernel did.
 *
 * When a capture has both dma:* events and iommu:map / iommu:unmap, an iommu event at an address a
 * dma:* event also names is the page-table side of that DMA-API mapping and is skipped (it would
 * count the mapping twice); other iommu events (VFIO, drivers calling iommu_map() themselves) are
 * replayed like the rest. One domain per traced device name.
 */
import { createDomain } from '../block/probe.js';
import type { DmaDevice } from '../dma/device.js';
import { IommuDma } from '../dma/dma-iommu.js';
import type { IommuDmaDomain } from '../dma/iommu-dma-domain.js';
import type { MappingEvent } from '../workloads/iommu-ftrace.js';
import { scenarioAllocator, scenarioHostSetup } from './host-setup.js';
import type { Scenario } from './scenario.js';

export interface PlacementDifference {
  readonly line: number;
  readonly event: string;
  readonly device: string | null;
  readonly sizeBytes: number;
  /** Hexadecimal, 0x-prefixed. */
  readonly recorded: string;
  /** Hexadecimal, or null when the model could not allocate. */
  readonly placed: string | null;
}

export interface PlacementResult {
  readonly scenario: Scenario;
  /** Which events were replayed: the DMA API's (`dma`), the IOMMU driver's (`iommu`), or both kinds. */
  readonly level: 'dma' | 'iommu' | 'both' | 'none';
  readonly maps: number;
  /** Maps placed at exactly the recorded address. */
  readonly identical: number;
  /** Maps the model could not allocate. */
  readonly failed: number;
  readonly unmaps: number;
  /** Unmaps of mappings made before the capture (or whose address the trace lacks). */
  readonly unmatchedUnmaps: number;
  /** Maps of an address still mapped in the recording (an unmap was lost): the older one is freed first. */
  readonly remapped: number;
  /** Events not replayed: iommu events paired with a dma:* event, zero-size maps. */
  readonly skipped: number;
  readonly devices: readonly string[];
  /** Maps whose placement differs from the recording, in order; the first `maxDifferences`. */
  readonly differences: readonly PlacementDifference[];
  readonly differencesTotal: number;
  /** Per replayed map, in order (at most `maxPoints`, evenly thinned): recorded and placed IOVA. */
  readonly points: readonly { readonly index: number; readonly recorded: number; readonly placed: number | null }[];
  /** Fraction of each of 4096 slices of the 32-bit space covered by the mappings live at the end. */
  readonly occupancyRecorded32: readonly number[];
  readonly occupancyPlaced32: readonly number[];
  readonly notes: readonly string[];
}

export interface PlacementOptions {
  readonly maxDifferences?: number;
  readonly maxPoints?: number;
}

const SLICES = 4096;
const SLICE_BYTES = 2 ** 32 / SLICES;

/** Coverage of the 32-bit space by [start, start + bytes) ranges, per slice. */
function occupancy(ranges: Iterable<{ start: number; bytes: number }>): number[] {
  const covered = new Float64Array(SLICES);
  for (const { start, bytes } of ranges) {
    let at = start;
    const end = Math.min(start + bytes, 2 ** 32);
    while (at < end) {
      const slice = Math.floor(at / SLICE_BYTES);
      const sliceEnd = (slice + 1) * SLICE_BYTES;
      const upto = Math.min(end, sliceEnd);
      covered[slice] += upto - at;
      at = upto;
    }
  }
  return Array.from(covered, (b) => Math.min(1, b / SLICE_BYTES));
}

const hex = (value: bigint | number): string => `0x${value.toString(16)}`;

interface DeviceState {
  readonly domain: IommuDmaDomain;
  readonly dma: IommuDma;
  readonly device: DmaDevice;
  /** Recorded page-aligned IOVA → the live placement. */
  readonly live: Map<bigint, { recorded: number; placed: number; bytes: number }>;
}

export function replayMappings(events: readonly MappingEvent[], scenario: Scenario, options: PlacementOptions = {}): PlacementResult {
  const maxDifferences = options.maxDifferences ?? 20;
  const maxPoints = options.maxPoints ?? 4000;
  const notes: string[] = [];
  const isIommu = (e: MappingEvent): boolean => e.event === 'map' || e.event === 'unmap';
  // Page-aligned addresses the DMA-API events name: iommu events there are the same mappings.
  const dmaAddresses = new Set<bigint>();
  for (const e of events) if (!isIommu(e) && e.iova !== null) dmaAddresses.add(e.iova & ~0xfffn);
  const paired = (e: MappingEvent): boolean => isIommu(e) && e.iova !== null && dmaAddresses.has(e.iova & ~0xfffn);
  const usedDma = events.some((e) => !isIommu(e));
  const usedIommu = events.some((e) => isIommu(e) && !paired(e));
  const level = usedDma && usedIommu ? 'both' : usedDma ? 'dma' : usedIommu ? 'iommu' : 'none';
  const empty = (skipped: number): PlacementResult => ({
    scenario,
    level,
    maps: 0,
    identical: 0,
    failed: 0,
    unmaps: 0,
    unmatchedUnmaps: 0,
    remapped: 0,
    skipped,
    devices: [],
    differences: [],
    differencesTotal: 0,
    points: [],
    occupancyRecorded32: occupancy([]),
    occupancyPlaced32: occupancy([]),
    notes,
  });
  if (scenario.iommu.mode !== 'translated') {
    notes.push(`IOMMU mode ${scenario.iommu.mode}: the DMA address is the physical address, no IOVA is allocated, so there is nothing to place`);
    return empty(events.length);
  }
  const pairedCount = events.filter(paired).length;
  if (pairedCount > 0) notes.push(`${pairedCount} iommu:map / iommu:unmap events name the address of a dma:* event (the page-table side of the same mapping) and are skipped`);

  const states = new Map<string, DeviceState>();
  const stateOf = (name: string): DeviceState => {
    let state = states.get(name);
    if (state === undefined) {
      const setup = scenarioHostSetup(scenario);
      const domain = createDomain(setup, {
        cpus: scenario.cpus,
        rcacheClasses: scenario.iommu.rcacheClasses,
        allocator: scenarioAllocator(scenario),
      });
      state = { domain, dma: new IommuDma(domain), device: setup.device, live: new Map() };
      states.set(name, state);
    }
    return state;
  };

  let maps = 0;
  let identical = 0;
  let failed = 0;
  let unmaps = 0;
  let unmatched = 0;
  let remapped = 0;
  let skipped = 0;
  let differencesTotal = 0;
  const differences: PlacementDifference[] = [];
  const allPoints: { index: number; recorded: number; placed: number | null }[] = [];

  for (const event of events) {
    if (paired(event)) {
      skipped++;
      continue;
    }
    const state = stateOf(event.device ?? '');
    const { domain, dma, device, live } = state;
    const granule = domain.granule;
    const mask = BigInt(granule - 1);
    if (event.timeNs !== undefined) {
      const ms = event.timeNs / 1e6;
      if (ms > domain.nowMs) domain.advanceTo(ms);
    }
    const cpu = (event.cpu ?? 0) % scenario.cpus;
    if (event.kind === 'map') {
      if (event.iova === null || event.sizeBytes === 0) {
        skipped++;
        continue;
      }
      const recorded = event.iova;
      const offset = Number(recorded & mask);
      const key = recorded & ~mask;
      const old = live.get(key);
      if (old !== undefined) {
        remapped++;
        dma.unmapPage(device, old.placed, old.bytes, cpu);
        live.delete(key);
      }
      const bytes = Math.ceil((event.sizeBytes + offset) / granule) * granule;
      const iova = dma.allocIova(device, bytes, cpu, event.event.startsWith('dma_alloc'));
      const index = maps++;
      const placed = iova === 0 ? null : BigInt(iova + offset);
      if (placed === null) failed++;
      else live.set(key, { recorded: Number(key), placed: iova, bytes });
      if (placed === recorded) identical++;
      else {
        differencesTotal++;
        if (differences.length < maxDifferences) {
          differences.push({ line: event.line, event: event.event, device: event.device ?? null, sizeBytes: event.sizeBytes, recorded: hex(recorded), placed: placed === null ? null : hex(placed) });
        }
      }
      allPoints.push({ index, recorded: Number(recorded), placed: placed === null ? null : Number(placed) });
    } else {
      unmaps++;
      const entry = event.iova === null ? undefined : live.get(event.iova & ~mask);
      if (entry === undefined) {
        unmatched++;
        continue;
      }
      live.delete((event.iova as bigint) & ~mask);
      dma.unmapPage(device, entry.placed, entry.bytes, cpu);
    }
  }
  const stride = Math.max(1, Math.ceil(allPoints.length / maxPoints));
  const points = allPoints.filter((_, i) => i % stride === 0);
  if (stride > 1) notes.push(`the placement chart shows every ${stride}th of ${allPoints.length} mappings`);
  const liveAll = [...states.values()].flatMap((s) => [...s.live.values()]);
  return {
    scenario,
    level,
    maps,
    identical,
    failed,
    unmaps,
    unmatchedUnmaps: unmatched,
    remapped,
    skipped,
    devices: [...states.keys()].map((d) => (d === '' ? '(unnamed)' : d)),
    differences,
    differencesTotal,
    points,
    occupancyRecorded32: occupancy(liveAll.map((m) => ({ start: m.recorded, bytes: m.bytes }))),
    occupancyPlaced32: occupancy(liveAll.map((m) => ({ start: m.placed, bytes: m.bytes }))),
    notes,
  };
}
