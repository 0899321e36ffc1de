import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, detectFormatFromBytes, readIoRecords } from '../../src/workloads/detect.js';
import { collect, expectWorkloadError, fixture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detectFormat', () => {
  it.each([
    ['blktrace_viewer-sample.blkparse.txt', 'blkparse'],
    ['blktrace_viewer-sample.blktrace.0', 'blktrace'],
    ['MQSim-tpcc-small.trace', 'disksim'],
    ['libCacheSim-cloudPhysicsIO.head20k.csv', 'cloudphysics'],
    ['fio/t0038.iolog', 'fio-iolog'],
    ['fio/ssd-test.fio', 'fio-job'],
    ['fio/sg_verify.fio', 'fio-job'],
    ['iommu-ftrace-snippets.txt', 'iommu-ftrace'],
    ['msr-sample.csv', 'msr-cambridge'],
    ['alibaba-sample.csv', 'alibaba'],
    ['tencent-sample.csv', 'tencent'],
  ])('recognises %s as %s', async (name, format) => {
    expect(await detectFormat(fixture(name))).toEqual({ format, candidates: [format], gzip: false });
  });

  it('sees through gzip whatever the file is called', async () => {
    const path = join(dir, 'capture.bin');
    writeFileSync(path, gzipSync(readFileSync(fixture('blktrace_viewer-sample.blkparse.txt'))));
    expect(await detectFormat(path)).toEqual({ format: 'blkparse', candidates: ['blkparse'], gzip: true });
  });

  it('lists every format that matched when the sample is ambiguous', async () => {
    // Five integers: a Tencent row (IOType 0) and a CloudPhysics row (opcode 0x08, READ(6)) alike.
    const result = await detectFormatFromBytes(Buffer.from('1538323200,1234,8,0,1063\n1538323201,1240,8,1,1063\n'), true);
    expect(result.format).toBeUndefined();
    expect(result.candidates.sort()).toEqual(['cloudphysics', 'tencent']);
  });

  it('matches nothing for text of no known format, or unknown binary', async () => {
    expect(await detectFormatFromBytes(Buffer.from('hello world\nthis is prose\n'), true)).toEqual({ format: undefined, candidates: [], gzip: false });
    expect((await detectFormatFromBytes(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]), true)).candidates).toEqual([]);
  });

  it('ignores a line cut at the end of the sample', async () => {
    const sample = Buffer.from('938513000 4 264719034 16 0\n938828000 3 1975');
    expect((await detectFormatFromBytes(sample, false)).format).toBe('disksim');
  });
});

describe('readIoRecords', () => {
  it('reads a detected trace', async () => {
    const records = await collect(readIoRecords(fixture('MQSim-tpcc-small.trace')));
    expect(records.length).toBe(6999);
  });

  it('generates a fio job file: every job and clone merged by time', async () => {
    const records = await collect(readIoRecords(fixture('fio/fio-rand-RW.fio'), { fio: { seed: 5, maxRecords: 50 } }));
    expect(records.length).toBe(200); // 4 clones × 50
    expect(new Set(records.map((r) => r.pid))).toEqual(new Set([1, 2, 3, 4]));
    expect(records.every((r, i) => i === 0 || r.timeNs >= records[i - 1].timeNs)).toBe(true);
  });

  it('refuses ambiguous and unknown files, and ftrace (mapping events, not I/O)', async () => {
    const ambiguous = join(dir, 'ambiguous.csv');
    writeFileSync(ambiguous, '1538323200,1234,8,0,1063\n');
    await expectWorkloadError(collect(readIoRecords(ambiguous)), { file: ambiguous, field: 'format', message: /ambiguous: could be tencent, cloudphysics/ });
    const prose = join(dir, 'prose.txt');
    writeFileSync(prose, 'nothing to see\n');
    await expectWorkloadError(collect(readIoRecords(prose)), { file: prose, field: 'format', message: /not a recognised/ });
    const ftrace = join(dir, 'trace.txt');
    copyFileSync(fixture('iommu-ftrace-snippets.txt'), ftrace);
    await expectWorkloadError(collect(readIoRecords(ftrace)), { file: ftrace, field: 'format', message: /readIommuFtrace/ });
  });
});
