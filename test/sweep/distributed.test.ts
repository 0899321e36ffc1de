import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runSweepCommand } from '../../src/cli/commands/sweep.js';
import { runCommand } from '../cli/helpers.js';
import { absentNote, findService } from '../support/services.js';
import { resultLines, sweepYaml, tempDir, writeSweep } from './helpers.js';

// Without redis-server on PATH the test is skipped with the reason printed (test/support/services.ts).
const REDIS = findService('redis-server');
const sweep = { name: 'sweep', summary: '', run: runSweepCommand };

function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((done, fail) => {
    const poll = async (): Promise<void> => {
      if (await check()) return done();
      if (Date.now() > deadline) return fail(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void poll(), 50);
    };
    void poll();
  });
}

describe('distributed sweep on BullMQ', () => {
  let dir = '';
  let server: ChildProcess | undefined;
  let url = '';
  const workers: ChildProcess[] = [];

  let workerMain = '';

  beforeAll(async () => {
    if (REDIS === undefined) return; // the test skips itself with the reason
    dir = await tempDir();
    // A worker process runs the compiled CLI's worker command from the run's one build, with
    // isTTY on so that it prints a line per finished point (the test waits for those).
    workerMain = join(dir, 'worker-child.mjs');
    const command = join(inject('buildDir'), 'dist/cli/commands/worker.js');
    await writeFile(workerMain, `import { runWorkerCommand } from ${JSON.stringify(command)};\nprocess.exit(await runWorkerCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, isTTY: true }));\n`);
    const socket = join(dir, 'redis.sock');
    server = spawn(REDIS, ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await waitFor(() => existsSync(socket), 10_000, 'redis-server to open its socket');
    url = `redis+unix://${socket}?queue=test-${process.pid}`;
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  });

  function startWorker(name: string): ChildProcess {
    const child = spawn(process.execPath, [workerMain, '--queue', url, '--concurrency', '1', '--lock-ms', '1000', '--stalled-ms', '500'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    child.once('exit', (code, signal) => {
      if (code !== 0 && code !== 143 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`worker ${name} exited ${code ?? signal}: ${log}`);
    });
    Object.assign(child, { logText: () => log });
    workers.push(child);
    return child;
  }

  it('two workers, one killed mid-run: every point arrives once and equals the local result', async (context) => {
    if (REDIS === undefined) context.skip(absentNote('redis-server'));
    const file = await writeSweep(dir, sweepYaml({ allocators: ['linux', 'tlsf', 'buddy'], repeats: 2, durationMs: 60 }));
    const local = join(dir, 'local');
    expect((await runCommand(sweep, [file, '--out', local])).code).toBe(0);

    const out = join(dir, 'remote');
    const a = startWorker('a');
    const b = startWorker('b');
    const submitted = runCommand(sweep, [file, '--out', out, '--queue', url, '--poll-ms', '100', '--backoff-ms', '100']);
    // Kill worker a once it has done some work and holds another point (it takes the next at once).
    const log = (): string => (a as unknown as { logText: () => string }).logText();
    await waitFor(() => (log().match(/IOPS/g) ?? []).length >= 2, 60_000, 'worker a to finish two points');
    a.kill('SIGKILL');
    const result = await submitted;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/12 points, 0 already done, 12 run/);

    const remote = await resultLines(out);
    expect(remote).toHaveLength(12);
    expect(new Set(remote.map((l) => JSON.parse(l).id)).size).toBe(12);
    expect([...remote].sort()).toEqual([...(await resultLines(local))].sort());

    // Submitting again is idempotent: nothing is enqueued or stored twice.
    const again = await runCommand(sweep, [file, '--out', out, '--queue', url, '--poll-ms', '100']);
    expect(again.stdout).toMatch(/12 already done, 0 run/);
    expect(await resultLines(out)).toHaveLength(12);
    b.kill('SIGTERM');
    await new Promise((r) => b.once('exit', r));
  });
});
