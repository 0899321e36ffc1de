// The doc-example extractor and runner helpers on small, hand-written inputs.
import { describe, expect, it } from 'vitest';
import { extractExamples } from './extract.js';
import { missingShownLines, parseCommand, showsFailure } from './run-example.js';

const MARKDOWN = [
  '# Title', // 1
  '',
  '    npm ci && npm test', // 3: indented, not iovasim
  '    node dist/cli/main.js demo --seed 2 # comment', // 4
  '',
  '```', // 6
  '$ iovasim limits --preset x', // 7
  'line one',
  '…',
  'line three',
  '$ iovasim limits --file bad.yaml', // 11
  'iovasim limits: bad.yaml: iommu.granule: 3000 is not a power of two (line 3)',
  '```',
  '',
  '```sh', // 15
  'iovasim sweep s.yaml --out r/ [--workers N]', // 16
  "iovasim worker --queue 'redis://h/0?queue=a|b'", // 17
  '```',
  '',
  '<!-- doc-test: skip needs a real disk -->',
  '```', // 21
  'iovasim replay /dev/sda', // 22
  '```',
  '',
  '```ts', // 25
  "import { simulate } from 'iovasim';",
  '```',
  '',
  '```yaml', // 29
  'iovasim: not a command',
  '```',
].join('\n');

describe('extractExamples', () => {
  it('finds commands, their shown output, synopses, skips and snippets', () => {
    const found = extractExamples('doc.md', MARKDOWN);
    expect(found).toEqual([
      { kind: 'command', file: 'doc.md', line: 4, text: 'node dist/cli/main.js demo --seed 2 # comment', shown: undefined, skip: undefined },
      { kind: 'command', file: 'doc.md', line: 7, text: 'iovasim limits --preset x', shown: ['line one', '…', 'line three'], skip: undefined },
      { kind: 'command', file: 'doc.md', line: 11, text: 'iovasim limits --file bad.yaml', shown: ['iovasim limits: bad.yaml: iommu.granule: 3000 is not a power of two (line 3)'], skip: undefined },
      { kind: 'command', file: 'doc.md', line: 16, text: 'iovasim sweep s.yaml --out r/ [--workers N]', shown: undefined, skip: 'synopsis: has an optional part [...]' },
      { kind: 'command', file: 'doc.md', line: 17, text: "iovasim worker --queue 'redis://h/0?queue=a|b'", shown: undefined, skip: undefined },
      { kind: 'command', file: 'doc.md', line: 22, text: 'iovasim replay /dev/sda', shown: undefined, skip: 'needs a real disk' },
      { kind: 'typescript', file: 'doc.md', line: 25, code: "import { simulate } from 'iovasim';", skip: undefined },
    ]);
  });
});

describe('parseCommand', () => {
  it('splits words, quotes, comments and redirections', () => {
    expect(parseCommand("node dist/cli/main.js iova-trace 'a b.trace' --bench > /dev/null 2>&1 # note")).toEqual({
      argv: ['iova-trace', 'a b.trace', '--bench'],
      stdoutTo: '/dev/null',
      stderrTo: undefined,
      stderrToStdout: true,
    });
    expect(parseCommand('iovasim run x.yaml --json >out.json 2> err.txt')).toMatchObject({ argv: ['run', 'x.yaml', '--json'], stdoutTo: 'out.json', stderrTo: 'err.txt' });
  });

  it('refuses shell syntax it does not run', () => {
    expect(() => parseCommand('iovasim run x | head')).toThrow(/unsupported shell syntax "\|"/);
    expect(() => parseCommand('iovasim run x && iovasim run y')).toThrow(/unsupported shell syntax "&"/);
    expect(() => parseCommand('npm test')).toThrow(/not an iovasim command/);
  });
});

describe('comparing shown output', () => {
  it('needs every shown line in order; … skips lines and ends a prefix', () => {
    const actual = 'head\nline one\nmiddle\nline three  \nprefix and more\n';
    expect(missingShownLines(['line one', '…', 'line three', 'prefix…'], actual)).toEqual([]);
    expect(missingShownLines(['line three', 'line one'], actual)).toEqual(['line one']);
    expect(missingShownLines(['line two'], actual)).toEqual(['line two']);
  });

  it('takes a single `iovasim COMMAND:` line as a failure shown', () => {
    expect(showsFailure(['iovasim limits: x.yaml: a: bad'])).toBe(true);
    expect(showsFailure(['iovasim limits: host', 'max_sectors_kb 128'])).toBe(false);
    expect(showsFailure(undefined)).toBe(false);
  });
});
