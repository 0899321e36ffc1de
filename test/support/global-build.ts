/**
 * Vitest global setup: compiles src/ once per run, for the tests that need JavaScript on disk
 * (worker threads and child processes cannot load TypeScript on Node 20). Tests read the directory
 * with `inject('buildDir')`; it holds dist/ (tsconfig.build.json's output) and a package.json that
 * makes it an ES module scope, and resolves dependencies from the checkout's node_modules.
 *
 * Why here and not in a test's beforeAll: a full tsc run takes tens of seconds on a loaded 2-core
 * machine, beyond any sensible hook timeout, and more than one file needs it. Why cached: the build
 * is keyed by a hash of every file tsc reads from src/ plus the tsconfig, so re-running a single
 * test file does not rebuild unless the source changed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { repoRoot } from './shared.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Compiled copy of src/: `${buildDir}/dist/…`. */
    buildDir: string;
  }
}

const run = promisify(execFile);
/** A build of other sources older than this is deleted. */
const STALE_BUILD_MS = 60 * 60 * 1000;

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(join(repoRoot, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts')).sort();
  for (const file of ['tsconfig.build.json', ...files.map((f) => join('src', f))]) {
    hash.update(file).update('\0').update(await readFile(join(repoRoot, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export async function buildOnce(): Promise<string> {
  const cache = join(repoRoot, 'node_modules/.cache/iovasim-test-build');
  const hash = await sourceHash();
  const dir = join(cache, hash);
  if (existsSync(join(dir, 'complete'))) return dir;
  // Build beside, then rename: a run killed mid-build never leaves a half build under the final name.
  const partial = `${dir}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', join(partial, 'dist'), '--declaration', 'false', '--sourceMap', 'false'], { cwd: repoRoot });
  await writeFile(join(partial, 'package.json'), '{"type":"module"}\n');
  await writeFile(join(partial, 'complete'), '');
  // Builds of other sources are of no further use once no run can be using them: a run started a
  // moment ago (another checkout state, or a test file run while the suite runs) may still be.
  const now = Date.now();
  for (const old of await readdir(cache)) {
    if (old.startsWith(hash)) continue;
    const modified = (await stat(join(cache, old)).catch(() => null))?.mtimeMs ?? now;
    if (now - modified > STALE_BUILD_MS) await rm(join(cache, old), { recursive: true, force: true });
  }
  try {
    await rename(partial, dir);
  } catch (error) {
    // Another run built the same sources first: use its build.
    if (!existsSync(join(dir, 'complete'))) throw error;
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('buildDir', await buildOnce());
}
