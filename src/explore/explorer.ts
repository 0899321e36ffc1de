/**
 * The explorer's model side, as the page's Web Worker runs it (and as the tests run it in Node):
 * one input trace through one or two models (compare mode), each a Timeline; requests from the
 * page come in as plain messages and are answered with plain data.
 *
 * Compare mode runs both models over the same operations in lockstep (the same index on both
 * sides) and finds the first operation whose printed result differs: the divergence point.
 */
import { ALLOCATOR_NAMES, isAllocatorName, type AllocatorName } from '../allocators/registry.js';
import { kernelProfile } from '../allocators/kernel-version.js';
import { parseIovaTrace } from '../conformance/iova-trace.js';
import { Timeline, type Samples } from './timeline.js';
import { buildView, type ExploreView } from './view.js';

export interface ModelChoice {
  /** 'linux' or an alternative allocator (behind the same rcache). */
  readonly allocator: string;
  /** Kernel version of the Linux model and of the rcache in front of an alternative. */
  readonly kernel: string;
}

/** Everything the page is given: the trace text and what to run it through. */
export interface ExploreInput {
  /** Shown as the title: the file the trace came from. */
  readonly name: string;
  /** A conformance trace (../shared/conformance/README.md), possibly converted from ftrace. */
  readonly traceText: string;
  /** One model, or two to compare. */
  readonly models: readonly ModelChoice[];
  /** Lines about how the input was made (e.g. what an ftrace conversion assumed). */
  readonly notes: readonly string[];
}

export function modelLabel(model: ModelChoice): string {
  return model.allocator === 'linux' ? `Linux ${model.kernel}` : `${model.allocator} (rcache ${model.kernel})`;
}

export interface ExploreSummary {
  readonly opCount: number;
  readonly labels: string[];
  /** Source line of each operation. */
  readonly lines: Uint32Array;
  readonly outcomes: Uint8Array[];
  readonly samples: Samples[];
  /** First operation whose output differs between the two models; -1 when none (or one model). */
  readonly divergence: number;
  readonly buildMs: number;
}

export type ExploreRequest =
  | { readonly type: 'open'; readonly input: ExploreInput }
  | { readonly type: 'view'; readonly index: number }
  | { readonly type: 'rows'; readonly from: number; readonly count: number }
  | { readonly type: 'search'; readonly text: string; readonly from: number; readonly direction: 1 | -1 }
  | { readonly type: 'find'; readonly bits: number; readonly from: number; readonly direction: 1 | -1 };

export interface ExploreRow {
  readonly index: number;
  readonly line: number;
  readonly text: string;
  readonly outputs: string[];
  readonly outcomes: number[];
}

export class ExploreInputError extends Error {}

export class Explorer {
  readonly timelines: Timeline[] = [];
  private sourceLines: string[] = [];
  summary: ExploreSummary | null = null;

  open(input: ExploreInput, now: () => number = () => Date.now()): ExploreSummary {
    const started = now();
    if (input.models.length < 1 || input.models.length > 2) throw new ExploreInputError(`${input.name}: give one model, or two to compare (got ${input.models.length})`);
    const trace = parseIovaTrace(input.traceText, input.name);
    this.sourceLines = input.traceText.split('\n');
    this.timelines.length = 0;
    for (const model of input.models) {
      if (!isAllocatorName(model.allocator)) throw new ExploreInputError(`allocator "${model.allocator}" is not one of ${ALLOCATOR_NAMES.join(', ')}`);
      this.timelines.push(new Timeline(trace, { allocator: model.allocator as AllocatorName, profile: kernelProfile(model.kernel) }, { samples: 240 }));
    }
    let divergence = -1;
    if (this.timelines.length === 2) {
      const [a, b] = this.timelines;
      for (let i = 0; i < a.opCount; i++) {
        if (a.outputs[i] !== b.outputs[i]) {
          divergence = i;
          break;
        }
      }
    }
    const lines = new Uint32Array(trace.ops.length);
    trace.ops.forEach((entry, i) => (lines[i] = entry.line));
    this.summary = {
      opCount: trace.ops.length,
      labels: input.models.map(modelLabel),
      lines,
      outcomes: this.timelines.map((t) => t.outcomes),
      samples: this.timelines.map((t) => t.samples),
      divergence,
      buildMs: now() - started,
    };
    return this.summary;
  }

  /** The views of operation `index` on each model. */
  view(index: number): ExploreView[] {
    return this.timelines.map((timeline) => buildView(timeline, index));
  }

  rows(from: number, count: number): ExploreRow[] {
    const rows: ExploreRow[] = [];
    const opCount = this.timelines[0]?.opCount ?? 0;
    const trace = this.timelines[0]?.trace;
    for (let i = Math.max(0, from); i < Math.min(opCount, from + count); i++) {
      const line = trace === undefined ? 0 : trace.ops[i].line;
      rows.push({
        index: i,
        line,
        text: (this.sourceLines[line - 1] ?? '').trim(),
        outputs: this.timelines.map((t) => t.outputs[i]),
        outcomes: this.timelines.map((t) => t.outcomes[i]),
      });
    }
    return rows;
  }

  /** The next operation (from `from`, in `direction`) whose line or output contains `text`. */
  search(text: string, from: number, direction: 1 | -1): number {
    const needle = text.trim().toLowerCase();
    if (needle === '' || this.timelines.length === 0) return -1;
    const trace = this.timelines[0].trace;
    for (let i = from + direction; i >= 0 && i < trace.ops.length; i += direction) {
      if ((this.sourceLines[trace.ops[i].line - 1] ?? '').toLowerCase().includes(needle)) return i;
      for (const timeline of this.timelines) if (timeline.outputs[i].toLowerCase().includes(needle)) return i;
    }
    return -1;
  }

  /** The next operation with any of the outcome bits on any model. */
  find(bits: number, from: number, direction: 1 | -1): number {
    let best = -1;
    for (const timeline of this.timelines) {
      const found = timeline.findOutcome(from, bits, direction);
      if (found >= 0 && (best < 0 || (direction === 1 ? found < best : found > best))) best = found;
    }
    return best;
  }

  handle(request: ExploreRequest): unknown {
    switch (request.type) {
      case 'open':
        return this.open(request.input);
      case 'view':
        return this.view(request.index);
      case 'rows':
        return this.rows(request.from, request.count);
      case 'search':
        return this.search(request.text, request.from, request.direction);
      case 'find':
        return this.find(request.bits, request.from, request.direction);
    }
  }
}
