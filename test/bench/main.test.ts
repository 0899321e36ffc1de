// `npm run bench` reads its options before measuring anything: a bad one is one line and exit 1.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

function bench(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [join(inject('buildDir'), 'dist', 'bench', 'main.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('npm run bench options', () => {
  it('names an unknown option in one line and exits 1 without measuring', () => {
    const run = bench('--jsn', 'out.json');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^bench: Unknown option '--jsn'/);
  });

  it('asks for the file --json writes to', () => {
    const run = bench('--json');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual(["bench: Option '--json <value>' argument missing"]);
  });
});
