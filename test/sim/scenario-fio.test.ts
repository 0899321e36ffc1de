// fio job files mapped onto a scenario: block sizes a direct-I/O disk cannot take are refused at
// the job's line; buffered ones are rounded up to whole blocks with a note.
import { describe, expect, it } from 'vitest';
import { fioToScenario } from '../../src/sim/fio-scenario.js';
import { SAS_128CPU } from '../../src/sim/presets.js';
import { WorkloadError } from '../../src/workloads/errors.js';
import { parseFioJobText } from '../../src/workloads/fio-job.js';

function workloadError(body: () => unknown): WorkloadError {
  try {
    body();
  } catch (error) {
    if (error instanceof WorkloadError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('fio job file → scenario: block sizes', () => {
  it('refuses bs=3000 with direct=1 at the job’s line, naming bs', () => {
    const e = workloadError(() => fioToScenario(parseFioJobText('[global]\ndirect=1\n\n[odd]\nrw=randread\nbs=3000\n', 'odd.fio'), SAS_128CPU));
    expect(e.message).toBe("odd.fio:4: bs: 3000 is not a multiple of the disk's logical block size 512 (host hisi_sas-smmuv3): direct=1 I/O must be whole blocks");
  });

  it('refuses an odd size inside a bssplit with direct=1', () => {
    const e = workloadError(() => fioToScenario(parseFioJobText('[split]\ndirect=1\nbssplit=4k/50:1000/50\n', 'split.fio'), SAS_128CPU));
    expect(e.message).toMatch(/^split\.fio:1: bs: 1000 is not a multiple/);
  });

  it('rounds a buffered odd block size up to whole blocks and says so', () => {
    const { scenario, notes } = fioToScenario(parseFioJobText('[buffered]\ndirect=0\nbs=3000\n', 'b.fio'), SAS_128CPU);
    expect(scenario.jobs[0].bs).toBe(3072);
    expect(notes.some((n) => n.includes('buffered bs=3000 simulated as direct I/O of bs=3072'))).toBe(true);
  });

  it('accepts whole blocks with direct=1', () => {
    const { scenario } = fioToScenario(parseFioJobText('[ok]\ndirect=1\nbs=4608\n', 'ok.fio'), SAS_128CPU);
    expect(scenario.jobs[0].bs).toBe(4608);
  });
});
