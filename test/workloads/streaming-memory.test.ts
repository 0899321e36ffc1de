import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readBlktrace } from '../../src/workloads/blktrace.js';
import type { IoRecord } from '../../src/workloads/io-record.js';
import { readMsrCambridge } from '../../src/workloads/msr-cambridge.js';

/**
 * A synthetic MSR Cambridge trace of `totalBytes`, produced on the fly (never written to disk):
 * a 1 MiB block of distinct lines, pushed again and again.
 */
function syntheticMsr(totalBytes: number): { stream: Readable; lines: number } {
  const lines: string[] = [];
  let blockBytes = 0;
  for (let i = 0; blockBytes < 1024 * 1024; i++) {
    const line = `${128166372000000000n + BigInt(i) * 1234n},hm,${i % 4},${i % 3 ? 'Read' : 'Write'},${(i * 40960) % 1e12},${4096 * (1 + (i % 16))},${i % 5000}\n`;
    lines.push(line);
    blockBytes += line.length;
  }
  const block = Buffer.from(lines.join(''));
  const blocks = Math.ceil(totalBytes / block.length);
  let pushed = 0;
  const stream = new Readable({
    read() {
      if (pushed === blocks) this.push(null);
      else {
        pushed++;
        this.push(block);
      }
    },
  });
  return { stream, lines: blocks * lines.length };
}

// A forced collection before each sample makes the figure the heap still reachable, not garbage
// the collector has not got round to yet (which depends on timing and would make a flaky bound).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Measured {
  records: number;
  /** Largest growth of the live heap (after a full collection) over the start. */
  peakLiveGrowth: number;
  peakRss: number;
  seconds: number;
}

/** Reads every record, sampling the live heap every 2^18 records; `keep` retains records (the control case). */
async function measure(source: AsyncIterable<IoRecord>, keep?: IoRecord[]): Promise<Measured> {
  collectGarbage();
  const baseline = process.memoryUsage().heapUsed;
  let peakLive = baseline;
  let peakRss = process.memoryUsage().rss;
  let records = 0;
  const t0 = performance.now();
  let paused = 0;
  for await (const r of source) {
    records++;
    if (keep) keep.push(r);
    if ((records & 0x3ffff) === 0) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const g0 = performance.now();
      collectGarbage();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
      paused += performance.now() - g0;
    }
  }
  return { records, peakLiveGrowth: peakLive - baseline, peakRss, seconds: (performance.now() - t0 - paused) / 1000 };
}

const MB = 1e6;
const HEAP_BOUND = 16 * MB;

describe('bounded-memory streaming', () => {
  it('reads a 200 MB trace generated on the fly with bounded heap growth', async () => {
    const { stream, lines } = syntheticMsr(200 * MB);
    const m = await measure(readMsrCambridge(stream, { name: 'synthetic.csv' }));
    expect(m.records).toBe(lines);
    expect(m.records).toBeGreaterThan(3_000_000);
    expect(m.peakLiveGrowth).toBeLessThan(HEAP_BOUND);
    console.log(
      `streamed 200 MB (${m.records} records) in ${m.seconds.toFixed(1)} s = ${(200 / m.seconds).toFixed(0)} MB/s; ` +
        `peak live-heap growth ${(m.peakLiveGrowth / MB).toFixed(1)} MB, peak RSS ${(m.peakRss / MB).toFixed(0)} MB`,
    );
  });

  it('reads a 50 MB trace gzip-compressed on the fly with bounded heap growth', async () => {
    const { stream, lines } = syntheticMsr(50 * MB);
    const gz = stream.pipe(createGzip({ level: 1 }));
    const m = await measure(readMsrCambridge(gz, { name: 'synthetic.csv.gz' }));
    expect(m.records).toBe(lines);
    expect(m.peakLiveGrowth).toBeLessThan(HEAP_BOUND);
  });

  it('reads 100 MB of binary blktrace in chunks with bounded heap growth', async () => {
    const record = Buffer.alloc(48 + 8);
    record.writeUInt32LE(0x65617407, 0);
    record.writeUInt32LE((((1 << 6) | 1) << 16) | 7, 28); // ISSUE, category READ|ISSUE
    record.writeUInt32LE(4096, 24);
    record.writeUInt16LE(8, 46);
    const perBlock = 16384;
    const block = Buffer.alloc(record.length * perBlock);
    for (let i = 0; i < perBlock; i++) {
      record.writeBigUInt64LE(BigInt(i) * 1000n, 8);
      record.writeBigUInt64LE(BigInt(i) * 8n, 16);
      record.writeUInt32LE(i % 8, 40);
      record.copy(block, i * record.length);
    }
    const blocks = Math.ceil((100 * MB) / block.length);
    let pushed = 0;
    const stream = new Readable({
      read() {
        if (pushed === blocks) this.push(null);
        else {
          pushed++;
          // A chunk boundary that falls inside records: push the block in two uneven parts.
          this.push(block.subarray(0, 1000));
          this.push(block.subarray(1000));
        }
      },
    });
    const m = await measure(readBlktrace(stream, { name: 'synthetic.blktrace' }));
    expect(m.records).toBe(blocks * perBlock);
    expect(m.peakLiveGrowth).toBeLessThan(HEAP_BOUND);
  });

  it('control: the same measurement does see growth when records are retained', async () => {
    const { stream } = syntheticMsr(20 * MB);
    const kept: IoRecord[] = [];
    const m = await measure(readMsrCambridge(stream), kept);
    expect(kept.length).toBe(m.records);
    expect(m.peakLiveGrowth).toBeGreaterThan(HEAP_BOUND);
    console.log(`control: ${m.records} records retained, live-heap growth ${(m.peakLiveGrowth / MB).toFixed(1)} MB`);
  });
});
