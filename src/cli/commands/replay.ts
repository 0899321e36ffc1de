/**
 * `iovasim replay TRACE [--format FMT]`: replays a recorded block trace (blkparse text, binary
 * blktrace, fio iolog, MSR, Alibaba, Tencent, CloudPhysics, DiskSim/MQSim, or a fio job file's
 * generated stream) open-loop through the simulator, at the recorded times, on the host of the base
 * scenario. The records are read into memory first (at most --max-records), sorted by time, and
 * replayed once per --compare variant.
 *
 * An IOMMU/DMA ftrace capture (`iommu-ftrace`) is replayed differently: its mapping lifetimes go
 * straight to the modelled DMA layer in recorded order, and the command reports where the model
 * placed each mapping against where the kernel did (src/sim/ftrace-replay.ts).
 */
import { basename } from 'node:path';
import { writeHtmlReport } from '../../report/html.js';
import { formatTable } from '../../report/table.js';
import { simulate, type SimulationResult } from '../../sim/engine.js';
import { replayMappings, type PlacementResult } from '../../sim/ftrace-replay.js';
import { maxRequestBytes } from '../../sim/host-setup.js';
import type { Scenario } from '../../sim/scenario.js';
import { TraceRecords } from '../../sim/trace-records.js';
import { detectFormat, readIoRecords, WORKLOAD_FORMATS, type WorkloadFormat } from '../../workloads/detect.js';
import { newFtraceStats, readIommuFtrace, type MappingEvent } from '../../workloads/iommu-ftrace.js';
import { newReadStats } from '../../workloads/io-record.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command, CommandIo } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { checkKernel, compareVariants, fioStyleJson, iovasimVersion, OVERRIDE_OPTIONS, printNotes, ProgressBar, userErrors, type Variant } from '../run-support.js';
import { applyOverrides, loadScenario, summaryTable } from './simulate.js';

export const DEFAULT_MAX_RECORDS = 5_000_000;

const OPTIONS: Record<string, OptionSpec> = {
  format: { type: 'string', description: `trace format (${WORKLOAD_FORMATS.join(', ')}); detected when unambiguous` },
  'max-records': { type: 'string', description: 'read at most this many records (they are held in memory)', default: String(DEFAULT_MAX_RECORDS) },
  ...OVERRIDE_OPTIONS,
};

/** At most this many samples of the time series over a replay: longer traces get wider intervals. */
const MAX_SAMPLES = 400;

/** The trace's format: --format, or detected; ambiguity and failure are errors that say what to do. */
export async function traceFormat(file: string, given: string | undefined): Promise<WorkloadFormat> {
  if (given !== undefined) {
    if (!(WORKLOAD_FORMATS as readonly string[]).includes(given)) throw new UsageError(`--format: "${given}" is not a known format (known: ${WORKLOAD_FORMATS.join(', ')})`);
    return given as WorkloadFormat;
  }
  const detection = await detectFormat(file);
  if (detection.format !== undefined) return detection.format;
  if (detection.candidates.length > 1) {
    throw new UserError(`${file}: format: ambiguous, it reads as any of ${detection.candidates.join(', ')}; pass --format with the one it is`);
  }
  throw new UserError(`${file}: format: not a recognised trace format; pass --format (one of ${WORKLOAD_FORMATS.join(', ')})`);
}

/** An interval giving at most MAX_SAMPLES samples over `spanMs`, rounded to 1, 2 or 5 × 10^n ms. */
function intervalFor(spanMs: number, current: number): number {
  if (!(spanMs / current > MAX_SAMPLES)) return current;
  const raw = spanMs / MAX_SAMPLES;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v >= raw) ?? raw;
  return Math.min(3_600_000, nice);
}

export interface LoadedTrace {
  readonly records: TraceRecords;
  readonly capped: boolean;
  readonly skipped: { completions: number; trims: number; flushes: number; other: number; ignoredLines: number };
}

/** Reads up to `maxRecords` block I/O records into memory (reads and writes; the rest counted). */
export async function loadTrace(file: string, format: WorkloadFormat, maxRecords: number): Promise<LoadedTrace> {
  const records = new TraceRecords();
  const stats = newReadStats();
  const skipped = { completions: 0, trims: 0, flushes: 0, other: 0, ignoredLines: 0 };
  let capped = false;
  let seen = 0;
  for await (const record of readIoRecords(file, { format, stats })) {
    if (seen >= maxRecords) {
      capped = true;
      break;
    }
    seen++;
    if (record.phase === 'complete') skipped.completions++;
    else if (record.op === 'read' || record.op === 'write') records.push(record);
    else if (record.op === 'trim') skipped.trims++;
    else if (record.op === 'flush') skipped.flushes++;
    else skipped.other++;
  }
  skipped.ignoredLines = stats.ignored;
  return { records, capped, skipped };
}

function blockNotes(trace: LoadedTrace, maxRecords: number): string[] {
  const notes: string[] = [];
  const { records, skipped } = trace;
  if (trace.capped) notes.push(`capped at --max-records ${maxRecords}: the rest of the trace was not read`);
  if (skipped.completions > 0) notes.push(`${skipped.completions} completion events not replayed (the simulator models completions itself; issues are replayed)`);
  const others = [skipped.trims > 0 ? `${skipped.trims} trims` : '', skipped.flushes > 0 ? `${skipped.flushes} flushes` : '', skipped.other > 0 ? `${skipped.other} other operations` : ''].filter(Boolean);
  if (others.length > 0) notes.push(`${others.join(', ')} not replayed: they carry no data buffer to map`);
  if (records.outOfOrder > 0) notes.push(`${records.outOfOrder} records came earlier than the one before them; the replay is sorted by time`);
  return notes;
}

async function replayBlock(file: string, format: WorkloadFormat, variants: Variant[], maxRecords: number, io: CommandIo): Promise<{ results: SimulationResult[]; notes: string[]; extra: Record<string, unknown>; variants: Variant[] }> {
  const trace = await loadTrace(file, format, maxRecords);
  const { records } = trace;
  if (records.count === 0) throw new UserError(`${file}: no reads or writes to replay (${format})`);
  records.sortByTime();
  const notes = blockNotes(trace, maxRecords);
  const spanMs = Math.max(0, records.lastTimeNs - Math.max(0, records.firstTimeNs)) / 1e6;
  // No ageing: the engine draws ageing sizes from the warm-up, which a replay does not have.
  const adjusted = variants.map((v) => ({ ...v, scenario: { ...v.scenario, intervalMs: intervalFor(spanMs, v.scenario.intervalMs), ageingMaps: 0 } }));
  if (variants[0].scenario.ageingMaps > 0) notes.push('the domain is not aged before the replay (ageing_maps 0): the trace starts on a fresh IOVA space');
  if (adjusted[0].scenario.intervalMs !== variants[0].scenario.intervalMs) {
    notes.push(`the trace spans ${spanMs.toFixed(0)} ms: time series sampled every ${adjusted[0].scenario.intervalMs} ms`);
  }
  const splits: Record<string, { records: number; pieces: number; maxBytes: number }> = {};
  for (const v of adjusted) {
    const maxBytes = maxRequestBytes(v.scenario);
    const split = records.splitCount(maxBytes);
    splits[v.label] = { ...split, maxBytes };
    if (split.records > 0) notes.push(`${v.label}: ${split.records} I/Os larger than max_sectors (${maxBytes / 1024} KiB) are split by the block layer into ${split.pieces} or more requests`);
  }
  printNotes(io.stderr, notes);
  const bar = new ProgressBar(io.stderr, io.isTTY);
  const results: SimulationResult[] = [];
  try {
    for (const [i, v] of adjusted.entries()) {
      const label = adjusted.length > 1 ? `${v.label} (${i + 1}/${adjusted.length})` : v.label;
      const stream = records.replay((done) => bar.update(done / records.count, label));
      results.push(simulate(v.scenario, { records: stream }));
    }
  } finally {
    bar.done();
  }
  const extra = {
    records: {
      replayed: records.count,
      reads: records.reads,
      writes: records.writes,
      bytes: records.bytes,
      devices: records.devices.length,
      spanMs,
      capped: trace.capped,
      maxRecords,
      outOfOrder: records.outOfOrder,
      skipped: trace.skipped,
      split: splits,
    },
  };
  return { results, notes, extra, variants: adjusted };
}

function placementTable(variants: readonly Variant[], placements: readonly PlacementResult[]): string {
  return formatTable(
    ['variant', 'events', 'maps', 'identical', 'differ', 'failed', 'unmaps', 'unmatched', 'skipped'],
    placements.map((p, i) => [
      variants[i].label,
      p.level,
      String(p.maps),
      `${p.identical} (${p.maps === 0 ? '-' : ((100 * p.identical) / p.maps).toFixed(1)}%)`,
      String(p.differencesTotal - p.failed),
      String(p.failed),
      String(p.unmaps),
      String(p.unmatchedUnmaps),
      String(p.skipped),
    ]),
  );
}

function differencesText(variants: readonly Variant[], placements: readonly PlacementResult[], limit = 10): string {
  const lines: string[] = [];
  placements.forEach((p, i) => {
    if (p.differences.length === 0) return;
    lines.push('', `first differences, ${variants[i].label} (${Math.min(limit, p.differences.length)} of ${p.differencesTotal}):`);
    lines.push(
      formatTable(
        ['line', 'event', 'bytes', 'recorded', 'placed'],
        p.differences.slice(0, limit).map((d) => [String(d.line), d.event, String(d.sizeBytes), d.recorded, d.placed ?? 'allocation failed']),
      ).trimEnd(),
    );
  });
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

async function replayFtrace(file: string, variants: Variant[], maxRecords: number): Promise<{ placements: PlacementResult[]; notes: string[]; events: number; capped: boolean; lostEvents: number }> {
  const stats = newFtraceStats();
  const events: MappingEvent[] = [];
  let capped = false;
  for await (const event of readIommuFtrace(file, { stats })) {
    if (events.length >= maxRecords) {
      capped = true;
      break;
    }
    events.push(event);
  }
  const notes: string[] = [];
  if (capped) notes.push(`capped at --max-records ${maxRecords}: the rest of the capture was not read`);
  if (stats.lostEvents > 0) notes.push(`the capture lost ${stats.lostEvents} events ([LOST N EVENTS]): some mappings have no map or no unmap`);
  if (stats.unmatchedUnmapSg > 0) notes.push(`${stats.unmatchedUnmapSg} dma_unmap_sg events match no dma_map_sg in the capture`);
  const placements = variants.map((v) => replayMappings(events, v.scenario));
  // A note every variant made is said once; the others name their variant.
  for (const [i, p] of placements.entries()) {
    for (const note of p.notes) notes.push(placements.every((q) => q.notes.includes(note)) ? note : `${variants[i].label}: ${note}`);
  }
  return { placements, notes: [...new Set(notes)], events: events.length, capped, lostEvents: stats.lostEvents };
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay a block trace (blkparse, blktrace, fio iolog, MSR, CloudPhysics, MQSim, …) or an IOMMU ftrace capture through the model',
  async run(argv, io) {
    const { options, positionals } = parseArgs('replay', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(
        helpText(
          'usage: iovasim replay TRACE [--format FMT] [--max-records N] [--preset NAME] [overrides] [--compare a,b,…] [--json] [--report FILE.html|DIR]\n\nThe trace is read into memory (at most --max-records records) and replayed open-loop at its recorded times.',
          OPTIONS,
        ),
      );
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('needs one TRACE file');
    const file = positionals[0];
    const maxRecords = positiveInteger(options, 'max-records') ?? DEFAULT_MAX_RECORDS;
    return userErrors(async () => {
      const format = await traceFormat(file, options.format as string | undefined);
      const scenario: Scenario = applyOverrides(await loadScenario(undefined, options.preset as string | undefined), options);
      checkKernel(scenario);
      const variants: Variant[] = options.compare === undefined ? [{ label: scenario.name, scenario }] : compareVariants(scenario, String(options.compare));
      const report = async (input: Parameters<typeof writeHtmlReport>[1]): Promise<void> => {
        if (options.report === undefined) return;
        const path = await writeHtmlReport(String(options.report), input);
        io.stderr.write(`report: ${path}\n`);
      };
      const common = { title: `iovasim replay — ${basename(file)}`, command: `iovasim replay ${argv.join(' ')}`, generator: `iovasim ${iovasimVersion()}` };

      if (format === 'iommu-ftrace') {
        const { placements, notes, events, capped, lostEvents } = await replayFtrace(file, variants, maxRecords);
        printNotes(io.stderr, notes);
        if (options.json) {
          const json = {
            'fio version': `iovasim-${iovasimVersion()}`,
            jobs: [],
            iovasim: { command: 'replay', input: file, format, notes, events: { read: events, capped, maxRecords, lostEvents }, placements: placements.map((p, i) => ({ label: variants[i].label, ...p })) },
          };
          io.stdout.write(JSON.stringify(json, null, 2) + '\n');
        } else {
          io.stdout.write(placementTable(variants, placements) + differencesText(variants, placements));
        }
        await report({ ...common, input: { file, format, summary: `${events} mapping events` }, notes, placements: placements.map((placement, i) => ({ label: variants[i].label, placement })) });
        return 0;
      }

      const { results, notes, extra, variants: used } = await replayBlock(file, format, variants, maxRecords, io);
      const records = extra.records as { reads: number; writes: number; replayed: number };
      const allNotes = [...notes, 'replay holds the trace in memory (about 30 bytes per record; --max-records caps it)'];
      if (options.json) io.stdout.write(JSON.stringify(fioStyleJson(used, results, { command: 'replay', input: file, format, notes: allNotes, extra }), null, 2) + '\n');
      else io.stdout.write(summaryTable(results));
      await report({ ...common, input: { file, format, summary: `${records.replayed} reads and writes` }, notes: allNotes, runs: used.map((v, i) => ({ label: v.label, result: results[i] })) });
      return 0;
    });
  },
};
