// bench/c: the C harness that runs the kernel's own iova.c on the conformance traces, and the
// side-by-side script. The harness is built outside the test run from a kernel tree that is not
// in the repository (`KERNEL_SRC=/path/to/linux bash bench/c/build.sh .bench-out/c`); without it
// the harness tests are skipped with the reason. IOVASIM_C_HARNESS names another build and
// IOVASIM_C_HARNESS_KERNEL the conformance folder its outputs must match (default 7.0).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectSameOutput } from '../support/golden.js';
import { repoRoot, sharedDir } from '../support/shared.js';

const harness = process.env.IOVASIM_C_HARNESS ?? join(repoRoot, '.bench-out', 'c', 'iova-harness');
const kernel = process.env.IOVASIM_C_HARNESS_KERNEL ?? '7.0';
const missing = existsSync(harness) ? null : `the C harness is not built (${harness}; see bench/c/build.sh)`;
if (missing !== null) console.log(`skipped: ${missing}`);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-c-harness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runHarness(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(harness, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(missing !== null)('bench/c/iova-harness', () => {
  const conformance = join(sharedDir(), 'conformance');
  const traces = readdirSync(join(conformance, '7.0')).filter((f) => f.endsWith('.trace')).sort();

  it.each(traces)(`prints the golden ${kernel} output of %s`, (file) => {
    const run = runHarness([join(conformance, '7.0', file)]);
    expect(run.status).toBe(0);
    expectSameOutput(run.stdout, readFileSync(join(conformance, kernel, file.replace(/\.trace$/, '.out')), 'utf8'));
  });

  it('with --bench, prints the same output and the timing line the model prints', () => {
    const file = join(conformance, '7.0', 't25_random_small.trace');
    const run = runHarness([file, '--bench', '3']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(conformance, kernel, 't25_random_small.out'), 'utf8'));
    expect(run.stderr).toMatch(/^replay .*t25_random_small\.trace \(C iova\.c\): 1103 ops, median of 3 runs [\d.]+ ms, [\d.]+ ns\/op, \d+ ops\/s wall; CPU [\d.]+ ms, [\d.]+ ns\/op; parse: wall [\d.]+ ms, [\d.]+ ns\/op, CPU [\d.]+ ms, [\d.]+ ns\/op\n$/);
  });

  it('names the file, line and field of a malformed trace in one line and exits 1', () => {
    const file = join(dir, 'bad.trace');
    writeFileSync(file, 'domain 4096 1\nalloc 4 99999999999999999999 0\n');
    const run = runHarness([file]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${file}:2: LIMIT "99999999999999999999" is not an unsigned decimal number below 2^64\n`);
  });
});

describe('bench/c/side-by-side.mjs', () => {
  it('says in one line that the C harness is not built, and exits 1', () => {
    const absent = join(dir, 'not-built', 'iova-harness');
    const run = spawnSync(process.execPath, [join(repoRoot, 'bench', 'c', 'side-by-side.mjs'), '--harness', absent], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`side-by-side: the C harness is not built (${absent} is missing): run KERNEL_SRC=/path/to/linux bash bench/c/build.sh ${join(dir, 'not-built')}\n`);
  });
});
