/**
 * The order in which fio runs the jobs of a job file, as data the simulator can follow.
 *
 * fio's rules (HOWTO, "Job control"; backend.c run_threads):
 * - Jobs start together unless told otherwise.
 * - `stonewall` (alias `wait_for_previous`): the job waits for every job before it in the file to
 *   exit, and so do the jobs after it (they are behind the same serialisation point). A job file
 *   is therefore a sequence of phases, a new phase beginning at each stonewalled job; the first
 *   job's stonewall changes nothing.
 * - `wait_for=NAME`: the job does not start until every clone of the job named NAME has finished.
 *   The waitee must be defined earlier in the file (no forward references) and its name must be
 *   unique. It is not a serialisation point for other jobs.
 * - `new_group` starts a new reporting group and does not change when anything runs; a stonewall
 *   starts a new reporting group too.
 * - `startdelay` is counted from the start of the whole run (backend.c compares it with the time
 *   since fio's genesis), so a job behind a stonewall starts at the later of the two.
 * Every clone (numjobs) of a job is in the same phase as the job.
 */
import { WorkloadError } from './errors.js';
import type { FioJob, FioJobFile } from './fio-job.js';

export interface FioPhaseJob {
  job: FioJob;
  /** The job's 0-based reporting group (new_group / stonewall start a new one). */
  group: number;
  /** wait_for: the index (FioJob.index) of a job whose every clone must have finished first. */
  waitsForJob?: number;
  /** Not before this time from the start of the run (startdelay). */
  notBeforeNs: number;
}

export interface FioPhase {
  /** 0-based. */
  index: number;
  /** The first phase starts with the run; each later one when every job of all earlier phases has finished. */
  startAfter: 'run-start' | 'previous-phase-done';
  jobs: FioPhaseJob[];
}

/** Orders a job file's jobs into phases as fio runs them (see the module comment). */
export function planFioPhases(input: FioJobFile | readonly FioJob[]): FioPhase[] {
  const jobs: readonly FioJob[] = Array.isArray(input) ? (input as readonly FioJob[]) : (input as FioJobFile).jobs;
  const phases: FioPhase[] = [];
  const byName = new Map<string, FioJob[]>();
  let group = 0;
  for (const job of jobs) {
    const first = phases.length === 0;
    if (first) phases.push({ index: 0, startAfter: 'run-start', jobs: [] });
    else if (job.stonewall) phases.push({ index: phases.length, startAfter: 'previous-phase-done', jobs: [] });
    if (!first && (job.stonewall || job.newGroup)) group++;
    const entry: FioPhaseJob = { job, group, notBeforeNs: job.startDelayNs };
    if (job.waitFor !== undefined) {
      const waitees = byName.get(job.waitFor);
      if (waitees === undefined) {
        const later = jobs.some((other) => other.index > job.index && other.name === job.waitFor);
        throw new WorkloadError(job.file, job.line, 'wait_for', later ? `job ${JSON.stringify(job.waitFor)} is defined after this one (fio allows no forward references)` : `no job named ${JSON.stringify(job.waitFor)} before this one`);
      }
      if (waitees.length > 1) throw new WorkloadError(job.file, job.line, 'wait_for', `${waitees.length} jobs are named ${JSON.stringify(job.waitFor)}; fio needs the waitee's name to be unique`);
      entry.waitsForJob = waitees[0].index;
    }
    phases[phases.length - 1].jobs.push(entry);
    const named = byName.get(job.name) ?? [];
    named.push(job);
    byName.set(job.name, named);
  }
  return phases;
}
