/**
 * `iovasim alloc-bench` on small settings: the table and JSON shapes, determinism (one seed, one
 * sequence: same failures and steps), the invariants the zero-churn pattern asserts, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { runAllocBench, type AllocBenchResult } from '../../src/bench/alloc-bench.js';
import type { CommandIo } from '../../src/cli/command.js';
import { allocBenchCommand } from '../../src/cli/commands/alloc-bench.js';
import { UsageError } from '../../src/cli/errors.js';

function capture(): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    isTTY: false,
    out: () => out,
    err: () => err,
  };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await allocBenchCommand.run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('alloc-bench', () => {
  it('zero-churn: every allocator refills the one hole and fails the next request, with --json', async () => {
    const { code, out } = await run(['--pattern', 'zero-churn', '--live', '3000', '--ops', '300', '--linux-ops', '30', '--runs', '1', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as AllocBenchResult;
    expect(result.pattern).toBe('zero-churn');
    expect(result.rows.map((r) => r.allocator)).toEqual(['linux', 'buddy', 'gap-tree', 'vmem', 'tlsf']);
    for (const row of result.rows) {
      expect(row.live).toBe(3000);
      expect(row.ops).toBe(row.allocator === 'linux' ? 30 : 300);
      expect(row.failures).toBe(row.ops / 3);
      expect(row.falseFailures).toBe(0);
      expect(row.freeGranules).toBe(0);
      expect(row.nsPerOp).toBeGreaterThan(0);
      expect(row.runNsPerOp).toHaveLength(1);
    }
    const linux = result.rows[0];
    expect(linux.speedupVsLinux).toBe(1);
    // Linux walks the whole full 32-bit space twice per failing request.
    expect(linux.stepsPerOp).toBeGreaterThan(1000);
    for (const row of result.rows.slice(1)) expect(row.stepsPerOp).toBeLessThan(40);
  });

  it('is deterministic: one seed gives the same failures, steps and fragmentation', () => {
    const options = { allocators: ['linux', 'buddy', 'tlsf'] as const, pattern: 'churn' as const, seed: 42, runs: 1, ops: 4000, live: [2000] };
    const a = runAllocBench({ ...options, allocators: [...options.allocators] });
    const b = runAllocBench({ ...options, allocators: [...options.allocators] });
    const strip = (r: AllocBenchResult) => r.rows.map(({ nsPerOp: _n, runNsPerOp: _r, speedupVsLinux: _s, ...rest }) => rest);
    expect(strip(a)).toEqual(strip(b));
    const c = runAllocBench({ ...options, allocators: [...options.allocators], seed: 43 });
    expect(strip(c)).not.toEqual(strip(a));
    // Buddy rounds 3 and 48 up to powers of two: internal waste; the others waste nothing.
    expect(a.rows[1].internalWaste).toBeGreaterThan(0);
    expect(a.rows[0].internalWaste).toBe(0);
    expect(a.rows[2].internalWaste).toBe(0);
  });

  it('prints a table with every metric, and scaling has one row per live count', async () => {
    const { code, out } = await run(['--pattern', 'scaling', '--allocator', 'vmem,gap-tree', '--live', '500,2000', '--ops', '150', '--runs', '1']);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^alloc-bench scaling: seed 1, median of 1 timed run/);
    expect(lines[1]).toMatch(/allocator\s+live\s+ops\/run\s+ns\/op\s+linux\/this\s+steps\/op\s+failures\s+false fail\s+free\s+largest free\s+ext frag\s+waste/);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['vmem 500', 'gap-tree 500', 'vmem 2,000', 'gap-tree 2,000']);
  });

  it('ageing runs in the 32-bit space and reports its fragmentation', () => {
    const result = runAllocBench({ allocators: ['vmem', 'buddy'], pattern: 'ageing', seed: 1, runs: 1, ops: 3000 });
    for (const row of result.rows) {
      expect(row.freeGranules).toBeGreaterThan(0);
      expect(row.largestFreeBlock).toBeLessThanOrEqual(row.freeGranules);
      expect(row.externalFragmentation).toBeGreaterThanOrEqual(0);
      expect(row.externalFragmentation).toBeLessThan(1);
    }
    expect(result.rows[0].falseFailures).toBe(0);
  });

  it('rejects bad input with usage errors that say what is wrong', async () => {
    await expect(run(['--allocator', 'linux'])).rejects.toThrow(/--pattern is required \(churn, zero-churn, ageing, scaling\)/);
    await expect(run(['--pattern', 'nope'])).rejects.toThrow(/unknown pattern "nope" \(known: churn, zero-churn, ageing, scaling\)/);
    await expect(run(['--pattern', 'churn', '--allocator', 'slab'])).rejects.toThrow(/unknown allocator "slab" \(known: linux, buddy, gap-tree, vmem, tlsf, or all\)/);
    await expect(run(['--pattern', 'churn', '--runs', '0'])).rejects.toThrow(UsageError);
    await expect(run(['--pattern', 'churn', '--seed', '-1'])).rejects.toThrow(/--seed: "-1" is not a whole number/);
    await expect(run(['--pattern', 'zero-churn', '--live', '2000000'])).rejects.toThrow(/--live/);
    await expect(run(['--pattern', 'churn', '--live', '10,20'])).rejects.toThrow(/takes one live count/);
    await expect(run(['--pattern', 'churn', '--linux-ops', '5'])).rejects.toThrow(/--linux-ops/);
    await expect(run(['--pattern', 'churn', '--bogus'])).rejects.toThrow(/unknown option --bogus/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/usage: iovasim alloc-bench --pattern P/);
  });
});
