// `iovasim explore` on the command line: what it writes, how it reads ftrace, and one clear line
// for each kind of bad input. The page's behaviour is tested in Chromium (./browser.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { parseIovaTrace } from '../../src/conformance/iova-trace.js';
import { ftraceToTrace } from '../../src/explore/ftrace-trace.js';
import { runCommand } from '../cli/helpers.js';
import { repoRoot, sharedDir } from '../support/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-explore-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const t01 = join(sharedDir(), 'conformance/7.0/t01_tiny_basic.trace');
const ftrace = join(repoRoot, 'test/fixtures/workloads/iommu-ftrace-snippets.txt');

describe('iovasim explore', () => {
  it('writes one self-contained page with --out', async () => {
    const out = join(dir, 't01.html');
    const result = await runCommand(exploreCommand, [t01, '--kernel', '5.19', '--compare', 'buddy', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(out);
    const html = readFileSync(out, 'utf8');
    // Nothing is fetched: no src= or href= pointing anywhere, the worker travels inside the page.
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).toContain('id="explore-worker"');
    const input = JSON.parse(/<script type="application\/json" id="explore-input">(.*?)<\/script>/s.exec(html)![1]) as { models: unknown[]; traceText: string };
    expect(input.models).toEqual([
      { allocator: 'linux', kernel: '5.19' },
      { allocator: 'buddy', kernel: '5.19' },
    ]);
    expect(input.traceText).toBe(readFileSync(t01, 'utf8'));
    // The browser bundle holds no Node built-ins.
    expect(html).not.toMatch(/require\("(node:)?(fs|path|os|child_process)"\)/);
  });

  it('turns an ftrace capture into a trace of alloc_fast and free_fast', async () => {
    const converted = await ftraceToTrace(ftrace);
    expect(converted.maps).toBeGreaterThan(0);
    const trace = parseIovaTrace(converted.traceText, ftrace);
    const lines = converted.traceText.split('\n');
    const allocs = lines.filter((l) => l.startsWith('alloc_fast'));
    expect(allocs.length).toBe(converted.maps);
    expect(lines.filter((l) => l.startsWith('free_fast')).length).toBe(converted.unmaps);
    // The kernel's placement of a mapping is kept beside the model's request.
    expect(allocs[0]).toMatch(/kernel iova 0x[0-9a-f]+/);
    expect(trace.ops.length).toBeGreaterThan(converted.maps);
    const out = join(dir, 'ftrace.html');
    const result = await runCommand(exploreCommand, [ftrace, '--compare', 'gap-tree', '--out', out]);
    expect(result.code).toBe(0);
  });

  it('refuses bad input with one line naming what is wrong', async () => {
    const bad = join(dir, 'bad.trace');
    writeFileSync(bad, 'cpus 2\ndomain 4096 1\nalloc 1 x 0\n');
    const cases: [string[], number, RegExp][] = [
      [[bad, '--out', join(dir, 'x.html')], 1, /bad\.trace:3: LIMIT "x" is not an unsigned decimal number/],
      [[join(dir, 'none.trace')], 1, /none\.trace: cannot read: ENOENT/],
      [[t01, '--kernel', '4.9'], 2, /--kernel: kernel version 4\.9 is older/],
      [[t01, '--compare', 'slab'], 2, /--compare: "slab" is neither a kernel version/],
      [[t01, '--allocator', 'slab'], 2, /--allocator: "slab" is not one of/],
      [[t01, '--port', '70000'], 2, /--port: 70000 is above 65535/],
      [[join(repoRoot, 'test/fixtures/scenarios/small.yaml')], 1, /scenarios and fio jobs are not supported by explore yet/],
      [[join(repoRoot, 'README.md'), '--out', join(dir, 'y.html')], 1, /README\.md:\d+: .*not an ftrace event line/],
      [[], 2, /exactly one INPUT/],
    ];
    for (const [args, code, message] of cases) {
      const result = await runCommand(exploreCommand, args);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
