// The HTML report: every chart drawn with an id and a title or left out with the reason, self-contained,
// written atomically, variants side by side, reads and writes apart, the measured window stated, and
// the scenario shown as YAML that loads back.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PLACEMENT_CHART_IDS, renderHtmlReport, REPORT_CHART_IDS, writeHtmlReport } from '../../src/report/html.js';
import { scenarioYaml } from '../../src/report/scenario-text.js';
import { barChart, binaryTicks, lineChart, niceTicks, percentileChart } from '../../src/report/svg.js';
import { simulate, type SimulationResult } from '../../src/sim/engine.js';
import { replayMappings } from '../../src/sim/ftrace-replay.js';
import { PRESETS, SAS_128CPU } from '../../src/sim/presets.js';
import { parseScenarioYaml, type Scenario } from '../../src/sim/scenario.js';
import { readIommuFtrace, type MappingEvent } from '../../src/workloads/iommu-ftrace.js';
import { repoRoot } from '../support/shared.js';

const SMALL: Scenario = {
  ...SAS_128CPU,
  name: 'small',
  cpus: 8,
  durationMs: 30,
  warmupMs: 10,
  intervalMs: 2,
  ageingMaps: 0,
  disks: { ...SAS_128CPU.disks, count: 2 },
  host: { ...SAS_128CPU.host, nrHwQueues: 4 },
  jobs: [{ ...SAS_128CPU.jobs[0], numjobs: 8, iodepth: 32, cpus: [0, 1, 2, 3, 4, 5, 6, 7] }],
};

const dir = mkdtempSync(join(tmpdir(), 'iovasim-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linux = simulate(SMALL);
const lazy = simulate({ ...SMALL, name: 'small-lazy', iommu: { ...SMALL.iommu, invalidation: 'lazy' } });
const runs = (...results: SimulationResult[]): { label: string; result: SimulationResult }[] => results.map((result) => ({ label: result.scenario.name, result }));

/** The charts a page leaves out: id → the reason it gives. */
function omittedCharts(page: string): Map<string, string> {
  const list = /<ul id="omitted-charts"[^>]*>([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '';
  return new Map([...list.matchAll(/<li data-chart="([^"]+)">(.*?)<\/li>/g)].map((m) => [m[1], m[2]]));
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe('renderHtmlReport', () => {
  const html = renderHtmlReport({ title: 'Test <report>', command: 'iovasim run x', notes: ['a note & more'], runs: runs(linux, lazy), generator: 'iovasim test' });

  it('has every chart, each with an id, a <title> and a description, or names it with the reason it is left out', () => {
    for (const id of REPORT_CHART_IDS) expect(html).toContain(id === 'chart-occupancy' ? `id="${id}"` : `"${id}"`);
    const omitted = omittedCharts(html);
    for (const id of REPORT_CHART_IDS.filter((i) => i !== 'chart-occupancy')) {
      if (omitted.has(id)) {
        expect(html, id).not.toContain(`<svg id="${id}"`);
        continue;
      }
      expect(html).toMatch(new RegExp(`<svg id="${id}"[^>]*role="img"[^>]*><title id="${id}-title">[^<]+</title><desc id="${id}-desc">`));
    }
    // The lazy run's flush-queue timer frees into one CPU's magazines, which overflow to the depot:
    // its chart is drawn. The strict run alone has no depot magazine at any sample: left out.
    expect(lazy.series.some((s) => s.depotMagazines > 0)).toBe(true);
    expect(omitted.has('chart-depot-magazines')).toBe(false);
    expect(linux.series.every((s) => s.depotMagazines === 0)).toBe(true);
    expect(omittedCharts(renderHtmlReport({ title: 't', command: 'c', notes: [], runs: runs(linux), generator: 'g' })).get('chart-depot-magazines')).toMatch(/no magazine/);
    // No lock waits at any sample in either run: that chart is left out.
    expect([linux, lazy].every((r) => r.series.every((s) => s.lockWaitNsPerIo === 0))).toBe(true);
    expect(omitted.get('chart-lock-wait')).toMatch(/never contended/);
    // What is drawn has something to show.
    expect(omitted.has('chart-iops')).toBe(false);
    expect(omitted.has('chart-latency-cdf')).toBe(false);
    expect(omitted.has('chart-live-iovas')).toBe(false);
    expect(html).toContain('id="occupancy-0"');
    expect(html).toContain('id="occupancy-1"');
    expect(html).toContain('simulated time (ms)');
    expect(html).toContain('latency, submission to completion (µs, log scale)');
  });

  it('is self-contained and escapes what it prints', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|@import|src="https?:|href="https?:|url\(/i);
    expect(html).toContain('Test &lt;report&gt;');
    expect(html).toContain('a note &amp; more');
    expect(html).toContain("default-src 'none'");
  });

  it('puts the variants side by side and bolds the better one', () => {
    const table = /<table id="summary-table">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    expect(table).toContain('small-lazy');
    expect((table.match(/<tr>/g) ?? []).length).toBeGreaterThan(20);
    expect(table).toContain('class="best"');
  });

  it('shows the scenario as YAML that loads back as the same scenario', () => {
    const yaml = unescape(/<pre id="scenario-yaml">([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? '');
    expect(yaml).toContain('cpus_allowed: 0-7');
    const parsed = parseScenarioYaml(yaml, 'report', PRESETS, SAS_128CPU);
    expect(parsed).toEqual(SMALL);
    expect(scenarioYaml(SMALL, true)).toContain('tree_step_ns: 35');
    expect(html).toContain('id="cost-table"');
    expect(html).toContain('small-lazy: differs in</h3><pre>iommu.invalidation: &quot;strict&quot; → &quot;lazy&quot;');
  });

  it('leaves out charts with nothing to show and says in one line why', () => {
    const none = simulate({ ...SMALL, iommu: { ...SMALL.iommu, mode: 'passthrough' } });
    const page = renderHtmlReport({ title: 'passthrough', runs: runs(none) });
    const omitted = omittedCharts(page);
    expect([...omitted.keys()].sort()).toEqual(['chart-alloc-steps', 'chart-depot-magazines', 'chart-live-iovas', 'chart-lock-wait', 'chart-rcache-hit']);
    for (const [id, why] of omitted) {
      expect(why, id).toMatch(/passthrough/);
      expect(page, id).not.toContain(`<svg id="${id}"`);
    }
    expect(page).toContain('<svg id="chart-iops"');
    expect(page).toContain('<svg id="chart-latency-cdf"');
    // No chart drawn anywhere is a flat line at zero.
    for (const svg of page.match(/<svg id="chart-[^"]+"[\s\S]*?<\/svg>/g) ?? []) expect(svg).not.toContain('class="no-data"');
  });

  it('states the measured window and the warm-up under the title', () => {
    expect(html).toContain('<p class="sub" id="measured-window">Simulated time measured 20 ms after a 10 ms warm-up.');
    expect(linux.measuredMs).toBe(20);
    expect(linux.warmupMs).toBe(10);
  });

  it('reports reads and writes apart, each with its own percentiles', () => {
    const mixed = simulate({ ...SMALL, name: 'mixed', jobs: [{ ...SMALL.jobs[0], numjobs: 4, cpus: [0, 1, 2, 3] }, { ...SMALL.jobs[0], name: 'writer', rw: 'randwrite', bs: 16384, numjobs: 4, cpus: [4, 5, 6, 7] }] });
    expect(mixed.read.ios).toBeGreaterThan(0);
    expect(mixed.write.ios).toBeGreaterThan(0);
    expect(mixed.read.ios + mixed.write.ios).toBe(mixed.ios);
    expect(mixed.write.bytes).toBe(mixed.write.ios * 16384);
    const page = renderHtmlReport({ title: 'mixed', runs: runs(mixed) });
    const table = /<table id="direction-table">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
    const row = (direction: string): string[] => [...(new RegExp(`<tr data-direction="${direction}">(.*?)</tr>`).exec(table)?.[1] ?? '').matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    const read = row('read');
    const write = row('write');
    expect(read[1]).toBe('read');
    expect(write[1]).toBe('write');
    // p50 and p99 columns (µs) are the result's own figures for that direction.
    const shown = (us: number): string => (us < 1000 ? us.toFixed(1) : us.toFixed(0));
    expect(read[6]).toBe(shown(mixed.read.latencyUs.p50));
    expect(write[7]).toBe(shown(mixed.write.latencyUs.p99));
    expect(mixed.read.latencyUs.p50).not.toBe(mixed.write.latencyUs.p50);
    // The single-direction report says which direction had no I/O.
    expect(html).toContain('no writes in the measured window');
  });

  it('counts every allocation in the rcache figure: hits, misses and too large for it', () => {
    // 256 KiB reads on 5.11 without a cap: 64-granule mappings, above the 32-granule largest class.
    const large = simulate({ ...SMALL, name: 'large', jobs: [{ ...SMALL.jobs[0], bs: 262144, iodepth: 4 }] });
    expect(large.rcache.tooLarge).toBeGreaterThan(0);
    expect(large.rcache.hitRate).toBeCloseTo(large.rcache.hits / (large.rcache.hits + large.rcache.misses + large.rcache.tooLarge), 12);
    expect(large.rcache.hitRate).toBeLessThan(1);
    const page = renderHtmlReport({ title: 'large', runs: runs(large) });
    expect(page).toContain('too large for the rcache');
    expect(page).toContain('&gt; 128 KiB');
  });

  it('renders a placement report for an IOMMU trace replay', async () => {
    const events: MappingEvent[] = [];
    for await (const e of readIommuFtrace(join(repoRoot, 'test/fixtures/workloads/iommu-ftrace-snippets.txt'))) events.push(e);
    const placement = replayMappings(events, { ...SAS_128CPU, cpus: 16 });
    const page = renderHtmlReport({ title: 'ftrace', placements: [{ label: 'linux', placement }] });
    for (const id of PLACEMENT_CHART_IDS) expect(page).toContain(`id="${id}"`);
    expect(page).toContain('id="occupancy-recorded"');
    expect(page).toContain('0xfe980000');
  });
});

describe('writeHtmlReport', () => {
  it('writes FILE.html itself when the target ends in .html, atomically, and names a missing folder in one line', async () => {
    const file = join(dir, 'one-report.html');
    expect(await writeHtmlReport(file, { title: 'file', runs: runs(linux) })).toBe(file);
    expect(statSync(file).isFile()).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('<title>file</title>');
    expect(readdirSync(dir).filter((f) => f.startsWith('one-report.html.'))).toEqual([]);
    await expect(writeHtmlReport(join(dir, 'no-such-folder', 'r.html'), { title: 'x', runs: runs(linux) })).rejects.toThrow(/^cannot write the report .*r\.html: its folder does not exist$/);
  });

  it('writes DIR/index.html through a temporary file and replaces an old report', async () => {
    const out = join(dir, 'nested', 'report');
    const path = await writeHtmlReport(out, { title: 'first', runs: runs(linux) });
    expect(path).toBe(join(out, 'index.html'));
    writeFileSync(join(out, 'keep.txt'), 'x');
    await writeHtmlReport(out, { title: 'second', runs: runs(linux) });
    expect(readdirSync(out).sort()).toEqual(['index.html', 'keep.txt']);
    expect(readFileSync(path, 'utf8')).toContain('<title>second</title>');
  });
});

describe('svg charts', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(14, 28, 6)).toEqual([10, 15, 20, 25, 30]);
    expect(niceTicks(0, 0)).toEqual([0, 1]);
    expect(binaryTicks(0, 0x1_0000_0000, 4)).toEqual([0, 0x4000_0000, 0x8000_0000, 0xc000_0000, 0x1_0000_0000]);
  });

  it('keeps ids, titles and legends, and escapes labels', () => {
    const svg = lineChart({ id: 'c1', title: 'T <1>', description: 'd', xLabel: 'x (ms)', yLabel: 'y', series: [{ name: 'a&b', colour: '#000', points: [{ x: 0, y: 1 }, { x: 1, y: 2 }] }] });
    expect(svg).toMatch(/^<svg id="c1"/);
    expect(svg).toContain('<title id="c1-title">T &lt;1&gt;</title>');
    expect(svg).toContain('a&amp;b');
    expect(svg).toContain('<path d="M');
    const bars = barChart({ id: 'c2', title: 't', description: 'd', xLabel: 'x', yLabel: 'y', categories: ['4 KiB'], groups: [{ name: 'g', colour: '#111', values: [50] }], yMax: 100 });
    expect(bars).toContain('class="bar"');
    const cdf = percentileChart({ id: 'c3', title: 't', description: 'd', xLabel: 'x', yLabel: 'y', curves: [{ name: 'v', colour: '#222', points: [{ value: 10, percentile: 50 }, { value: 90, percentile: 99 }, { value: 200, percentile: 100 }] }] });
    expect(cdf).toContain('99.9%');
    expect((cdf.match(/<circle/g) ?? []).length).toBe(3);
  });
});
