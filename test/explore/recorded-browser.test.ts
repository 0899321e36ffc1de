// The explorer on a recorded simulation, in Chromium: `iovasim explore SCENARIO.yaml` shows the
// operations the simulated allocator saw, with the pfns the simulation got, and compare mode on two
// allocators finds the first operation index where the two recorded streams differ. The expected
// values come from the simulator run with a recorder here, not from the page's model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { simulate } from '../../src/sim/engine.js';
import { IovaRecorder } from '../../src/sim/iova-recorder.js';
import { readScenarioOrJobFile } from '../../src/sim/scenario-file.js';
import { runCommand } from '../cli/helpers.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { repoRoot } from '../support/shared.js';

const missing = chromiumMissing();
if (missing !== null) console.log(`skipped: ${missing}`);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-explore-recorded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const small = join(repoRoot, 'test/fixtures/scenarios/small.yaml');

/** The scenario as the CLI reads it, simulated with a recorder: each operation's line and alloc result. */
async function recorded(overrides: { kernel: string; allocator?: string }): Promise<{ ops: string[]; results: Map<number, number> }> {
  const { scenario } = await readScenarioOrJobFile(small, { overrides });
  const recorder = new IovaRecorder();
  simulate(scenario, { iovaRecorder: recorder });
  const ops: string[] = [];
  const results = new Map<number, number>();
  let allocs = 0;
  for (const raw of recorder.traceText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('alloc')) results.set(ops.length, recorder.allocResults[allocs++]);
    ops.push(line);
  }
  return { ops, results };
}

async function makePage(args: string[]): Promise<string> {
  const file = join(dir, `page-${Math.random().toString(36).slice(2)}.html`);
  const made = await runCommand(exploreCommand, [...args, '--out', file]);
  expect(made.code, made.stderr).toBe(0);
  return file;
}

async function open(page: Page, file: string): Promise<void> {
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
}

async function seekTo(page: Page, index: number): Promise<void> {
  await page.evaluate((op) => (location.hash = `op=${op}`), index);
  await page.waitForSelector(`body[data-cursor="${index}"]`, { timeout: 30_000 });
  await page.waitForSelector(`#events-body tr.current[data-index="${index}"]`, { timeout: 30_000 });
}

describe.skipIf(missing !== null)('iovasim explore SCENARIO in Chromium', () => {
  it('shows the recorded operations with the pfns the simulation got', async () => {
    const expected = await recorded({ kernel: '7.0' });
    const allocs = [...expected.results.keys()];
    expect(allocs.length).toBeGreaterThan(100);
    const file = await makePage([small, '--kernel', '7.0']);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await open(page, file);
      expect(await page.textContent('#notes')).toMatch(/operations recorded from the simulation/);
      expect(await page.textContent('#op-count')).toBe(`/ ${expected.ops.length - 1}`);
      for (const index of [allocs[0], allocs[Math.floor(allocs.length / 2)], allocs[allocs.length - 1]]) {
        await seekTo(page, index);
        const row = page.locator(`#events-body tr.current`);
        expect((await row.locator('td.code').textContent())?.trim()).toBe(expected.ops[index]);
        const pfn = expected.results.get(index) as number;
        expect(pfn).toBeGreaterThan(0);
        expect((await row.locator('td.out').textContent())?.trim().split(/\s+/)[0]).toBe(String(pfn));
      }
    } finally {
      await context.close();
    }
  });

  it('compares two allocators run on the same scenario by operation index', async () => {
    const a = await recorded({ kernel: '7.0' });
    const b = await recorded({ kernel: '7.0', allocator: 'buddy' });
    let expected = -1;
    for (let i = 0; i < Math.min(a.ops.length, b.ops.length); i++) {
      if (a.ops[i] !== b.ops[i] || a.results.get(i) !== b.results.get(i)) {
        expected = i;
        break;
      }
    }
    expect(expected).toBeGreaterThan(0);
    const file = await makePage([small, '--kernel', '7.0', '--compare', 'buddy']);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await open(page, file);
      expect(Number(await page.getAttribute('#divergence', 'data-index'))).toBe(expected);
      expect(await page.textContent('#divergence')).toMatch(/compared by operation index/);
      await page.keyboard.press('d');
      await page.waitForSelector(`body[data-cursor="${expected}"]`, { timeout: 30_000 });
      await page.waitForSelector(`#events-body tr.current[data-index="${expected}"]`, { timeout: 30_000 });
      const cells = await page.locator('#events-body tr.current td.code').allTextContents();
      expect(cells.map((c) => c.trim())).toEqual([a.ops[expected], b.ops[expected]]);
    } finally {
      await context.close();
    }
  });
});
