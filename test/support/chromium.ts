// Debian's Chromium driven by playwright-core, as the browser tests use it: headless, no sandbox,
// no network chatter of its own, a fresh profile each time. Tests call chromiumMissing() first and
// skip with its reason when it returns one.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { absentNote, findService } from './services.js';

/** The Chromium binary on PATH (honouring IOVASIM_HIDE_SERVICES), or undefined. */
export const CHROMIUM = findService('chromium');
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  if (process.env.IOVASIM_SKIP_BROWSER === '1') return 'IOVASIM_SKIP_BROWSER=1';
  if (CHROMIUM === undefined) return absentNote('chromium');
  return null;
}

/** A fresh headless Chromium with its own profile under `dir` (passed as --user-data-dir). */
export async function launchChromium(dir: string, viewport = { width: 1400, height: 900 }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(dir, 'profile-'));
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM ?? 'chromium', headless: true, args: CHROMIUM_ARGS, timeout: 60_000, viewport });
}
