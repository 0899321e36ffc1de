// The explorer at scale, opt-in (IOVASIM_EXPLORE_SCALE=1; it takes a minute and its figures are
// timings): a seeded 1,000,000-operation trace, generated in a temp dir, opened in Chromium; prints
// how long the page took to open (parse, run through the model with checkpoints, first view) and
// how long seeks and single steps take, beside the plain golden-trace replay of the same file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { parseIovaTrace, runIovaTrace } from '../../src/conformance/iova-trace.js';
import { median } from '../../src/stats/summary.js';
import { runCommand } from '../cli/helpers.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { scaleTrace } from './scale-trace.js';

const reason = process.env.IOVASIM_EXPLORE_SCALE !== '1' ? 'IOVASIM_EXPLORE_SCALE is not 1' : chromiumMissing();
if (reason !== null) console.log(`skipped: ${reason}`);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-explore-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason !== null)('explorer at 1M operations', () => {
  it('opens, seeks and steps', async () => {
    const traceFile = join(dir, '1m.trace');
    const text = scaleTrace(1_000_000);
    writeFileSync(traceFile, text);
    const started = performance.now();
    const trace = parseIovaTrace(text, traceFile);
    runIovaTrace(trace, kernelProfile('7.0'));
    const plainMs = performance.now() - started;
    const page = join(dir, '1m.html');
    expect((await runCommand(exploreCommand, [traceFile, '--out', page])).code).toBe(0);
    const context = await launchChromium(dir);
    try {
      const tab = context.pages()[0] ?? (await context.newPage());
      const opens: number[] = [];
      for (let run = 0; run < 3; run++) {
        await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
        await tab.waitForSelector('body[data-cursor="0"]', { timeout: 120_000 });
        opens.push(Number(await tab.getAttribute('body', 'data-open-ms')));
      }
      const seeks: number[] = [];
      for (const op of [999_999, 10, 500_000, 250_000, 750_123, 123_456, 876_543]) {
        const t = performance.now();
        await tab.evaluate((n) => (location.hash = `op=${n}`), op);
        await tab.waitForSelector(`body[data-cursor="${op}"]`, { timeout: 60_000 });
        seeks.push(performance.now() - t);
      }
      const steps: number[] = [];
      for (let i = 1; i <= 20; i++) {
        const t = performance.now();
        await tab.keyboard.press('ArrowRight');
        await tab.waitForSelector(`body[data-cursor="${876_543 + i}"]`, { timeout: 60_000 });
        steps.push(performance.now() - t);
      }
      console.log(
        `1M ops: plain parse+replay in Node ${plainMs.toFixed(0)} ms; page open (worker: parse, model, checkpoints) median ${median(opens).toFixed(0)} ms of ${opens.map((o) => o.toFixed(0)).join(', ')}; ` +
          `seek median ${median(seeks).toFixed(0)} ms (max ${Math.max(...seeks).toFixed(0)}); step median ${median(steps).toFixed(0)} ms`,
      );
      expect(opens.every((o) => o > 0)).toBe(true);
    } finally {
      await context.close();
    }
  });
});
