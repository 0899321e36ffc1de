import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSweepCommand } from '../../src/cli/commands/sweep.js';
import { runCommand } from '../cli/helpers.js';
import { resultLines, sweepYaml, tempDir, writeSweep } from './helpers.js';

const sweep = { name: 'sweep', summary: '', run: runSweepCommand };

describe('sweep resume', () => {
  it('interrupted and re-run gives the same lines as an uninterrupted run, none twice', async () => {
    const dir = await tempDir();
    const file = await writeSweep(dir, sweepYaml());
    const whole = join(dir, 'whole');
    const parts = join(dir, 'parts');
    const full = await runCommand(sweep, [file, '--out', whole, '--workers', '2']);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/8 points, 0 already done, 8 run/);

    const first = await runCommand(sweep, [file, '--out', parts, '--limit', '3']);
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/5 point\(s\) still to run/);
    expect(await resultLines(parts)).toHaveLength(3);
    // A crash mid-append leaves a torn last line: it is dropped, not parsed, not kept.
    await appendFile(join(parts, 'results.jsonl'), '{"id":"abc","iops":12');
    const second = await runCommand(sweep, [file, '--out', parts, '--report']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/dropped a torn last line/);
    expect(second.stdout).toMatch(/8 points, 3 already done, 5 run/);
    const third = await runCommand(sweep, [file, '--out', parts]);
    expect(third.stdout).toMatch(/8 points, 8 already done, 0 run/);

    const a = await resultLines(whole);
    const b = await resultLines(parts);
    expect(b).toHaveLength(8);
    expect(new Set(b.map((l) => JSON.parse(l).id)).size).toBe(8);
    expect([...b].sort()).toEqual([...a].sort());
    const html = await readFile(join(parts, 'index.html'), 'utf8');
    expect(html).toContain('id="chart-iops-allocator"');
    expect(html).toContain('id="chart-iops-iommu-invalidation"');
    expect(html).toContain('<table id="sweep-table">');
  });

  it('stops on abort and refuses a store written for a different base', async () => {
    const dir = await tempDir();
    const file = await writeSweep(dir, sweepYaml());
    const out = join(dir, 'out');
    const controller = new AbortController();
    controller.abort();
    const io = { stdout: process.stdout, stderr: new (await import('node:stream')).PassThrough(), isTTY: false };
    expect(await runSweepCommand([file, '--out', out], { ...io, stdout: io.stderr }, { signal: controller.signal })).toBe(3);
    await runCommand(sweep, [file, '--out', out, '--limit', '1']);
    // Different axes give different ids: no clash. The same axes over a changed base do clash.
    const other = await writeSweep(dir, sweepYaml().replace('duration_ms: [20]', 'duration_ms: [20]\n  host.queue_depth: [32]'), 'other.yaml');
    expect((await runCommand(sweep, [other, '--out', out, '--limit', '1'])).code).toBe(3);
    const changed = await writeSweep(dir, sweepYaml().replace('duration_ms: [20]', 'duration_ms: [20]\n  warmup_ms: [5]').replace('  warmup_ms: [5]', '  warmup_ms: [5]'), 'changed.yaml');
    expect((await runCommand(sweep, [changed, '--out', out, '--limit', '1'])).code).toBe(3);
    const rebased = await writeSweep(dir, sweepYaml().replace(/^base: (.*)$/m, 'base: $1\n').replace('repeats: 2', 'repeats: 2').replace('name: tiny', 'name: renamed'), 'rebased.yaml');
    const clash = await runCommand(sweep, [rebased, '--out', out]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/stored for a different scenario/);
  });
});

describe('the results store', () => {
  it('refuses a results.jsonl with a point twice, naming the file, line and field', async () => {
    const dir = await tempDir();
    const file = await writeSweep(dir, sweepYaml());
    const out = join(dir, 'out');
    expect((await runCommand(sweep, [file, '--out', out, '--limit', '2'])).code).toBe(3);
    const [first, second] = await resultLines(out);
    const results = join(out, 'results.jsonl');

    await writeFile(results, `${first}\n${second}\n${first}\n`);
    const same = await runCommand(sweep, [file, '--out', out]);
    expect(same.code).toBe(1);
    expect(same.stderr.trim().split('\n')).toHaveLength(1);
    expect(same.stderr).toContain(`${results}:3: id: point ${JSON.parse(first).id} is already on line 1 (the same line twice)`);

    const changed = JSON.stringify({ ...JSON.parse(first), iops: 1 });
    await writeFile(results, `${first}\n${second}\n${changed}\n`);
    const differing = await runCommand(sweep, [file, '--out', out]);
    expect(differing.code).toBe(1);
    expect(differing.stderr).toContain(`${results}:3: id: point ${JSON.parse(first).id} is already on line 1 (with different figures)`);
    // Nothing was appended or cut while refusing.
    expect(await readFile(results, 'utf8')).toBe(`${first}\n${second}\n${changed}\n`);
  });
});
