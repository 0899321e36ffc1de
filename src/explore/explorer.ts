/**
 * The explorer's model side, as the page's Web Worker runs it (and as the tests run it in Node):
 * one input trace through one or two models (compare mode), each a Timeline; requests from the
 * page come in as plain messages and are answered with plain data.
 *
 * Compare mode runs both models over the same operations in lockstep (the same index on both
 * sides) and finds the first operation whose printed result differs: the divergence point. A
 * recorded simulation (../sim/iova-recorder.ts) compared across two allocators gives each model a
 * stream of its own (the simulated host reacts to what each allocator did), so there the
 * operations themselves differ: the two streams are compared by operation index, and the
 * divergence is the first index where the operation or its printed result differs.
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
  /** The Linux model's retry pass, when not the kernel's own (a scenario's `retry_pass: false`). */
  readonly retryPass?: boolean;
  /** rcache size classes, when not mainline's 6 (a scenario's `rcache_classes`). */
  readonly rcacheClasses?: number;
  /** Shown instead of the label made from the fields above (two recorded variants of a scenario). */
  readonly label?: string;
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
  /**
   * A trace per model (a simulation recorded once per model), compared by operation index;
   * absent: every model runs traceText.
   */
  readonly modelTraces?: readonly string[];
  /** Most CPUs a `cpus` line may give (a recorded host may have more than the format's 64). */
  readonly maxCpus?: number;
}

export function modelLabel(model: ModelChoice): string {
  if (model.label !== undefined) return model.label;
  const label = model.allocator === 'linux' ? `Linux ${model.kernel}` : `${model.allocator} (rcache ${model.kernel})`;
  return model.allocator === 'linux' && model.retryPass === false ? `${label}, retry pass off` : label;
}

export interface ExploreSummary {
  readonly opCount: number;
  readonly labels: string[];
  /** Source line of each operation (of the first model's trace). */
  readonly lines: Int32Array;
  readonly outcomes: Uint8Array[];
  readonly samples: Samples[];
  /** First operation whose output differs between the two models; -1 when none (or one model). */
  readonly divergence: number;
  /** True when each model ran a trace of its own (compared by operation index). */
  readonly ownTraces: boolean;
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
  /** Each model's operation, when each ran a trace of its own. */
  readonly texts?: string[];
  readonly outputs: string[];
  readonly outcomes: number[];
}

export class ExploreInputError extends Error {}

export class Explorer {
  readonly timelines: Timeline[] = [];
  /** Each timeline's trace text, split into lines (one shared array when the models share a trace). */
  private sourceLines: string[][] = [];
  private opCount = 0;
  summary: ExploreSummary | null = null;

  open(input: ExploreInput, now: () => number = () => Date.now()): ExploreSummary {
    const started = now();
    if (input.models.length < 1 || input.models.length > 2) throw new ExploreInputError(`${input.name}: give one model, or two to compare (got ${input.models.length})`);
    const own = input.modelTraces;
    if (own !== undefined && own.length !== input.models.length) throw new ExploreInputError(`${input.name}: ${own.length} traces for ${input.models.length} models`);
    const parseOptions = { maxCpus: input.maxCpus ?? 64 };
    const shared = own === undefined ? parseIovaTrace(input.traceText, input.name, parseOptions) : null;
    const sharedLines = own === undefined ? input.traceText.split('\n') : [];
    this.timelines.length = 0;
    this.sourceLines = [];
    input.models.forEach((model, i) => {
      if (!isAllocatorName(model.allocator)) throw new ExploreInputError(`allocator "${model.allocator}" is not one of ${ALLOCATOR_NAMES.join(', ')}`);
      const trace = shared ?? parseIovaTrace((own as readonly string[])[i], `${input.name} (${modelLabel(model)})`, parseOptions);
      this.sourceLines.push(shared === null ? (own as readonly string[])[i].split('\n') : sharedLines);
      const profile = kernelProfile(model.kernel, model.retryPass === undefined ? {} : { retryPass: model.retryPass });
      const session = { allocator: model.allocator as AllocatorName, profile, ...(model.rcacheClasses === undefined ? {} : { rcacheClasses: model.rcacheClasses }) };
      this.timelines.push(new Timeline(trace, session, { samples: 240 }));
    });
    // With a trace per model, the shorter one bounds what can be compared by index.
    this.opCount = Math.min(...this.timelines.map((t) => t.opCount));
    let divergence = -1;
    if (this.timelines.length === 2) {
      const [a, b] = this.timelines;
      for (let i = 0; i < this.opCount; i++) {
        if (a.outputs[i] !== b.outputs[i] || (shared === null && this.operationText(0, i) !== this.operationText(1, i))) {
          divergence = i;
          break;
        }
      }
      if (divergence < 0 && a.opCount !== b.opCount) divergence = this.opCount - 1;
    }
    this.summary = {
      opCount: this.opCount,
      labels: input.models.map(modelLabel),
      lines: this.timelines[0].trace.lines.slice(0, this.opCount),
      outcomes: this.timelines.map((t) => t.outcomes),
      samples: this.timelines.map((t) => t.samples),
      divergence,
      ownTraces: shared === null,
      buildMs: now() - started,
    };
    return this.summary;
  }

  /** The source line of operation `index` of model `model`'s trace, trimmed. */
  private operationText(model: number, index: number): string {
    const trace = this.timelines[model].trace;
    return (this.sourceLines[model][trace.lines[index] - 1] ?? '').trim();
  }

  /** The views of operation `index` on each model. */
  view(index: number): ExploreView[] {
    return this.timelines.map((timeline) => buildView(timeline, index));
  }

  rows(from: number, count: number): ExploreRow[] {
    const rows: ExploreRow[] = [];
    if (this.timelines.length === 0) return rows;
    const own = this.summary?.ownTraces === true;
    const trace = this.timelines[0].trace;
    for (let i = Math.max(0, from); i < Math.min(this.opCount, from + count); i++) {
      rows.push({
        index: i,
        line: trace.lines[i],
        text: this.operationText(0, i),
        ...(own ? { texts: this.timelines.map((_, model) => this.operationText(model, i)) } : {}),
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
    const models = this.summary?.ownTraces === true ? this.timelines.length : 1;
    for (let i = from + direction; i >= 0 && i < this.opCount; i += direction) {
      for (let model = 0; model < models; model++) if (this.operationText(model, i).toLowerCase().includes(needle)) return i;
      for (const timeline of this.timelines) if (timeline.outputs[i].toLowerCase().includes(needle)) return i;
    }
    return -1;
  }

  /** The next operation with any of the outcome bits on any model. */
  find(bits: number, from: number, direction: 1 | -1): number {
    let best = -1;
    for (const timeline of this.timelines) {
      const found = timeline.findOutcome(from, bits, direction);
      if (found >= this.opCount) continue;
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
