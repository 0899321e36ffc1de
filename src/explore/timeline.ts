/**
 * A whole trace run once through a session, remembered so that any operation can be looked at
 * again quickly: what each operation printed and how it ended (fail, hang, flush, rcache hit),
 * counters sampled at regular intervals for the charts, and checkpoints of the Linux model.
 *
 * Seeking to operation N restores the nearest checkpoint at or before N and replays forward from
 * it (or just replays forward when the session is already a little before N). Checkpoints are
 * spaced so that their memory stays proportional to the trace: the next one comes after at least
 * `checkpointEvery` operations and at least half as many operations as the tree has ranges, so a
 * checkpoint's size (two pfns per range) is paid for by the operations it covers. Alternatives
 * have no checkpoints: seeking back replays them from the start.
 */
import { NIL, type RbHandle, type RbTree } from '../allocators/rbtree.js';
import type { IovaTrace } from '../conformance/iova-trace.js';
import { openSession, WalkRecorder, type Checkpoint, type ExploreSession, type SessionModel } from './session.js';

export interface TimelineOptions {
  /** Fewest operations between two checkpoints (default 10,000). */
  readonly checkpointEvery?: number;
  /** Chart samples over the whole trace (default 600). */
  readonly samples?: number;
}

/** Counters at one sample point (after operation `index`). */
export interface Samples {
  readonly index: Float64Array;
  readonly nodes: Float64Array;
  readonly visits: Float64Array;
  readonly hits: Float64Array;
  readonly misses: Float64Array;
  /** Largest run of free granules in [start_pfn, 2^32 / granule). */
  readonly largestFree32: Float64Array;
}

type AnySession = ExploreSession<number> | ExploreSession<bigint>;

/** Largest free run below the 32-bit boundary, from the session's ranges (tree links for Linux). */
export function largestFree32(session: AnySession): { largest: number; free: number; at: number } {
  const start = Number(session.domain?.startPfn ?? session.allocator?.startPfn ?? 0);
  const end = Number(session.allocator?.dma32BitPfn ?? 2 ** (32 - (31 - Math.clz32(session.granule)))); // exclusive
  let next = start;
  let largest = 0;
  let at = start;
  let free = 0;
  const note = (lo: number, hiExclusive: number): void => {
    const to = Math.min(hiExclusive, end);
    if (to > lo) {
      free += to - lo;
      if (to - lo > largest) {
        largest = to - lo;
        at = lo;
      }
    }
  };
  if (session.domain !== null) {
    const anchor = session.domain.anchor;
    const tree = session.domain.tree as RbTree<number | bigint>;
    for (let node = tree.first(); node !== NIL && node !== anchor; node = tree.next(node)) {
      const lo = Number(tree.pfnLo(node));
      if (lo >= end) break;
      note(next, lo);
      const hi = Number(tree.pfnHi(node)) + 1;
      if (hi > next) next = hi;
    }
  } else {
    for (const [loP, hiP] of (session as ExploreSession<number>).rangePairs()) {
      const lo = Number(loP);
      if (lo >= end) break;
      note(next, lo);
      const hi = Number(hiP) + 1;
      if (hi > next) next = hi;
    }
  }
  note(next, end);
  return { largest, free, at };
}

export class Timeline {
  readonly session: AnySession;
  readonly opCount: number;
  /** What each operation printed ('' for none). */
  readonly outputs: string[];
  /** Outcome bits of each operation (OUTCOME_* of ./session.ts). */
  readonly outcomes: Uint8Array;
  readonly samples: Samples;
  readonly sampleEvery: number;
  private readonly checkpoints: Checkpoint<number | bigint>[] = [];
  private readonly checkpointEvery: number;

  constructor(
    readonly trace: IovaTrace,
    readonly model: SessionModel,
    options: TimelineOptions = {},
  ) {
    this.session = openSession(trace, model);
    this.opCount = trace.length;
    this.outputs = new Array<string>(this.opCount);
    this.outcomes = new Uint8Array(this.opCount);
    this.checkpointEvery = Math.max(1, options.checkpointEvery ?? 10_000);
    const wanted = Math.max(1, options.samples ?? 600);
    this.sampleEvery = Math.max(1, Math.ceil(this.opCount / wanted));
    const count = Math.ceil(this.opCount / this.sampleEvery);
    this.samples = {
      index: new Float64Array(count),
      nodes: new Float64Array(count),
      visits: new Float64Array(count),
      hits: new Float64Array(count),
      misses: new Float64Array(count),
      largestFree32: new Float64Array(count),
    };
    this.build();
  }

  private build(): void {
    const session = this.session;
    let nextCheckpoint = 0;
    let sample = 0;
    for (let i = 0; i < this.opCount; i++) {
      if (i === nextCheckpoint && session.canCheckpoint) {
        this.checkpoints.push((session as ExploreSession<number>).checkpoint() as Checkpoint<number>);
        nextCheckpoint = i + Math.max(this.checkpointEvery, Math.ceil(session.nodeCount / 2));
      }
      const { output, outcome } = session.step();
      this.outputs[i] = output;
      this.outcomes[i] = outcome;
      if ((i + 1) % this.sampleEvery === 0 || i + 1 === this.opCount) {
        const counts = session.rcacheCounts();
        const s = this.samples;
        s.index[sample] = i;
        s.nodes[sample] = session.nodeCount;
        s.visits[sample] = session.visits;
        s.hits[sample] = counts.hits;
        s.misses[sample] = counts.misses;
        s.largestFree32[sample] = session.allocator === null ? 0 : largestFree32(session).largest;
        sample++;
      }
    }
    session.rememberHistory();
  }

  /** Makes operations 0..position-1 the ones executed. */
  seek(position: number): void {
    const session = this.session;
    const target = Math.max(0, Math.min(position, this.opCount));
    const forward = target - session.position;
    if (forward < 0 || forward > this.checkpointEvery) {
      let best: Checkpoint<number | bigint> | null = null;
      for (const checkpoint of this.checkpoints) if (checkpoint.position <= target) best = checkpoint;
      if (best !== null && (forward < 0 || best.position > session.position)) (session as ExploreSession<number>).restore(best as Checkpoint<number>);
      else if (forward < 0) session.reset();
    }
    while (session.position < target) session.step();
  }

  /** Runs operation `index` again from the state before it, watching its walk. */
  inspect(index: number): { recorder: WalkRecorder<number | bigint>; output: string; outcome: number; before: ModelFacts; after: ModelFacts } {
    this.seek(index);
    const before = modelFacts(this.session);
    const recorder = new WalkRecorder<number | bigint>();
    const { output, outcome } = (this.session as ExploreSession<number>).step(recorder as WalkRecorder<number>);
    return { recorder, output, outcome, before, after: modelFacts(this.session) };
  }

  /** Indices of operations whose outcome has any of `bits`, after `from` (or before it, going back). */
  findOutcome(from: number, bits: number, direction: 1 | -1): number {
    for (let i = from + direction; i >= 0 && i < this.opCount; i += direction) if ((this.outcomes[i] & bits) !== 0) return i;
    return -1;
  }
}

/** The Linux domain's own state as text (exact for 64-bit pfns), or null for alternatives. */
export interface ModelFacts {
  readonly cached: [string, string] | null;
  readonly cached32: [string, string] | null;
  readonly max32AllocSize: string | null;
  readonly dma32BitPfn: string;
  readonly visits: number;
  readonly nodes: number;
}

function modelFacts(session: AnySession): ModelFacts {
  const domain = session.domain;
  const format = (p: number | bigint): string => (session.arith.format as (value: number | bigint) => string)(p);
  const tree = domain === null ? null : (domain.tree as RbTree<number | bigint>);
  const pair = (node: RbHandle): [string, string] => [format((tree as RbTree<number | bigint>).pfnLo(node)), format((tree as RbTree<number | bigint>).pfnHi(node))];
  return {
    cached: domain === null ? null : pair(domain.cachedNode),
    cached32: domain === null ? null : pair(domain.cached32Node),
    max32AllocSize: domain === null ? null : format(domain.max32AllocSize),
    dma32BitPfn: session.allocator === null ? '' : format(session.allocator.dma32BitPfn),
    visits: session.visits,
    nodes: session.nodeCount,
  };
}
