// A sweep point that runs a fio job file carries it as data (FioWorkload): the point worker
// rebuilds the threads' I/O sources and gets the result a run with the sources in hand gets.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/engine.js';
import { readScenarioOrJobFile } from '../../src/sim/scenario-file.js';
import { runPoint } from '../../src/sweep/point-worker.js';
import { summarise } from '../../src/sweep/results.js';
import { repoRoot } from '../support/shared.js';

describe('sweep point worker', () => {
  it('rebuilds a fio job file’s I/O sources from its FioWorkload', async () => {
    const input = await readScenarioOrJobFile(join(repoRoot, 'test/fixtures/workloads/fio/iometer-file-access-server.fio'), { overrides: { cpus: 8, durationMs: 20 } });
    if (input.fioWorkload === undefined || input.ioSources === undefined) throw new Error('not read as a fio job file');
    const point = { id: 'abcdefabcdef', axes: {}, repeat: 0, seed: input.scenario.seed, fingerprint: 'f', scenario: input.scenario };
    const withWorkload = runPoint({ ...point, fioWorkload: input.fioWorkload });
    expect(withWorkload).toEqual(summarise(point, simulate(input.scenario, { ioSources: input.ioSources })));
    expect(withWorkload).not.toEqual(runPoint(point));
  });
});
