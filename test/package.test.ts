// What `npm pack` would publish from this checkout: the compiled package, LICENSE and README (and
// the docs the README links), no tests or fixtures, and no source map or map reference that points
// at a file the package does not contain. Reads dist/ as `npm ci` (prepare) or `npm run build` left it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/shared.js';

const run = promisify(execFile);

interface PackResult {
  files: { path: string }[];
}

describe('the npm package', () => {
  it('holds dist, LICENSE and README, no tests or fixtures, and no dangling source maps', async () => {
    expect(existsSync(join(repoRoot, 'dist/index.js')), 'dist/ is missing: npm ci (prepare) or npm run build makes it').toBe(true);
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    const files = new Set((JSON.parse(stdout) as PackResult[])[0].files.map((f) => f.path));
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { license: string; main: string; types: string; bin: Record<string, string> };

    for (const required of ['LICENSE', 'README.md', 'package.json', manifest.main, manifest.types, ...Object.values(manifest.bin)]) {
      expect(files.has(normalize(required)), required).toBe(true);
    }
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 iovasim contributors\n/);
    expect([...files].filter((f) => /^(test|src)\//.test(f) || /fixtures?\//.test(f) || /\.test\.(ts|js)$/.test(f))).toEqual([]);
    expect([...files].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);

    // Every map's sources, and every sourceMappingURL comment, must name a file in the package.
    const dangling: string[] = [];
    for (const file of files) {
      if (file.endsWith('.map')) {
        const map = JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as { sources: string[]; sourceRoot?: string };
        for (const source of map.sources) {
          const target = normalize(join(dirname(file), map.sourceRoot ?? '', source));
          if (!files.has(target)) dangling.push(`${file} -> ${target}`);
        }
      } else if (file.endsWith('.js') || file.endsWith('.d.ts')) {
        const match = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(repoRoot, file), 'utf8'));
        if (match && !files.has(normalize(join(dirname(file), match[1])))) dangling.push(`${file} -> ${match[1]}`);
      }
    }
    expect(dangling).toEqual([]);
  });
});
