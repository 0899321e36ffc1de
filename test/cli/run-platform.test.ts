// `iovasim run --preset NAME JOB.fio` on the NVMe and SATA presets: the job file's engine, hipri and
// batching select the platform, the header names it, and a job the platform cannot run is one line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand as run } from '../../src/cli/commands/run.js';
import { simulateCommand } from '../../src/cli/commands/simulate.js';
import { repoRoot } from '../support/shared.js';
import { runCommand } from './helpers.js';

const fio = (name: string): string => join(repoRoot, 'test/fixtures/workloads/fio', name);
const dir = mkdtempSync(join(tmpdir(), 'iovasim-run-platform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** IOPS of the summary table's one row (the line after the header's dashes). */
function iops(stdout: string): number {
  const lines = stdout.split('\n');
  const row = lines[lines.findIndex((line) => line.startsWith('scenario')) + 2] ?? '';
  const match = /^\S+\s+([\d.]+)([KM]?)\s/.exec(row);
  if (match === null) throw new Error(`no IOPS in ${stdout}`);
  return Number(match[1]) * (match[2] === 'M' ? 1e6 : match[2] === 'K' ? 1e3 : 1);
}

describe('iovasim run on the platform presets', () => {
  it('runs a polled io_uring job file on nvme-amdvi, naming the platform, strict below lazy below passthrough', async () => {
    const results = await Promise.all(
      (['passthrough', 'lazy', 'strict'] as const).map((mode) => runCommand(run, ['--preset', 'nvme-amdvi', join(repoRoot, 'test/fixtures/workloads/nvme-uring-hipri.fio'), '--iommu', mode, '--duration', '20'])),
    );
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^platform: io_uring, polled completions, batch submit 16 \/ reap 1-16, nvme, amd-vi\nscenario\s+IOPS/);
    }
    const [passthrough, lazy, strict] = results.map((r) => iops(r.stdout));
    expect(passthrough).toBeGreaterThan(lazy);
    expect(lazy).toBeGreaterThan(strict);
  });

  it('runs a libaio job file on ahci-vtd, bounded by the one SATA SSD', async () => {
    const result = await runCommand(run, ['--preset', 'ahci-vtd', fio('fio-rand-read.fio'), '--duration', '20']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^platform: libaio, interrupt completions, no batching, libata, vt-d\n/);
    // 3 µs + 4096 B at 550 MB/s per command: ~96K per second at most.
    expect(iops(result.stdout)).toBeLessThanOrEqual(1e9 / (3000 + (4096 / 550e6) * 1e9) * 1.01);
  });

  it('prints the platform in simulate’s header too', async () => {
    const result = await runCommand(simulateCommand, ['--preset', 'nvme-amdvi', '--duration', '5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^platform: io_uring, polled completions, no batching, nvme, amd-vi\n/);
  });

  it('refuses hipri with an engine that cannot poll, in one line naming the file and option', async () => {
    const job = join(dir, 'bad.fio');
    writeFileSync(job, '[global]\nioengine=libaio\nhipri=1\nrw=randread\nbs=4k\ndirect=1\n[a]\n');
    const result = await runCommand(run, ['--preset', 'nvme-amdvi', job, '--duration', '5']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/bad\.fio:\d+: hipri: polled completion needs ioengine=io_uring or pvsync2, not libaio/);
  });
});
