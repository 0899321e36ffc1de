// The command line's conventions: --version, -h on every command before anything is read, one
// error prefix, option names as typed, and a start-up path that loads no command.
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { runCli } from '../support/capture.js';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('iovasim', () => {
  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r).toEqual({ code: 0, stdout: `iovasim ${version}\n`, stderr: '' });
    }
  });

  it('--help lists every command of the table; no argument is a usage error', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.stdout).toContain(`  ${c.name.padEnd(11)}  ${c.summary}\n`);
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('iovasim: unknown command "frobnicate"');
    expect((await runCli(['--frobnicate'])).stderr.split('\n')[0]).toBe('iovasim: unknown option --frobnicate');
  });

  it('each row of the table loads the command it names, with the same summary', async () => {
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
    }
  });

  it.each(commands.map((c) => c.name))('%s -h / --help prints its help before reading anything', async (name) => {
    for (const argv of [[name, '-h'], [name, '--help'], [name, '/no/such/file.yaml', '--bogus', '-h'], ['help', name]]) {
      const r = await runCli(argv);
      expect(r.stderr, argv.join(' ')).toBe('');
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: iovasim ${name}\\b`));
      expect(r.stdout).toContain('-h, --help');
    }
  });

  it('prints one prefix per error, naming the option as typed', async () => {
    const cases: [string[], string][] = [
      [['run', '--bogus', 'x.yaml'], 'iovasim run: unknown option --bogus (known: '],
      [['run', '-x', 'x.yaml'], 'iovasim run: unknown option -x (known: '],
      [['simulate', '--json=yes'], 'iovasim simulate: --json is a flag and takes no value'],
      [['simulate', '--cpus'], 'iovasim simulate: --cpus needs a value'],
      [['simulate', '--cpus', '0'], 'iovasim simulate: --cpus: must be between 1 and 4096, got 0'],
      [['simulate', '--duration', '-5'], 'iovasim simulate: --duration: must be between 1 and 3600000, got -5'],
      [['simulate', '--duration', 'soon'], 'iovasim simulate: --duration: "soon" is not a number'],
      [['simulate', '--cap', 'sometimes'], 'iovasim simulate: --cap: must be one of seed, merged, none, got "sometimes"'],
      [['simulate', '--allocator', 'first-fit'], 'iovasim simulate: --allocator: must be one of linux, buddy, gap-tree, vmem, tlsf, got "first-fit"'],
      [['simulate', '--kernel', '4.4'], 'iovasim simulate: --kernel: '],
      [['simulate', '--preset', 'nope'], 'iovasim simulate: --preset: unknown preset "nope"'],
      [['simulate', 'a.yaml', 'b.yaml'], 'iovasim simulate: takes at most one scenario file'],
      [['run'], 'iovasim run: needs one FILE: a scenario YAML or a fio job file'],
      [['sweep', 'x.yaml'], 'iovasim sweep: '],
      [['worker'], 'iovasim worker: --queue URL is required'],
    ];
    for (const [argv, start] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBeGreaterThan(0);
      expect(r.stderr.startsWith(start), `${argv.join(' ')} → ${r.stderr}`).toBe(true);
      expect(r.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/iovasim (\S+): \1:|duration_ms|host\.cap|durationMs/);
    }
  });

  it('simulate, run and sweep take a scenario file that lowers the preset’s CPU count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iovasim-cli-'));
    const file = join(dir, 'sixteen.yaml');
    writeFileSync(file, 'preset: sas-128cpu\ncpus: 16\nduration_ms: 4\nwarmup_ms: 1\nageing_maps: 0\n');
    for (const command of ['simulate', 'run']) {
      const r = await runCli([command, file, '--json']);
      expect(r.stderr, command).toBe('');
      expect(r.code, command).toBe(0);
      const json = JSON.parse(r.stdout) as { scenario?: { cpus: number }; iovasim?: { results: { scenario: { cpus: number; jobs: { numjobs: number }[] } }[] } };
      const scenario = json.scenario ?? json.iovasim?.results[0].scenario;
      expect(scenario).toMatchObject({ cpus: 16, jobs: [{ numjobs: 16 }] });
    }
    const sweepFile = join(dir, 'sweep.yaml');
    writeFileSync(sweepFile, 'base: sixteen.yaml\naxes:\n  allocator: [linux, tlsf]\n');
    const listed = await runCli(['sweep', sweepFile, '--list']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('runs a preset with fewer CPUs (the preset’s jobs follow)', async () => {
    const r = await runCli(['simulate', '--preset', 'sas-128cpu', '--cpus', '4', '--duration', '4', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { scenario: { cpus: number; jobs: { numjobs: number; cpus: number[] }[] }; iops: number };
    expect(result.scenario.cpus).toBe(4);
    expect(result.scenario.jobs[0]).toMatchObject({ numjobs: 4, cpus: [0, 1, 2, 3] });
    expect(result.iops).toBeGreaterThan(0);
  });
});

/** The files a module imports statically (import … from, export … from), resolved; not import(). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)) {
    const spec = match[1] ?? match[2];
    found.push(spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec);
  }
  return found;
}

describe('start-up', () => {
  it('iovasim --help and --version load no command, simulator, zod, bullmq, piscina or playwright', () => {
    const seen = new Set<string>();
    const queue = [resolve('src/cli/main.ts')];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      if (file.startsWith('/')) queue.push(...staticImports(file));
    }
    const loaded = [...seen].map((f) => (f.startsWith('/') ? f.slice(resolve('.').length + 1) : f)).sort();
    expect(loaded).toEqual(['node:fs', 'src/cli/cli.ts', 'src/cli/commands/index.ts', 'src/cli/main.ts', 'src/cli/version.ts', 'src/errors.ts']);
  });
});
