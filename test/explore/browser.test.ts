// The explorer in a real browser: Debian's Chromium through playwright-core opens pages made by
// `iovasim explore`, and what they show is checked against the golden traces (the kernel's own
// output), not against the model. Without Chromium the tests are skipped, with the reason.
// IOVASIM_WRITE_SCREENSHOTS=1 also writes docs/explore-wide.png, docs/explore-narrow.png and
// docs/explore-compare.png.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { parseIovaTrace } from '../../src/conformance/iova-trace.js';
import { runCommand } from '../cli/helpers.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { repoRoot, sharedDir } from '../support/shared.js';

const missing = chromiumMissing();
if (missing !== null) console.log(`skipped: ${missing}`);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-explore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conformance = join(sharedDir(), 'conformance');

/** Each operation's printed lines in a golden .out, by walking the trace (README: what prints what). */
function goldenPerOp(traceFile: string, outFile: string): string[][] {
  const text = readFileSync(traceFile, 'utf8');
  const lines = text.split('\n');
  const trace = parseIovaTrace(text, traceFile);
  const out = readFileSync(outFile, 'utf8').split('\n');
  let at = 0;
  return trace.ops.map((entry) => {
    const name = lines[entry.line - 1].trim().split(/\s+/)[0];
    if (['cpus', 'domain', 'rcache', 'cpu', 'tick', 'cpudead'].includes(name)) return [];
    if (name === 'stats') return out.slice(at, (at += 2));
    if (name === 'dump' || name === 'rcdump') {
      const end = out.indexOf('end', at);
      return out.slice(at, (at = end + 1));
    }
    return out.slice(at, (at += 1));
  });
}

async function makePage(args: string[]): Promise<string> {
  const file = join(dir, `page-${Math.random().toString(36).slice(2)}.html`);
  const made = await runCommand(exploreCommand, [...args, '--out', file]);
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
  return file;
}

async function opened(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
  return Number(await page.getAttribute('body', 'data-open-ms'));
}

async function cursorIs(page: Page, index: number): Promise<void> {
  await page.waitForSelector(`body[data-cursor="${index}"]`, { timeout: 30_000 });
}

describe.skipIf(missing !== null)('iovasim explore in Chromium', () => {
  it('shows at a dump operation exactly the ranges the kernel dumped', async () => {
    const traceFile = join(conformance, '7.0', 't03_reserve_merge.trace');
    const golden = goldenPerOp(traceFile, traceFile.replace(/\.trace$/, '.out'));
    const trace = parseIovaTrace(readFileSync(traceFile, 'utf8'), traceFile);
    const text = readFileSync(traceFile, 'utf8').split('\n');
    const dumps = trace.ops.map((o, i) => (text[o.line - 1].trim().startsWith('dump') ? i : -1)).filter((i) => i >= 0);
    expect(dumps.length).toBeGreaterThan(3);
    const file = await makePage([traceFile, '--kernel', '7.0']);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const outside: string[] = [];
      page.on('request', (request) => {
        if (!/^(file|data|blob):/.test(request.url())) outside.push(request.url());
      });
      await opened(page, pathToFileURL(file).href);
      for (const index of [dumps[1], dumps[dumps.length - 1]]) {
        await page.evaluate((op) => (location.hash = `op=${op}`), index);
        await cursorIs(page, index);
        await page.keyboard.press('0'); // the whole space
        const shown = await page.$$eval('#ranges li[data-range]', (items) => items.map((item) => item.getAttribute('data-range')));
        const dumped = golden[index].filter((line) => line !== 'end');
        expect(dumped.length).toBeGreaterThan(0);
        expect(shown).toEqual(dumped);
      }
      expect(outside).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('finds the first 32-bit failure of t13 with the keyboard, and steps and seeks', async () => {
    const traceFile = join(conformance, '7.0', 't13_exhaust32_fast_flush.trace');
    const golden = goldenPerOp(traceFile, traceFile.replace(/\.trace$/, '.out'));
    const trace = parseIovaTrace(readFileSync(traceFile, 'utf8'), traceFile);
    const text = readFileSync(traceFile, 'utf8').split('\n');
    const firstFail = golden.findIndex((lines, i) => text[trace.ops[i].line - 1].startsWith('alloc_fast') && lines[0] === '0');
    expect(firstFail).toBeGreaterThan(0);
    const file = await makePage([traceFile, '--kernel', '7.0']);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const openMs = await opened(page, pathToFileURL(file).href);
      expect(openMs).toBeGreaterThan(0);
      await cursorIs(page, 0);
      await page.keyboard.press('f');
      await cursorIs(page, firstFail);
      expect(await page.textContent('#result-0')).toContain(`line ${trace.ops[firstFail].line}`);
      expect(await page.textContent('#why-0')).toMatch(/failed/);
      await page.keyboard.press('ArrowRight');
      await cursorIs(page, firstFail + 1);
      await page.keyboard.press('Shift+ArrowLeft');
      await cursorIs(page, firstFail + 1 - 100);
      await page.keyboard.press('g');
      await page.keyboard.type('1234');
      await page.keyboard.press('Enter');
      await cursorIs(page, 1234);
      await page.waitForURL(/op=1234&/);
      // Search from op 1234 for the failing operation's text: the first op after it whose line or
      // printed result contains the text.
      const needle = text[trace.ops[firstFail].line - 1].trim();
      const found = trace.ops.findIndex((entry, i) => i > 1234 && (text[entry.line - 1].includes(needle) || golden[i].join('\n').includes(needle)));
      await page.keyboard.press('Escape');
      await page.keyboard.press('/');
      await page.keyboard.type(needle);
      await page.keyboard.press('Enter');
      await cursorIs(page, found);
      // Play advances the cursor by itself; space again stops it.
      await page.keyboard.press('Escape');
      await page.keyboard.press(' ');
      await page.waitForFunction((from) => Number(document.body.dataset.cursor) > from + 2, found, { timeout: 30_000 });
      await page.keyboard.press(' ');
      if (process.env.IOVASIM_WRITE_SCREENSHOTS === '1') {
        await page.evaluate((op) => (location.hash = `op=${op}`), firstFail);
        await cursorIs(page, firstFail);
        await page.keyboard.press('3');
        await page.setViewportSize({ width: 1400, height: 900 });
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(repoRoot, 'docs/explore-wide.png') });
        await page.setViewportSize({ width: 820, height: 1000 });
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(repoRoot, 'docs/explore-narrow.png') });
      }
    } finally {
      await context.close();
    }
  });

  it('compares 7.0 with 5.19 in lockstep and finds where they first differ', async () => {
    const name = 't16_depot_overflow';
    const traceFile = join(conformance, '7.0', `${name}.trace`);
    const a = goldenPerOp(traceFile, join(conformance, '7.0', `${name}.out`));
    const b = goldenPerOp(traceFile, join(conformance, '5.19', `${name}.out`));
    const expected = a.findIndex((lines, i) => lines.join('\n') !== b[i].join('\n'));
    expect(expected).toBeGreaterThan(0);
    const file = await makePage([traceFile, '--kernel', '7.0', '--compare', '5.19']);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await opened(page, pathToFileURL(file).href);
      expect(Number(await page.getAttribute('#divergence', 'data-index'))).toBe(expected);
      await page.keyboard.press('d');
      await cursorIs(page, expected);
      expect(await page.locator('canvas.strip').count()).toBe(2);
      expect(await page.textContent('#result-0')).toContain(a[expected][0] ?? '');
      expect(await page.textContent('#result-1')).toContain(b[expected][0] ?? '');
      if (process.env.IOVASIM_WRITE_SCREENSHOTS === '1') {
        await page.evaluate((op) => (location.hash = `op=${op}`), expected + 4);
        await cursorIs(page, expected + 4);
        await page.keyboard.press('z');
        for (let i = 0; i < 3; i++) await page.keyboard.press('-');
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(repoRoot, 'docs/explore-compare.png') });
      }
    } finally {
      await context.close();
    }
  });

  it('serves the page on 127.0.0.1 only, and stops after --serve-seconds', async () => {
    const traceFile = join(conformance, '7.0', 't10_retry_explicit.trace');
    let printed = '';
    let announce: (url: string) => void = () => undefined;
    const announced = new Promise<string>((resolve) => (announce = resolve));
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        printed += chunk.toString();
        const match = /http:\/\/[^\s]+/.exec(printed);
        if (match) announce(match[0]);
        callback();
      },
    });
    const stderr = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const running = exploreCommand.run([traceFile, '--no-open', '--serve-seconds', '6'], { stdout, stderr, isTTY: false });
    const url = await announced;
    const { hostname, port } = new URL(url);
    expect(hostname).toBe('127.0.0.1');
    // Not reachable on any other address of this machine.
    const others = Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && !a.internal && a.family === 'IPv4');
    for (const address of others) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: address!.address, port: Number(port) });
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      expect(reached, address!.address).toBe(false);
    }
    expect((await fetch(new URL('/etc/passwd', url))).status).toBe(404);
    const context = await launchChromium(dir);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await opened(page, url);
      await cursorIs(page, 0);
      expect(await page.textContent('#title')).toBe(traceFile);
    } finally {
      await context.close();
    }
    expect(await running).toBe(0);
  });
});
