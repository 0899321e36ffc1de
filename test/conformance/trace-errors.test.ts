// Malformed traces: `FILE:LINE: what is wrong`, a non-zero exit, never a stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIovaTrace, TraceError } from '../../src/conformance/iova-trace.js';
import { runCli } from '../support/capture.js';

function problem(text: string): string {
  try {
    parseIovaTrace(text, 'bad.trace');
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    return (error as Error).message;
  }
  throw new Error('trace was accepted');
}

describe('trace parser errors', () => {
  it.each([
    ['domain 4096 1\nalloc 1 100\n', 'bad.trace:2: alloc takes 3 arguments (SIZE LIMIT A), got 2'],
    ['domain 4096 1\nallocate 1 100 1\n', 'bad.trace:2: unknown operation "allocate"'],
    ['domain 4096 1\n\n# comment\nalloc x 100 1\n', 'bad.trace:4: SIZE "x" is not an unsigned decimal number'],
    ['domain 4096 1\nalloc 1 -5 1\n', 'bad.trace:2: LIMIT "-5" is not an unsigned decimal number'],
    ['domain 4096 1\nalloc 0 100 1\n', 'bad.trace:2: SIZE must be at least 1'],
    ['domain 4096 1\nalloc 1 100 2\n', 'bad.trace:2: A must be 0 or 1, got 2'],
    ['domain 4096 1\nalloc 1 18446744073709551615 1\n', 'bad.trace:2: LIMIT 18446744073709551615 is above 2^64 - 2'],
    ['domain 4096 1\nfind 18446744073709551616\n', 'bad.trace:2: PFN 18446744073709551616 does not fit in 64 bits'],
    ['domain 3000 1\n', 'bad.trace:1: G 3000 is not a power of two up to 4096'],
    ['domain 4096 1\ndomain 4096 1\n', 'bad.trace:2: second "domain" (the first is on line 1)'],
    ['alloc 1 100 1\n', 'bad.trace:1: alloc before "domain"'],
    ['domain 4096 1\nalloc_fast 1 100 1\n', 'bad.trace:2: alloc_fast before "rcache"'],
    ['cpus 2\ndomain 4096 1\nrcache\ncpu 2\n', 'bad.trace:4: N 2 is not below the CPU count 2'],
    ['domain 4096 1\nrcache\ncpus 4\n', 'bad.trace:3: cpus after "rcache" (line 2)'],
    ['domain 4096 1\nalloc 1 100 1\nfree @1\n', 'bad.trace:3: PFN handle @1 names alloc #1, but only 1 alloc/alloc_fast came before it'],
    ['domain 4096 1\nfree @x\n', 'bad.trace:2: PFN handle "@x" is not @ followed by a decimal number'],
    ['domain 4096 1\nreserve 10 5\n', 'bad.trace:2: LO 10 is above HI 5'],
  ])('%j', (text, message) => {
    expect(problem(text)).toContain(message);
  });

  it('accepts comments, blank lines, tabs and trailing comments', () => {
    const trace = parseIovaTrace('# header\n\ndomain\t4096 1   # init\n  alloc 1\t1048575 1\n', 'ok.trace');
    expect(trace.ops.map((op) => op.line)).toEqual([3, 4]);
  });
});

describe('iovasim iova-trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iovasim-trace-'));

  it('prints FILE:LINE and exits non-zero on a malformed line, without a stack trace', async () => {
    const file = join(dir, 'broken.trace');
    writeFileSync(file, 'domain 4096 1\nalloc 1 1048575 1\nalloc 1 1048575 yes\n');
    const result = await runCli(['iova-trace', file, '--kernel', '7.0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${file}:3: A "yes" is not an unsigned decimal number`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('rejects an unknown kernel version and an unknown option with a usage error', async () => {
    const file = join(dir, 'ok.trace');
    writeFileSync(file, 'domain 4096 1\nalloc 1 1048575 1\n');
    const badKernel = await runCli(['iova-trace', file, '--kernel', '4.19']);
    expect(badKernel.code).toBe(2);
    expect(badKernel.stderr).toContain('--kernel: kernel version 4.19 is older than the first modelled (5.10)');
    const badOption = await runCli(['iova-trace', file, '--kernal', '7.0']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('unknown option --kernal');
  });

  it('reports a missing file by name', async () => {
    const result = await runCli(['iova-trace', join(dir, 'nope.trace')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nope.trace: cannot read: ENOENT');
  });

  it('replays a trace and, with --bench, reports ns/op and ops/s on stderr only', async () => {
    const file = join(dir, 'small.trace');
    writeFileSync(file, 'domain 4096 1\nalloc 1 1048575 1\nalloc 2 1048575 1\nstats\n');
    const result = await runCli(['iova-trace', file, '--kernel', '5.19', '--bench', '--runs', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('1048575 1048575\n1048572 1048573\nnodes 2\nvisits 2\n');
    expect(result.stderr).toMatch(/median of 3 runs [\d.]+ ms, [\d.]+ ns\/op, \d+ ops\/s/);
  });
});
