// Worker-thread entry for the sweep pool (piscina): simulates one point, returns its summary only.
import { simulate } from '../sim/engine.js';
import type { SweepPoint } from './grid.js';
import { summarise, type PointSummary } from './results.js';

export type PointTask = Pick<SweepPoint, 'id' | 'axes' | 'repeat' | 'seed' | 'fingerprint' | 'scenario'>;

export function runPoint(point: PointTask): PointSummary {
  return summarise(point, simulate(point.scenario));
}

export default runPoint;
