import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * ../shared/ beside the checkout (CI lays a copy there). Golden traces are read from it rather than
 * copied, because they are large and owned by the conformance suite.
 */
export function sharedDir(): string {
  const candidates = [process.env.IOVASIM_SHARED, join(repoRoot, '../shared')].filter((p): p is string => Boolean(p));
  for (const candidate of candidates) if (existsSync(join(candidate, 'conformance'))) return candidate;
  throw new Error(`shared/ not found beside the checkout (looked in ${candidates.join(', ')}); set IOVASIM_SHARED`);
}
