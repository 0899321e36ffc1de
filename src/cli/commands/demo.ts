/**
 * `iovasim demo`: a quick look at the allocator alone, without the simulator. It drives the Linux IOVA domain and its
 * rcache the way dma-iommu does for a 4-CPU storage workload (a seeded mix of mapping sizes, some
 * above the 128 KiB rcache limit, each first tried below 4 GiB as the PCI "SAC" trick does), on two
 * kernel versions side by side, and prints what the allocator did.
 */
import { IovaDomain } from '../../allocators/iova-domain.js';
import { kernelProfile } from '../../allocators/kernel-version.js';
import { numberPfn } from '../../allocators/pfn.js';
import { Rcache } from '../../rcache/rcache.js';
import { Mulberry32 } from '../../workloads/random.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

const DEFAULT_MAPPINGS = 200_000;

const OPTIONS: Record<string, OptionSpec> = {
  seed: { type: 'string', description: 'seed for the mapping sizes and orders', default: '1' },
  mappings: { type: 'string', description: 'number of map/unmap pairs', default: String(DEFAULT_MAPPINGS) },
  help: { type: 'boolean', description: 'show this help' },
};

/** Mapping sizes in 4 KiB granules and their weights: mostly cacheable, some above 32 granules. */
const SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const WEIGHTS = [30, 10, 10, 10, 10, 10, 8, 7, 5];

interface DemoResult {
  version: string;
  maps: number;
  failures: number;
  rcacheHitRate: number;
  visitsPerMap: number;
  liveNodes: number;
  elapsedMs: number;
}

function runDemo(version: string, seed: number, mappings: number): DemoResult {
  const profile = kernelProfile(version);
  const cpus = 4;
  const domain = new IovaDomain(numberPfn, profile, 4096, 1);
  // x86's MSI window is reserved at domain init (pfns of 0xFEE00000-0xFEEFFFFF).
  domain.reserveIova(0xfee00, 0xfeeff);
  const rcache = new Rcache(domain, numberPfn, profile, cpus);
  const generator = new Mulberry32(seed);
  const random = (): number => generator.next();
  const total = WEIGHTS.reduce((a, b) => a + b, 0);
  const pickSize = (): number => {
    let r = random() * total;
    for (let i = 0; i < SIZES.length; i++) {
      r -= WEIGHTS[i];
      if (r < 0) return SIZES[i];
    }
    return SIZES[SIZES.length - 1];
  };
  const inFlight: { pfn: number; size: number }[] = [];
  const limit32 = 0xfffff;
  const limit64 = 2 ** 48 / 4096 - 1;
  let failures = 0;
  const start = performance.now();
  for (let i = 0; i < mappings; i++) {
    rcache.currentCpu = i % cpus;
    const size = pickSize();
    let pfn = rcache.allocIovaFast(size, limit32, false);
    if (pfn === 0) pfn = rcache.allocIovaFast(size, limit64, true);
    if (pfn === 0) failures++;
    else inFlight.push({ pfn, size });
    // Completions run on another CPU than the submission, at a queue depth of about 512.
    while (inFlight.length > 512) {
      const victim = inFlight.splice(Math.floor(random() * inFlight.length), 1)[0];
      rcache.currentCpu = (i + 1) % cpus;
      rcache.freeIovaFast(victim.pfn, victim.size);
    }
  }
  const elapsedMs = performance.now() - start;
  let hits = 0;
  let misses = 0;
  for (const sizeClass of rcache.classes) {
    hits += sizeClass.hits;
    misses += sizeClass.misses;
  }
  return {
    version,
    maps: mappings,
    failures,
    rcacheHitRate: hits / Math.max(1, hits + misses),
    visitsPerMap: domain.visits / mappings,
    liveNodes: domain.nodeCount,
    elapsedMs,
  };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the Linux allocator alone under a seeded DMA-style workload, 5.19 against 7.0 (no simulator)',
  async run(argv, io) {
    const { options, positionals } = parseArgs('demo', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim demo [--seed N] [--mappings N]', OPTIONS));
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`demo takes no arguments, got "${positionals[0]}"`);
    const seed = Number(options.seed);
    const mappings = positiveInteger(options, 'mappings') ?? DEFAULT_MAPPINGS;
    if (!Number.isInteger(seed)) throw new UsageError(`--seed: "${String(options.seed)}" is not a whole number`);
    io.stdout.write(`iovasim demo: ${mappings} DMA mappings on 4 CPUs (4 KiB granule, SAC first), seed ${seed}\n\n`);
    const rows = ['5.19', '7.0'].map((v) => runDemo(v, seed, mappings));
    const header = ['kernel', 'maps', 'failed', 'rcache hits', 'tree steps/map', 'live ranges', 'wall ms'];
    const table = rows.map((r) => [
      r.version,
      String(r.maps),
      String(r.failures),
      `${(r.rcacheHitRate * 100).toFixed(1)} %`,
      r.visitsPerMap.toFixed(1),
      String(r.liveNodes),
      r.elapsedMs.toFixed(0),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ') + '\n';
    io.stdout.write(line(header));
    for (const row of table) io.stdout.write(line(row));
    io.stdout.write('\nMappings above 32 granules (128 KiB) bypass the rcache and walk the tree under its lock.\n');
    return 0;
  },
};
