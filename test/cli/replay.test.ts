// `iovasim replay`: every block-trace sample end to end, format detection and its errors, the
// record cap, and the IOMMU ftrace placement replay.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayCommand as replay } from '../../src/cli/commands/replay.js';
import { PLACEMENT_CHART_IDS, REPORT_CHART_IDS } from '../../src/report/html.js';
import { repoRoot } from '../support/shared.js';
import { runCommand } from './helpers.js';

const sample = (name: string): string => join(repoRoot, 'test/fixtures/workloads', name);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ReplayJson {
  'fio version': string;
  jobs: { jobname: string; read: { total_ios: number; iops: number }; write: { total_ios: number } }[];
  iovasim: {
    command: string;
    format: string;
    notes: string[];
    records: { replayed: number; reads: number; writes: number; capped: boolean; skipped: Record<string, number> };
    results: { ios: number; requests: number; biosPerRequest: number; scenario: { allocator: string; ageingMaps: number } }[];
  };
}

async function replayJson(args: string[]): Promise<ReplayJson> {
  const result = await runCommand(replay, [...args, '--json']);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ReplayJson;
}

describe('iovasim replay: block traces', () => {
  it.each([
    ['blktrace_viewer-sample.blkparse.txt', 'blkparse'],
    ['blktrace_viewer-sample.blktrace.0', 'blktrace'],
    ['msr-sample.csv', 'msr-cambridge'],
    ['libCacheSim-cloudPhysicsIO.head20k.csv', 'cloudphysics'],
    ['MQSim-tpcc-small.trace', 'disksim'],
    ['fio/t0038.iolog', 'fio-iolog'],
  ])('%s (%s) replays end to end', async (name, format) => {
    const json = await replayJson([sample(name)]);
    expect(json.iovasim.format).toBe(format);
    expect(json.iovasim.command).toBe('replay');
    const records = json.iovasim.records;
    expect(records.replayed).toBeGreaterThan(0);
    expect(records.replayed).toBe(records.reads + records.writes);
    const result = json.iovasim.results[0];
    // Every read and write completes (split pieces count as bios of their own).
    expect(result.ios).toBeGreaterThanOrEqual(records.replayed);
    expect(result.scenario.ageingMaps).toBe(0);
    expect(json.jobs[0].read.total_ios + json.jobs[0].write.total_ios).toBe(result.ios);
    expect(json.iovasim.notes).toContain('replay holds the trace in memory (about 30 bytes per record; --max-records caps it)');
  });

  it('replays an I/O larger than max_sectors as one I/O that the block layer splits (not as pre-split pieces)', async () => {
    const file = join(dir, 'large.csv');
    // MSR Cambridge lines: two 2 MiB reads and one 4 KiB write (sas-128cpu: max_sectors 1024 = 512 KiB).
    writeFileSync(file, ['128166386700000123,hm,0,Read,0,2097152,2500', '128166386700010123,hm,0,Read,8388608,2097152,1200', '128166386700020123,hm,0,Write,16777216,4096,1200', ''].join('\n'));
    const json = await replayJson([file]);
    const result = json.iovasim.results[0];
    expect(result.ios).toBe(3);
    // Each 2 MiB read needs at least four requests of at most 512 KiB.
    expect(result.requests).toBeGreaterThanOrEqual(9);
    // Bios per request counts the pieces after the split: at least one per request.
    expect(result.biosPerRequest).toBeGreaterThanOrEqual(1);
    expect(json.iovasim.notes.some((n) => /2 I\/Os larger than max_sectors \(512 KiB\) are split by the block layer/.test(n))).toBe(true);
  });

  it('gives the same result for a blktrace capture and its blkparse text', async () => {
    const binary = await replayJson([sample('blktrace_viewer-sample.blktrace.0')]);
    const text = await replayJson([sample('blktrace_viewer-sample.blkparse.txt')]);
    expect(binary.iovasim.records.skipped.completions).toBeGreaterThan(0);
    expect(JSON.stringify(binary.iovasim.results)).toBe(JSON.stringify(text.iovasim.results));
  });

  it('prints the summary table, and is deterministic', async () => {
    const a = await runCommand(replay, [sample('MQSim-tpcc-small.trace')]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^scenario\s+IOPS/);
    const b = await runCommand(replay, [sample('MQSim-tpcc-small.trace')]);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--compare replays the same records on each variant', async () => {
    const json = await replayJson([sample('fio/t0038.iolog'), '--compare', 'linux,buddy,lazy']);
    expect(json.jobs.map((j) => j.jobname)).toEqual(['linux', 'buddy', 'lazy']);
    expect(json.iovasim.results.map((r) => r.scenario.allocator)).toEqual(['linux', 'buddy', 'linux']);
    const ios = json.iovasim.results.map((r) => r.ios);
    expect(new Set(ios).size).toBe(1);
  });

  it('--max-records caps what is read, and says so', async () => {
    const result = await runCommand(replay, [sample('libCacheSim-cloudPhysicsIO.head20k.csv'), '--max-records', '500', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/note: capped at --max-records 500/);
    const json = JSON.parse(result.stdout) as ReplayJson;
    expect(json.iovasim.records.capped).toBe(true);
    expect(json.iovasim.records.replayed).toBeLessThanOrEqual(500);
    const bad = await runCommand(replay, [sample('msr-sample.csv'), '--max-records', '0']);
    expect(bad.code).toBe(2);
  });

  it('asks for --format when the format is ambiguous, listing the candidates', async () => {
    const path = join(dir, 'ambiguous.csv');
    writeFileSync(path, '1538323200,1234,8,0,1063\n1538323201,4096,8,1,1063\n');
    const result = await runCommand(replay, [path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ambiguous\.csv: format: ambiguous, it reads as any of (tencent, cloudphysics|cloudphysics, tencent); pass --format/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const json = await replayJson([path, '--format', 'tencent']);
    expect(json.iovasim.format).toBe('tencent');
    expect(json.iovasim.records.replayed).toBe(2);
  });

  it('refuses unknown formats and files', async () => {
    const prose = join(dir, 'prose.txt');
    writeFileSync(prose, 'hello world\nthis is not a trace\n');
    const unknown = await runCommand(replay, [prose]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/prose\.txt: format: not a recognised trace format; pass --format/);
    const flag = await runCommand(replay, [prose, '--format', 'csv']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--format: "csv" is not a known format/);
    const missing = await runCommand(replay, [join(dir, 'absent.trace')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/absent\.trace: /);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a malformed record as FILE:LINE: field, exit 1, no stack trace', async () => {
    const path = join(dir, 'broken-msr.csv');
    const good = readFileSync(sample('msr-sample.csv'), 'utf8').split('\n');
    writeFileSync(path, [good[0], good[1], good[2].replace(',Read,', ',Erase,'), ...good.slice(3)].join('\n'));
    const result = await runCommand(replay, [path, '--format', 'msr-cambridge']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^iovasim replay: \S*broken-msr\.csv:3: Type: /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--report writes the charts for a replay', async () => {
    const out = join(dir, 'replay-report');
    const result = await runCommand(replay, [sample('MQSim-tpcc-small.trace'), '--report', out]);
    expect(result.code).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    for (const id of REPORT_CHART_IDS) expect(html).toContain(`id="${id}"`);
  });
});

describe('iovasim replay: IOMMU ftrace', () => {
  const trace = sample('iommu-ftrace-snippets.txt');

  it('replays the mapping lifetimes and compares placements', async () => {
    const result = await runCommand(replay, [trace]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^variant\s+events\s+maps\s+identical/);
    expect(result.stdout).toMatch(/first differences/);
    expect(result.stdout).toMatch(/0xfe980000/);
  });

  it('--json lists counts and the first differences', async () => {
    const result = await runCommand(replay, [trace, '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.jobs).toEqual([]);
    const p = json.iovasim.placements[0];
    expect(json.iovasim.format).toBe('iommu-ftrace');
    // 6 VFIO maps (A), the ath12k dma_alloc (B: its iommu:map and iommu:unmap are skipped as the
    // same mapping), 2 maps (C); unmaps: 2 in A of mappings made before the capture, 1 in B, 2 in C.
    expect(p.level).toBe('both');
    expect(p.maps).toBe(9);
    expect(p.skipped).toBe(2);
    expect(p.unmaps).toBe(5);
    expect(p.unmatchedUnmaps).toBe(2);
    expect(p.identical + p.differencesTotal).toBe(p.maps);
    const alloc = p.differences.find((d: { event: string }) => d.event === 'dma_alloc');
    expect(alloc).toMatchObject({ line: 21, device: '0000:c2:00.0', sizeBytes: 524288, recorded: '0xfe980000' });
    expect(alloc.placed).toMatch(/^0x[0-9a-f]+$/);
    expect(p.occupancyPlaced32).toHaveLength(4096);
  });

  it('--compare and --report give one placement per variant', async () => {
    const out = join(dir, 'ftrace-report');
    const result = await runCommand(replay, [trace, '--compare', 'linux,gap-tree', '--report', out, '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.iovasim.placements.map((p: { label: string }) => p.label)).toEqual(['linux', 'gap-tree']);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    for (const id of PLACEMENT_CHART_IDS) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('id="occupancy-recorded"');
  });

  it('reports a malformed ftrace line at its line', async () => {
    const path = join(dir, 'bad-ftrace.txt');
    writeFileSync(path, '# tracer: nop\n  map: IOMMU: iova=0xZZ paddr=0x1000 size=4096\n');
    const result = await runCommand(replay, [path, '--format', 'iommu-ftrace']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad-ftrace\.txt:2: iova: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
