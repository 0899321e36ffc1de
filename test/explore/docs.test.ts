// README.md's Explore section and docs/explore.md: every `iovasim explore` command in them runs
// (served ones for one second, written ones into a temp dir), and the figures the README quotes
// for t13's first failure are what the golden trace and the model give.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { Explorer } from '../../src/explore/explorer.js';
import { OUTCOME_FAIL } from '../../src/explore/session.js';
import { runCommand } from '../cli/helpers.js';
import { repoRoot, sharedDir } from '../support/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-explore-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function documentedCommands(file: string): string[][] {
  return readFileSync(join(repoRoot, file), 'utf8')
    .split('\n')
    .filter((line) => /^ {4}iovasim explore /.test(line))
    .map((line) => line.trim().split(/\s+/).slice(2));
}

describe('explore documentation', () => {
  for (const file of ['README.md', 'docs/explore.md']) {
    it(`${file}: every iovasim explore command runs`, async () => {
      const commands = documentedCommands(file);
      expect(commands.length).toBeGreaterThanOrEqual(2);
      for (const [n, args] of commands.entries()) {
        const fixed = args.map((arg, i) => {
          if (args[i - 1] === '--serve-seconds') return '1';
          if (args[i - 1] === '--out') return join(dir, `${n}-${arg.split('/').pop()}`);
          return arg.replace(/^\.\.\/shared\//, `${sharedDir()}/`);
        });
        const result = await runCommand(exploreCommand, fixed);
        expect(result.stderr, args.join(' ')).toBe('');
        expect(result.code, args.join(' ')).toBe(0);
      }
    });
  }

  it("README's figures for t13's first failure are the model's", () => {
    const traceFile = join(sharedDir(), 'conformance/7.0/t13_exhaust32_fast_flush.trace');
    const explorer = new Explorer();
    explorer.open({ name: traceFile, traceText: readFileSync(traceFile, 'utf8'), models: [{ allocator: 'linux', kernel: '7.0' }], notes: [] });
    const first = explorer.find(OUTCOME_FAIL, -1, 1);
    const [view] = explorer.view(first);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const fmt = (n: number): string => n.toLocaleString('en-US');
    expect(readme).toContain(`op ${first}, a 32-bit \`alloc_iova_fast\` of ${view.request?.size} granules`);
    expect(readme).toContain(`walks ${fmt(view.walk.total)} ranges and fails with ${fmt(view.free32.free)} granules free below 4 GiB`);
    expect(readme).toContain(`more than ${fmt(view.free32.largest)}.`);
  });
});
