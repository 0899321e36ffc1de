/**
 * What the page shows for one operation, read from the real model objects after the explorer ran
 * that operation again with a walk recorder attached: every range with its state (live, reserved,
 * or parked in a magazine), the domain's cached nodes and max32_alloc_size before and after, the
 * walk's steps, and the rcache's magazines, depots and trimmers. Plain data (numbers, strings,
 * typed arrays) so it crosses from the worker to the page by structured clone.
 */
import type { ModelFacts, Timeline } from './timeline.js';
import { largestFree32 } from './timeline.js';
import { OUTCOME_ALLOC } from './session.js';
import { Op } from '../conformance/iova-trace.js';

export const RANGE_LIVE = 1;
export const RANGE_RESERVED = 2;
export const RANGE_PARKED = 3;

export interface WalkStepView {
  readonly lo: string;
  readonly hi: string;
  readonly newPfn: string;
  readonly pass: number;
  readonly walk: number;
}

export interface MagazineView {
  readonly size: number;
  readonly pfns: number[];
}

export interface RcacheClassView {
  readonly order: number;
  readonly hits: number;
  readonly misses: number;
  readonly cpus: { loaded: MagazineView; prev: MagazineView }[];
  /** Depot magazines, newest first (the order they would be popped). */
  readonly depot: MagazineView[];
  readonly workPending: boolean;
  readonly workDueMs: number;
}

export interface ExploreView {
  readonly index: number;
  readonly line: number;
  readonly output: string;
  readonly outcome: number;
  /** lo, hi pairs in ascending order (approximate above 2^53; see `exact`). */
  readonly ranges: Float64Array;
  readonly states: Uint8Array;
  /** "lo hi" per range, exact (pfns as the kernel prints them). */
  readonly exact: string[];
  readonly before: ModelFacts;
  readonly after: ModelFacts;
  readonly walk: { total: number; perPass: number[]; walks: number; head: WalkStepView[]; tail: WalkStepView[] };
  readonly rcache: { nowMs: number; classes: RcacheClassView[] } | null;
  readonly startPfn: number;
  readonly dma32BitPfn: number;
  readonly granule: number;
  readonly free32: { largest: number; free: number; at: number };
  /**
   * The request of an alloc (flag: size-aligned) or alloc_fast (flag: flush the rcaches on failure;
   * always size-aligned): size, limit (inclusive).
   */
  readonly request: { size: string; limit: string; flag: number; fast: boolean } | null;
}

export function buildView(timeline: Timeline, index: number): ExploreView {
  const inspected = timeline.inspect(index);
  const session = timeline.session;
  const format = session.arith.format as (p: number | bigint) => string;
  const parked = new Set<number | bigint>();
  const rcache = session.rcache;
  let rcacheView: ExploreView['rcache'] = null;
  if (rcache !== null) {
    const magazine = (m: { size: number; pfns: readonly (number | bigint)[] }): MagazineView => {
      const pfns: number[] = [];
      for (let i = 0; i < m.size; i++) {
        parked.add(m.pfns[i]);
        pfns.push(Number(m.pfns[i]));
      }
      return { size: m.size, pfns };
    };
    rcacheView = {
      nowMs: rcache.clock.nowMs,
      classes: rcache.classes.map((sizeClass) => ({
        order: sizeClass.order,
        hits: sizeClass.hits,
        misses: sizeClass.misses,
        cpus: sizeClass.cpus.map((cpu) => ({ loaded: magazine(cpu.loaded), prev: magazine(cpu.prev) })),
        depot: sizeClass.depot.map(magazine).reverse(),
        workPending: sizeClass.trimWork.isPending,
        workDueMs: sizeClass.trimWork.isPending ? sizeClass.trimWork.dueMs : 0,
      })),
    };
  }
  const pairs = [...(session.rangePairs() as Generator<[number | bigint, number | bigint]>)];
  const ranges = new Float64Array(pairs.length * 2);
  const states = new Uint8Array(pairs.length);
  const exact: string[] = new Array<string>(pairs.length);
  const reserved = session.reserved as [number | bigint, number | bigint][];
  pairs.forEach(([lo, hi], i) => {
    ranges[2 * i] = Number(lo);
    ranges[2 * i + 1] = Number(hi);
    exact[i] = `${format(lo)} ${format(hi)}`;
    let state = parked.has(lo) ? RANGE_PARKED : RANGE_LIVE;
    if (state === RANGE_LIVE) for (const [rlo, rhi] of reserved) if (rlo <= hi && rhi >= lo) state = RANGE_RESERVED;
    states[i] = state;
  });
  const stepView = (s: { lo: number | bigint; hi: number | bigint; newPfn: number | bigint; pass: number; walk: number }): WalkStepView => ({
    lo: format(s.lo),
    hi: format(s.hi),
    newPfn: format(s.newPfn),
    pass: s.pass,
    walk: s.walk,
  });
  const recorder = inspected.recorder;
  const trace = timeline.trace;
  const isAlloc = (inspected.outcome & OUTCOME_ALLOC) !== 0;
  const value = (i: number): string => format(trace.value(index, i));
  return {
    index,
    line: trace.lines[index],
    output: inspected.output,
    outcome: inspected.outcome,
    ranges,
    states,
    exact,
    before: inspected.before,
    after: inspected.after,
    walk: { total: recorder.total, perPass: recorder.stepsPerPass.slice(), walks: recorder.walks, head: recorder.head.map(stepView), tail: recorder.tail.map(stepView) },
    rcache: rcacheView,
    startPfn: Number(session.allocator?.startPfn ?? 0),
    dma32BitPfn: Number(session.allocator?.dma32BitPfn ?? 2 ** 20),
    granule: session.granule,
    free32: session.allocator === null ? { largest: 0, free: 0, at: 0 } : largestFree32(session),
    request: isAlloc ? { size: value(0), limit: value(1), flag: Number(trace.value(index, 2)), fast: trace.opCodes[index] === Op.AllocFast } : null,
  };
}
