import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkloadError } from '../../src/workloads/errors.js';
import { isGzip, readBytes, readHead, readLineBatches, readLines } from '../../src/workloads/line-reader.js';
import { chunks, collect, expectWorkloadError, pieces } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readLines', () => {
  it('splits lines across chunk boundaries, one byte at a time', async () => {
    const text = 'alpha\nbeta\r\n\ngamma';
    const lines = await collect(readLines(pieces(Buffer.from(text), 1)));
    expect(lines).toEqual(['alpha', 'beta', '', 'gamma']);
  });

  it('keeps blank lines so that the n-th value is line n, and drops a trailing newline only', async () => {
    expect(await collect(readLines(chunks('a\n\nb\n')))).toEqual(['a', '', 'b']);
    expect(await collect(readLines(chunks('')))).toEqual([]);
    expect(await collect(readLines(chunks('\n')))).toEqual(['']);
  });

  it('drops a UTF-8 byte-order mark on the first line only and decodes UTF-8 split across chunks', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x\nkworker/ü\n')]);
    expect(await collect(readLines(pieces(bytes, 2)))).toEqual(['x', 'kworker/ü']);
  });

  it('reads a Node Readable and names it by its path', async () => {
    const path = join(dir, 'plain.txt');
    writeFileSync(path, 'one\ntwo\n');
    expect(await collect(readLines(path))).toEqual(['one', 'two']);
    expect(await collect(readLines(Readable.from([Buffer.from('x\ny')])))).toEqual(['x', 'y']);
  });

  it('batches lines per chunk and reuses the batch array', async () => {
    const seen: string[][] = [];
    let previous: string[] | undefined;
    let reused = false;
    for await (const batch of readLineBatches(chunks('a\nb\n', 'c\nd'))) {
      if (previous === batch) reused = true;
      previous = batch;
      seen.push([...batch]);
    }
    expect(seen).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(reused).toBe(true);
  });

  it('refuses a line longer than maxLineBytes, naming its line number', async () => {
    const text = `ok\n${'x'.repeat(100)}\n`;
    await expectWorkloadError(collect(readLines(pieces(Buffer.from(text), 16), { name: 'big.txt', maxLineBytes: 50 })), {
      file: 'big.txt',
      line: 2,
      field: 'line',
    });
  });

  it('names a missing file in a WorkloadError', async () => {
    const path = join(dir, 'missing.txt');
    await expectWorkloadError(collect(readLines(path)), { file: path, field: 'file', message: /ENOENT/ });
  });
});

describe('gzip input', () => {
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n';

  it('is detected by its magic bytes, whatever the file is called', async () => {
    const path = join(dir, 'compressed.txt');
    writeFileSync(path, gzipSync(text));
    const lines = await collect(readLines(path));
    expect(lines.length).toBe(5000);
    expect(lines[4999]).toBe('line 4999');
  });

  it('is decompressed from a stream arriving in small pieces, including concatenated members', async () => {
    const gz = Buffer.concat([gzipSync('first\n'), gzipSync('second\n')]);
    expect(isGzip(gz)).toBe(true);
    expect(await collect(readLines(pieces(gz, 3)))).toEqual(['first', 'second']);
  });

  it('reports corrupt and truncated gzip data as WorkloadErrors', async () => {
    const gz = gzipSync(text);
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 20, 60);
    await expectWorkloadError(collect(readBytes(chunks(corrupt), { name: 'bad.gz' })), { file: 'bad.gz', field: 'gzip' });
    await expectWorkloadError(collect(readBytes(chunks(gz.subarray(0, gz.length - 30)), { name: 'cut.gz' })), { file: 'cut.gz', field: 'gzip' });
  });

  it('stops reading and closes the source when the consumer stops early', async () => {
    const path = join(dir, 'early.gz');
    writeFileSync(path, gzipSync(text));
    const head = await readHead(path, 20);
    expect(head.toString()).toBe('line 0\nline 1\nline 2');
    let n = 0;
    for await (const line of readLines(path)) {
      expect(line).toBe('line 0');
      n++;
      break;
    }
    expect(n).toBe(1);
  });

  it('passes plain data through untouched, however it is chunked', async () => {
    const bytes = Buffer.from('\x1fnot gzip\n');
    expect(Buffer.concat(await collect(readBytes(pieces(bytes, 1)))).equals(bytes)).toBe(true);
  });
});

describe('WorkloadError', () => {
  it('renders FILE:LINE: FIELD: problem, and FILE: FIELD: problem without a line', () => {
    expect(new WorkloadError('t.csv', 7, 'Offset', 'not an integer').message).toBe('t.csv:7: Offset: not an integer');
    expect(new WorkloadError('t.csv', undefined, 'file', 'ENOENT').message).toBe('t.csv: file: ENOENT');
  });
});
