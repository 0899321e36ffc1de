/**
 * The measures a published figure can be a ratio of, each read from a simulation's result. A new
 * published kind of figure (latency, CPU per I/O) is one new row.
 */
import type { SimulationResult } from '../sim/simulation-result.js';

export const METRIC_NAMES = ['iops', 'bandwidth_mbps', 'lock_hold_ns_per_acquisition', 'lock_hold_ns_per_io'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const METRICS: Readonly<Record<MetricName, { readonly label: string; readonly of: (result: SimulationResult) => number }>> = {
  iops: { label: 'IOPS', of: (r) => r.iops },
  bandwidth_mbps: { label: 'MB/s', of: (r) => r.bandwidthMBps },
  // The mean time the tree lock is held each time it is taken (what a lock-stat "hold" average is).
  lock_hold_ns_per_acquisition: { label: 'lock hold ns', of: (r) => (r.lock.acquisitions === 0 ? 0 : (r.lock.holdNsPerIo * r.ios) / r.lock.acquisitions) },
  lock_hold_ns_per_io: { label: 'lock hold ns/IO', of: (r) => r.lock.holdNsPerIo },
};
