/**
 * `iovasim alloc-bench --allocator NAME|all --pattern P [--json] [--seed N] [--runs N] [--ops N]
 * [--live N[,N...]]`: runs one seeded workload on Linux's IOVA allocator and the alternatives, side
 * by side in one process. The throughput patterns (churn, zero-churn, ageing, scaling;
 * ../../bench/alloc-bench.ts) print ns/op (median of the timed runs), search steps per op and the
 * fragmentation metrics; the latency patterns (fifo, mixed, random: lifetime models;
 * ../../bench/alloc-latency.ts) print alloc and free percentiles and bytes per live IOVA, with
 * --sizes, --rcache, --kernel, --space, --batch and --html. A table, or JSON with --json.
 */
import { ALLOCATOR_NAMES, isAllocatorName, type AllocatorName } from '../../allocators/registry.js';
import { writeFile } from 'node:fs/promises';
import { kernelProfile, KernelVersionError } from '../../allocators/kernel-version.js';
import { ALLOC_BENCH_PATTERNS, DEFAULT_LINUX_OPS, DEFAULT_LIVE, DEFAULT_OPS, formatAllocBenchTable, runAllocBench, type AllocBenchPattern } from '../../bench/alloc-bench.js';
import {
  DEFAULT_BATCH,
  DEFAULT_LATENCY_LIVE,
  DEFAULT_LATENCY_OPS,
  formatLatencyTable,
  LIFETIME_MODELS,
  loadSizeSource,
  MAX_LATENCY_LIVE,
  renderLatencyHtml,
  runLatencyBench,
  SizeSpecError,
  SPACE_STATES,
  type LifetimeModel,
  type SpaceState,
} from '../../bench/alloc-latency.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';

const PATTERNS: readonly string[] = [...ALLOC_BENCH_PATTERNS, ...LIFETIME_MODELS];

const OPTIONS: Record<string, OptionSpec> = {
  allocator: { type: 'string', description: `allocator to run: ${ALLOCATOR_NAMES.join(', ')}, a comma-separated list, or all`, default: 'all' },
  pattern: { type: 'string', description: `workload: ${ALLOC_BENCH_PATTERNS.join(', ')} (throughput); ${LIFETIME_MODELS.join(', ')} (latency: lifetime models)` },
  seed: { type: 'string', description: 'seed for every random choice', default: '1' },
  runs: { type: 'string', description: 'timed runs per allocator: throughput patterns, after an audit and a warm-up run, ns/op their median (default 5); latency patterns, pooled (default 1)' },
  ops: { type: 'string', description: `timed operations per run (defaults: ${ALLOC_BENCH_PATTERNS.map((p) => `${p} ${DEFAULT_OPS[p]}`).join(', ')}; latency patterns ${DEFAULT_LATENCY_OPS} maps and as many frees)` },
  'linux-ops': { type: 'string', description: `timed operations per run for linux in zero-churn and scaling, where each costs O(live) (default ${DEFAULT_LINUX_OPS})` },
  live: {
    type: 'string',
    description: `live IOVAs, comma-separated for scaling (defaults: ${ALLOC_BENCH_PATTERNS.filter((p) => p !== 'ageing')
      .map((p) => `${p} ${DEFAULT_LIVE[p].join('/')}`)
      .join(', ')}; ageing keeps the 32-bit space 80% full instead; latency patterns ${DEFAULT_LATENCY_LIVE}, up to ${MAX_LATENCY_LIVE})`,
  },
  sizes: { type: 'string', description: 'latency patterns: mapping sizes in 4 KiB granules: fixed:N, pow2:A-B, mix (default), hist:FILE (lines "GRANULES WEIGHT"), workload:FILE (a trace or fio job file)' },
  rcache: { type: 'boolean', description: "latency patterns: put the kernel's rcache (one CPU, --kernel's profile) in front of each allocator" },
  kernel: { type: 'string', description: 'latency patterns: kernel version of the rcache and of linux (5.13 or later; the throughput patterns model 7.0)', default: '7.0' },
  space: { type: 'string', description: `latency patterns: ${SPACE_STATES.join(' or ')} (every granule below 4 GiB mapped first, so the 32-bit attempt fails)`, default: 'empty' },
  batch: { type: 'string', description: `latency patterns: ops per timed batch; percentiles are over batch means (1: single ops)`, default: String(DEFAULT_BATCH) },
  html: { type: 'string', description: 'latency patterns: also write an HTML report with the latency percentile charts to FILE' },
  json: { type: 'boolean', description: 'print the result as JSON instead of a table' },
  progress: { type: 'boolean', description: 'report each measurement on stderr as it finishes' },
  help: { type: 'boolean', description: 'show this help' },
};

const USAGE =
  'usage: iovasim alloc-bench --pattern P [--allocator NAME|all] [--seed N] [--runs N] [--ops N] [--linux-ops N] [--live N[,N...]] [--json]\n' +
  '       iovasim alloc-bench --pattern fifo|mixed|random [--sizes SPEC] [--rcache] [--kernel V] [--space empty|full32] [--batch K] [--html FILE] ...';

function wholeNumber(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${option}: "${text}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

function parseAllocators(text: string): AllocatorName[] {
  if (text === 'all') return [...ALLOCATOR_NAMES];
  const names = text.split(',').map((n) => n.trim());
  const result: AllocatorName[] = [];
  for (const name of names) {
    if (!isAllocatorName(name)) throw new UsageError(`--allocator: unknown allocator "${name}" (known: ${ALLOCATOR_NAMES.join(', ')}, or all)`);
    if (!result.includes(name)) result.push(name);
  }
  return result;
}

export const allocBenchCommand: Command = {
  name: 'alloc-bench',
  summary: 'benchmark Linux IOVA allocation against buddy, gap-tree, vmem and TLSF on a seeded workload',
  async run(argv, io) {
    const { positionals, options } = parseArgs('alloc-bench', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText(USAGE, OPTIONS));
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`alloc-bench takes no positional arguments (got "${positionals[0]}")`);
    if (options.pattern === undefined) throw new UsageError(`alloc-bench: --pattern is required (${ALLOC_BENCH_PATTERNS.join(', ')}) or a latency pattern (${LIFETIME_MODELS.join(', ')})`);
    const pattern = String(options.pattern);
    if (!PATTERNS.includes(pattern)) {
      throw new UsageError(`--pattern: unknown pattern "${pattern}" (known: ${ALLOC_BENCH_PATTERNS.join(', ')}) or latency (${LIFETIME_MODELS.join(', ')})`);
    }
    const allocators = parseAllocators(String(options.allocator));
    const seed = wholeNumber('seed', String(options.seed), 0, 2 ** 32 - 1);
    const runs = options.runs === undefined ? undefined : wholeNumber('runs', String(options.runs), 1, 1000);
    const ops = options.ops === undefined ? undefined : wholeNumber('ops', String(options.ops), 1, 1e9);
    const version = String(options.kernel);
    try {
      kernelProfile(version);
    } catch (error) {
      if (error instanceof KernelVersionError) throw new UsageError(`--kernel: ${error.message}`);
      throw error;
    }
    if ((LIFETIME_MODELS as readonly string[]).includes(pattern)) {
      if (options['linux-ops'] !== undefined) throw new UsageError(`--linux-ops: only zero-churn and scaling run linux with its own op count`);
      const live = options.live === undefined ? undefined : wholeNumber('live', String(options.live), 1, MAX_LATENCY_LIVE);
      const batch = wholeNumber('batch', String(options.batch), 1, 1024);
      if (batch > (live ?? DEFAULT_LATENCY_LIVE)) throw new UsageError(`--batch: ${batch} is more than the live count`);
      const space = String(options.space);
      if (!(SPACE_STATES as readonly string[]).includes(space)) throw new UsageError(`--space: unknown state "${space}" (known: ${SPACE_STATES.join(', ')})`);
      let sizes;
      try {
        sizes = await loadSizeSource(options.sizes === undefined ? 'mix' : String(options.sizes));
      } catch (error) {
        if (error instanceof SizeSpecError) throw new UserError(`--sizes: ${error.message}`);
        throw error;
      }
      const result = await runLatencyBench({
        allocators,
        lifetime: pattern as LifetimeModel,
        sizes,
        seed,
        live,
        ops,
        batch,
        runs,
        rcache: options.rcache ? version : null,
        kernel: version,
        space: space as SpaceState,
        onProgress: options.progress ? (message) => io.stderr.write(message + '\n') : undefined,
      });
      if (options.html !== undefined) await writeFile(String(options.html), renderLatencyHtml(result, `iovasim alloc-bench ${argv.join(' ')}`));
      io.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : formatLatencyTable(result));
      return 0;
    }
    for (const latencyOnly of ['sizes', 'rcache', 'html'] as const) {
      if (options[latencyOnly] !== undefined && options[latencyOnly] !== false) throw new UsageError(`--${latencyOnly}: only the latency patterns (${LIFETIME_MODELS.join(', ')}) take it`);
    }
    const linuxOps = options['linux-ops'] === undefined ? undefined : wholeNumber('linux-ops', String(options['linux-ops']), 1, 1e9);
    if (linuxOps !== undefined && pattern !== 'zero-churn' && pattern !== 'scaling') {
      throw new UsageError(`--linux-ops: only zero-churn and scaling run linux with its own op count (${pattern} uses --ops for all)`);
    }
    let live: number[] | undefined;
    if (options.live !== undefined) {
      if (pattern === 'ageing') throw new UsageError('--live: ageing has no live count (it keeps the 32-bit space 80% full)');
      live = String(options.live)
        .split(',')
        .map((t) => wholeNumber('live', t, 1, pattern === 'churn' ? 1_000_000 : 2 ** 20 - 1));
      if (pattern !== 'scaling' && live.length !== 1) throw new UsageError(`--live: ${pattern} takes one live count, not a list`);
    }
    const result = runAllocBench({
      allocators,
      pattern: pattern as AllocBenchPattern,
      seed,
      runs: runs ?? 5,
      ops,
      linuxOps,
      live,
      onProgress: options.progress ? (message) => io.stderr.write(message + '\n') : undefined,
    });
    io.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : formatAllocBenchTable(result));
    return 0;
  },
};
