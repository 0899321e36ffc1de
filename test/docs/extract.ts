/**
 * Finds the runnable examples in Markdown: command lines and TypeScript snippets.
 *
 * The rules (README.md, "Tests and benchmarks", states them for writers):
 *  - A **command** is a line of a code block (fenced, or indented by four spaces) that starts with
 *    `iovasim ` or `node dist/cli/main.js `, optionally after a `$ ` prompt. In a block that uses
 *    `$ ` prompts, the lines after a command up to the next prompt are its **shown output**.
 *  - A command line with an optional part (` [`), alternatives (an unquoted `|`) or an elision
 *    (`…`, `...`) is a **synopsis**: it is listed as not run, with that reason.
 *  - A block tagged `ts` or `typescript` is a **TypeScript snippet**, run as a module.
 *  - `<!-- doc-test: skip REASON -->` as the last non-blank line before a block skips it, printing
 *    REASON. Use it only for what cannot run in a test (a remote server, a real device).
 */

export interface Location {
  readonly file: string;
  /** 1-based line of the command or of the snippet's opening fence. */
  readonly line: number;
}

export interface CommandExample extends Location {
  readonly kind: 'command';
  /** The line as written (prompt removed, continuation lines joined). */
  readonly text: string;
  /** The lines the doc shows as its output (`$` blocks only); undefined when none are shown. */
  readonly shown?: readonly string[];
  /** Why it is not run, if it is not. */
  readonly skip?: string;
}

export interface SnippetExample extends Location {
  readonly kind: 'typescript';
  readonly code: string;
  readonly skip?: string;
}

export type Example = CommandExample | SnippetExample;

interface Block {
  line: number;
  lang: string;
  lines: string[];
  /** First line of the block's body (1-based). */
  bodyLine: number;
  skip?: string;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)?(.*)$/;
const MARKER = /^<!--\s*doc-test:\s*skip\b\s*(.*?)\s*-->\s*$/;
const COMMAND = /^(?:\$ +)?(iovasim|node dist\/cli\/main\.js)(?: |$)/;

function blocksOf(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let lastNonBlank = '';
  let i = 0;
  const markerOf = (): string | undefined => {
    const m = MARKER.exec(lastNonBlank.trim());
    return m ? m[1] || 'marked doc-test: skip' : undefined;
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      const [, indent, marks, lang = ''] = fence;
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !(lines[j].trimStart().startsWith(marks) && lines[j].trim().replaceAll(marks[0], '') === '')) {
        body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
        j++;
      }
      blocks.push({ line: i + 1, bodyLine: i + 2, lang: lang.toLowerCase(), lines: body, skip: markerOf() });
      lastNonBlank = '';
      i = j + 1;
      continue;
    }
    // An indented block: four spaces after a blank line, outside lists' continuation paragraphs.
    if (line.startsWith('    ') && line.trim() !== '' && i > 0 && lines[i - 1].trim() === '' && !/^\s*([-*+]|\d+\.)\s/.test(lastNonBlank)) {
      const body: string[] = [];
      let j = i;
      while (j < lines.length && (lines[j].startsWith('    ') || lines[j].trim() === '')) {
        body.push(lines[j].slice(4));
        j++;
      }
      while (body.length > 0 && body[body.length - 1].trim() === '') body.pop();
      blocks.push({ line: i + 1, bodyLine: i + 1, lang: '', lines: body, skip: markerOf() });
      lastNonBlank = lines[j - 1] ?? '';
      i = j;
      continue;
    }
    if (line.trim() !== '') lastNonBlank = line;
    i++;
  }
  return blocks;
}

/** Unquoted characters of a shell line (quoted parts blanked), to look for syntax outside quotes. */
export function unquoted(text: string): string {
  let out = '';
  let quote = '';
  for (const c of text) {
    if (quote !== '') {
      if (c === quote) quote = '';
      out += ' ';
    } else if (c === "'" || c === '"') {
      quote = c;
      out += ' ';
    } else out += c;
  }
  return out;
}

export function synopsisReason(text: string): string | undefined {
  const bare = unquoted(text.replace(/\s+#.*$/, ''));
  if (/ \[/.test(bare)) return 'synopsis: has an optional part [...]';
  if (bare.includes('|')) return 'synopsis: has alternatives a|b';
  if (bare.includes('…') || bare.includes('...')) return 'synopsis: has an elision';
  return undefined;
}

function isOutputLine(text: string): boolean {
  // `iovasim limits: file: field: problem` is how the CLI reports an error: output, not a command.
  return /^iovasim [\w-]+:/.test(text);
}

/** Every command and TypeScript snippet of one Markdown text. */
export function extractExamples(file: string, text: string): Example[] {
  const examples: Example[] = [];
  for (const block of blocksOf(text)) {
    if (block.lang === 'ts' || block.lang === 'typescript') {
      examples.push({ kind: 'typescript', file, line: block.line, code: block.lines.join('\n'), skip: block.skip });
      continue;
    }
    if (!['', 'sh', 'shell', 'bash', 'console', 'text'].includes(block.lang)) continue;
    const prompted = block.lines.some((l) => l.startsWith('$ '));
    for (let k = 0; k < block.lines.length; k++) {
      const raw = block.lines[k];
      if (prompted ? !raw.startsWith('$ ') : !COMMAND.test(raw) || isOutputLine(raw)) continue;
      if (!COMMAND.test(raw)) continue; // a prompt line running something else (npm, cd)
      const line = block.bodyLine + k;
      let command = raw.replace(/^\$ +/, '');
      while (command.endsWith('\\') && k + 1 < block.lines.length) command = command.slice(0, -1) + ' ' + block.lines[++k].trim();
      let shown: string[] | undefined;
      if (prompted) {
        shown = [];
        while (k + 1 < block.lines.length && !block.lines[k + 1].startsWith('$ ')) shown.push(block.lines[++k]);
        while (shown.length > 0 && shown[shown.length - 1].trim() === '') shown.pop();
      }
      const skip = block.skip ?? synopsisReason(command);
      examples.push({ kind: 'command', file, line, text: command, shown: shown && shown.length > 0 ? shown : undefined, skip });
    }
  }
  return examples;
}
