// Every command line and TypeScript snippet of README.md and docs/*.md runs (test/docs/extract.ts
// says what counts as one; run-example.ts how it runs). A command must exit 0 — or non-zero where the
// doc shows it failing — and print the output the doc shows, unless it was shortened.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/shared.js';
import { extractExamples, type Example } from './extract.js';
import { makeSandbox, missingShownLines, runDocCommand, runSnippet, showsFailure, type Sandbox } from './run-example.js';

/**
 * Examples known to be broken today, each with the reason. TEMPORARY: each entry must fail when run;
 * once the bug is fixed the test says so, and the entry is to be removed.
 */
const EXPECTED_FAILURES: readonly { file: string; contains: string; reason: string }[] = [];

const files = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const examples: Example[] = files.flatMap((file) => extractExamples(file, readFileSync(join(repoRoot, file), 'utf8')));

function expectedFailure(example: Example): string | undefined {
  const body = example.kind === 'command' ? example.text : example.code;
  return EXPECTED_FAILURES.find((e) => e.file === example.file && body.includes(e.contains))?.reason;
}

function title(example: Example): string {
  const what = example.kind === 'command' ? example.text : `TypeScript snippet: ${example.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? ''}`.slice(0, 120);
  return `${example.file}:${example.line}: ${what}`;
}

describe('README and docs examples', () => {
  let sandbox: Sandbox;
  const notes: string[] = [];
  beforeAll(() => {
    sandbox = makeSandbox();
  });
  afterAll(() => {
    if (notes.length > 0) console.log(`Doc examples not run or not compared:\n${notes.map((n) => `  ${n}`).join('\n')}`);
  });

  it('finds examples in every file it reads', () => {
    expect(examples.filter((e) => e.file === 'README.md').length).toBeGreaterThan(0);
    expect(examples.filter((e) => e.kind === 'typescript').length).toBeGreaterThan(0);
    expect(examples.filter((e) => e.kind === 'command' && e.skip === undefined).length).toBeGreaterThan(0);
    // Every expected failure still names an existing example; a stale entry is an error too.
    for (const entry of EXPECTED_FAILURES) {
      expect(examples.some((e) => e.file === entry.file && (e.kind === 'command' ? e.text : e.code).includes(entry.contains)), entry.contains).toBe(true);
    }
  });

  for (const [index, example] of examples.entries()) {
    it(title(example), async (context) => {
      if (example.skip !== undefined) {
        notes.push(`${example.file}:${example.line}: not run (${example.skip})`);
        context.skip(example.skip);
      }
      const knownBroken = expectedFailure(example);
      if (example.kind === 'typescript') {
        const run = runSnippet(sandbox, `snippet-${index}`, example.code);
        if (knownBroken !== undefined) {
          notes.push(`${example.file}:${example.line}: expected to fail: ${knownBroken}`);
          await expect(run, `fixed? remove it from EXPECTED_FAILURES in test/docs/docs.test.ts (${knownBroken})`).rejects.toThrow();
          return;
        }
        await run;
        return;
      }
      const run = await runDocCommand(sandbox, example.text);
      const output = run.stdout + run.stderr;
      if (knownBroken !== undefined) {
        notes.push(`${example.file}:${example.line}: expected to fail: ${knownBroken}`);
        expect(run.code, `fixed? remove it from EXPECTED_FAILURES in test/docs/docs.test.ts (${knownBroken})`).not.toBe(0);
        return;
      }
      if (showsFailure(example.shown)) expect(run.code, output).not.toBe(0);
      else expect(run.code, output).toBe(0);
      if (example.shown !== undefined) {
        if (run.shortened) notes.push(`${example.file}:${example.line}: output not compared (run as: iovasim ${run.argv.join(' ')})`);
        else expect(missingShownLines(example.shown, output), `shown in ${example.file}:${example.line} but not printed:\n${output}`).toEqual([]);
      }
    });
  }
});
