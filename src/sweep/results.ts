/**
 * One finished point's summary, and the results store: DIR/results.jsonl, one JSON object a line.
 *
 * Why JSON lines: a result is appended as ONE write of one complete line followed by fsync, so a
 * crash can at worst leave a torn last line (no trailing newline, or not parseable), which loading
 * ignores and cuts off; every earlier line is whole. Appending never rewrites what is already there,
 * so finished results cannot be lost, resume is "read the ids already present", and the file stays
 * greppable and streamable (jq, pandas.read_json(lines=True)) without a database.
 */
import { mkdir, open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulationResult } from '../sim/engine.js';
import type { Json, SweepPoint } from './grid.js';

export interface PointSummary {
  readonly id: string;
  readonly scenario: string;
  readonly axes: Readonly<Record<string, Json>>;
  readonly repeat: number;
  readonly seed: number;
  readonly fingerprint: string;
  readonly iops: number;
  readonly bandwidthMBps: number;
  readonly latencyP50Us: number;
  readonly latencyP99Us: number;
  readonly lockUtilisation: number;
  readonly mapNsPerIo: number;
  readonly rcacheHitRate: number;
  readonly liveIovas: number;
}

/** What a worker sends back: the figures only, never the series or occupancy picture. */
export function summarise(point: Pick<SweepPoint, 'id' | 'axes' | 'repeat' | 'seed' | 'fingerprint' | 'scenario'>, result: SimulationResult): PointSummary {
  return {
    id: point.id,
    scenario: point.scenario.name,
    axes: point.axes,
    repeat: point.repeat,
    seed: point.seed,
    fingerprint: point.fingerprint,
    iops: result.iops,
    bandwidthMBps: result.bandwidthMBps,
    latencyP50Us: result.latencyUs.p50,
    latencyP99Us: result.latencyUs.p99,
    lockUtilisation: result.lock.utilisation,
    mapNsPerIo: result.mapping.cpuNsPerIo,
    rcacheHitRate: result.rcache.hitRate,
    liveIovas: result.allocator.liveIovas,
  };
}

export class ResultsStoreError extends Error {}

export const RESULTS_FILE = 'results.jsonl';

function isSummary(value: unknown): value is PointSummary {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.fingerprint === 'string' && typeof v.iops === 'number';
}

/** Appends complete lines to DIR/results.jsonl; knows which point ids it already holds. */
export class ResultsStore {
  private chain: Promise<unknown> = Promise.resolve();
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly byId: Map<string, PointSummary>,
    /** Bytes of a torn last line that opening cut off (0: none). */
    readonly tornBytes: number,
  ) {}

  static async open(dir: string): Promise<ResultsStore> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, RESULTS_FILE);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ResultsStoreError(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const byId = new Map<string, PointSummary>();
    const seen = new Map<string, { line: number; body: string }>();
    let good = 0;
    let offset = 0;
    let line = 0;
    let torn = 0;
    while (offset < text.length) {
      line++;
      const end = text.indexOf('\n', offset);
      const body = end < 0 ? text.slice(offset) : text.slice(offset, end);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      if (end < 0 || !isSummary(parsed)) {
        if (end < 0 || end + 1 >= text.length) {
          // The last line: torn by a crash mid-append. Cut it off so the next append starts clean.
          torn = Buffer.byteLength(text.slice(offset));
          break;
        }
        throw new ResultsStoreError(`${path}:${line}: not a result line (only the last line may be torn); fix or move the file`);
      }
      // Appends never repeat an id, so a second line for one is not ours to choose between (two
      // sweeps writing into one directory, or a hand edit): the user decides which line stays.
      const first = seen.get(parsed.id);
      if (first !== undefined) {
        const how = first.body === body ? 'the same line twice' : 'with different figures';
        throw new ResultsStoreError(`${path}:${line}: id: point ${parsed.id} is already on line ${first.line} (${how}); remove one of the two lines`);
      }
      seen.set(parsed.id, { line, body });
      byId.set(parsed.id, parsed);
      offset = end + 1;
      good += Buffer.byteLength(body) + 1;
    }
    if (torn > 0) await truncate(path, good);
    const handle = await open(path, 'a');
    return new ResultsStore(path, handle, byId, torn);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): PointSummary | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Every result held, in file order. */
  all(): PointSummary[] {
    return [...this.byId.values()];
  }

  /**
   * Appends one result as a single write + fsync, unless its id is already there (false then).
   * Appends are serialised, so concurrent callers never interleave.
   */
  append(summary: PointSummary): Promise<boolean> {
    const next = this.chain.then(async () => {
      if (this.byId.has(summary.id)) return false;
      await this.handle.write(JSON.stringify(summary) + '\n');
      await this.handle.sync();
      this.byId.set(summary.id, summary);
      return true;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle.close();
  }
}
