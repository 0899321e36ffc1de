/**
 * Block I/O records held in memory for replay: columns of typed arrays rather than one object per
 * record (about 30 bytes a record instead of ~150), sorted by time once, and replayable any number
 * of times (once per compared variant). Records larger than the host's largest request are split
 * on the way out, as the block layer splits bios at max_sectors.
 */
import type { TraceIo } from './engine.js';

const OPS = ['read', 'write'] as const;

export class TraceRecords {
  private time = new Float64Array(1024);
  private offset = new Float64Array(1024);
  private length = new Float64Array(1024);
  private op = new Uint8Array(1024);
  private device = new Int32Array(1024);
  private cpu = new Int32Array(1024);
  private order: Uint32Array | null = null;
  private readonly deviceIndex = new Map<string, number>();
  readonly devices: string[] = [];
  count = 0;
  /** Records that came earlier in time than one before them (sorted by sortByTime()). */
  outOfOrder = 0;
  private lastTime = -Infinity;
  firstTimeNs = Infinity;
  lastTimeNs = -Infinity;
  reads = 0;
  writes = 0;
  bytes = 0;

  /** Adds a read or write (other operations are the caller's to count and drop). */
  push(record: { timeNs: number; op: string; offsetBytes: number; lengthBytes: number; device?: string; cpu?: number }): void {
    if (record.op !== 'read' && record.op !== 'write') throw new RangeError(`only reads and writes are replayed, not ${record.op}`);
    if (this.count === this.time.length) this.grow(this.count * 2);
    const i = this.count++;
    this.time[i] = record.timeNs;
    this.offset[i] = record.offsetBytes;
    this.length[i] = record.lengthBytes;
    this.op[i] = record.op === 'read' ? 0 : 1;
    const name = record.device ?? '';
    let index = this.deviceIndex.get(name);
    if (index === undefined) {
      index = this.devices.length;
      this.devices.push(name);
      this.deviceIndex.set(name, index);
    }
    this.device[i] = index;
    this.cpu[i] = record.cpu === undefined ? -1 : record.cpu;
    if (record.timeNs < this.lastTime) this.outOfOrder++;
    this.lastTime = record.timeNs;
    if (record.timeNs < this.firstTimeNs) this.firstTimeNs = record.timeNs;
    if (record.timeNs > this.lastTimeNs) this.lastTimeNs = record.timeNs;
    if (record.op === 'read') this.reads++;
    else this.writes++;
    this.bytes += record.lengthBytes;
    this.order = null;
  }

  private grow(capacity: number): void {
    const f64 = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.time = f64(this.time);
    this.offset = f64(this.offset);
    this.length = f64(this.length);
    const op = new Uint8Array(capacity);
    op.set(this.op);
    this.op = op;
    this.device = i32(this.device);
    this.cpu = i32(this.cpu);
  }

  /** Orders the replay by time (stable: records at the same time keep their order). */
  sortByTime(): void {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[i] = i;
    if (this.outOfOrder > 0) {
      const time = this.time;
      const sorted = Array.from(order).sort((a, b) => time[a] - time[b] || a - b);
      order.set(sorted);
    }
    this.order = order;
  }

  /** Records larger than `maxBytes` (max_sectors), and the pieces the block layer's split makes of them. */
  splitCount(maxBytes: number): { records: number; pieces: number } {
    let records = 0;
    let pieces = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.length[i] > maxBytes) {
        records++;
        pieces += Math.ceil(this.length[i] / maxBytes);
      }
    }
    return { records, pieces };
  }

  /**
   * The records in time order as the engine's TraceIo, whole: the engine's block path splits them
   * to the queue limits as the kernel would; `onRecord(done)` is told every 4096 records.
   */
  *replay(onRecord?: (done: number) => void): Generator<TraceIo> {
    if (this.order === null) this.sortByTime();
    const order = this.order as Uint32Array;
    for (let k = 0; k < this.count; k++) {
      const i = order[k];
      const device = this.devices[this.device[i]];
      const cpu = this.cpu[i];
      yield {
        timeNs: this.time[i],
        op: OPS[this.op[i]],
        device: device === '' ? undefined : device,
        cpu: cpu < 0 ? undefined : cpu,
        offsetBytes: this.offset[i],
        lengthBytes: this.length[i],
      };
      if (onRecord !== undefined && (k + 1) % 4096 === 0) onRecord(k + 1);
    }
    onRecord?.(this.count);
  }
}
