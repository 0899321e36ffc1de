// Every golden trace of both kernel profiles, replayed and compared byte for byte with what the
// kernel's own iova.c printed (../shared/conformance/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { parseIovaTrace, runIovaTrace } from '../../src/conformance/iova-trace.js';
import { sharedDir } from '../support/shared.js';

const conformance = join(sharedDir(), 'conformance');

for (const version of ['5.19', '7.0']) {
  const dir = join(conformance, version);
  const traces = readdirSync(dir)
    .filter((f) => f.endsWith('.trace'))
    .sort();
  describe(`golden traces, kernel ${version}`, () => {
    it('has the traces the README lists', () => {
      expect(traces.length).toBeGreaterThanOrEqual(29);
    });
    for (const name of traces) {
      it(name, () => {
        const file = join(dir, name);
        const expected = readFileSync(file.replace(/\.trace$/, '.out'), 'utf8');
        const actual = runIovaTrace(parseIovaTrace(readFileSync(file, 'utf8'), file), kernelProfile(version));
        if (actual !== expected) {
          const got = actual.split('\n');
          const want = expected.split('\n');
          let line = 0;
          while (line < got.length && got[line] === want[line]) line++;
          expect(`line ${line + 1}: ${got[line]}`).toBe(`line ${line + 1}: ${want[line]}`);
        }
        expect(actual).toBe(expected);
      });
    }
  });
}
