/**
 * DMA golden-trace replay: reads the DMA trace format (../shared/dma-conformance/README.md), runs it
 * through the DMA layer the simulator uses — IommuDmaDomain, IommuDma, the flush queue, the page
 * table, and the IOVA domain and rcache beneath them, for one kernel version — and prints what the
 * kernel's own dma-iommu.c printed.
 *
 * The harness behind the goldens calls iommu_setup_dma_ops() lazily, at the first operation that
 * needs the domain, so configuration lines (`cpus`, `domain`, `device`, `mode`) must come before it.
 * A trace is parsed and checked completely before it runs: a malformed line is reported as
 * `FILE:LINE: what is wrong` without running anything. Unmapping a mapping twice is rejected too:
 * the kernel WARNs there and goes on with a corrupted IOVA domain, which is nothing to model.
 */
import type { IovaDomain } from '../allocators/iova-domain.js';
import { dmaBitMask, DmaDevice } from '../dma/device.js';
import { DMA_MAPPING_ERROR, IommuDma } from '../dma/dma-iommu.js';
import { IommuDmaDomain } from '../dma/iommu-dma-domain.js';
import type { DmaKernelFeatures } from '../dma/kernel-features.js';
import { ScatterList } from '../dma/scatterlist.js';
import { TraceError } from './iova-trace.js';

export { TraceError };

const enum Op {
  Cpus,
  Domain,
  Device,
  Mode,
  Cpu,
  Map,
  Unmap,
  MapSg,
  UnmapSg,
  Tick,
  Stats,
  Dump,
}

const OP_NAMES: Record<string, Op> = {
  cpus: Op.Cpus,
  domain: Op.Domain,
  device: Op.Device,
  mode: Op.Mode,
  cpu: Op.Cpu,
  map: Op.Map,
  unmap: Op.Unmap,
  map_sg: Op.MapSg,
  unmap_sg: Op.UnmapSg,
  tick: Op.Tick,
  stats: Op.Stats,
  dump: Op.Dump,
};

/** The device and domain a trace sets up. */
export interface DmaTraceSetup {
  readonly cpus: number;
  readonly granule: number;
  /** The trace's START_PFN (0: the kernel uses 1). */
  readonly startPfn: number;
  readonly apertureBits: number;
  readonly maskBits: number;
  readonly pci: boolean;
  /** dma_parms set explicitly; undefined keeps the default of the bus. */
  readonly maxSegmentSize: number | undefined;
  readonly segBoundaryMask: bigint | undefined;
  readonly lazy: boolean;
  /** `mode lazy shadow`: dev->iommu->shadow_on_flush. */
  readonly shadowOnFlush: boolean;
}

/** One operation: `a` is the CPU, PHYS, entry count, result handle or milliseconds; `b` the SIZE of a map. */
interface DmaTraceOp {
  readonly op: Op;
  readonly line: number;
  readonly a: number;
  readonly b: number;
  /** map_sg: PHYS, LEN pairs. */
  readonly entries: Float64Array | null;
}

export interface DmaTrace {
  readonly file: string;
  readonly setup: DmaTraceSetup;
  readonly ops: readonly DmaTraceOp[];
}

const NO_ENTRIES = null;
/** Addresses stay exact JavaScript numbers below this. */
const EXACT = Number.MAX_SAFE_INTEGER;
const U32 = 4294967296;

function tokenize(line: string): string[] {
  const hash = line.indexOf('#');
  const text = hash >= 0 ? line.slice(0, hash) : line;
  return text.split(/[ \t\r]+/).filter((token) => token.length > 0);
}

/** An unsigned decimal; bigint when it does not fit a number exactly; null if not decimal. */
function parseDecimal(token: string): number | bigint | null {
  if (!/^\d+$/.test(token)) return null;
  if (token.length <= 15) return Number(token);
  const big = BigInt(token);
  return big <= BigInt(EXACT) ? Number(big) : big;
}

/** Parses and checks a whole trace; throws TraceError naming the file and line. */
export function parseDmaTrace(text: string, file: string): DmaTrace {
  let cpus = 1;
  let granule = 4096;
  let startPfn = 0;
  let apertureBits = 48;
  let maskBits = 64;
  let pci = false;
  let maxSegmentSize: number | undefined;
  let segBoundaryMask: bigint | undefined;
  let lazy = false;
  let shadowOnFlush = false;
  const configLines: Record<string, number> = {};
  let firstUseLine = 0;
  const ops: DmaTraceOp[] = [];
  /** Per map/map_sg result: 'map' or 'sg', and the line that unmapped it (0 while mapped). */
  const kinds: ('map' | 'sg')[] = [];
  const unmappedOn: number[] = [];

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const fail = (problem: string): never => {
      throw new TraceError(file, lineNumber, problem);
    };
    const tokens = tokenize(lines[index]);
    if (tokens.length === 0) continue;
    const name = tokens[0];
    const op = Object.prototype.hasOwnProperty.call(OP_NAMES, name) ? OP_NAMES[name] : undefined;
    if (op === undefined) fail(`unknown operation "${name}" (expected one of ${Object.keys(OP_NAMES).join(', ')})`);
    const args = tokens.slice(1);
    const count = (min: number, max: number, usage: string): void => {
      if (args.length < min || args.length > max) fail(`${name} takes ${usage}, got ${args.length} argument${args.length === 1 ? '' : 's'}`);
    };
    const number = (token: string, field: string, min: number, max: number): number => {
      const value = parseDecimal(token);
      if (value === null) fail(`${field} "${token}" is not an unsigned decimal number`);
      if (typeof value === 'bigint' || (value as number) < min || (value as number) > max) fail(`${field} ${token} is outside ${min}..${max}`);
      return value as number;
    };
    const handle = (token: string, field: string): number => {
      if (token.charCodeAt(0) !== 64 /* @ */ || !/^@\d+$/.test(token)) fail(`${field} "${token}" is not @ followed by a decimal number`);
      const k = Number(token.slice(1));
      if (k >= kinds.length) fail(`${field} ${token} names result #${k}, but only ${kinds.length} map/map_sg came before it`);
      return k;
    };
    const configure = (): void => {
      if (firstUseLine !== 0) fail(`${name} after the domain was set up by line ${firstUseLine} (configuration comes first)`);
      if (configLines[name] !== undefined) fail(`second "${name}" (the first is on line ${configLines[name]})`);
      configLines[name] = lineNumber;
    };
    const use = (): void => {
      if (firstUseLine === 0) firstUseLine = lineNumber;
    };
    switch (op) {
      case Op.Cpus:
        count(1, 1, 'N');
        configure();
        cpus = number(args[0], 'N', 1, 64);
        break;
      case Op.Domain: {
        count(1, 3, 'GRANULE [START_PFN [APERTURE_BITS]]');
        configure();
        granule = number(args[0], 'GRANULE', 512, 4096);
        if ((granule & (granule - 1)) !== 0) fail(`GRANULE ${granule} is not a power of two`);
        apertureBits = args.length > 2 ? number(args[2], 'APERTURE_BITS', 12, 64) : 48;
        // iovasim keeps DMA addresses as exact numbers.
        if (apertureBits > 53) fail(`APERTURE_BITS ${apertureBits}: iovasim models apertures of at most 53 bits`);
        const lastPfn = 2 ** apertureBits / granule - 1;
        startPfn = args.length > 1 ? number(args[1], 'START_PFN', 0, lastPfn) : 0;
        break;
      }
      case Op.Device: {
        if (args.length < 1) fail('device takes MASKBITS [pci] [maxseg N] [boundary M], got no arguments');
        configure();
        maskBits = number(args[0], 'MASKBITS', 12, 64);
        for (let i = 1; i < args.length; i++) {
          const word = args[i];
          if (word === 'pci') pci = true;
          else if (word === 'maxseg' || word === 'boundary') {
            if (i + 1 >= args.length) fail(`${word} needs a value`);
            const token = args[++i];
            if (word === 'maxseg') maxSegmentSize = number(token, 'maxseg', 1, U32 - 1);
            else {
              if (!/^\d+$/.test(token)) fail(`boundary "${token}" is not an unsigned decimal number`);
              const mask = BigInt(token);
              if (mask === 0n || mask > dmaBitMask(64) || (mask & (mask + 1n)) !== 0n) fail(`boundary ${token} is not a mask of the form 2^n - 1`);
              segBoundaryMask = mask;
            }
          } else fail(`unknown device option "${word}" (expected pci, maxseg N or boundary M)`);
        }
        break;
      }
      case Op.Mode:
        count(1, 2, 'strict|lazy [shadow]');
        configure();
        if (args[0] !== 'strict' && args[0] !== 'lazy') fail(`mode "${args[0]}" is neither strict nor lazy`);
        if (args.length > 1 && args[1] !== 'shadow') fail(`unknown mode option "${args[1]}" (expected shadow)`);
        lazy = args[0] === 'lazy';
        shadowOnFlush = args.length > 1;
        break;
      case Op.Cpu: {
        count(1, 1, 'N');
        const n = number(args[0], 'N', 0, 63);
        if (n >= cpus) fail(`N ${n} is not below the CPU count ${cpus}${configLines.cpus === undefined ? ' (default; set it with "cpus N" first)' : ''}`);
        ops.push({ op, line: lineNumber, a: n, b: 0, entries: NO_ENTRIES });
        break;
      }
      case Op.Map: {
        count(2, 2, 'PHYS SIZE');
        use();
        const phys = number(args[0], 'PHYS', 0, EXACT);
        const size = number(args[1], 'SIZE', 1, EXACT - phys);
        kinds.push('map');
        unmappedOn.push(0);
        ops.push({ op, line: lineNumber, a: phys, b: size, entries: NO_ENTRIES });
        break;
      }
      case Op.MapSg: {
        if (args.length < 1) fail('map_sg takes N PHYS:LEN ..., got no arguments');
        use();
        const n = number(args[0], 'N', 1, 65536);
        if (args.length - 1 !== n) fail(`map_sg ${n} needs ${n} PHYS:LEN entries, got ${args.length - 1}`);
        const entries = new Float64Array(2 * n);
        for (let i = 0; i < n; i++) {
          const token = args[i + 1];
          const colon = token.indexOf(':');
          if (colon < 0) fail(`entry ${i} "${token}" is not PHYS:LEN`);
          const phys = number(token.slice(0, colon), `entry ${i} PHYS`, 0, EXACT);
          entries[2 * i] = phys;
          entries[2 * i + 1] = number(token.slice(colon + 1), `entry ${i} LEN`, 1, Math.min(U32 - 1, EXACT - phys));
        }
        kinds.push('sg');
        unmappedOn.push(0);
        ops.push({ op, line: lineNumber, a: n, b: 0, entries });
        break;
      }
      case Op.Unmap:
      case Op.UnmapSg: {
        count(1, 1, '@k');
        use();
        const k = handle(args[0], 'k');
        const want = op === Op.Unmap ? 'map' : 'sg';
        if (kinds[k] !== want) fail(`${name} ${args[0]} names a ${kinds[k] === 'map' ? 'map' : 'map_sg'} result; use ${kinds[k] === 'map' ? 'unmap' : 'unmap_sg'}`);
        if (unmappedOn[k] !== 0) fail(`${args[0]} was already unmapped on line ${unmappedOn[k]}`);
        unmappedOn[k] = lineNumber;
        ops.push({ op, line: lineNumber, a: k, b: 0, entries: NO_ENTRIES });
        break;
      }
      case Op.Tick:
        count(1, 1, 'MS');
        use();
        ops.push({ op, line: lineNumber, a: number(args[0], 'MS', 0, 1e12), b: 0, entries: NO_ENTRIES });
        break;
      case Op.Stats:
      case Op.Dump:
        count(0, 0, 'no arguments');
        use();
        ops.push({ op, line: lineNumber, a: 0, b: 0, entries: NO_ENTRIES });
        break;
    }
  }
  const setup: DmaTraceSetup = { cpus, granule, startPfn, apertureBits, maskBits, pci, maxSegmentSize, segBoundaryMask, lazy, shadowOnFlush };
  return { file, setup, ops };
}

/** The domain and device a trace's configuration describes, for a kernel version. */
export function setUpDmaTrace(setup: DmaTraceSetup, features: DmaKernelFeatures): { domain: IommuDmaDomain; device: DmaDevice } {
  const device = new DmaDevice({
    name: 'dev',
    dmaMask: dmaBitMask(setup.maskBits),
    pci: setup.pci,
    // dma_get_max_seg_size() / dma_get_seg_boundary() without dma_parms: 64 KiB and ULONG_MAX;
    // pci_setup_device() gives PCI devices dma_parms of 64 KiB and 0xffffffff.
    maxSegmentSize: setup.maxSegmentSize ?? 65536,
    segBoundaryMask: setup.segBoundaryMask ?? (setup.pci ? 0xffff_ffffn : dmaBitMask(64)),
  });
  const domain = new IommuDmaDomain({
    kernel: features,
    invalidation: setup.lazy ? 'lazy' : 'strict',
    granule: setup.granule,
    forceAperture: true,
    apertureStart: setup.startPfn * setup.granule,
    apertureEnd: dmaBitMask(setup.apertureBits),
    cpus: setup.cpus,
    // iommu_dma_init_options() (6.7+): shadow_on_flush selects the single queue; before 6.7 the
    // field does not exist.
    flushQueue: setup.shadowOnFlush && features.singleFlushQueue ? 'single' : 'percpu',
    devices: [device],
    trackMappedGranules: true,
  });
  return { domain, device };
}

/** Replays a parsed trace for a kernel version; returns exactly the text the kernel printed. */
export function runDmaTrace(trace: DmaTrace, features: DmaKernelFeatures): string {
  const out: string[] = [];
  let domain: IommuDmaDomain | null = null;
  let device: DmaDevice | null = null;
  let dma: IommuDma | null = null;
  let cpu = 0;
  /** Per map/map_sg result: the DMA address (or DMA_MAPPING_ERROR) and size, or the list. */
  const addresses: number[] = [];
  const sizes: number[] = [];
  const lists: (ScatterList | null)[] = [];
  for (const entry of trace.ops) {
    if (entry.op === Op.Cpu) {
      cpu = entry.a;
      continue;
    }
    if (domain === null) {
      ({ domain, device } = setUpDmaTrace(trace.setup, features));
      dma = new IommuDma(domain);
    }
    const d = dma as IommuDma;
    const dev = device as DmaDevice;
    switch (entry.op) {
      case Op.Map: {
        const hangsBefore = d.hangs;
        const addr = d.mapPage(dev, entry.a, entry.b, cpu);
        addresses.push(addr);
        sizes.push(entry.b);
        lists.push(null);
        out.push(addr !== DMA_MAPPING_ERROR ? String(addr) : d.hangs !== hangsBefore ? 'hang' : 'fail');
        break;
      }
      case Op.MapSg: {
        const entries = entry.entries as Float64Array;
        const sg = new ScatterList(entry.a);
        for (let i = 0; i < entry.a; i++) sg.add(entries[2 * i], entries[2 * i + 1]);
        const hangsBefore = d.hangs;
        const count = d.mapSg(dev, sg, cpu);
        addresses.push(0);
        sizes.push(0);
        lists.push(count > 0 ? sg : null);
        if (count === 0) out.push(d.hangs !== hangsBefore ? 'hang' : 'fail');
        else {
          let text = String(count);
          for (let i = 0; i < count; i++) text += ` ${sg.dmaAddress[i]} ${sg.dmaLength[i]}`;
          out.push(text);
        }
        break;
      }
      case Op.Unmap: {
        const addr = addresses[entry.a];
        if (addr === DMA_MAPPING_ERROR) out.push('skip');
        else {
          d.unmapPage(dev, addr, sizes[entry.a], cpu);
          out.push('ok');
        }
        break;
      }
      case Op.UnmapSg: {
        const sg = lists[entry.a];
        if (sg === null) out.push('skip');
        else {
          d.unmapSg(dev, sg, cpu);
          lists[entry.a] = null;
          out.push('ok');
        }
        break;
      }
      case Op.Tick:
        // The harness runs due timers on the trace's current CPU.
        domain.advance(entry.a, cpu);
        break;
      case Op.Stats: {
        const table = domain.pageTable;
        const tree = domain.allocator as IovaDomain<number>;
        out.push(`invalidations ${table.invalidations} flushall ${table.flushAlls} iotlb_sync ${table.iotlbSyncs}`);
        out.push(`nodes ${tree.nodeCount}`);
        out.push(`maps ${table.maps} unmaps ${table.unmaps} pages ${table.pages}`);
        break;
      }
      case Op.Dump:
        for (const range of (domain.allocator as IovaDomain<number>).ranges()) out.push(`${range.pfnLo} ${range.pfnHi}`);
        out.push('end');
        break;
    }
  }
  out.push('');
  return out.join('\n');
}
