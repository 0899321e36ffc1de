import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);

describe('the iovasim executable', () => {
  it('stops quietly, exit status 0, when its reader closes the pipe early (`iovasim … | head -c 1`)', async () => {
    const main = join(inject('buildDir'), 'dist/cli/main.js');
    // A replay's JSON (~80 KB) is larger than a pipe's buffer: the writer is still writing when head exits.
    const command = `set -o pipefail; "${process.execPath}" "${main}" replay test/fixtures/workloads/MQSim-tpcc-small.trace --json | head -c 1 > /dev/null`;
    const result = await run('bash', ['-c', command]).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result.stderr).not.toMatch(/EPIPE|Error|at .*\(node:/);
    expect(result.code).toBe(0);
  });
});
