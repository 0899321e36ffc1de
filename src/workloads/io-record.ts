/**
 * The record every block-level workload reader produces, and the input types they accept.
 *
 * Readers are async generators over a file path or a byte stream, so a trace of any size is read
 * with bounded memory; see line-reader.ts for the streaming and gzip handling.
 */

/** What an I/O does. `other` covers requests that carry no data direction the model cares about. */
export type IoOp = 'read' | 'write' | 'trim' | 'flush' | 'other';

/** Where in its life a block-layer event saw the request (blktrace/blkparse only). */
export type IoPhase = 'issue' | 'complete';

export interface IoRecord {
  /**
   * Nanoseconds from the trace's time origin. Formats whose timestamps are absolute (wall-clock or
   * boot time: MSR, Alibaba, Tencent, CloudPhysics, blktrace binary) are rebased to the first
   * record, so the first record is at 0 (records out of order may come out negative). Formats
   * whose timestamps are already trace-relative (blkparse text, fio iolog v3, DiskSim) keep them.
   * Formats without time (fio iolog v2 without `wait`) give 0.
   */
  timeNs: number;
  op: IoOp;
  offsetBytes: number;
  lengthBytes: number;
  /** Device or volume name as the format spells it (`259,0`, `hm_1`, `/dev/null`, …). */
  device?: string;
  cpu?: number;
  pid?: number;
  /** blktrace/blkparse: D (issue to the driver) or C (completion). */
  phase?: IoPhase;
  /** Service or response time, where the trace records one (MSR ResponseTime). */
  latencyNs?: number;
  /** 1-based source line number; for binary formats the 1-based record index; for generated streams the record index. */
  line: number;
}

/** A file path, or any byte stream (a Node Readable, or an async iterable of chunks). */
export type WorkloadInput = string | AsyncIterable<Uint8Array | string>;

export interface ReadOptions {
  /** Name used in error messages; defaults to the path, or `<stream>` for streams. */
  name?: string;
  /** Bytes per read from a file path (default 256 KiB). */
  chunkBytes?: number;
  /** A longer line is an error (default 1 MiB): it bounds memory when a binary file is read as text. */
  maxLineBytes?: number;
}

/** Counts of input a reader read but, by the format's definition, did not turn into records. */
export interface ReadStats {
  /** Lines or records parsed and deliberately not emitted (other blktrace actions, other ftrace events, file actions …). */
  ignored: number;
  /** Lines in blocks the format defines as non-data (blkparse summaries, ftrace `#` headers, CSV header rows). */
  nonData: number;
}

export function newReadStats(): ReadStats {
  return { ignored: 0, nonData: 0 };
}

/**
 * Re-sorts a stream whose records are out of time order by at most `window` positions (e.g. the
 * per-CPU interleaving of a blktrace captured through a pipe), holding at most `window` records.
 * A record later than that still comes out, in arrival order, and is counted in `late.count`.
 */
export async function* reorderByTime<T extends { timeNs: number }>(
  source: AsyncIterable<T> | Iterable<T>,
  window: number,
  late: { count: number } = { count: 0 },
): AsyncGenerator<T> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, not ${window}`);
  const heap: T[] = [];
  let seq: number[] = [];
  let counter = 0;
  let lastOut = -Infinity;
  // A binary min-heap on (timeNs, arrival order), so equal times keep their arrival order.
  const less = (a: number, b: number): boolean =>
    heap[a].timeNs < heap[b].timeNs || (heap[a].timeNs === heap[b].timeNs && seq[a] < seq[b]);
  const swap = (a: number, b: number): void => {
    const t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
    const s = seq[a];
    seq[a] = seq[b];
    seq[b] = s;
  };
  const push = (item: T): void => {
    heap.push(item);
    seq.push(counter++);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const pop = (): T => {
    const top = heap[0];
    const lastItem = heap.pop() as T;
    const lastSeq = seq.pop() as number;
    if (heap.length > 0) {
      heap[0] = lastItem;
      seq[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top;
  };
  for await (const item of source) {
    push(item);
    if (heap.length > window) {
      const out = pop();
      if (out.timeNs < lastOut) late.count++;
      else lastOut = out.timeNs;
      yield out;
    }
  }
  while (heap.length > 0) {
    const out = pop();
    if (out.timeNs < lastOut) late.count++;
    else lastOut = out.timeNs;
    yield out;
  }
  seq = [];
}
