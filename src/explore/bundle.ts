/**
 * Bundles the page and its worker for the browser with esbuild, on demand: esbuild is loaded only
 * by `iovasim explore`, never by the rest of the library. The entries are this module's siblings
 * (page and worker, .ts when run from the sources, .js from dist/), bundled for the browser: a pure
 * model module that reached for a Node built-in would fail the build here rather than in the page.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageBundles } from './page-html.js';

let cached: Promise<PageBundles> | null = null;

async function bundleOne(entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** The page's and the worker's code, bundled once per process. */
export function explorerBundles(): Promise<PageBundles> {
  if (cached === null) {
    const here = fileURLToPath(import.meta.url);
    const extension = extname(here);
    const sibling = (name: string): string => here.slice(0, -`bundle${extension}`.length) + name + extension;
    cached = Promise.all([bundleOne(sibling('page')), bundleOne(sibling('worker'))]).then(([page, worker]) => ({ page, worker }));
  }
  return cached;
}
