import { describe, expect, it } from 'vitest';
import { parseFioJobFile, parseFioJobText } from '../../src/workloads/fio-job.js';
import { planFioPhases, type FioPhase } from '../../src/workloads/fio-phases.js';
import { expectWorkloadErrorSync, fixture } from './helpers.js';

function shape(phases: FioPhase[]): unknown {
  return phases.map((p) => ({ startAfter: p.startAfter, jobs: p.jobs.map((j) => [j.job.name, j.group, j.waitsForJob ?? null]) }));
}

function plan(text: string): FioPhase[] {
  return planFioPhases(parseFioJobText(text, 'p.fio', { env: {} }));
}

describe('fio phases (HOWTO "Job control")', () => {
  it('jobs without stonewall run together in one phase; new_group only starts a reporting group', () => {
    expect(shape(plan('[a]\n[b]\nnew_group\n[c]\n'))).toEqual([
      {
        startAfter: 'run-start',
        jobs: [
          ['a', 0, null],
          ['b', 1, null],
          ['c', 1, null],
        ],
      },
    ]);
  });

  it('stonewall starts a phase after everything before it; the first job\'s stonewall changes nothing', () => {
    expect(shape(plan('[a]\nstonewall\n[b]\n[c]\nstonewall\n[d]\nwait_for_previous\n'))).toEqual([
      {
        startAfter: 'run-start',
        jobs: [
          ['a', 0, null],
          ['b', 0, null],
        ],
      },
      { startAfter: 'previous-phase-done', jobs: [['c', 1, null]] },
      { startAfter: 'previous-phase-done', jobs: [['d', 2, null]] },
    ]);
  });

  it('ssd-test.fio: stonewall in every job — four phases, one job each', () => {
    const phases = planFioPhases(parseFioJobFile(fixture('fio/ssd-test.fio')));
    expect(phases.map((p) => [p.startAfter, p.jobs.map((j) => j.job.name)])).toEqual([
      ['run-start', ['seq-read']],
      ['previous-phase-done', ['rand-read']],
      ['previous-phase-done', ['seq-write']],
      ['previous-phase-done', ['rand-write']],
    ]);
  });

  it('waitfor.fio: wait_for chains the jobs without stonewalls — one phase, each job waiting for the one it names', () => {
    const phases = planFioPhases(parseFioJobFile(fixture('fio/waitfor.fio')));
    expect(shape(phases)).toEqual([
      {
        startAfter: 'run-start',
        jobs: [
          ['writers', 0, null],
          ['readers', 1, 0],
          ['writers2', 2, 1],
          ['readers2', 3, 2],
        ],
      },
    ]);
  });

  it('startdelay stays with the job (counted from the start of the run)', () => {
    const phases = plan('[a]\n[b]\nstartdelay=2s\n[c]\nstonewall\nstartdelay=500ms\n');
    expect(phases.flatMap((p) => p.jobs.map((j) => [j.job.name, j.notBeforeNs]))).toEqual([
      ['a', 0],
      ['b', 2e9],
      ['c', 5e8],
    ]);
  });

  it('refuses wait_for on a later job, an unknown job or a name used twice, naming the waiting job\'s line', () => {
    expectWorkloadErrorSync(() => plan('[a]\nwait_for=b\n[b]\n'), { file: 'p.fio', line: 1, field: 'wait_for', message: /after this one/ });
    expectWorkloadErrorSync(() => plan('[a]\n[b]\nwait_for=zz\n'), { file: 'p.fio', line: 2, field: 'wait_for', message: /no job named/ });
    expectWorkloadErrorSync(() => plan('[a]\n[a]\n[b]\nwait_for=a\n'), { file: 'p.fio', line: 3, field: 'wait_for', message: /unique/ });
  });
});
