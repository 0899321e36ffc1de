import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readBlkparse, rwbsToOp } from '../../src/workloads/blkparse.js';
import { BlkAction, BlkCategory, readBlktrace } from '../../src/workloads/blktrace.js';
import { newReadStats, reorderByTime, type IoRecord } from '../../src/workloads/io-record.js';
import { chunks, collect, expectWorkloadError, fixture, pieces } from './helpers.js';

const BLKPARSE = fixture('blktrace_viewer-sample.blkparse.txt');
const BLKTRACE = fixture('blktrace_viewer-sample.blktrace.0');

describe('blkparse text (blktrace_viewer sample)', () => {
  it('turns the 963 D and 963 C events into records and skips the summary block', async () => {
    const stats = newReadStats();
    const records = await collect(readBlkparse(BLKPARSE, { stats }));
    expect(records.length).toBe(1926);
    expect(records.filter((r) => r.phase === 'issue').length).toBe(963);
    expect(records.filter((r) => r.phase === 'complete').length).toBe(963);
    expect(stats.ignored).toBe(6741 - 1926); // A Q G P U events
    expect(stats.nonData).toBe(12); // the CPU1 summary block and totals
    // line 6: "259,0    1        6     0.000001676 21279  D  RA 2348060440 + 8 [(null)]"
    expect(records[0]).toEqual({
      timeNs: 1676,
      op: 'read',
      offsetBytes: 2348060440 * 512,
      lengthBytes: 4096,
      device: '259,0',
      cpu: 1,
      pid: 21279,
      phase: 'issue',
      line: 6,
    });
    // line 7: "259,0    1        7     0.000056992     0  C  RA 2348060440 + 8 [0]"
    expect(records[1]).toMatchObject({ timeNs: 56992, phase: 'complete', pid: 0, offsetBytes: 2348060440 * 512, line: 7 });
    // line 6741: "259,0    1     6741     0.345541853 10256  C  RA 2336681576 + 8 [0]"
    expect(records[1925]).toEqual({
      timeNs: 345541853,
      op: 'read',
      offsetBytes: 2336681576 * 512,
      lengthBytes: 4096,
      device: '259,0',
      cpu: 1,
      pid: 10256,
      phase: 'complete',
      line: 6741,
    });
    expect(records.every((r) => r.lengthBytes === 4096 && r.op === 'read')).toBe(true);
  });

  it('can keep only issues or only completions', async () => {
    expect((await collect(readBlkparse(BLKPARSE, { events: 'issue' }))).every((r) => r.phase === 'issue')).toBe(true);
    expect((await collect(readBlkparse(BLKPARSE, { events: 'complete' }))).length).toBe(963);
  });

  it('handles flushes, discards, elapsed times, pre-flush RWBS and SCSI pass-through', async () => {
    const text = [
      '  8,0    3        1     0.000000000   100  Q  WS 2048 + 8 [kworker]',
      '  8,0    3        2     0.000001000   100  D  WS 2048 + 8 [kworker]',
      '  8,0    0        3     0.000050000     0  C  WS 2048 + 8 [0]',
      '  8,0    1        4     0.000060000   200  D  FN [jbd2/sda1-8]',
      '  8,0    1        5     0.000070000     0  C  FN 0 [0]',
      '  8,0    2        6     0.000080000   300  D   R 36 (12 00 00 00 24 00 ..) [sg_inq]',
      '  8,0    2        7     0.000090000     0  C   R (12 00 00 00 24 00 ..) [0]',
      '  8,0    1        8     0.000100000   200  D  DS 4096 + 2048 (    1000) [fstrim]',
      '  8,0    1        9     0.000200000   200  D FWFS 8192 + 8 [kworker/1:1H]',
      '  8,0    1       10     0.000300000   200  m   N cfq100 insert_request',
      '',
    ].join('\n');
    const stats = newReadStats();
    const records = await collect(readBlkparse(chunks(text), { stats }));
    expect(records.map((r) => [r.line, r.phase, r.op, r.offsetBytes, r.lengthBytes, r.cpu])).toEqual([
      [2, 'issue', 'write', 1048576, 4096, 3],
      [3, 'complete', 'write', 1048576, 4096, 0],
      [4, 'issue', 'flush', 0, 0, 1],
      [5, 'complete', 'flush', 0, 0, 1],
      [8, 'issue', 'trim', 2097152, 1048576, 1],
      [9, 'issue', 'write', 4194304, 4096, 1],
    ]);
    expect(stats.ignored).toBe(4); // Q, the two pass-through events, the message
  });

  it('accepts every ignored action in the shape blkparse prints it', async () => {
    const text = [
      '  8,0    1        1     0.000000000   200  A  WS 1 + 8 <- (8,1) 0',
      '  8,0    1        2     0.000000100   200  Q  WS 1 + 8 [fio]',
      '  8,0    1        3     0.000000200   200  Q   R 36 (12 00 00 00 24 00) [sg_inq]',
      '  8,0    1        4     0.000000300   200  X  WS 1 / 5 [fio]',
      '  8,0    1        5     0.000000400   200  G  WS 1 + 8 [fio]',
      '  8,0    1        6     0.000000500   200  P   N [fio]',
      '  8,0    1        7     0.000000600   200  M  WS 9 + 8 [fio]',
      '  8,0    1        8     0.000000700   200  F  WS 0 + 1 [fio]',
      '  8,0    1        9     0.000000800   200  S  WS 1 + 8 [fio]',
      '  8,0    1       10     0.000000900   200  I  WS 1 + 8 (    1000) [fio]',
      '  8,0    1       11     0.000001000   200  B  WS 1 + 8 [fio]',
      '  8,0    1       12     0.000001100   200  U   N [fio] 1',
      '  8,0    1       13     0.000001200   200 UT   N [kworker/1:1H] 2',
      '  8,0    1       14     0.000001300   200  T   N [fio] 1',
      '  8,0    1       15     0.000001400   200  R  WS 1 + 8 [0]',
      '  8,0    1       16     0.000001500   200  m   N cfq100 insert_request',
      '',
    ].join('\n');
    const stats = newReadStats();
    expect(await collect(readBlkparse(chunks(text), { stats }))).toEqual([]);
    expect(stats.ignored).toBe(16);
  });

  it('decodes RWBS strings', () => {
    expect(rwbsToOp('RA', 4096)).toBe('read');
    expect(rwbsToOp('WSM', 4096)).toBe('write');
    expect(rwbsToOp('WS', 0)).toBe('flush');
    expect(rwbsToOp('FN', 0)).toBe('flush');
    expect(rwbsToOp('N', 0)).toBe('other');
    expect(rwbsToOp('DS', 512)).toBe('trim');
    expect(rwbsToOp('X', 512)).toBeUndefined();
  });

  it.each([
    ['259,0    x        1     0.000000000 21279  D  RA 2348060440 + 8 [a]\n', 1, 'cpu'],
    ['259,0    1        1     0.000000000 21279  D  RA 2348060440 + 8 [a]\n259,0    1        2     0.0000000001 21279  D  RA 1 + 8 [a]\n', 2, 'time'],
    ['259,0    1        1     0.000000000 21279  D  RA 2348060440 + [a]\n', 1, 'nsectors'],
    ['259,0    1        1     0.000000000 21279  D  QQ 2348060440 + 8 [a]\n', 1, 'rwbs'],
    ['259,0    1        1     0.000000000 21279  D  RA 2348060440 - 8 [a]\n', 1, 'line'],
    ['259 1 1 0.0 1 D RA 1 + 8 [a]\n', 1, 'device'],
    ['259,0    1        1     0.000000000 21279  D  RA 1 + 8 [a]\nCPU1 (259,0):\n Reads Queued: 1\ngarbage here\n', 4, 'summary'],
    ['259,0    1        1     0.000000000 21279  DXY  RA 1 + 8 [a]\n', 1, 'action'],
    // Lines the reader does not replay are checked all the same.
    ['259,0    1        1     0.000000000 21279  Q  RA 1e30 + Infinity [a]\n', 1, 'line'],
    ['259,0    1        1     0.000000000 21279  G  RA 1 + 8\n', 1, 'line'],
    ['259,0    1        1     0.000000000 21279  U   N [a] many\n', 1, 'line'],
    ['259,0    1        1     0.000000000 21279  A  RA 1 + 8 <- 259,3 2\n', 1, 'line'],
    ['259,0    1        1     0.000000000 21279  X  RA 1 / [a]\n', 1, 'line'],
    ['259,0    1        1     0.000000000 21279  Q  ?? 1 + 8 [a]\n', 1, 'rwbs'],
    ['259,0    1        1     0.000000000 21279  Z  RA 1 + 8 [a]\n', 1, 'action'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readBlkparse(chunks(text), { name: 'trace.txt' })), { file: 'trace.txt', line, field });
  });
});

// ---------------------------------------------------------------------------------------------

interface TraceRecord {
  sequence?: number;
  time: bigint;
  sector?: bigint;
  bytes?: number;
  action: number;
  pid?: number;
  device?: number;
  cpu?: number;
  pdu?: Buffer;
  magic?: number;
}

/** Encodes struct blk_io_trace records (version 7), little- or big-endian. */
function encode(records: TraceRecord[], bigEndian = false): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    const pdu = r.pdu ?? Buffer.alloc(0);
    const b = Buffer.alloc(48 + pdu.length);
    const u32 = (v: number, o: number): number => (bigEndian ? b.writeUInt32BE(v >>> 0, o) : b.writeUInt32LE(v >>> 0, o));
    const u64 = (v: bigint, o: number): number => (bigEndian ? b.writeBigUInt64BE(v, o) : b.writeBigUInt64LE(v, o));
    u32(r.magic ?? 0x65617407, 0);
    u32(r.sequence ?? 0, 4);
    u64(r.time, 8);
    u64(r.sector ?? 0n, 16);
    u32(r.bytes ?? 0, 24);
    u32(r.action, 28);
    u32(r.pid ?? 0, 32);
    u32(r.device ?? (8 << 20) | 16, 36);
    u32(r.cpu ?? 0, 40);
    if (bigEndian) b.writeUInt16BE(pdu.length, 46);
    else b.writeUInt16LE(pdu.length, 46);
    pdu.copy(b, 48);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

const act = (code: number, ...categories: number[]): number => ((categories.reduce((a, c) => a | c, 0) << 16) | code) >>> 0;
const ISSUE_READ = act(BlkAction.ISSUE, BlkCategory.READ, BlkCategory.FS, BlkCategory.ISSUE);
const COMPLETE_WRITE = act(BlkAction.COMPLETE, BlkCategory.WRITE, BlkCategory.FS, BlkCategory.COMPLETE);

describe('binary blktrace (blktrace_viewer sample)', () => {
  it('gives exactly what blkparse printed for the same capture', async () => {
    const stats = newReadStats();
    const binary = await collect(readBlktrace(BLKTRACE, { stats }));
    const text = await collect(readBlkparse(BLKPARSE));
    expect(binary.length).toBe(1926);
    const strip = (r: IoRecord): IoRecord => ({ ...r, line: 0 });
    expect(binary.map(strip)).toEqual(text.map(strip));
    expect(stats.ignored).toBe(6743 - 1926); // 6741 block events + 2 notify (process-name) records
    // the first D is the 6th record; the last C is the 6743rd (two notify records precede it)
    expect(binary[0].line).toBe(6);
    expect(binary[1925].line).toBe(6743);
  });

  it('streams in chunks: a record split across reads decodes the same', async () => {
    const whole = await collect(readBlktrace(BLKTRACE));
    const bytes = readFileSync(BLKTRACE);
    expect(await collect(readBlktrace(pieces(bytes, 7)))).toEqual(whole);
    expect(await collect(readBlktrace(pieces(gzipSync(bytes), 1000)))).toEqual(whole);
  });
});

describe('binary blktrace (synthetic)', () => {
  const base = 1_000_000_000_000n;
  const records: TraceRecord[] = [
    { time: base + 500n, sector: 100n, bytes: 4096, action: ISSUE_READ, pid: 10, cpu: 2, sequence: 1 },
    { time: base + 200n, sector: 0n, bytes: 0, action: act(BlkAction.QUEUE, BlkCategory.READ), cpu: 0 },
    // notify record (process name) with a pdu, on another CPU, earlier in time
    { time: base + 100n, action: act(0, BlkCategory.NOTIFY), pid: 10, cpu: 1, pdu: Buffer.from('fio\0\0\0\0\0\0\0\0\0\0\0\0\0') },
    { time: base + 900n, sector: 100n, bytes: 4096, action: act(BlkAction.COMPLETE, BlkCategory.READ, BlkCategory.COMPLETE), cpu: 3 },
    // completion with the cgroup flag (bit 8 of the action code) and a cgroup id pdu
    { time: base + 1000n, sector: 2n ** 40n, bytes: 65536, action: COMPLETE_WRITE | BlkAction.CGROUP_FLAG, cpu: 0, pdu: Buffer.alloc(8) },
    // SCSI pass-through issue: ignored
    { time: base + 1100n, bytes: 36, action: act(BlkAction.ISSUE, BlkCategory.READ, BlkCategory.PC), cpu: 1, pdu: Buffer.from([0x12, 0, 0, 0, 0x24, 0]) },
    // discard, and a pre-flush without data
    { time: base + 1200n, sector: 8n, bytes: 8192, action: act(BlkAction.ISSUE, BlkCategory.WRITE, BlkCategory.DISCARD), cpu: 1 },
    { time: base + 1300n, sector: 0n, bytes: 0, action: act(BlkAction.ISSUE, BlkCategory.FLUSH), cpu: 1 },
  ];
  const expected = [
    { timeNs: 0, op: 'read', offsetBytes: 51200, lengthBytes: 4096, device: '8,16', cpu: 2, pid: 10, phase: 'issue', line: 1 },
    { timeNs: 400, op: 'read', offsetBytes: 51200, lengthBytes: 4096, device: '8,16', cpu: 3, pid: 0, phase: 'complete', line: 4 },
    { timeNs: 500, op: 'write', offsetBytes: 2 ** 40 * 512, lengthBytes: 65536, device: '8,16', cpu: 0, pid: 0, phase: 'complete', line: 5 },
    { timeNs: 700, op: 'trim', offsetBytes: 4096, lengthBytes: 8192, device: '8,16', cpu: 1, pid: 0, phase: 'issue', line: 7 },
    { timeNs: 800, op: 'flush', offsetBytes: 0, lengthBytes: 0, device: '8,16', cpu: 1, pid: 0, phase: 'issue', line: 8 },
  ];

  it('decodes mixed-CPU records, skipping notify, pass-through and non-D/C actions', async () => {
    const stats = newReadStats();
    expect(await collect(readBlktrace(chunks(encode(records)), { stats }))).toEqual(expected);
    expect(stats.ignored).toBe(3);
  });

  it('reads a big-endian (byte-swapped) stream the same way', async () => {
    expect(await collect(readBlktrace(pieces(encode(records, true), 5)))).toEqual(expected);
  });

  it('re-sorts interleaved CPUs within a window', async () => {
    const shuffled: TraceRecord[] = [
      { time: base, bytes: 512, sector: 1n, action: ISSUE_READ, cpu: 0 },
      { time: base + 30n, bytes: 512, sector: 2n, action: ISSUE_READ, cpu: 0 },
      { time: base + 10n, bytes: 512, sector: 3n, action: ISSUE_READ, cpu: 1 },
      { time: base + 20n, bytes: 512, sector: 4n, action: ISSUE_READ, cpu: 1 },
    ];
    const late = { count: 0 };
    const sorted = await collect(reorderByTime(readBlktrace(chunks(encode(shuffled))), 2, late));
    expect(sorted.map((r) => r.timeNs)).toEqual([0, 10, 20, 30]);
    expect(late.count).toBe(0);
    // 0, 30, 40, 10: the 10 is three places late; a window of 1 cannot fix that.
    const farOff = [shuffled[0], shuffled[1], { ...shuffled[1], time: base + 40n }, shuffled[2]];
    const tooSmall = { count: 0 };
    const partly = await collect(reorderByTime(readBlktrace(chunks(encode(farOff))), 1, tooSmall));
    expect(partly.map((r) => r.timeNs)).toEqual([0, 30, 10, 40]);
    expect(tooSmall.count).toBe(1);
  });

  it('names the record and field of a bad magic, a wrong version and a truncated tail', async () => {
    const good = encode(records.slice(0, 2));
    const badMagic = encode([records[0], { ...records[1], magic: 0x12345607 }]);
    await expectWorkloadError(collect(readBlktrace(chunks(badMagic), { name: 't.blktrace' })), { file: 't.blktrace', line: 2, field: 'magic', message: /byte 48/ });
    const v6 = encode([{ ...records[0], magic: 0x65617406 }]);
    await expectWorkloadError(collect(readBlktrace(chunks(v6), { name: 't.blktrace' })), { file: 't.blktrace', line: 1, field: 'version' });
    await expectWorkloadError(collect(readBlktrace(chunks(good.subarray(0, 70)), { name: 't.blktrace' })), { file: 't.blktrace', line: 2, field: 'record', message: /22 bytes/ });
    await expectWorkloadError(collect(readBlktrace(chunks('not a blktrace file at all, just text\n'), { name: 'x.txt' })), { file: 'x.txt', line: 1, field: 'magic' });
  });
});
