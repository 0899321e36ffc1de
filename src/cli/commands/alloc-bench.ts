/**
 * `iovasim alloc-bench --allocator NAME|all --pattern P [--json] [--seed N] [--runs N] [--ops N]
 * [--live N[,N...]]`: runs one seeded workload on Linux's IOVA allocator and the alternatives, side
 * by side in one process, and prints ns/op (median of the timed runs), search steps per op and the
 * fragmentation metrics as a table, or as JSON with --json. See ../../bench/alloc-bench.ts.
 */
import { ALLOCATOR_NAMES, isAllocatorName, type AllocatorName } from '../../allocators/registry.js';
import { ALLOC_BENCH_PATTERNS, DEFAULT_LINUX_OPS, DEFAULT_LIVE, DEFAULT_OPS, formatAllocBenchTable, runAllocBench, type AllocBenchPattern } from '../../bench/alloc-bench.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  allocator: { type: 'string', description: `allocator to run: ${ALLOCATOR_NAMES.join(', ')}, a comma-separated list, or all`, default: 'all' },
  pattern: { type: 'string', description: `workload: ${ALLOC_BENCH_PATTERNS.join(', ')}` },
  seed: { type: 'string', description: 'seed for every random choice', default: '1' },
  runs: { type: 'string', description: 'timed runs per allocator (after an untimed audit run and a warm-up run); ns/op is their median', default: '5' },
  ops: { type: 'string', description: `timed operations per run (defaults: ${ALLOC_BENCH_PATTERNS.map((p) => `${p} ${DEFAULT_OPS[p]}`).join(', ')})` },
  'linux-ops': { type: 'string', description: `timed operations per run for linux in zero-churn and scaling, where each costs O(live) (default ${DEFAULT_LINUX_OPS})` },
  live: {
    type: 'string',
    description: `live IOVAs, comma-separated for scaling (defaults: ${ALLOC_BENCH_PATTERNS.filter((p) => p !== 'ageing')
      .map((p) => `${p} ${DEFAULT_LIVE[p].join('/')}`)
      .join(', ')}; ageing keeps the 32-bit space 80% full instead)`,
  },
  json: { type: 'boolean', description: 'print the result as JSON instead of a table' },
  progress: { type: 'boolean', description: 'report each measurement on stderr as it finishes' },
  help: { type: 'boolean', description: 'show this help' },
};

const USAGE = 'usage: iovasim alloc-bench --pattern P [--allocator NAME|all] [--seed N] [--runs N] [--ops N] [--linux-ops N] [--live N[,N...]] [--json]';

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
    if (options.pattern === undefined) throw new UsageError(`alloc-bench: --pattern is required (${ALLOC_BENCH_PATTERNS.join(', ')})`);
    const pattern = String(options.pattern);
    if (!(ALLOC_BENCH_PATTERNS as readonly string[]).includes(pattern)) {
      throw new UsageError(`--pattern: unknown pattern "${pattern}" (known: ${ALLOC_BENCH_PATTERNS.join(', ')})`);
    }
    const allocators = parseAllocators(String(options.allocator));
    const seed = wholeNumber('seed', String(options.seed), 0, 2 ** 32 - 1);
    const runs = wholeNumber('runs', String(options.runs), 1, 1000);
    const ops = options.ops === undefined ? undefined : wholeNumber('ops', String(options.ops), 1, 1e9);
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
      runs,
      ops,
      linuxOps,
      live,
      onProgress: options.progress ? (message) => io.stderr.write(message + '\n') : undefined,
    });
    io.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : formatAllocBenchTable(result));
    return 0;
  },
};
