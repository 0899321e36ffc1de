// Layers depend one way: nothing outside src/cli/ imports src/cli/ (the library, the benchmarks
// and every layer below the CLI build without it).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('layers', () => {
  it('no file outside src/cli/ imports src/cli/, statically or with import()', () => {
    const cli = resolve('src/cli');
    const offenders: string[] = [];
    const files = sources(resolve('src')).filter((f) => !f.startsWith(`${cli}/`));
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.[^']+)'/g)) {
        const target = resolve(dirname(file), match[1]);
        if (target === cli || target.startsWith(`${cli}/`)) offenders.push(`${relative('.', file)} imports ${match[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
