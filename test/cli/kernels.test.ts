// `iovasim kernels`: the table of kernel changes as text, per version and between versions.
import { describe, expect, it } from 'vitest';
import { kernelsCommand } from '../../src/cli/commands/kernels.js';
import { KERNEL_CHANGES } from '../../src/kernel/changes.js';
import { runCommand } from './helpers.js';

describe('iovasim kernels', () => {
  it('prints every row of the table', async () => {
    const { code, stdout } = await runCommand(kernelsCommand, []);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(KERNEL_CHANGES.length + 1);
    expect(stdout).toMatch(/iovaRetryOverflowFix +6\.2, 5\.15\.89, 6\.1\.7 +dcdb3ba7e2a8 /);
  });

  it('marks what a point release has and what arrived in it', async () => {
    const { stdout } = await runCommand(kernelsCommand, ['5.15.89']);
    expect(stdout).toMatch(/^\* iovaRetryOverflowFix /m);
    expect(stdout).toMatch(/^\+ iovaMax32ResetOnAnyFree /m);
    expect(stdout).toMatch(/^ {2}iovaMagazine127 /m);
  });

  it('says what changed between two versions', async () => {
    const { stdout } = await runCommand(kernelsCommand, ['6.1', '--from', '6.0']);
    expect(stdout).toMatch(/^from 6\.0 to 6\.1: 1 change added, 0 not carried$/m);
    expect(stdout).toMatch(/^\+ hisiSasV3HwSectorsCapReverted /m);
  });

  it('refuses a version that does not exist, in one line, exit 2', async () => {
    const { code, stderr } = await runCommand(kernelsCommand, ['5.20']);
    expect(code).toBe(2);
    expect(stderr).toBe('iovasim kernels: VERSION: kernel version 5.20 does not exist: the 5.x series ended with 5.19\n');
  });
});
