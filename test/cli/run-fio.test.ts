/**
 * `iovasim run JOB.fio` as fio users spell it: every example job file of fio (test/fixtures/workloads/fio/,
 * copied from fio's examples/ with the licence note in its README) runs, each option it sets being
 * simulated, without effect, switched off by its value, or named in a note printed before the run
 * and kept in the JSON; fio's --output-format, --runtime and --section.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { runCommand as run } from '../../src/cli/commands/run.js';
import { fioOptionGroup } from '../../src/workloads/fio-options.js';
import { parseFioJobFile } from '../../src/workloads/fio-job.js';
import { repoRoot } from '../support/shared.js';
import { runCommand } from './helpers.js';

const FIO_DIR = join(repoRoot, 'test/fixtures/workloads/fio');
const FILES = readdirSync(FIO_DIR)
  .filter((f) => f.endsWith('.fio'))
  .sort();
// xnvme-compare.fio reads these from the environment (its comment shows how it is run).
const ENV = { FIO_RW: 'randread', FIO_BS: '4k', FIO_IODEPTH: '8' };
const QUICK = ['--duration', '5', '--cpus', '8'];

/** Runs with ENV set, as a user who exported the variables would. */
async function withEnv<T>(body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
  Object.assign(process.env, ENV);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe(`iovasim run on fio's ${FILES.length} example job files (5 ms simulated each)`, () => {
  for (const name of FILES) {
    it(`${name}: runs; every behaviour-changing option it does not simulate is named in a note, on stderr and in the JSON`, async () => {
      const result = await withEnv(() => runCommand(run, [join(FIO_DIR, name), ...QUICK, '--json']));
      expect(result.code, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout);
      const notes: string[] = json.iovasim.notes;
      const printed = result.stderr.split('\n').filter((l) => l.startsWith('note: '));
      expect(printed).toEqual(notes.map((n) => `note: ${n}`));
      const parsed = parseFioJobFile(join(FIO_DIR, name), { env: ENV, ncpus: 8 });
      for (const job of parsed.jobs) {
        for (const [option, value] of Object.entries(job.options)) {
          const group = fioOptionGroup(option);
          expect(group, option).toBeDefined();
          if (group === undefined || group.status === 'simulated' || group.status === 'no effect') continue;
          if (group.offValues?.includes(value === true ? '1' : value.trim()) ?? false) continue;
          expect(
            notes.some((n) => n.includes(`: ${option}: `)),
            `${name}: ${option}=${String(value)} is ${group.status} but no note names it`,
          ).toBe(true);
        }
        const engine = job.ioengine;
        if (engine === 'null') expect(notes.some((n) => /ioengine: null/.test(n))).toBe(true);
      }
      // Nothing is said about what is simulated now.
      for (const gone of [/simulated as bs=/, /simulated as rw=rand/, /run concurrently/, /rate limits .* not modelled/, /thinktime is not modelled/, /simulated as uniform/]) {
        expect(notes.some((n) => gone.test(n)), String(gone)).toBe(false);
      }
      if (parsed.jobs.every((j) => j.ioengine === 'null')) expect(json.iovasim.results[0].ios).toBe(0);
    });
  }
});

describe('fio spellings', () => {
  const file = join(FIO_DIR, 'fio-rand-read.fio');

  it('--output-format=json is --json; normal is the table; anything else is one clear line', async () => {
    const json = await runCommand(run, [file, ...QUICK, '--output-format=json', '--seed', '3']);
    const flag = await runCommand(run, [file, ...QUICK, '--json', '--seed', '3']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(flag.stdout);
    const normal = await runCommand(run, [file, ...QUICK, '--output-format', 'normal']);
    expect(normal.stdout).toMatch(/^platform: .*\nscenario\s+IOPS/);
    const terse = await runCommand(run, [file, ...QUICK, '--output-format=terse']);
    expect(terse.code).toBe(2);
    expect(terse.stderr.trim().split('\n')).toEqual(['iovasim run: --output-format: "terse" is not json or normal (the formats iovasim writes)']);
  });

  it('--runtime is in seconds (or with fio’s suffixes) and conflicts with --duration', async () => {
    const seconds = await runCommand(run, [file, '--cpus', '8', '--runtime', '0', '--json']);
    expect(seconds.code).toBe(2);
    expect(seconds.stderr.trim()).toBe('iovasim run: --runtime: must be above 0, got "0"');
    const ms = await runCommand(run, [file, '--cpus', '8', '--runtime', '20ms', '--json']);
    expect(ms.code).toBe(0);
    expect(JSON.parse(ms.stdout).iovasim.results[0].scenario.durationMs).toBe(20);
    const both = await runCommand(run, [file, '--cpus', '8', '--runtime', '1', '--duration', '20']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('iovasim run: --runtime and --duration both set the simulated time: give one');
    const bad = await runCommand(run, [file, '--runtime', '1x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^iovasim run: --runtime: unknown time suffix/);
  });

  it('--section runs only the named job sections (repeated or as a comma list)', async () => {
    const ssd = join(FIO_DIR, 'ssd-test.fio');
    const jobsOf = (stdout: string): string[] => JSON.parse(stdout).iovasim.results[0].scenario.jobs.map((j: { name: string }) => j.name);
    const one = await runCommand(run, [ssd, ...QUICK, '--section', 'rand-write', '--json']);
    expect(one.code).toBe(0);
    expect(jobsOf(one.stdout)).toEqual(['rand-write']);
    const two = await runCommand(run, [ssd, ...QUICK, '--section', 'seq-read', '--section', 'rand-read', '--json']);
    const list = await runCommand(run, [ssd, ...QUICK, '--section', 'seq-read,rand-read', '--json']);
    expect(jobsOf(two.stdout)).toEqual(['seq-read', 'rand-read']);
    expect(list.stdout).toBe(two.stdout);
    const missing = await runCommand(run, [ssd, ...QUICK, '--section', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/ssd-test\.fio: section: no job section "nope"/);
  });

  it('prints the notes before the run starts (before the progress bar)', async () => {
    const result = await runCommand(run, [join(FIO_DIR, 'numa.fio'), ...QUICK], true);
    expect(result.code).toBe(0);
    const firstNote = result.stderr.indexOf('note: ');
    const firstBar = result.stderr.indexOf('\r[');
    expect(firstNote).toBeGreaterThanOrEqual(0);
    expect(firstBar).toBeGreaterThan(firstNote);
    expect(result.stderr.slice(firstBar)).not.toContain('note: ');
  });

  it('--compare on a job file runs the variants on worker threads (compiled CLI) with the job file’s sources: each equals its run alone', async () => {
    const main = join(inject('buildDir'), 'dist/cli/main.js');
    const iometer = join(FIO_DIR, 'iometer-file-access-server.fio');
    const { stdout } = await promisify(execFile)(process.execPath, [main, 'run', iometer, ...QUICK, '--compare', 'linux,tlsf', '--json'], { maxBuffer: 1 << 28 });
    const compared = JSON.parse(stdout).iovasim.results as { scenario: { name: string } }[];
    expect(compared).toHaveLength(2);
    for (const [i, allocator] of ['linux', 'tlsf'].entries()) {
      const alone = await runCommand(run, [iometer, ...QUICK, '--allocator', allocator, '--json']);
      const single = JSON.parse(alone.stdout).iovasim.results[0];
      expect({ ...compared[i], scenario: { ...compared[i].scenario, name: single.scenario.name } }).toEqual(single);
    }
  });
});

describe('fio keywords that need the simulated host', () => {
  it('$mb_memory comes from --mb-memory (never from the machine running iovasim); without it, one line naming the file, line and option', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iovasim-mb-'));
    try {
      const file = join(dir, 'mb.fio');
      writeFileSync(file, '[j]\nioengine=libaio\ndirect=1\nrw=randread\nbs=4k\nsize=$mb_memory*1024\nruntime=1\n');
      const missing = await runCommand(run, [file, ...QUICK]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      expect(missing.stderr).toMatch(/mb\.fio:6: size: .*--mb-memory/);
      const given = await runCommand(run, [file, ...QUICK, '--mb-memory', '64', '--json']);
      expect(given.code).toBe(0);
      const json = JSON.parse(given.stdout) as { iovasim: { results: { scenario: { jobs: { sizeBytes: number }[] } }[] } };
      expect(json.iovasim.results[0].scenario.jobs[0].sizeBytes).toBe(64 * 1024);
      const bad = await runCommand(run, [file, ...QUICK, '--mb-memory', 'lots']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--mb-memory: must be a whole number of MiB/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
