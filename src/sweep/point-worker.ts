// Worker-thread entry for the sweep pool (piscina): simulates one point, returns its summary only.
// A point that runs a fio job file carries it as data (FioWorkload); its I/O sources are rebuilt here.
import { simulate } from '../sim/engine.js';
import { fioIoSources, type FioWorkload } from '../sim/fio-workload.js';
import type { SweepPoint } from './grid.js';
import { summarise, type PointSummary } from './results.js';

export type PointTask = Pick<SweepPoint, 'id' | 'axes' | 'repeat' | 'seed' | 'fingerprint' | 'scenario'> & { readonly fioWorkload?: FioWorkload };

export function runPoint(point: PointTask): PointSummary {
  return summarise(point, simulate(point.scenario, point.fioWorkload === undefined ? {} : { ioSources: fioIoSources(point.fioWorkload) }));
}

export default runPoint;
