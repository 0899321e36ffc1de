// The worker-thread pool needs compiled JavaScript (point-worker.js), so this test runs the sweep
// command from the run's one build (test/support/global-build.ts) in child processes: one is killed
// (SIGKILL) mid-sweep, the re-run resumes, and the lines equal an uninterrupted in-process run.
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { runSweepCommand } from '../../src/cli/commands/sweep.js';
import { runCommand } from '../cli/helpers.js';
import { resultLines, sweepYaml, tempDir, writeSweep } from './helpers.js';

const run = promisify(execFile);
const sweep = { name: 'sweep', summary: '', run: runSweepCommand };

describe('sweep on the worker-thread pool', () => {
  const build = inject('buildDir');
  const main = join(build, 'dist/cli/main.js');

  it('killed mid-run and re-run: same lines as an uninterrupted run, none lost or twice', async () => {
    const dir = await tempDir();
    const file = await writeSweep(dir, sweepYaml({ allocators: ['linux', 'tlsf', 'buddy'], repeats: 2, durationMs: 150 }));
    const whole = join(dir, 'whole');
    expect((await runCommand(sweep, [file, '--out', whole])).code).toBe(0);

    const out = join(dir, 'out');
    const child = spawn(process.execPath, [main, 'sweep', file, '--out', out, '--workers', '2'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = async (): Promise<number> => (await readFile(join(out, 'results.jsonl'), 'utf8').catch(() => '')).split('\n').length - 1;
    while ((await lines()) < 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const partial = await lines();
    expect(partial).toBeGreaterThanOrEqual(3);

    const { stdout } = await run(process.execPath, [main, 'sweep', file, '--out', out, '--workers', '2']);
    expect(stdout).toMatch(new RegExp(`12 points, ${partial} already done, ${12 - partial} run .* on 2 worker thread`));
    const a = await resultLines(whole);
    const b = await resultLines(out);
    expect(new Set(b.map((l) => JSON.parse(l).id)).size).toBe(12);
    expect([...b].sort()).toEqual([...a].sort());
  });
});
