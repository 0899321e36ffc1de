/**
 * Timing of golden-trace replay (`iovasim iova-trace --bench`, `npm run bench`): parsing and replay
 * are timed separately, each as wall time and as the process's CPU time (`process.cpuUsage()`, user +
 * system, all threads — the garbage collector's helpers included), because on a shared machine wall
 * time mostly measures the other processes. One untimed warm-up of each, then `runs` timed runs; the
 * figures are the medians. Parsing starts from the file's bytes already in memory (reading the file
 * is not timed).
 */
import type { KernelProfile } from '../allocators/kernel-version.js';
import { parseIovaTrace, runIovaTrace, type IovaTrace } from '../conformance/iova-trace.js';
import { median } from '../stats/summary.js';

export interface PhaseTiming {
  readonly medianWallMs: number;
  readonly medianCpuMs: number;
  readonly wallNsPerOp: number;
  readonly cpuNsPerOp: number;
}

export interface TraceTiming {
  readonly ops: number;
  readonly runs: number;
  readonly parse: PhaseTiming;
  readonly replay: PhaseTiming;
  /** Replay ops per second of wall time (median). */
  readonly opsPerSecond: number;
}

function phase(wallNs: number[], cpuNs: number[], ops: number): PhaseTiming {
  const wall = median(wallNs);
  const cpu = median(cpuNs);
  return { medianWallMs: wall / 1e6, medianCpuMs: cpu / 1e6, wallNsPerOp: wall / ops, cpuNsPerOp: cpu / ops };
}

/** Times parseIovaTrace on `bytes` and runIovaTrace on the result, `runs` times each after a warm-up. */
export function timeTrace(bytes: Uint8Array, file: string, profile: KernelProfile, runs: number): TraceTiming {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs ${runs} must be a whole number >= 1`);
  let trace: IovaTrace = parseIovaTrace(bytes, file);
  runIovaTrace(trace, profile);
  const parseWall: number[] = [];
  const parseCpu: number[] = [];
  const replayWall: number[] = [];
  const replayCpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    let cpu = process.cpuUsage();
    let start = process.hrtime.bigint();
    trace = parseIovaTrace(bytes, file);
    parseWall.push(Number(process.hrtime.bigint() - start));
    cpu = process.cpuUsage(cpu);
    parseCpu.push((cpu.user + cpu.system) * 1000);
    cpu = process.cpuUsage();
    start = process.hrtime.bigint();
    runIovaTrace(trace, profile);
    replayWall.push(Number(process.hrtime.bigint() - start));
    cpu = process.cpuUsage(cpu);
    replayCpu.push((cpu.user + cpu.system) * 1000);
  }
  const ops = trace.ops.length;
  const replay = phase(replayWall, replayCpu, ops);
  return { ops, runs, parse: phase(parseWall, parseCpu, ops), replay, opsPerSecond: ops / (replay.medianWallMs / 1e3) };
}

/** One line for stderr: the replay's wall-time figures first (the format before CPU time was added). */
export function formatTraceTiming(file: string, version: string, t: TraceTiming): string {
  const ns = (x: number): string => x.toFixed(1);
  return (
    `replay ${file} (kernel ${version}): ${t.ops} ops, median of ${t.runs} runs ` +
    `${t.replay.medianWallMs.toFixed(2)} ms, ${ns(t.replay.wallNsPerOp)} ns/op, ${Math.round(t.opsPerSecond)} ops/s wall; ` +
    `CPU ${t.replay.medianCpuMs.toFixed(2)} ms, ${ns(t.replay.cpuNsPerOp)} ns/op; ` +
    `parse: wall ${t.parse.medianWallMs.toFixed(2)} ms, ${ns(t.parse.wallNsPerOp)} ns/op, CPU ${t.parse.medianCpuMs.toFixed(2)} ms, ${ns(t.parse.cpuNsPerOp)} ns/op\n`
  );
}
