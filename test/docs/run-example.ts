/**
 * Runs the examples test/docs/extract.ts finds, in a sandbox directory, in this process.
 *
 * Sandbox: a fresh directory whose `test/`, `src/` and `docs/` link to the checkout and whose
 * `../shared` links to the shared inputs, so the docs' paths (`test/fixtures/…`, `../shared/…`) work
 * as from the repository root, while whatever a command writes (`--report out/`, `> result.json`)
 * stays out of the checkout. The example files the docs name without a path (`ssd-test.fio`,
 * `scenario.yaml`, …) are copies of fixtures listed in EXAMPLE_FILES.
 *
 * Commands run through the CLI's own `main()` (no build, no child process). To keep the suite
 * short, SHORTEN_RULES cut long runs (simulated time, benchmark repetitions); a shortened command's
 * shown output is not compared, since its figures differ. Shell syntax understood: quotes, `#`
 * comments, `> FILE`, `2> FILE`, `2>&1`; anything else (pipes, `&&`, `$(…)`) is refused.
 */
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../src/cli/cli.js';
import { StringSink } from '../support/capture.js';
import { repoRoot, sharedDir } from '../support/shared.js';

/** Files the docs use by a bare name, as copies of fixtures (sandbox path → checkout path). */
export const EXAMPLE_FILES: Readonly<Record<string, string>> = {
  'ssd-test.fio': 'test/fixtures/workloads/fio/ssd-test.fio',
  'jobs/rand-read.fio': 'test/fixtures/workloads/fio/fio-rand-read.fio',
  'scenario.yaml': 'test/fixtures/scenarios/small.yaml',
  'trace.blktrace.0': 'test/fixtures/workloads/blktrace_viewer-sample.blktrace.0',
  'mappings.ftrace': 'test/fixtures/workloads/iommu-ftrace-snippets.txt',
};

export interface Sandbox {
  /** The working directory examples run in. */
  readonly dir: string;
}

export function makeSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'iovasim-docs-'));
  symlinkSync(sharedDir(), join(root, 'shared'));
  const dir = join(root, 'work');
  mkdirSync(dir);
  for (const name of ['test', 'src', 'docs']) symlinkSync(join(repoRoot, name), join(dir, name));
  for (const [name, source] of Object.entries(EXAMPLE_FILES)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    copyFileSync(join(repoRoot, source), join(dir, name));
  }
  return { dir };
}

export interface ParsedCommand {
  /** Arguments after `iovasim`. */
  readonly argv: string[];
  readonly stdoutTo?: string;
  readonly stderrTo?: string;
  readonly stderrToStdout: boolean;
}

/** Splits a doc's command line into words and redirections; throws on shell syntax we do not run. */
export function parseCommand(text: string): ParsedCommand {
  const words: string[] = [];
  let word: string | undefined;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === quote) quote = '';
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word = word ?? '';
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === '>') {
      if (word === '2' && text.startsWith('&1', i + 1)) {
        words.push('2>&1');
        i += 2;
      } else {
        if (word !== undefined && word !== '2') words.push(word);
        words.push(word === '2' ? '2>' : '>');
      }
      word = undefined;
    } else if ('|;&<`'.includes(c) || (c === '$' && text[i + 1] === '(')) {
      throw new Error(`unsupported shell syntax ${JSON.stringify(c)} in ${JSON.stringify(text)}: write one command per line`);
    } else word = (word ?? '') + c;
  }
  if (quote !== '') throw new Error(`unterminated quote in ${JSON.stringify(text)}`);
  if (word !== undefined) words.push(word);

  const program = words[0] === 'node' && words[1] === 'dist/cli/main.js' ? 2 : words[0] === 'iovasim' ? 1 : -1;
  if (program < 0) throw new Error(`not an iovasim command: ${JSON.stringify(text)}`);
  const argv: string[] = [];
  let stdoutTo: string | undefined;
  let stderrTo: string | undefined;
  let stderrToStdout = false;
  for (let i = program; i < words.length; i++) {
    const w = words[i];
    if (w === '>' || w === '2>') {
      const target = words[++i];
      if (target === undefined) throw new Error(`redirection without a file in ${JSON.stringify(text)}`);
      if (w === '>') stdoutTo = target;
      else stderrTo = target;
    } else if (w === '2>&1') stderrToStdout = true;
    else argv.push(w);
  }
  return { argv, stdoutTo, stderrTo, stderrToStdout };
}

function setOption(argv: string[], option: string, value: string): boolean {
  const at = argv.indexOf(option);
  if (at >= 0) {
    if (argv[at + 1] === value) return false;
    argv[at + 1] = value;
  } else argv.push(option, value);
  return true;
}

/**
 * How long-running commands are cut down, by command name: simulations run 20 simulated ms,
 * benchmarks one short run each, the demo 2,000 mappings.
 */
export const SHORTEN_RULES: Readonly<Record<string, (argv: string[]) => boolean>> = {
  simulate: (argv) => setOption(argv, '--duration', '20'),
  // fio's --runtime spelling sets the same time (the two together are an error).
  run: (argv) => (argv.includes('--runtime') ? setOption(argv, '--runtime', '20ms') : setOption(argv, '--duration', '20')),
  'iova-trace': (argv) => argv.includes('--bench') && setOption(argv, '--runs', '1'),
  'alloc-bench': (argv) => {
    let changed = setOption(argv, '--runs', '1');
    changed = setOption(argv, '--ops', '2000') || changed;
    const pattern = argv[argv.indexOf('--pattern') + 1];
    if (pattern === 'zero-churn' || pattern === 'scaling') changed = setOption(argv, '--linux-ops', '10') || changed;
    if (pattern !== 'ageing') changed = setOption(argv, '--live', pattern === 'scaling' ? '1000,2000' : '2000') || changed;
    return changed;
  },
  demo: (argv) => setOption(argv, '--mappings', '2000'),
  age: (argv) => {
    const changed = setOption(argv, '--uptimes', '0,0.05');
    return setOption(argv, '--duration', '25') || changed;
  },
  // A served page would wait for its reader: serve for a second, then exit.
  explore: (argv) => argv.includes('--serve-seconds') && setOption(argv, '--serve-seconds', '1'),
};

export interface CommandRun {
  readonly argv: readonly string[];
  readonly shortened: boolean;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one doc command in the sandbox. */
export async function runDocCommand(sandbox: Sandbox, text: string): Promise<CommandRun> {
  const parsed = parseCommand(text);
  const argv = [...parsed.argv];
  const shortened = SHORTEN_RULES[argv[0]]?.(argv) ?? false;
  const stdout = new StringSink();
  const stderr = parsed.stderrToStdout ? stdout : new StringSink();
  const previous = process.cwd();
  process.chdir(sandbox.dir);
  let code: number;
  try {
    code = await main(argv, { stdout, stderr, isTTY: false });
  } finally {
    process.chdir(previous);
  }
  const place = (file: string): string => (isAbsolute(file) ? file : join(sandbox.dir, file));
  if (parsed.stdoutTo !== undefined && parsed.stdoutTo !== '/dev/null') writeFileSync(place(parsed.stdoutTo), stdout.text);
  if (parsed.stderrTo !== undefined && parsed.stderrTo !== '/dev/null') writeFileSync(place(parsed.stderrTo), stderr.text);
  const shownStdout = parsed.stdoutTo === undefined ? stdout.text : '';
  const shownStderr = parsed.stderrTo === undefined && !parsed.stderrToStdout ? stderr.text : '';
  return { argv, shortened, code, stdout: shownStdout, stderr: shownStderr };
}

/**
 * Whether the doc shows the command failing: its shown output is the one line the CLI prints for
 * bad input, `iovasim COMMAND: …`.
 */
export function showsFailure(shown: readonly string[] | undefined): boolean {
  return shown !== undefined && shown.length === 1 && /^iovasim [\w-]+: /.test(shown[0]);
}

/**
 * The shown lines missing from the actual output: each shown line (trailing blanks ignored) must
 * appear as a whole line, in order; `…` or `...` on a line of its own stands for any number of
 * lines, and a shown line ending in `…` matches any line that starts with the rest.
 */
export function missingShownLines(shown: readonly string[], actual: string): string[] {
  const lines = actual.split('\n').map((l) => l.trimEnd());
  const missing: string[] = [];
  let at = 0;
  for (const raw of shown) {
    const want = raw.trimEnd();
    if (want === '…' || want === '...' || want === '') continue;
    const prefix = want.endsWith('…') ? want.slice(0, -1) : undefined;
    let found = -1;
    for (let i = at; i < lines.length; i++) {
      if (prefix !== undefined ? lines[i].startsWith(prefix) : lines[i] === want) {
        found = i;
        break;
      }
    }
    if (found < 0) missing.push(want);
    else at = found + 1;
  }
  return missing;
}

/**
 * Writes a TypeScript snippet into the sandbox as a module and imports it (vitest transforms it as
 * any test file; `'iovasim'` resolves to src/index.ts through vitest.config.ts). Relative imports
 * are written from the repository root's point of view, so they are made absolute.
 */
export async function runSnippet(sandbox: Sandbox, name: string, code: string): Promise<void> {
  const source = code.replace(/(from\s+|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g, (_m, head: string, q: string, spec: string) => `${head}${q}${resolve(repoRoot, spec)}${q}`);
  const file = join(sandbox.dir, `${name}.ts`);
  // `export {}` makes even a snippet without imports a module (top-level await, own scope).
  writeFileSync(file, `${source}\nexport {};\n`);
  const previous = process.cwd();
  process.chdir(sandbox.dir);
  try {
    await import(pathToFileURL(file).href);
  } finally {
    process.chdir(previous);
  }
}
