// `iovasim run`: fio job files and scenario YAML in, summary / fio-style JSON / HTML report out.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand as run } from '../../src/cli/commands/run.js';
import { REPORT_CHART_IDS } from '../../src/report/html.js';
import { fioToScenario } from '../../src/sim/fio-scenario.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import { WorkloadError } from '../../src/workloads/errors.js';
import { parseFioJobFile, parseFioJobText } from '../../src/workloads/fio-job.js';
import { repoRoot } from '../support/shared.js';
import { runCommand } from './helpers.js';

const fio = (name: string): string => join(repoRoot, 'test/fixtures/workloads/fio', name);
const SMALL = join(repoRoot, 'test/fixtures/scenarios/small.yaml');
const MIXED = join(repoRoot, 'test/fixtures/scenarios/mixed.yaml');
const QUICK = ['--duration', '30', '--cpus', '8'];
const dir = mkdtempSync(join(tmpdir(), 'iovasim-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A failure is one line naming the file, without a stack trace. */
function expectCleanError(stderr: string, pattern: RegExp): void {
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

describe('fio job file → scenario', () => {
  it('maps rw, bs, iodepth, numjobs, size and cpus_allowed onto the base scenario', () => {
    const { scenario, notes } = fioToScenario(parseFioJobFile(fio('aio-read.fio')), SAS_128CPU);
    expect(scenario.name).toBe('aio-read');
    expect(scenario.jobs.map((j) => [j.name, j.rw, j.bs, j.iodepth, j.numjobs, j.sizeBytes])).toEqual([
      ['file1', 'randread', 131072, 4, 1, 512 * 2 ** 20],
      ['file2', 'randread', 131072, 32, 1, 512 * 2 ** 20],
      ['file3', 'randread', 131072, 8, 1, 512 * 2 ** 20],
      ['file4', 'randread', 131072, 16, 1, 512 * 2 ** 20],
    ]);
    expect(scenario.jobs[0].cpus).toHaveLength(128);
    expect(scenario.host).toEqual(SAS_128CPU.host);
    expect(notes.some((n) => /no runtime/.test(n))).toBe(true);
  });

  it('turns runtime into the duration, phase after phase, and notes only what is not simulated', () => {
    // ssd-test.fio: four stonewalled jobs of runtime=60: fio runs them one after another, 4 minutes.
    const { scenario, notes } = fioToScenario(parseFioJobFile(fio('ssd-test.fio')), SAS_128CPU);
    expect(scenario.durationMs).toBe(240_000);
    expect(scenario.jobs.map((j) => j.rw)).toEqual(['read', 'randread', 'write', 'randwrite']);
    expect(notes.some((n) => /stonewall/.test(n))).toBe(false); // the phases are simulated (fio-workload.ts)
    const mixed = fioToScenario(parseFioJobFile(fio('fio-rand-RW.fio')), SAS_128CPU);
    expect(mixed.scenario.jobs[0].numjobs).toBe(4);
    expect(mixed.notes.some((n) => /randrw/.test(n))).toBe(false); // the mix is simulated
    expect(mixed.notes.some((n) => /buffered I\/O/.test(n))).toBe(true);
  });

  it('keeps the smallest block size of a split in the JobSpec without a note (the source issues the split), and cpus_allowed when given', () => {
    const text = '[mix]\nioengine=libaio\ndirect=1\nrw=randwrite\nbssplit=4k/50:64k/50\niodepth=8\ncpus_allowed=2-5\nsize=1g\nruntime=2\nramp_time=1\n';
    const { scenario, notes } = fioToScenario(parseFioJobText(text, 'mix.fio'), SAS_128CPU);
    expect(scenario.jobs[0]).toMatchObject({ rw: 'randwrite', bs: 4096, iodepth: 8, cpus: [2, 3, 4, 5], sizeBytes: 2 ** 30 });
    expect(scenario.durationMs).toBe(3000);
    expect(scenario.warmupMs).toBe(1000);
    expect(notes).toEqual([]);
  });

  it('reports a value the simulator cannot take at the job’s line', () => {
    const text = '; comment\n[global]\nbs=4k\n\n[wide]\ncpus_allowed=0-199\n';
    expect(() => fioToScenario(parseFioJobText(text, 'wide.fio'), SAS_128CPU)).toThrow(WorkloadError);
    expect(() => fioToScenario(parseFioJobText(text, 'wide.fio'), SAS_128CPU)).toThrow(/^wide\.fio:5: cpus_allowed: CPU 199 is not below the CPU count 128$/);
  });
});

describe('iovasim run', () => {
  it('runs a fio sample with overrides and prints the summary table', async () => {
    const result = await runCommand(run, [fio('fio-rand-read.fio'), ...QUICK]);
    expect(result.code).toBe(0);
    // The header names the platform the job file selected (ioengine=libaio) on the preset's host.
    expect(result.stdout).toMatch(/^platform: libaio, interrupt completions, no batching, scsi, smmuv3\nscenario\s+IOPS/);
    expect(result.stdout).toMatch(/\nfio-rand-read\s+\d/);
    expect(result.stderr).toMatch(/note: buffered I\/O/);
    expect(result.stderr).not.toMatch(/runtime/); // --duration replaces the job's runtime
  });

  it('runs a scenario YAML file', async () => {
    const result = await runCommand(run, [SMALL, '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.iovasim.format).toBe('scenario-yaml');
    expect(json.iovasim.results[0].scenario).toMatchObject({ name: 'small', cpus: 8, durationMs: 40 });
    expect(json.jobs[0].read.iops).toBeGreaterThan(0);
  });

  it('prints fio-shaped JSON, with every figure under "iovasim"', async () => {
    const result = await runCommand(run, [fio('fio-seq-write.fio'), ...QUICK, '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json['fio version']).toMatch(/^iovasim-\d+\.\d+\.\d+/);
    expect(json.jobs).toHaveLength(1);
    const job = json.jobs[0];
    expect(job.jobname).toBe('fio-seq-write');
    expect(job.read.io_bytes).toBe(0);
    const write = job.write;
    expect(write.io_bytes).toBeGreaterThan(0);
    expect(write.bw).toBe(Math.round(write.bw_bytes / 1024));
    expect(write.iops).toBeGreaterThan(0);
    expect(write.total_ios).toBe(json.iovasim.results[0].ios);
    expect(Object.keys(write.lat_ns.percentile)).toEqual(['50.000000', '99.000000', '99.900000']);
    expect(write.lat_ns.percentile['99.000000']).toBeGreaterThanOrEqual(write.lat_ns.percentile['50.000000']);
    expect(write.lat_ns.mean).toBeGreaterThan(0);
    const rest = json.iovasim.results[0];
    expect(rest.occupancy32).toHaveLength(4096);
    expect(rest.series.length).toBeGreaterThan(0);
    expect(Object.keys(rest)).toEqual(expect.arrayContaining(['mapping', 'lock', 'iotlb', 'rcache', 'allocator', 'cpuUtilisation']));
    expect(json.iovasim.command).toBe('run');
    expect(json.iovasim.format).toBe('fio-job');
  });

  it('fills the JSON "read" and "write" groups each from its own direction', async () => {
    const result = await runCommand(run, [MIXED, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/directions apart/);
    const json = JSON.parse(result.stdout);
    const { read, write } = json.jobs[0];
    const all = json.iovasim.results[0];
    expect(read.total_ios).toBeGreaterThan(0);
    expect(write.total_ios).toBeGreaterThan(0);
    expect(read.total_ios + write.total_ios).toBe(all.ios);
    // 4 KiB reads and 256 KiB writes: each group's bytes are its own I/Os' sizes.
    expect(read.io_bytes).toBe(read.total_ios * 4096);
    expect(write.io_bytes).toBe(write.total_ios * 262144);
    // The writes' 64-granule mappings are above the rcache's largest class: counted, not hidden.
    expect(all.rcache.tooLarge).toBeGreaterThan(0);
    expect(all.rcache.hitRate).toBeCloseTo(all.rcache.hits / (all.rcache.hits + all.rcache.misses + all.rcache.tooLarge), 12);
    expect(write.lat_ns.N).toBe(write.total_ios);
    expect(read.lat_ns.percentile['50.000000']).toBe(Math.round(all.read.latencyUs.p50 * 1e3));
    expect(write.lat_ns.percentile['99.000000']).toBe(Math.round(all.write.latencyUs.p99 * 1e3));
    expect(read.lat_ns.percentile['50.000000']).toBeLessThan(read.lat_ns.percentile['99.000000']);
  });

  it('prints reads and writes apart and the measured window in the text summary', async () => {
    const result = await runCommand(run, [MIXED]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.find((l) => /^mixed\s+read\s/.test(l))).toBeDefined();
    expect(lines.find((l) => /^mixed\s+write\s/.test(l))).toBeDefined();
    expect(result.stdout).toContain('measured 30 ms after a 10 ms warm-up\n');
    const short = await runCommand(run, [SMALL, '--duration', '200']);
    expect(short.stdout).toContain('measured 190 ms after a 10 ms warm-up');
  });

  it('--report FILE.html writes that file, not a folder, and the page states the window', async () => {
    const out = join(dir, 'one.html');
    const result = await runCommand(run, [SMALL, '--duration', '20', '--report', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`report: ${out}\n`);
    expect(statSync(out).isFile()).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('id="measured-window">Simulated time measured 15 ms after a 5 ms warm-up.');
    const missing = await runCommand(run, [SMALL, '--duration', '20', '--report', join(dir, 'absent', 'x.html')]);
    expect(missing.code).toBe(1);
    expectCleanError(missing.stderr, /^iovasim run: cannot write the report .*x\.html: its folder does not exist\n/);
  });

  it('is deterministic: the same seed gives byte-identical JSON', async () => {
    const args = [fio('fio-rand-write.fio'), ...QUICK, '--seed', '7', '--json'];
    const a = await runCommand(run, args);
    const b = await runCommand(run, args);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const other = await runCommand(run, [fio('fio-rand-write.fio'), ...QUICK, '--seed', '8', '--json']);
    expect(other.stdout).not.toBe(a.stdout);
  });

  it('--compare runs one variant per item, side by side', async () => {
    const result = await runCommand(run, [SMALL, '--compare', 'linux,gap-tree,lazy,7.0+merged', '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.jobs.map((j: { jobname: string }) => j.jobname)).toEqual(['linux', 'gap-tree', 'lazy', '7.0+merged']);
    const scenarios = json.iovasim.results.map((r: { scenario: { allocator: string; kernel: string; iommu: { invalidation: string }; host: { cap: string } } }) => r.scenario);
    expect(scenarios.map((s: { allocator: string }) => s.allocator)).toEqual(['linux', 'gap-tree', 'linux', 'linux']);
    expect(scenarios[2].iommu.invalidation).toBe('lazy');
    expect(scenarios[3]).toMatchObject({ kernel: '7.0', host: { cap: 'merged' } });
    expect(json.iovasim.results[2].iotlb.flushes).toBeGreaterThan(0);
    const table = await runCommand(run, [SMALL, '--compare', 'linux,passthrough']);
    expect(table.stdout).toMatch(/small \[linux\]/);
    expect(table.stdout).toMatch(/small \[passthrough\]/);
  });

  it('refuses a --compare item it does not know, and a kernel it does not model', async () => {
    const bad = await runCommand(run, [SMALL, '--compare', 'linux,fastest']);
    expect(bad.code).toBe(2);
    expectCleanError(bad.stderr, /--compare: "fastest" is not an allocator/);
    const old = await runCommand(run, [SMALL, '--kernel', '4.19']);
    expect(old.code).toBe(2);
    expectCleanError(old.stderr, /--kernel: kernel version 4\.19 is older than the first modelled/);
  });

  it('reports malformed input as FILE:LINE: field, exit 1, no stack trace', async () => {
    const badFio = join(dir, 'bad.fio');
    writeFileSync(badFio, '[job]\nrw=randread\nbs=lots\n');
    const a = await runCommand(run, [badFio, ...QUICK]);
    expect(a.code).toBe(1);
    expectCleanError(a.stderr, new RegExp(`^iovasim run: ${badFio.replace(/[.]/g, '\\.')}:3: bs: `));

    const badYaml = join(dir, 'bad.yaml');
    writeFileSync(badYaml, 'preset: sas-128cpu\ncpus: [1\n');
    const b = await runCommand(run, [badYaml]);
    expect(b.code).toBe(1);
    expectCleanError(b.stderr, /bad\.yaml:3:1: not valid YAML/);

    const wrongField = join(dir, 'wrong.yaml');
    writeFileSync(wrongField, 'iommu:\n  invalidation: sloppy\n');
    const c = await runCommand(run, [wrongField]);
    expect(c.code).toBe(1);
    expectCleanError(c.stderr, /wrong\.yaml:2:17: iommu\.invalidation: must be one of strict, lazy/);

    const missing = await runCommand(run, [join(dir, 'nope.fio')]);
    expect(missing.code).toBe(1);
    expectCleanError(missing.stderr, /nope\.fio: cannot read: ENOENT/);
  });

  it('detects a job file without the .fio extension', async () => {
    const jobs = join(dir, 'jobs.ini');
    writeFileSync(jobs, '[global]\nbs=8k\n[reader]\nrw=read\niodepth=4\n');
    const result = await runCommand(run, [jobs, ...QUICK, '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.iovasim.format).toBe('fio-job');
    expect(json.iovasim.results[0].scenario.jobs[0]).toMatchObject({ name: 'reader', bs: 8192, iodepth: 4 });
  });

  it('--report DIR writes one self-contained index.html with every chart drawn or its absence explained', async () => {
    const out = join(dir, 'report');
    const result = await runCommand(run, [SMALL, '--compare', 'linux,gap-tree', '--report', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`report: ${join(out, 'index.html')}`);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(existsSync(join(out, 'index.html.tmp'))).toBe(false);
    for (const id of REPORT_CHART_IDS) expect(html).toMatch(new RegExp(`<svg id="${id}"|<figure id="${id}"|<li data-chart="${id}">[^<]*<strong>[^<]+</strong> is not drawn: [^<]+</li>`));
    expect(html).toContain('id="occupancy-0"');
    expect(html).toContain('id="occupancy-1"');
    expect(html).toMatch(/<img id="occupancy-0" [^>]*src="data:image\/png;base64,iVBORw0KGgo/);
    expect(html).not.toMatch(/<script|<link|@import|src="https?:|href="https?:|url\(/i);
  });

  it('draws a progress bar on stderr when on a terminal', async () => {
    const result = await runCommand(run, [SMALL, '--duration', '60'], true);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\r\[#*\.*\]\s+\d+%/);
    expect(result.stderr.endsWith('\r\x1b[K')).toBe(true);
    const quiet = await runCommand(run, [SMALL]);
    expect(quiet.stderr).toBe('');
  });

  it('--help lists the options', async () => {
    const result = await runCommand(run, ['--help']);
    expect(result.code).toBe(0);
    for (const option of ['--preset', '--compare', '--json', '--report', '--duration', '--iommu', '--cap']) expect(result.stdout).toContain(option);
  });
});
