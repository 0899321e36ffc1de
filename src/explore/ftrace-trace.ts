/**
 * An iommu/dma ftrace capture turned into a conformance trace, so the explorer can run the mapping
 * stream the kernel saw through a model and show where the model would have put each mapping.
 *
 * Each map becomes `alloc_fast GRANULES LIMIT 1` on the event's CPU (the trace's `cpu N`), each
 * unmap `free_fast @k GRANULES` of the map with the same IOVA. What a capture does not record is
 * assumed, and said in a comment at the top of the trace: 4 KiB granules with start_pfn 1 (as
 * dma-iommu sets up), the limit is the 32-bit one when the kernel put the mapping below 4 GiB and a
 * 48-bit one otherwise (the capture has no DMA mask), and when a capture has both iommu:map/unmap
 * and dma:* events, only the iommu ones are used (they describe the same mappings twice).
 * Unmaps of mappings made before the capture began are left out.
 */
import { readIommuFtrace, type MappingEvent } from '../workloads/iommu-ftrace.js';

const GRANULE = 4096;
const LIMIT_32 = 2 ** 32 / GRANULE - 1;
const LIMIT_48 = 2 ** 48 / GRANULE - 1;

export interface ConvertedFtrace {
  readonly traceText: string;
  readonly notes: string[];
  readonly maps: number;
  readonly unmaps: number;
}

export async function ftraceToTrace(file: string): Promise<ConvertedFtrace> {
  const events: MappingEvent[] = [];
  for await (const event of readIommuFtrace(file)) events.push(event);
  const iommuOnly = events.some((e) => e.event === 'map' || e.event === 'unmap');
  const used = events.filter((e) => e.iova !== null && e.sizeBytes > 0 && (!iommuOnly || e.event === 'map' || e.event === 'unmap'));
  const cpus = Math.min(64, Math.max(1, ...used.map((e) => (e.cpu ?? 0) + 1)));
  const lines = [
    `# ${file}, converted by iovasim explore: ${used.length} mapping events (${iommuOnly ? 'iommu:map/unmap' : 'dma:*'}).`,
    '# Assumed: 4 KiB granules, start_pfn 1, 32-bit limit for mappings the kernel put below 4 GiB, 48-bit otherwise.',
    `cpus ${cpus}`,
    `domain ${GRANULE} 1`,
    'rcache',
  ];
  const open = new Map<bigint, number[]>();
  let handles = 0;
  let maps = 0;
  let unmaps = 0;
  let currentCpu = 0;
  for (const event of used) {
    const iova = event.iova as bigint;
    const offset = Number(iova % BigInt(GRANULE));
    const granules = Math.max(1, Math.ceil((offset + event.sizeBytes) / GRANULE));
    const cpu = event.cpu ?? 0;
    const cpuLine = cpu !== currentCpu && cpu < 64 ? `cpu ${cpu}` : null;
    if (event.kind === 'map') {
      if (cpuLine !== null) lines.push(cpuLine);
      currentCpu = cpu;
      const below4G = iova + BigInt(event.sizeBytes) <= 2n ** 32n;
      lines.push(`alloc_fast ${granules} ${below4G ? LIMIT_32 : LIMIT_48} 1  # ftrace line ${event.line}: kernel iova 0x${iova.toString(16)}`);
      const stack = open.get(iova) ?? [];
      stack.push(handles++);
      open.set(iova, stack);
      maps++;
    } else {
      const stack = open.get(iova);
      const handle = stack?.pop();
      if (handle === undefined) {
        lines.push(`# ftrace line ${event.line}: unmap of 0x${iova.toString(16)}, mapped before the capture: left out`);
        continue;
      }
      if (cpuLine !== null) lines.push(cpuLine);
      currentCpu = cpu;
      lines.push(`free_fast @${handle} ${granules}  # ftrace line ${event.line}`);
      unmaps++;
    }
  }
  lines.push('dump');
  return {
    traceText: lines.join('\n') + '\n',
    notes: [`Converted from ftrace: ${maps} maps and ${unmaps} unmaps; the model picks its own IOVAs (each alloc_fast line's comment has the kernel's).`, 'Assumed: 4 KiB granules, start_pfn 1, 32-bit limit for mappings the kernel put below 4 GiB.'],
    maps,
    unmaps,
  };
}
