// The run and sweep reports in a real browser (Debian's Chromium through playwright-core), at 1280
// and 600 px: the fixes of issue 14 must be visible as drawn, not only present in the markup —
// distinct percentiles, read and write rows, the measured window, no empty chart, the rcache's
// "too large" share, legends outside the plot rectangles (the boxes Chromium lays out). Without
// Chromium the tests are skipped with the reason. IOVASIM_WRITE_SCREENSHOTS=1 also writes
// docs/img/report-run-1280.png, report-run-600.png, report-sweep-1280.png and report-sweep-600.png.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand as run } from '../../src/cli/commands/run.js';
import { runSweepCommand } from '../../src/cli/commands/sweep.js';
import { REPORT_CHART_IDS } from '../../src/report/html.js';
import { runCommand } from '../cli/helpers.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { repoRoot } from '../support/shared.js';

const missing = chromiumMissing();
if (missing !== null) console.log(`skipped: ${missing}`);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-report-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WIDTHS = [1280, 600] as const;
const writeScreenshots = process.env.IOVASIM_WRITE_SCREENSHOTS === '1';

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

interface ChartSeen {
  id: string;
  width: number;
  height: number;
  noData: boolean;
  plot: Box;
  legend: Box[];
}

/** Every chart's drawn size, its plot rectangle and its legend entries' boxes, in page pixels. */
const CHARTS = `Array.from(document.querySelectorAll('svg.chart-svg')).map((svg) => {
  const box = (r) => ({ x0: r.left, y0: r.top, x1: r.right, y1: r.bottom });
  const size = svg.getBoundingClientRect();
  const plot = svg.querySelector('rect.plot-area');
  return {
    id: svg.id,
    width: size.width,
    height: size.height,
    noData: svg.querySelector('.no-data') !== null,
    plot: plot === null ? { x0: 0, y0: 0, x1: 0, y1: 0 } : box(plot.getBoundingClientRect()),
    legend: Array.from(svg.querySelectorAll('g.legend > *')).map((e) => box(e.getBoundingClientRect())),
  };
})`;

const intersects = (a: Box, b: Box): boolean => a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5;

function expectChartsClean(charts: ChartSeen[], where: string): void {
  expect(charts.length, where).toBeGreaterThan(0);
  for (const chart of charts) {
    const label = `${where} ${chart.id}`;
    expect(chart.width, label).toBeGreaterThan(200);
    expect(chart.height, label).toBeGreaterThan(100);
    expect(chart.noData, `${label} is drawn empty`).toBe(false);
    expect(chart.plot.x1 - chart.plot.x0, label).toBeGreaterThan(100);
    expect(chart.legend.length, label).toBeGreaterThan(0);
    for (const entry of chart.legend) expect(intersects(entry, chart.plot), `${label}: legend entry ${JSON.stringify(entry)} inside the plot ${JSON.stringify(chart.plot)}`).toBe(false);
  }
}

async function open(page: Page, file: string, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
}

describe.skipIf(missing !== null)('the run and sweep reports in Chromium', () => {
  it('a run report shows distinct percentiles, reads and writes, the window, the rcache share and no empty chart', async () => {
    const file = join(dir, 'run.html');
    const made = await runCommand(run, [join(repoRoot, 'test/fixtures/scenarios/mixed.yaml'), '--compare', 'linux,lazy', '--report', file]);
    expect(made.code).toBe(0);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      for (const width of WIDTHS) {
        await open(page, file, width);
        const where = `run report at ${width} px`;
        const seen = (await page.evaluate(`(() => ({
          window: document.getElementById('measured-window')?.innerText ?? '',
          windowVisible: (document.getElementById('measured-window')?.getBoundingClientRect().height ?? 0) > 0,
          rows: Array.from(document.querySelectorAll('#direction-table tbody tr')).map((tr) => Array.from(tr.cells).map((c) => c.innerText.trim())),
          omitted: Array.from(document.querySelectorAll('#omitted-charts li')).map((li) => [li.dataset.chart, li.innerText]),
          rcacheCaption: document.getElementById('chart-rcache-hit')?.closest('figure')?.querySelector('figcaption')?.innerText ?? '',
          rcacheCategories: Array.from(document.querySelectorAll('#chart-rcache-hit text.tick')).map((t) => t.textContent),
          overflow: document.documentElement.scrollWidth - window.innerWidth,
        }))()`)) as { window: string; windowVisible: boolean; rows: string[][]; omitted: [string, string][]; rcacheCaption: string; rcacheCategories: string[]; overflow: number };
        expect(seen.window, where).toMatch(/^Simulated time measured 30 ms after a 10 ms warm-up\./);
        expect(seen.windowVisible, where).toBe(true);
        // Two variants × read and write; columns: variant, direction, I/Os, IOPS, MB/s, mean, p50, p99, p99.9, max.
        expect(seen.rows.map((r) => r[1]), where).toEqual(['read', 'write', 'read', 'write']);
        for (const row of seen.rows) {
          const [p50, p99, , max] = row.slice(6).map(Number);
          expect(p50, `${where} ${row.join(' ')}`).toBeLessThan(p99);
          expect(p99, `${where} ${row.join(' ')}`).toBeLessThanOrEqual(max);
        }
        expect(seen.rcacheCaption, where).toMatch(/\d+ too large for the rcache \(\d+\.\d%\)/);
        expect(seen.rcacheCategories, where).toContain('> 128 KiB');
        // Each report chart is drawn with something in it, or named with its reason.
        const charts = (await page.evaluate(CHARTS)) as ChartSeen[];
        expectChartsClean(charts, where);
        const omitted = new Map(seen.omitted);
        for (const id of REPORT_CHART_IDS.filter((i) => i !== 'chart-occupancy')) expect(charts.some((c) => c.id === id) !== omitted.has(id), `${where}: ${id} drawn or explained, once`).toBe(true);
        for (const [id, why] of omitted) expect(why, id).toMatch(/is not drawn: .{10,}/);
        expect(seen.overflow, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: writeScreenshots ? join(repoRoot, `docs/img/report-run-${width}.png`) : join(dir, `run-${width}.png`), fullPage: true });
      }
    } finally {
      await context.close();
    }
  });

  it('a sweep report keeps every legend outside its plot at both widths', async () => {
    const sweepFile = join(dir, 'sweep.yaml');
    writeFileSync(
      sweepFile,
      ['name: report-pages', `base: ${JSON.stringify(join(repoRoot, 'test/fixtures/scenarios/small.yaml'))}`, 'axes:', '  allocator: [linux, gap-tree, tlsf]', '  iommu.invalidation: [strict, lazy]', '  duration_ms: [20]', 'repeats: 1', ''].join('\n'),
    );
    const out = join(dir, 'sweep');
    const made = await runCommand({ name: 'sweep', summary: '', run: runSweepCommand }, [sweepFile, '--out', out, '--workers', '1', '--report']);
    expect(made.code).toBe(0);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      for (const width of WIDTHS) {
        await open(page, join(out, 'index.html'), width);
        const charts = (await page.evaluate(CHARTS)) as ChartSeen[];
        expect(charts.map((c) => c.id).sort()).toEqual(['chart-iops-allocator', 'chart-iops-iommu-invalidation', 'chart-p99-allocator', 'chart-p99-iommu-invalidation']);
        expectChartsClean(charts, `sweep report at ${width} px`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, `sweep report at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: writeScreenshots ? join(repoRoot, `docs/img/report-sweep-${width}.png`) : join(dir, `sweep-${width}.png`), fullPage: true });
      }
    } finally {
      await context.close();
    }
  });
});
