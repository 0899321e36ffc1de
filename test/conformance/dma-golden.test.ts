// Every golden DMA trace of every kernel version folder in ../shared/dma-conformance/, replayed
// through the DMA layer and compared byte for byte with what the kernel's own dma-iommu.c printed
// (../shared/dma-conformance/README.md). A new version folder is picked up without code changes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDmaTrace, runDmaTrace } from '../../src/conformance/dma-trace.js';
import { dmaKernelFeatures } from '../../src/dma/kernel-features.js';
import { expectSameOutput } from '../support/golden.js';
import { sharedDir } from '../support/shared.js';

const conformance = join(sharedDir(), 'dma-conformance');
const versions = existsSync(conformance)
  ? readdirSync(conformance)
      .filter((name) => /^\d+\.\d+$/.test(name) && statSync(join(conformance, name)).isDirectory())
      .sort()
  : [];

describe('DMA golden traces', () => {
  it('has the version folders the README lists', () => {
    expect(versions).toEqual(expect.arrayContaining(['5.19', '7.0']));
  });
});

for (const version of versions) {
  const dir = join(conformance, version);
  const traces = readdirSync(dir)
    .filter((f) => f.endsWith('.trace'))
    .sort();
  describe(`DMA golden traces, kernel ${version}`, () => {
    it('has the traces the README lists', () => {
      expect(traces.length).toBeGreaterThanOrEqual(12);
    });
    for (const name of traces) {
      it(name, () => {
        const file = join(dir, name);
        const expected = readFileSync(file.replace(/\.trace$/, '.out'), 'utf8');
        const actual = runDmaTrace(parseDmaTrace(readFileSync(file, 'utf8'), file), dmaKernelFeatures(version));
        expectSameOutput(actual, expected);
      });
    }
  });
}
