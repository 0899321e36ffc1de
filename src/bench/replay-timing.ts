/** Times the golden-trace replay: what `iovasim iova-trace --bench` and `npm run bench` report. */
import { kernelProfile } from '../allocators/kernel-version.js';
import { runIovaTrace, type IovaTrace } from '../conformance/iova-trace.js';
import { median } from '../stats/summary.js';

export interface ReplayTiming {
  readonly ops: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly nsPerOp: number;
  readonly opsPerSecond: number;
}

/** Times runIovaTrace on an already parsed trace: one warm-up run, then `runs` timed runs. */
export function timeReplay(trace: IovaTrace, version: string, runs: number): ReplayTiming {
  const profile = kernelProfile(version);
  runIovaTrace(trace, profile);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    runIovaTrace(trace, profile);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const medianMs = median(times);
  const ops = trace.ops.length;
  return { ops, runs, medianMs, nsPerOp: (medianMs * 1e6) / ops, opsPerSecond: ops / (medianMs / 1e3) };
}
