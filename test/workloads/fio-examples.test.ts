/**
 * Every job file of fio's examples/ (copied into test/fixtures/workloads/fio/, see the README
 * there): it parses, every option in it is either simulated, without effect on the I/O, switched
 * off, or named in a note; and each of its threads runs as a closed-loop source.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFioJobFile } from '../../src/workloads/fio-job.js';
import { FioIoSource, createFioIoSources } from '../../src/workloads/fio-io-source.js';
import { fioOptionGroup } from '../../src/workloads/fio-options.js';
import { planFioPhases } from '../../src/workloads/fio-phases.js';
import { IO_SOURCE_DONE, type NextIo } from '../../src/workloads/io-source.js';
import { fixture } from './helpers.js';

const FILES = readdirSync(fixture('fio'))
  .filter((f) => f.endsWith('.fio'))
  .sort();
// xnvme-compare.fio takes these from the environment (its comment shows how it is run).
const ENV = { FIO_RW: 'randread', FIO_BS: '4k', FIO_IODEPTH: '8' };
// A device large enough for every example (cross-stripe-verify.fio: 30 clones 124 GiB apart), with 256 MiB zones.
const DEVICE = { deviceSizeBytes: 8 * 2 ** 40, deviceZoneSizeBytes: 256 * 2 ** 20 };

describe(`fio's ${FILES.length} example job files`, () => {
  it('are all here (34 job files of fio/examples)', () => {
    expect(FILES.length).toBe(34);
  });

  for (const name of FILES) {
    it(`${name}: parses; every option is simulated, inert or announced; phases plan; each thread issues I/O`, () => {
      const parsed = parseFioJobFile(fixture(`fio/${name}`), { env: ENV, ncpus: 4, mbMemory: 4096 });
      expect(parsed.jobs.length).toBeGreaterThan(0);
      const announced = new Set(parsed.notes.map((n) => n.option));
      for (const job of parsed.jobs) {
        for (const [option, value] of Object.entries(job.options)) {
          const group = fioOptionGroup(option);
          expect(group, option).toBeDefined();
          if (group === undefined || group.status === 'simulated' || group.status === 'no effect') continue;
          const inert = group.offValues?.includes(value === true ? '1' : value.trim()) ?? false;
          expect(inert || announced.has(option), `${name}: ${option}=${String(value)} is ${group.status} but not announced`).toBe(true);
        }
      }
      expect(planFioPhases(parsed).flatMap((p) => p.jobs.map((j) => j.job))).toEqual(parsed.jobs);
      const io: NextIo = { offsetBytes: 0, lengthBytes: 0, write: false };
      for (const source of createFioIoSources(parsed.jobs, DEVICE)) {
        let now = 0;
        let issued = 0;
        for (; issued < 50; issued++) {
          const at = source.next(io, now);
          if (at === IO_SOURCE_DONE) break;
          expect(io.offsetBytes).toBeGreaterThanOrEqual(source.regionStart);
          expect(io.offsetBytes + io.lengthBytes).toBeLessThanOrEqual(source.regionEnd);
          now = at;
          source.completed(io, now + 1000);
        }
        if (source.issuesDeviceIo && source.job.directions.some((d) => d !== 'trim')) expect(issued, `${name} [${source.job.name}]`).toBeGreaterThan(0);
        else expect(issued).toBe(0);
      }
    });
  }

  it('the announcements of a few files, exactly', () => {
    const options = (name: string): string[] => parseFioJobFile(fixture(`fio/${name}`), { env: ENV }).notes.map((n) => n.option);
    expect(options('fio-seq-read.fio')).toEqual([]);
    expect(options('null.fio')).toEqual(['ioengine']);
    expect(options('disk-zone-profile.fio').sort()).toEqual(['zonemode', 'zoneskip']);
    expect(options('example_latency_steadystate.fio').sort()).toEqual(['steadystate', 'steadystate_check_interval', 'steadystate_duration', 'steadystate_ramp_time']);
  });

  it('poisson-rate-submission.fio issues at its rate_iops=50 with exponential gaps (N=2000)', () => {
    const [job] = parseFioJobFile(fixture('fio/poisson-rate-submission.fio')).jobs;
    const source = new FioIoSource(job, DEVICE);
    const io: NextIo = { offsetBytes: 0, lengthBytes: 0, write: false };
    const times: number[] = [];
    for (let now = 0; times.length < 2001; ) {
      const at = source.next(io, now);
      if (at === IO_SOURCE_DONE) break;
      times.push(at);
      now = at;
    }
    expect(times.length).toBe(2001);
    const mean = (times[2000] - times[0]) / 2000;
    expect(Math.abs(mean / (1e9 / job.rateIops!.read) - 1)).toBeLessThan(0.1);
  });
});
