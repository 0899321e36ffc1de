// The closing count line against real vitest runs of small fixture files (test/fixtures/count-reporter/,
// outside the suite's glob): a failing beforeAll, a failing afterAll and an unhandled rejection must
// all be counted as failures, and a skip with a note must print its reason.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './shared.js';

const config = join(repoRoot, 'test/fixtures/count-reporter/vitest.config.ts');
const vitest = join(repoRoot, 'node_modules/vitest/vitest.mjs');

function runFixtures(...files: string[]): { code: number | null; lines: string[] } {
  const child = spawnSync(process.execPath, [vitest, 'run', '--config', config, ...files], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { code: child.status, lines: child.stdout.trimEnd().split('\n') };
}

describe('the count line', () => {
  it('counts tests of a failed beforeAll, a failed afterAll file and an unhandled error as failures', () => {
    const run = runFixtures();
    expect(run.code).toBe(1);
    // passed: passing, the afterAll file's test, the unhandled-error test. failed: 2 tests under the
    // failing beforeAll + the afterAll file + the unhandled error. skipped: it.skip and ctx.skip.
    expect(run.lines.at(-1)).toBe('3 passed, 4 failed, 2 skipped');
    expect(run.lines).toContain('skipped: skips itself with a reason: the service is absent (fixture)');
  });

  it('says 0 failed only for a run that exits 0', () => {
    const run = runFixtures('passing.fixture.ts');
    expect(run.code).toBe(0);
    expect(run.lines.at(-1)).toBe('1 passed, 0 failed, 2 skipped');
  });

  it('counts a failed run even when no test failed (an unhandled error alone)', () => {
    const run = runFixtures('unhandled-error.fixture.ts');
    expect(run.code).toBe(1);
    expect(run.lines.at(-1)).toBe('1 passed, 1 failed');
  });
});
