/**
 * Ageing a domain as minutes of uptime would, without simulating the time: `maps` mappings drawn
 * from the sizes seen in the warm-up, each mapped on a job thread's CPU and unmapped, once a queue of
 * the same depth as the run keeps in flight has moved on, on that CPU's interrupt CPU. Magazines and
 * depots fill and the address space fragments as the workload itself would leave them.
 */
import type { DmaDevice } from '../dma/device.js';
import type { IommuDma } from '../dma/dma-iommu.js';
import { ScatterList } from '../dma/scatterlist.js';
import { Mulberry32, mixSeed } from '../workloads/random.js';

export interface AgeingInput {
  readonly dma: IommuDma;
  readonly device: DmaDevice;
  readonly maps: number;
  /** Granules of the mappings made in the warm-up (drawn from uniformly). */
  readonly sizes: readonly number[];
  /** The CPU of each job thread (a thread is drawn uniformly per mapping). */
  readonly threadCpus: Int32Array;
  readonly irqCpuOfCpu: Int32Array;
  /** Mappings in flight at once. */
  readonly depth: number;
  readonly granule: number;
  readonly seed: number;
}

export function ageDomain(input: AgeingInput): void {
  const { dma, device, sizes, threadCpus, irqCpuOfCpu, granule } = input;
  if (input.maps === 0 || sizes.length === 0 || threadCpus.length === 0) return;
  const rng = new Mulberry32(mixSeed(input.seed, 0x5eed));
  const depth = Math.max(1, input.depth);
  const ring: ScatterList[] = [];
  const ringCpu = new Int32Array(depth);
  for (let i = 0; i < depth; i++) ring.push(new ScatterList(8));
  let at = 0;
  for (let n = 0; n < input.maps; n++) {
    const slot = ring[at];
    if (slot.mappedCount > 0) dma.unmapSg(device, slot, irqCpuOfCpu[ringCpu[at]]);
    const thread = rng.below(threadCpus.length);
    const granules = sizes[rng.below(sizes.length)];
    slot.clear();
    // A buffer of its own, above 4 GiB, one contiguous run.
    slot.add((thread + 1) * 2 ** 32 + 2 ** 31, granules * granule);
    ringCpu[at] = threadCpus[thread];
    dma.mapSg(device, slot, threadCpus[thread]);
    at = (at + 1) % depth;
  }
  for (let i = 0; i < depth; i++) if (ring[i].mappedCount > 0) dma.unmapSg(device, ring[i], irqCpuOfCpu[ringCpu[i]]);
}
