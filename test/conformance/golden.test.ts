// Every golden trace of every kernel version folder of ../shared/conformance/, replayed and compared
// byte for byte with what that kernel's own iova.c printed (../shared/conformance/README.md). A
// folder is a version; one without .trace files takes the traces of 5.19/ and holds only outputs.
// A new version folder is picked up without code changes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { parseIovaTrace, runIovaTrace, type IovaTrace } from '../../src/conformance/iova-trace.js';
import { parseKernelVersion } from '../../src/kernel/version.js';
import { expectSameOutput } from '../support/golden.js';
import { sharedDir } from '../support/shared.js';

const conformance = join(sharedDir(), 'conformance');
const TRACE_HOME = '5.19';

const versions = readdirSync(conformance)
  .filter((name) => statSync(join(conformance, name)).isDirectory())
  .sort((a, b) => {
    const va = parseKernelVersion(a);
    const vb = parseKernelVersion(b);
    return va.major - vb.major || va.minor - vb.minor || va.patch - vb.patch;
  });

const parsed = new Map<string, IovaTrace>();
function trace(file: string): IovaTrace {
  let result = parsed.get(file);
  if (result === undefined) {
    result = parseIovaTrace(readFileSync(file, 'utf8'), file);
    parsed.set(file, result);
  }
  return result;
}

it('finds the version folders the README lists', () => {
  for (const version of ['5.10', '5.11', '5.15', '5.15.89', '5.19', '6.1', '6.1.7', '6.6', '6.12', '7.0']) {
    expect(versions).toContain(version);
  }
});

for (const version of versions) {
  const dir = join(conformance, version);
  const outputs = readdirSync(dir)
    .filter((f) => f.endsWith('.out'))
    .sort();
  const traceDir = readdirSync(dir).some((f) => f.endsWith('.trace')) ? dir : join(conformance, TRACE_HOME);
  describe(`golden traces, kernel ${version}`, () => {
    it('has an output for every trace the README lists', () => {
      expect(outputs.length).toBeGreaterThanOrEqual(29);
    });
    for (const name of outputs) {
      it(name, () => {
        const file = join(traceDir, name.replace(/\.out$/, '.trace'));
        expect(existsSync(file), `${file} (the trace of ${join(dir, name)})`).toBe(true);
        const expected = readFileSync(join(dir, name), 'utf8');
        const actual = runIovaTrace(trace(file), kernelProfile(version));
        expectSameOutput(actual, expected);
      });
    }
  });
}
