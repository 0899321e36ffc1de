// `iovasim explore` on the command line: what it writes, how it reads ftrace, and one clear line
// for each kind of bad input. The page's behaviour is tested in Chromium (./browser.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { parseIovaTrace } from '../../src/conformance/iova-trace.js';
import { Explorer, type ExploreInput } from '../../src/explore/explorer.js';
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
    const badYaml = join(dir, 'bad.yaml');
    writeFileSync(badYaml, 'preset: sas-128cpu\njobs: [{ name: a, rw: read, bs: 4096, iodepth: -1, numjobs: 1, cpus_allowed: "0" }]\n');
    const passthrough = join(dir, 'passthrough.yaml');
    writeFileSync(passthrough, 'preset: sas-128cpu\ncpus: 8\nduration_ms: 20\nwarmup_ms: 5\nageing_maps: 0\niommu:\n  mode: passthrough\n');
    const bad = join(dir, 'bad.trace');
    writeFileSync(bad, 'cpus 2\ndomain 4096 1\nalloc 1 x 0\n');
    const cases: [string[], number, RegExp][] = [
      [[bad, '--out', join(dir, 'x.html')], 1, /bad\.trace:3: LIMIT "x" is not an unsigned decimal number/],
      [[join(dir, 'none.trace')], 1, /none\.trace: cannot read: ENOENT/],
      [[t01, '--kernel', '4.9'], 2, /--kernel: kernel version 4\.9 is older/],
      [[t01, '--compare', 'slab'], 2, /--compare: "slab" is neither a kernel version/],
      [[t01, '--allocator', 'slab'], 2, /--allocator: "slab" is not one of/],
      [[t01, '--port', '70000'], 2, /--port: 70000 is above 65535/],
      [[join(repoRoot, 'test/fixtures/scenarios/small.yaml'), '--iommu', 'passthrough'], 2, /--iommu: passthrough has no IOVA allocator to explore/],
      [[join(repoRoot, 'test/fixtures/scenarios/small.yaml'), '--compare', 'slab'], 2, /--compare: "slab" is not an allocator/],
      [[join(repoRoot, 'test/fixtures/scenarios/small.yaml'), '--max-operations', '0'], 2, /--max-operations/],
      [[badYaml, '--out', join(dir, 'z.html')], 1, /bad\.yaml:2:\d+: .*iodepth/],
      [[t01, '--preset', 'sas-128cpu'], 2, /--preset: only for a scenario YAML or a fio job file/],
      [[passthrough, '--out', join(dir, 'p.html')], 1, /passthrough\.yaml: sas-128cpu: the IOMMU is in passthrough mode: no IOVA allocator runs/],
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

  it('simulates a scenario with the allocator recorded, and the page replays that stream', async () => {
    const out = join(dir, 'small.html');
    const scenario = join(repoRoot, 'test/fixtures/scenarios/small.yaml');
    const result = await runCommand(exploreCommand, [scenario, '--kernel', '7.0', '--seed', '3', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/\s(src|href)=/);
    const input = pageInput(html);
    expect(input.models).toEqual([{ allocator: 'linux', kernel: '7.0', retryPass: true }]);
    expect(input.modelTraces).toBeUndefined();
    expect(input.notes.join(' ')).toMatch(/operations recorded from the simulation \(seed 3, 40 ms/);
    // The recorded trace is what the explorer runs; its model prints for every alloc_fast the pfn
    // the simulation got (the recorder's exactness is proven in test/sim/iova-recorder.test.ts).
    const explorer = new Explorer();
    const summary = explorer.open(input);
    const trace = parseIovaTrace(input.traceText, scenario, { maxCpus: input.maxCpus });
    expect(summary.opCount).toBe(trace.length);
    const allocs = explorer.rows(0, summary.opCount).filter((row) => row.text.startsWith('alloc_fast'));
    expect(allocs.length).toBeGreaterThan(100);
    expect(allocs.every((row) => /^[1-9]\d*$/.test(row.outputs[0]))).toBe(true);
    // The same seed gives the same page.
    const again = join(dir, 'small-again.html');
    expect((await runCommand(exploreCommand, [scenario, '--kernel', '7.0', '--seed', '3', '--out', again])).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(html);
  });

  it('explores a fio job file on a preset, states the cap on the page, and compares two allocators by operation index', async () => {
    const job = join(repoRoot, 'test/fixtures/workloads/fio/fio-rand-read.fio');
    const out = join(dir, 'fio.html');
    const result = await runCommand(exploreCommand, [job, '--preset', 'sas-128cpu', '--cpus', '8', '--duration', '20', '--max-operations', '3000', '--compare', 'buddy', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const input = pageInput(readFileSync(out, 'utf8'));
    expect(input.models.map((m) => m.allocator)).toEqual(['linux', 'buddy']);
    expect(input.modelTraces).toHaveLength(2);
    expect(input.notes.join(' ')).toMatch(/The cap of 3,000 operations was reached/);
    for (const text of input.modelTraces!) {
      expect(text).toMatch(/# recording stopped at \d+ operations \(the cap\)/);
      expect(parseIovaTrace(text, job, { maxCpus: input.maxCpus }).length).toBeLessThanOrEqual(3000);
    }
    const summary = new Explorer().open(input);
    expect(summary.ownTraces).toBe(true);
    expect(summary.divergence).toBeGreaterThan(0);
  });
});

function pageInput(html: string): ExploreInput {
  return JSON.parse(/<script type="application\/json" id="explore-input">(.*?)<\/script>/s.exec(html)![1]) as ExploreInput;
}
