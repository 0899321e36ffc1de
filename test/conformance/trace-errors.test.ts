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

  it('parses numbers exactly from their digits: numbers below 2^53, bigints from 2^53 to 2^64 - 1', () => {
    const small = parseIovaTrace('domain 4096 1\nfind 9007199254740991\nfind 0000000000000000000042\n', 'n.trace');
    expect(small.needsBigintPfns).toBe(false);
    expect(small.ops.map((op) => op.values[0])).toEqual([4096, 9007199254740991, 42]);
    const big = parseIovaTrace('domain 4096 1\nfind 9007199254740993\nfind 18446744073709551615\n', 'b.trace');
    expect(big.needsBigintPfns).toBe(true);
    // 2^53 + 1 is not a double: a number parse would have rounded it to 2^53.
    expect(big.ops.map((op) => op.values[0])).toEqual([4096n, 9007199254740993n, 18446744073709551615n]);
  });

  it('skips a UTF-8 byte order mark, as every other reader does', () => {
    const plain = parseIovaTrace('domain 4096 1\nalloc 1 1048575 1\n', 'a.trace');
    const withBom = parseIovaTrace(Buffer.from('\ufeffdomain 4096 1\nalloc 1 1048575 1\n', 'utf8'), 'a.trace');
    expect(withBom.ops).toEqual(plain.ops);
    expect(parseIovaTrace('\ufeffdomain 4096 1\n', 'a.trace').ops).toHaveLength(1);
  });

  it('shows control bytes and invalid UTF-8 in messages as escapes, never raw', () => {
    const message = problem('domain 4096 1\nal\u001b[31mloc 1 2 3\n');
    expect(message).toContain('bad.trace:2: unknown operation "al\\x1b[31mloc"');
    // eslint-disable-next-line no-control-regex
    expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    let binary = '';
    try {
      parseIovaTrace(Buffer.from([0x64, 0x6f, 0x6d, 0x1f, 0x8b, 0x08, 0xff, 0x0a]), 'junk.trace');
    } catch (error) {
      binary = (error as Error).message;
    }
    expect(binary).toBe('junk.trace:1: unknown operation "dom\\x1f\ufffd\\x08\ufffd" (expected one of cpus, domain, rcache, cpu, alloc, free, find, reserve, alloc_fast, free_fast, tick, stats, dump, rcdump, cpudead)');
  });

  it('rejects an empty trace, a trace without operations and a non-text file by name', () => {
    expect(problem('')).toBe('bad.trace: empty file (a trace has at least a "domain" line)');
    expect(problem('# only a comment\n\n')).toBe('bad.trace: no operations in 2 lines (only comments and blank lines)');
    expect(problem('domain 4096 1\nalloc 1 1048575 1\n\u0000\u0001')).toBe('bad.trace:3: not a text file (NUL byte at offset 32)');
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

  it('fails with one line naming the file on an empty file, a binary file and garbage, echoing no raw bytes', async () => {
    const empty = join(dir, 'empty.trace');
    writeFileSync(empty, '');
    const gzip = join(dir, 'trace.gz');
    writeFileSync(gzip, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]));
    const garbage = join(dir, 'garbage.trace');
    writeFileSync(garbage, Buffer.from([0x1b, 0x5d, 0x30, 0x3b, 0x07, 0x9b, 0x32, 0x4a, 0x20, 0x31, 0x0a]));
    const cases: [string, string][] = [
      [empty, `${empty}: empty file`],
      [gzip, `${gzip}:1: not a text file (NUL byte at offset 3)`],
      [garbage, `${garbage}:1: unknown operation "\\x1b]0;\\x07\ufffd2J"`],
    ];
    for (const [file, message] of cases) {
      const result = await runCli(['iova-trace', file, '--kernel', '7.0']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      // eslint-disable-next-line no-control-regex
      expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });

  it('replays a trace that starts with a byte order mark like the same trace without it', async () => {
    const plain = join(dir, 'plain.trace');
    const bom = join(dir, 'bom.trace');
    writeFileSync(plain, 'domain 4096 1\nalloc 4 1048575 1\nstats\n');
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('domain 4096 1\nalloc 4 1048575 1\nstats\n')]));
    const a = await runCli(['iova-trace', plain]);
    const b = await runCli(['iova-trace', bom]);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stdout).toBe('1048572 1048575\nnodes 1\nvisits 1\n');
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
    // Parsing and replay separately, each as wall and CPU time.
    expect(result.stderr).toMatch(/wall; CPU [\d.]+ ms, [\d.]+ ns\/op; parse: wall [\d.]+ ms, [\d.]+ ns\/op, CPU [\d.]+ ms, [\d.]+ ns\/op\n$/);
  });
});
