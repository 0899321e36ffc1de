// The worker-thread pool needs compiled JavaScript (point-worker.js), so this test compiles the sweep
// command and what it imports to a temporary directory, then runs it in child processes: one is
// killed (SIGKILL) mid-sweep, the re-run resumes, and the lines equal an uninterrupted in-process run.
import { execFile, spawn } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSweepCommand } from '../../src/cli/commands/sweep.js';
import { runCommand } from '../cli/helpers.js';
import { resultLines, sweepYaml, tempDir, writeSweep } from './helpers.js';

const run = promisify(execFile);
const sweep = { name: 'sweep', summary: '', run: runSweepCommand };

describe('sweep on the worker-thread pool', () => {
  let build = '';
  beforeAll(async () => {
    build = await tempDir('iovasim-sweep-build-');
    // Only the sweep command's import closure, so unrelated work in progress elsewhere cannot break it.
    await run(resolve('node_modules/.bin/tsc'), ['--outDir', join(build, 'dist'), '--rootDir', 'src', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', '--skipLibCheck', '--strict', 'src/cli/commands/sweep.ts', 'src/sweep/point-worker.ts']);
    await writeFile(join(build, 'package.json'), '{"type":"module"}\n');
    await symlink(resolve('node_modules'), join(build, 'node_modules'));
    await writeFile(join(build, 'main.mjs'), "import { sweepCommand } from './dist/cli/commands/sweep.js';\nprocess.exit(await sweepCommand.run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, isTTY: false }));\n");
    // Compiling the closure (zod's types included) takes 9 s of CPU alone, far more on a shared machine.
  }, 120_000);

  it('killed mid-run and re-run: same lines as an uninterrupted run, none lost or twice', async () => {
    const dir = await tempDir();
    const file = await writeSweep(dir, sweepYaml({ allocators: ['linux', 'tlsf', 'buddy'], repeats: 2, durationMs: 150 }));
    const whole = join(dir, 'whole');
    expect((await runCommand(sweep, [file, '--out', whole])).code).toBe(0);

    const out = join(dir, 'out');
    const child = spawn(process.execPath, [join(build, 'main.mjs'), file, '--out', out, '--workers', '2'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = async (): Promise<number> => (await readFile(join(out, 'results.jsonl'), 'utf8').catch(() => '')).split('\n').length - 1;
    while ((await lines()) < 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const partial = await lines();
    expect(partial).toBeGreaterThanOrEqual(3);

    const { stdout } = await run(process.execPath, [join(build, 'main.mjs'), file, '--out', out, '--workers', '2']);
    expect(stdout).toMatch(new RegExp(`12 points, ${partial} already done, ${12 - partial} run .* on 2 worker thread`));
    const a = await resultLines(whole);
    const b = await resultLines(out);
    expect(new Set(b.map((l) => JSON.parse(l).id)).size).toBe(12);
    expect([...b].sort()).toEqual([...a].sort());
  });
});
