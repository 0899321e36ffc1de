// The one table of kernel versions: the parser, the mainline/stable rule, and the table's own
// consistency (each row a real commit id, a release that exists, stable points after mainline).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changesBetween, changesIn, hasChange, KERNEL_CHANGES } from '../../src/kernel/changes.js';
import { compareKernelVersions, KernelVersionError, parseKernelVersion } from '../../src/kernel/version.js';
import { repoRoot } from '../support/shared.js';

describe('parseKernelVersion', () => {
  it('accepts MAJOR.MINOR and MAJOR.MINOR.PATCH', () => {
    expect(parseKernelVersion('5.19')).toEqual({ text: '5.19', major: 5, minor: 19, patch: 0 });
    expect(parseKernelVersion(' 6.1.7 ')).toEqual({ text: '6.1.7', major: 6, minor: 1, patch: 7 });
  });

  it.each([
    ['5', 'is not MAJOR.MINOR or MAJOR.MINOR.PATCH'],
    ['5.19-rc3', 'is not MAJOR.MINOR or MAJOR.MINOR.PATCH'],
    ['v6.1', 'is not MAJOR.MINOR or MAJOR.MINOR.PATCH'],
    ['6.1.7.2', 'is not MAJOR.MINOR or MAJOR.MINOR.PATCH'],
    ['5.20', 'the 5.x series ended with 5.19'],
  ])('refuses "%s" with one clear line', (text, message) => {
    expect(() => parseKernelVersion(text)).toThrow(KernelVersionError);
    expect(() => parseKernelVersion(text)).toThrow(message);
  });

  it('orders point releases between their mainline release and the next', () => {
    const order = ['5.15', '5.15.89', '5.16', '6.1.7', '6.2'].map(parseKernelVersion);
    for (let i = 1; i < order.length; i++) expect(compareKernelVersions(order[i - 1], order[i])).toBeLessThan(0);
    expect(compareKernelVersions(parseKernelVersion('6.1'), parseKernelVersion('6.1.0'))).toBe(0);
  });
});

describe('hasChange: mainline release or the first stable point release of a backport', () => {
  const has = (version: string, id: string): boolean => hasChange(parseKernelVersion(version), id);

  it('gives a point release exactly the backports it had (dcdb3ba7e2a8: 6.2, 5.15.89, 6.1.7)', () => {
    expect(['5.15', '5.15.88', '5.15.89', '5.15.120', '6.1.6', '6.1.7', '6.2', '6.0.19'].map((v) => has(v, 'iovaRetryOverflowFix'))).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('models a revert as a second row (hisi_sas v3 cap: fce54ed02757 in 5.19, 245050af5d15 in 6.1)', () => {
    expect(['5.18', '5.19', '6.0', '6.1'].map((v) => has(v, 'hisiSasV3HwSectorsCap') && !has(v, 'hisiSasV3HwSectorsCapReverted'))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('refuses an unknown switch name instead of answering false', () => {
    expect(() => has('6.1', 'noSuchChange')).toThrow('no kernel change "noSuchChange"');
  });

  it('says what changed going from one version to another', () => {
    const ids = (a: string, b: string): string[] => changesBetween(parseKernelVersion(a), parseKernelVersion(b)).map((c) => c.id);
    expect(ids('5.15', '5.15.89')).toEqual(['iovaMax32ResetOnAnyFree', 'iovaRetryOverflowFix', 'swiotlbMinAlignInMax']);
    expect(ids('6.2', '6.3')).toEqual(['nvmeMaxKb8M']);
    expect(changesIn(parseKernelVersion('5.10')).map((c) => c.id)).toEqual([]);
  });
});

describe('KERNEL_CHANGES', () => {
  it('has one row per switch, each with commit ids, a release that exists and stable points on older lines', () => {
    const ids = new Set<string>();
    for (const change of KERNEL_CHANGES) {
      expect(ids.has(change.id), change.id).toBe(false);
      ids.add(change.id);
      for (const commit of change.commit.split('+')) expect(commit, change.id).toMatch(/^[0-9a-f]{12}$/);
      const mainline = parseKernelVersion(change.mainline);
      expect(mainline.patch, change.id).toBe(0);
      for (const [line, point] of Object.entries(change.stable)) {
        expect(compareKernelVersions(parseKernelVersion(line), mainline), `${change.id} ${line}`).toBeLessThan(0);
        expect(Number.isInteger(point) && point > 0, `${change.id} ${line}.${point}`).toBe(true);
      }
    }
  });

  it('is the only place version numbers are compared: no other source file parses a kernel version', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.includes(join('src', 'kernel'))) {
          if (/\\d\+\)\\\.\(\\d\+\)/.test(readFileSync(path, 'utf8'))) offenders.push(path);
        }
      }
    };
    walk(join(repoRoot, 'src'));
    expect(offenders).toEqual([]);
  });

  it('sits at the bottom of the layering: src/kernel/ imports nothing of ours outside itself', () => {
    const dir = join(repoRoot, 'src', 'kernel');
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      for (const match of text.matchAll(/from '(\.[^']*)'/g)) expect(match[1], `${name}: ${match[1]}`).toMatch(/^\.\/[a-z-]+\.js$/);
    }
  });
});
