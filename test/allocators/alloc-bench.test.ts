/**
 * `iovasim alloc-bench` on small settings: the table and JSON shapes, determinism (one seed, one
 * sequence: same failures and steps), the invariants the zero-churn pattern asserts, and bad input.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAllocBench, type AllocBenchResult } from '../../src/bench/alloc-bench.js';
import { loadSizeSource, runLatencyBench, type LatencyResult, type LatencySummary } from '../../src/bench/alloc-latency.js';
import type { CommandIo } from '../../src/cli/command.js';
import { allocBenchCommand } from '../../src/cli/commands/alloc-bench.js';
import { UsageError, UserError } from '../../src/cli/errors.js';

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
    await expect(run(['--pattern', 'nope'])).rejects.toThrow(/or latency \(fifo, mixed, random\)/);
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

describe('alloc-bench latency patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iovasim-latency-'));

  function ordered(summary: LatencySummary): void {
    expect(summary.p50).toBeGreaterThanOrEqual(0);
    expect(summary.p90).toBeGreaterThanOrEqual(summary.p50);
    expect(summary.p99).toBeGreaterThanOrEqual(summary.p90);
    expect(summary.p999).toBeGreaterThanOrEqual(summary.p99);
    expect(summary.max).toBeGreaterThanOrEqual(summary.p999);
    expect(summary.meanNs).toBeGreaterThan(0);
    expect(summary.curve.at(-1)?.percentile).toBe(100);
  }

  it('fifo: percentiles per allocator for allocs and frees separately, bytes per live IOVA, as JSON', async () => {
    const { code, out } = await run(['--pattern', 'fifo', '--live', '600', '--ops', '400', '--batch', '4', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as LatencyResult;
    expect(result.lifetime).toBe('fifo');
    expect(result.ops).toBe(400);
    expect(result.rcache).toBeNull();
    expect(result.rows.map((r) => r.allocator)).toEqual(['linux', 'buddy', 'gap-tree', 'vmem', 'tlsf']);
    for (const row of result.rows) {
      ordered(row.alloc);
      ordered(row.free);
      expect(row.failures).toBe(0);
      expect(row.rcacheHitRate).toBeNull();
      expect(row.heldAtMemory).toBe(600);
      // A live range costs something, and far less than a megabyte.
      expect(row.bytesPerLiveIova).toBeGreaterThan(0);
      expect(row.bytesPerLiveIova).toBeLessThan(1e6);
    }
  });

  it('is deterministic, and the rcache in front serves repeated sizes from its magazines', async () => {
    const sizes = await loadSizeSource('fixed:1');
    const options = { allocators: ['linux', 'tlsf'] as const, lifetime: 'mixed' as const, sizes, seed: 7, live: 1000, ops: 800, batch: 8 };
    const strip = (r: LatencyResult) => r.rows.map((row) => [row.allocator, row.failures, row.stepsPerMap, row.rcacheHitRate]);
    const a = await runLatencyBench({ ...options, allocators: [...options.allocators], rcache: '7.0' });
    const b = await runLatencyBench({ ...options, allocators: [...options.allocators], rcache: '7.0' });
    expect(strip(a)).toEqual(strip(b));
    // One size, freed and mapped in equal numbers: nearly every map is a magazine hit.
    for (const row of a.rows) expect(row.rcacheHitRate).toBeGreaterThan(0.9);
    const bare = await runLatencyBench({ ...options, allocators: [...options.allocators] });
    for (const row of bare.rows) expect(row.rcacheHitRate).toBeNull();
    // Without the rcache, Linux searches its tree on every map.
    expect(bare.rows[0].stepsPerMap).toBeGreaterThan(a.rows[0].stepsPerMap);
  });

  it('full32: every map falls back above 4 GiB, and the filled granules count in memory', async () => {
    const { code, out } = await run(['--pattern', 'random', '--allocator', 'tlsf', '--space', 'full32', '--live', '200', '--ops', '200', '--sizes', 'pow2:1-8', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as LatencyResult;
    expect(result.space).toBe('full32');
    for (const row of result.rows) {
      expect(row.failures).toBe(0);
      expect(row.heldAtMemory).toBe(2 ** 20 - 1 + 200);
    }
  });

  it('takes sizes from a histogram file or a workload, and names the file and line of a bad histogram', async () => {
    const hist = join(dir, 'sizes.txt');
    writeFileSync(hist, '# granules weight\n1 3\n32 1\n');
    const source = await loadSizeSource(`hist:${hist}`);
    const drawn = new Set([0.1, 0.5, 0.74, 0.76, 0.99].map((u, i) => source.size(i, u)));
    expect([...drawn].sort((x, y) => x - y)).toEqual([1, 32]);
    const workload = await loadSizeSource('workload:test/fixtures/workloads/msr-sample.csv');
    expect(workload.size(0, 0)).toBeGreaterThanOrEqual(1);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '1 3\n2 x\n');
    await expect(run(['--pattern', 'fifo', '--sizes', `hist:${bad}`])).rejects.toThrow(`--sizes: ${bad}:2: WEIGHT "x" is not a positive number`);
    await expect(run(['--pattern', 'fifo', '--sizes', `hist:${bad}`])).rejects.toThrow(UserError);
    await expect(run(['--pattern', 'fifo', '--sizes', 'lognormal'])).rejects.toThrow(/unknown size distribution "lognormal"/);
    await expect(run(['--pattern', 'fifo', '--sizes', 'fixed:0'])).rejects.toThrow(/fixed: 0 granules is outside/);
  });

  it('writes an HTML report with alloc and free percentile charts', async () => {
    const html = join(dir, 'latency.html');
    const { code } = await run(['--pattern', 'fifo', '--allocator', 'vmem,tlsf', '--live', '300', '--ops', '160', '--html', html]);
    expect(code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('id="chart-alloc-latency"');
    expect(page).toContain('id="chart-free-latency"');
    expect(page).toContain('vmem');
  });

  it('rejects options that do not fit the pattern', async () => {
    await expect(run(['--pattern', 'churn', '--sizes', 'mix'])).rejects.toThrow(/--sizes: only the latency patterns/);
    await expect(run(['--pattern', 'churn', '--rcache'])).rejects.toThrow(/--rcache: only the latency patterns/);
    await expect(run(['--pattern', 'fifo', '--space', 'half'])).rejects.toThrow(/--space: unknown state "half"/);
    await expect(run(['--pattern', 'fifo', '--live', '4', '--batch', '8'])).rejects.toThrow(/--batch: 8 is more than the live count/);
    await expect(run(['--pattern', 'fifo', '--live', '2000000'])).rejects.toThrow(/--live/);
    await expect(run(['--pattern', 'fifo', '--kernel', '4.19'])).rejects.toThrow(/--kernel/);
  });
});
