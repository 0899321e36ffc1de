import { describe, expect, it } from 'vitest';
import { readAlibaba } from '../../src/workloads/alibaba.js';
import { readCloudPhysics, scsiOpcodeToOp } from '../../src/workloads/cloudphysics.js';
import { readDiskSim } from '../../src/workloads/disksim.js';
import { newReadStats } from '../../src/workloads/io-record.js';
import { readMsrCambridge } from '../../src/workloads/msr-cambridge.js';
import { readTencent } from '../../src/workloads/tencent.js';
import { chunks, collect, expectWorkloadError, fixture } from './helpers.js';

describe('MSR Cambridge', () => {
  it('reads the fixture: FILETIME ticks rebased exactly, host_disk devices, response times', async () => {
    const records = await collect(readMsrCambridge(fixture('msr-sample.csv')));
    expect(records).toEqual([
      { timeNs: 0, op: 'write', offsetBytes: 8589934592, lengthBytes: 4096, device: 'hm_0', latencyNs: 250000, line: 1 },
      { timeNs: 1_000_000, op: 'read', offsetBytes: 8589938688, lengthBytes: 8192, device: 'hm_0', latencyNs: 120000, line: 2 },
      { timeNs: 14_987_700, op: 'read', offsetBytes: 0, lengthBytes: 65536, device: 'hm_1', latencyNs: 3100000, line: 3 },
      { timeNs: 1_234_555_500, op: 'write', offsetBytes: 1073741824, lengthBytes: 512, device: 'prxy_0', latencyNs: 9000, line: 4 },
      { timeNs: 9_999_987_700, op: 'read', offsetBytes: 4096, lengthBytes: 4096, device: 'hm_0', latencyNs: 400000, line: 5 },
    ]);
  });

  it('accepts a header row and blank lines, counting them as non-data', async () => {
    const stats = newReadStats();
    const records = await collect(
      readMsrCambridge(chunks('Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n', '128166386700000000,web,2,Read,512,512,10\n\n'), { stats }),
    );
    expect(records.map((r) => r.device)).toEqual(['web_2']);
    expect(stats.nonData).toBe(2);
  });

  it.each([
    ['128166386700000000,hm,0,Read,0,4096,1\n128166386700000001,hm,0,Erase,0,4096,1\n', 2, 'Type'],
    ['128166386700000000,hm,0,Read,0,4096,1\n12816638670000000x,hm,0,Read,0,4096,1\n', 2, 'Timestamp'],
    ['128166386700000000,hm,zero,Read,0,4096,1\n', 1, 'DiskNumber'],
    ['128166386700000000,hm,0,Read,-5,4096,1\n', 1, 'Offset'],
    ['128166386700000000,hm,0,Read,0,4096\n', 1, 'ResponseTime'],
    ['128166386700000000,hm,0,Read,0,4096,1,extra\n', 1, 'line'],
    ['128166386700000000,,0,Read,0,4096,1\n', 1, 'Hostname'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readMsrCambridge(chunks(text), { name: 'msr.csv' })), { file: 'msr.csv', line, field });
  });
});

describe('Alibaba', () => {
  it('reads the fixture: header skipped, µs rebased to the first record', async () => {
    const records = await collect(readAlibaba(fixture('alibaba-sample.csv')));
    expect(records).toEqual([
      { timeNs: 0, op: 'read', offsetBytes: 126703644672, lengthBytes: 4096, device: '3', line: 2 },
      { timeNs: 506_000, op: 'write', offsetBytes: 126703648768, lengthBytes: 16384, device: '3', line: 3 },
      { timeNs: 1_575_000, op: 'read', offsetBytes: 0, lengthBytes: 65536, device: '17', line: 4 },
      { timeNs: 1_000_000_000, op: 'write', offsetBytes: 4096, lengthBytes: 4096, device: '3', line: 5 },
    ]);
  });

  it.each([
    ['3,X,0,4096,1577808000000425\n', 1, 'opcode'],
    ['3,R,0,4096\n', 1, 'timestamp'],
    ['3,R,0,4k,1577808000000425\n', 1, 'length'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readAlibaba(chunks(text), { name: 'ali.csv' })), { file: 'ali.csv', line, field });
  });
});

describe('Tencent CBS', () => {
  it('reads the fixture: sectors to bytes, seconds rebased, volume as device', async () => {
    const records = await collect(readTencent(fixture('tencent-sample.csv')));
    expect(records).toEqual([
      { timeNs: 0, op: 'read', offsetBytes: 10485760, lengthBytes: 4096, device: '1063', line: 1 },
      { timeNs: 0, op: 'write', offsetBytes: 10489856, lengthBytes: 8192, device: '1063', line: 2 },
      { timeNs: 1e9, op: 'read', offsetBytes: 0, lengthBytes: 131072, device: '27', line: 3 },
      { timeNs: 60e9, op: 'write', offsetBytes: 2147483648, lengthBytes: 4096, device: '1063', line: 4 },
    ]);
  });

  it.each([
    ['1538323200,20480,8,2,1063\n', 1, 'IOType'],
    ['1538323200,20480,8,0\n', 1, 'VolumeID'],
    ['1538323200,,8,0,1\n', 1, 'Offset'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readTencent(chunks(text), { name: 'cbs.csv' })), { file: 'cbs.csv', line, field });
  });
});

describe('CloudPhysics (libCacheSim sample)', () => {
  it('reads all 20,000 rows with the values in the file', async () => {
    const stats = newReadStats();
    const records = await collect(readCloudPhysics(fixture('libCacheSim-cloudPhysicsIO.head20k.csv'), { stats }));
    expect(records.length).toBe(20000);
    expect(stats.nonData).toBe(1); // the header
    expect(records.filter((r) => r.op === 'write').length).toBe(15847);
    expect(records.filter((r) => r.op === 'read').length).toBe(4153);
    expect(records.reduce((s, r) => s + r.lengthBytes, 0)).toBe(869779456);
    // 1,5633898,2a,512,42932745
    expect(records[0]).toEqual({ timeNs: 0, op: 'write', offsetBytes: 42932745 * 512, lengthBytes: 512, line: 2 });
    // line 10001: 1,5635677,28,65536,23321671
    expect(records[9999]).toEqual({ timeNs: 1779e9, op: 'read', offsetBytes: 23321671 * 512, lengthBytes: 65536, line: 10001 });
    // 1,5635697,28,65536,29916628
    expect(records[19999]).toEqual({ timeNs: 1799e9, op: 'read', offsetBytes: 29916628 * 512, lengthBytes: 65536, line: 20001 });
  });

  it('maps SCSI opcodes to directions', () => {
    expect([0x28, 0x2a, 0x88, 0x8a, 0x42, 0x35, 0x12].map(scsiOpcodeToOp)).toEqual(['read', 'write', 'read', 'write', 'trim', 'flush', 'other']);
  });

  it.each([
    ['version,time,op,size,lbn\n1,5,2a,512,1\n1,6,zz,512,1\n', 3, 'op'],
    ['1,5,2a,512\n', 1, 'lbn'],
    ['1,-5,2a,512,1\n', 1, 'time'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readCloudPhysics(chunks(text), { name: 'cp.csv' })), { file: 'cp.csv', line, field });
  });
});

describe('DiskSim ASCII (MQSim sample)', () => {
  it('reads all 6,999 requests with the values in the file', async () => {
    const records = await collect(readDiskSim(fixture('MQSim-tpcc-small.trace')));
    expect(records.length).toBe(6999);
    expect(records.filter((r) => r.op === 'read').length).toBe(4381);
    expect(records.reduce((s, r) => s + r.lengthBytes, 0)).toBe(116638 * 512);
    expect(new Set(records.map((r) => r.device)).size).toBe(16);
    // 938513000 4 264719034 16 0
    expect(records[0]).toEqual({ timeNs: 938513000, op: 'write', offsetBytes: 264719034 * 512, lengthBytes: 8192, device: '4', line: 1 });
    // line 1000: 961800000 5 334108794 16 1
    expect(records[999]).toEqual({ timeNs: 961800000, op: 'read', offsetBytes: 334108794 * 512, lengthBytes: 8192, device: '5', line: 1000 });
    // 1075002000 7 160057354 16 0
    expect(records[6998]).toEqual({ timeNs: 1075002000, op: 'write', offsetBytes: 160057354 * 512, lengthBytes: 8192, device: '7', line: 6999 });
  });

  it('reads classic DiskSim millisecond times', async () => {
    const records = await collect(readDiskSim(chunks('0.250000 0 100 8 1\n12.5 1 0 16 0\n'), { timeUnit: 'ms' }));
    expect(records.map((r) => [r.timeNs, r.op, r.offsetBytes, r.lengthBytes])).toEqual([
      [250000, 'read', 51200, 4096],
      [12500000, 'write', 0, 8192],
    ]);
  });

  it.each([
    ['938513000 4 264719034 16 0\n938828000 3 197570570 16\n', 2, 'flags'],
    ['938513000 4 264719034 sixteen 0\n', 1, 'size_sectors'],
    ['938513000 4 264719034 16 0 9\n', 1, 'line'],
    ['t0 4 264719034 16 0\n', 1, 'arrival_time'],
  ])('rejects a malformed line (%#)', async (text, line, field) => {
    await expectWorkloadError(collect(readDiskSim(chunks(text), { name: 'tpcc.trace' })), { file: 'tpcc.trace', line, field });
  });
});
