// The report in a real browser: Debian's Chromium, driven by playwright-core, opens the report from
// disk and every chart must be laid out with a non-zero size and the occupancy pictures decoded.
// Without chromium on PATH the tests are skipped with the reason printed (test/support/services.ts);
// .ci/run installs it, so CI always runs them. IOVASIM_SKIP_BROWSER=1 skips them too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { runCommand as run } from '../../src/cli/commands/run.js';
import { replayCommand as replay } from '../../src/cli/commands/replay.js';
import { PLACEMENT_CHART_IDS, REPORT_CHART_IDS } from '../../src/report/html.js';
import { absentNote } from '../support/services.js';
import { repoRoot } from '../support/shared.js';
import { runCommand } from '../cli/helpers.js';

import { CHROMIUM, CHROMIUM_ARGS as ARGS } from '../support/chromium.js';

/** Skips the calling test, with the reason, when there is no browser to run. */
function needBrowser(context: TestContext): string {
  if (process.env.IOVASIM_SKIP_BROWSER === '1') context.skip('IOVASIM_SKIP_BROWSER=1');
  if (CHROMIUM === undefined) context.skip(absentNote('chromium'));
  return CHROMIUM;
}
const dir = mkdtempSync(join(tmpdir(), 'iovasim-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The slice of the DOM the page-side function uses (the project compiles without the DOM library).
interface PageElement {
  id: string;
  textContent: string | null;
  complete?: boolean;
  naturalWidth?: number;
  naturalHeight?: number;
  getBoundingClientRect(): { width: number; height: number };
  querySelector(selector: string): PageElement | null;
}
interface PageDocument {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

interface Seen {
  charts: Record<string, { width: number; height: number; title: string | null }>;
  /** Charts the page leaves out (all zero), each with the reason it prints. */
  omitted: Record<string, string>;
  images: { id: string; complete: boolean; naturalWidth: number; naturalHeight: number; width: number }[];
  outside: string[];
}

/** Opens `file` in a fresh headless Chromium and measures the charts and pictures. */
async function inspect(executablePath: string, file: string, ids: readonly string[]): Promise<Seen> {
  const profile = mkdtempSync(join(dir, 'profile-'));
  // launchPersistentContext passes the fresh profile as --user-data-dir (launch() refuses that flag).
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ARGS, timeout: 60_000 });
  try {
    const outside: string[] = [];
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('file:') && !url.startsWith('data:')) outside.push(url);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const seen = await page.evaluate((chartIds: string[]) => {
      const document = (globalThis as unknown as { document: PageDocument }).document;
      const charts: Record<string, { width: number; height: number; title: string | null }> = {};
      for (const id of chartIds) {
        const element = document.getElementById(id);
        if (element === null) continue;
        const box = element.getBoundingClientRect();
        const title = element.querySelector(':scope > title')?.textContent ?? element.querySelector('h3')?.textContent ?? null;
        charts[id] = { width: box.width, height: box.height, title };
      }
      const images = Array.from(document.querySelectorAll('img.occupancy')).map((img) => ({
        id: img.id,
        complete: img.complete === true,
        naturalWidth: img.naturalWidth ?? 0,
        naturalHeight: img.naturalHeight ?? 0,
        width: img.getBoundingClientRect().width,
      }));
      const omitted: Record<string, string> = {};
      for (const item of Array.from(document.querySelectorAll('#omitted-charts li'))) omitted[(item as unknown as { dataset: { chart: string } }).dataset.chart] = item.textContent ?? '';
      return { charts, images, omitted };
    }, [...ids]);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    return { ...seen, outside };
  } finally {
    await context.close();
  }
}

describe('the HTML report in Chromium', () => {
  it('lays out every chart (or names it with the reason it is left out) and decodes the occupancy pictures', async (context) => {
    const browser = needBrowser(context);
    const out = join(dir, 'run');
    const made = await runCommand(run, [join(repoRoot, 'test/fixtures/scenarios/small.yaml'), '--compare', 'linux,lazy', '--report', out]);
    expect(made.code).toBe(0);
    const seen = await inspect(browser, join(out, 'index.html'), REPORT_CHART_IDS);
    for (const id of REPORT_CHART_IDS) {
      if (id in seen.omitted) {
        expect(seen.charts[id], `${id} both drawn and left out`).toBeUndefined();
        expect(seen.omitted[id], id).toMatch(/ is not drawn: .{10,}/);
        continue;
      }
      expect(seen.charts[id], id).toBeDefined();
      expect(seen.charts[id].width, id).toBeGreaterThan(0);
      expect(seen.charts[id].height, id).toBeGreaterThan(0);
      if (id !== 'chart-occupancy') expect(seen.charts[id].title, id).toBeTruthy();
    }
    expect(seen.images.map((i) => i.id)).toEqual(['occupancy-0', 'occupancy-1']);
    for (const image of seen.images) {
      expect(image.complete).toBe(true);
      expect(image.naturalWidth).toBe(64);
      expect(image.naturalHeight).toBe(64);
      expect(image.width).toBeGreaterThan(64); // scaled up, pixelated
    }
    expect(seen.outside).toEqual([]);
  });

  it('shows an IOMMU-trace placement report', async (context) => {
    const browser = needBrowser(context);
    const out = join(dir, 'ftrace');
    const made = await runCommand(replay, [join(repoRoot, 'test/fixtures/workloads/iommu-ftrace-snippets.txt'), '--report', out]);
    expect(made.code).toBe(0);
    const seen = await inspect(browser, join(out, 'index.html'), PLACEMENT_CHART_IDS);
    for (const id of PLACEMENT_CHART_IDS) expect(seen.charts[id]?.width ?? 0, id).toBeGreaterThan(0);
    expect(seen.images.map((i) => i.id)).toEqual(['occupancy-recorded', 'occupancy-0']);
    for (const image of seen.images) expect(image.naturalWidth).toBe(64);
  });
});
