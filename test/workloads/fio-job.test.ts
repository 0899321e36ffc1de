import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxBlockSize, minBlockSize, parseCpuList, parseFioJobFile, parseFioJobText, parseFioSize, parseFioTimeNs } from '../../src/workloads/fio-job.js';
import { expectWorkloadErrorSync, fixture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'iovasim-fio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GiB = 1024 ** 3;

describe('fio job files from fio/examples', () => {
  it('aio-read.fio: four jobs inherit the [global] options, each with its own iodepth', () => {
    const parsed = parseFioJobFile(fixture('fio/aio-read.fio'));
    expect(parsed.jobs.map((j) => [j.name, j.iodepth])).toEqual([
      ['file1', 4],
      ['file2', 32],
      ['file3', 8],
      ['file4', 16],
    ]);
    for (const job of parsed.jobs) {
      expect(job).toMatchObject({ rw: 'randread', random: true, directions: ['read'], ioengine: 'libaio', direct: true, directory: '/data1' });
      expect(job.bs).toEqual({ read: 131072, write: 131072, trim: 131072 });
      expect(job.size).toEqual({ kind: 'bytes', bytes: 512 * 1024 * 1024 });
    }
    expect(parsed.jobs[0]).toMatchObject({ file: fixture('fio/aio-read.fio'), line: 10, index: 0 });
    expect(parsed.warnings).toEqual([]);
    // ioengine=libaio and directory are simulated (block I/O to the job's device): nothing to announce.
    expect(parsed.notes).toEqual([]);
  });

  it('fio-rand-RW.fio: rwmix, numjobs, time_based and runtime; the section name wins over a global name=', () => {
    const [job] = parseFioJobFile(fixture('fio/fio-rand-RW.fio')).jobs;
    expect(job).toMatchObject({
      name: 'file1',
      rw: 'randrw',
      directions: ['read', 'write'],
      rwmixread: 60,
      numjobs: 4,
      timeBased: true,
      runtimeNs: 900e9,
      iodepth: 16,
      direct: false,
      size: { kind: 'bytes', bytes: 10 * GiB },
      filename: 'fio-rand-RW',
    });
    expect(job.options).toMatchObject({ time_based: true, rwmixread: '60', rwmixwrite: '40', size: '10G' });
  });

  it('backwards-read.fio: rw=read:-8k steps back', () => {
    const [job] = parseFioJobFile(fixture('fio/backwards-read.fio')).jobs;
    expect(job).toMatchObject({ rw: 'read', random: false, seqAddBytes: -8192, size: { kind: 'bytes', bytes: 128 * 1024 * 1024 } });
  });

  it('sequence-distribution.fio: sequence distribution, stride, io_size and stonewall', () => {
    const parsed = parseFioJobFile(fixture('fio/sequence-distribution.fio'));
    expect(parsed.jobs.map((j) => [j.name, j.randomDistribution, j.randomSequenceStride, j.stonewall, j.ioSize])).toEqual([
      ['repeating_sequence', { kind: 'sequence', indices: [2, 0, 1] }, 0, false, 24576],
      ['strided_sequence', { kind: 'sequence', indices: [2, 0, 1] }, 1, true, 24576],
    ]);
  });

  it('sg_verify.fio: seven jobs in order, per-job bs and number_ios overriding the global ones', () => {
    const parsed = parseFioJobFile(fixture('fio/sg_verify.fio'));
    expect(parsed.jobs.map((j) => [j.name, j.bs.write, j.numberIos, j.stonewall])).toEqual([
      ['precon', 512, 20, true],
      ['verify00', 512, 20, true],
      ['verify01', 512, 20, true],
      ['verify01-two_ios', 5120, 2, true],
      ['verify11', 512, 20, true],
      ['verify11-five_ios', 2048, 5, true],
      ['verify11-one_ios', 10240, 1, true],
    ]);
    expect(parsed.warnings).toEqual([]);
    // buffer_pattern cannot change the mapping and ioengine=sg / filename are simulated; sg_write_mode is announced.
    expect(parsed.notes.map((n) => [n.option, n.line])).toEqual([['sg_write_mode', 36]]);
  });

  it('rate-limited examples: rate_iops and rate_process', () => {
    const [fixed] = parseFioJobFile(fixture('fio/fixed-rate-submission.fio')).jobs;
    expect(fixed).toMatchObject({ rateIops: { read: 1000, write: 1000, trim: 1000 }, rateProcess: 'linear', iodepth: 32, direct: true });
    const [poisson] = parseFioJobFile(fixture('fio/poisson-rate-submission.fio')).jobs;
    expect(poisson).toMatchObject({ rateIops: { read: 50, write: 50, trim: 50 }, rateProcess: 'poisson', rw: 'randread' });
  });

  it('null.fio and ssd-test.fio: bare flags, 100g, four stonewalled jobs', () => {
    const [nul] = parseFioJobFile(fixture('fio/null.fio')).jobs;
    expect(nul).toMatchObject({ norandommap: true, size: { kind: 'bytes', bytes: 100 * GiB }, ioengine: 'null' });
    const ssd = parseFioJobFile(fixture('fio/ssd-test.fio')).jobs;
    expect(ssd.map((j) => [j.name, j.rw, j.stonewall, j.runtimeNs, j.timeBased])).toEqual([
      ['seq-read', 'read', true, 60e9, false],
      ['rand-read', 'randread', true, 60e9, false],
      ['seq-write', 'write', true, 60e9, false],
      ['rand-write', 'randwrite', true, 60e9, false],
    ]);
  });

  it('parses every example without unknown options', () => {
    for (const name of ['fio-rand-read', 'fio-rand-write', 'fio-seq-RW', 'fio-seq-read', 'fio-seq-write']) {
      const parsed = parseFioJobFile(fixture(`fio/${name}.fio`));
      expect(parsed.jobs.length).toBe(1);
      expect(parsed.warnings).toEqual([]);
    }
  });
});

describe('the ordered parser', () => {
  it('keeps repeated sections, and a [global] applies only to the jobs after it', () => {
    const text = `
[global]
bs=8k
[job]
rw=write
[global]
iodepth=8
[job]
[global2]
bs=16k
[job]
`;
    const { jobs } = parseFioJobText(text, 'repeat.fio');
    expect(jobs.map((j) => [j.name, j.index, j.line, j.bs.read, j.iodepth, j.rw])).toEqual([
      ['job', 0, 4, 8192, 1, 'write'],
      ['job', 1, 8, 8192, 8, 'read'],
      ['job', 2, 11, 16384, 8, 'read'],
    ]);
  });

  it('strips ; and # comments anywhere on a line, and blank space around keys and values', () => {
    const { jobs } = parseFioJobText('; leading\n[a] # the job\n  bs = 64k ; trailing comment\n\trw=randwrite#no space\n# size=1m\n', 'c.fio');
    expect(jobs[0]).toMatchObject({ name: 'a', rw: 'randwrite', bs: { read: 65536, write: 65536, trim: 65536 } });
    expect(jobs[0].size).toBeUndefined();
  });

  it('a job section may rename itself with name=', () => {
    const { jobs } = parseFioJobText('[global]\nname=from-global\n[s1]\n[s2]\nname=own\n', 'n.fio');
    expect(jobs.map((j) => [j.section, j.name])).toEqual([
      ['s1', 's1'],
      ['s2', 'own'],
    ]);
  });

  it('splices include files beside the including file, with their own line numbers', () => {
    mkdirSync(join(dir, 'inc'), { recursive: true });
    writeFileSync(join(dir, 'inc', 'common.fio'), 'bs=32k\ninclude deeper.fio\n');
    writeFileSync(join(dir, 'inc', 'deeper.fio'), '\niodepth=12\nbogus_option=1\n');
    writeFileSync(join(dir, 'main.fio'), '[global]\ninclude inc/common.fio\n[job]\nrw=randread\n');
    // the include lookup is relative to the including file: inc/deeper.fio, whose line 3 fio refuses
    expectWorkloadErrorSync(() => parseFioJobFile(join(dir, 'main.fio')), { file: join(dir, 'inc', 'deeper.fio'), line: 3, field: 'bogus_option', message: /no such option/ });
    writeFileSync(join(dir, 'inc', 'deeper.fio'), '\niodepth=12\n');
    const parsed = parseFioJobFile(join(dir, 'main.fio'));
    expect(parsed.jobs[0]).toMatchObject({ bs: { read: 32768, write: 32768, trim: 32768 }, iodepth: 12, rw: 'randread' });
  });

  it('refuses sections in included files, missing includes and include loops', () => {
    writeFileSync(join(dir, 'sect.fio'), '[nested]\n');
    writeFileSync(join(dir, 'uses-sect.fio'), '[job]\ninclude sect.fio\n');
    expectWorkloadErrorSync(() => parseFioJobFile(join(dir, 'uses-sect.fio')), { file: join(dir, 'sect.fio'), line: 1, field: 'section' });
    writeFileSync(join(dir, 'missing.fio'), '[job]\n\ninclude nowhere.fio\n');
    expectWorkloadErrorSync(() => parseFioJobFile(join(dir, 'missing.fio')), { file: join(dir, 'missing.fio'), line: 3, field: 'include', message: /ENOENT/ });
    writeFileSync(join(dir, 'loop.fio'), 'include loop.fio\n');
    writeFileSync(join(dir, 'loops.fio'), '[job]\ninclude loop.fio\n');
    expectWorkloadErrorSync(() => parseFioJobFile(join(dir, 'loops.fio')), { file: join(dir, 'loop.fio'), line: 1, field: 'include', message: /deep/ });
  });

  it('refuses options fio does not have, as fio does, naming the closest real ones', () => {
    expectWorkloadErrorSync(() => parseFioJobText('[global]\nfrobnicate=1\n[a]\n', 'w.fio'), { file: 'w.fio', line: 2, field: 'frobnicate', message: /: fio has no such option$/ });
    expectWorkloadErrorSync(() => parseFioJobText('[a]\nrw=randread\nio_depth=32\n', 'w.fio'), { file: 'w.fio', line: 3, field: 'io_depth', message: /did you mean iodepth/ });
    expectWorkloadErrorSync(() => parseFioJobText('[a]\nunaligned=1\n', 'w.fio'), { file: 'w.fio', line: 2, field: 'unaligned', message: /bs_unaligned/ });
  });

  it('announces once each option it does not simulate, and nothing for inert values or options that cannot matter', () => {
    // (iodepth_batch and hipri are simulated through the platform profile since issue 12.)
    const parsed = parseFioJobText('[global]\niodepth_low=8\nhipri_percentage=50\n[a]\nfsync=0\nverify=md5\nbuffer_pattern=0xdeadbeef\n[b]\niodepth_low=16\nlatency_target=10ms\n', 'w.fio', { env: {} });
    expect(parsed.warnings).toEqual([]);
    expect(parsed.notes.map((n) => [n.option, n.line, n.message.split(':')[0]])).toEqual([
      ['iodepth_low', 2, 'not simulated'],
      ['hipri_percentage', 3, 'not simulated'],
      ['latency_target', 10, 'not simulated'],
    ]);
    expect(parsed.jobs[0].ignoredOptions).toEqual(['iodepth_low', 'hipri_percentage', 'fsync', 'buffer_pattern']);
    expect(parsed.jobs[0].verify).toBe(true);
  });

  it('reads per-direction values with fio comma rules', () => {
    const bs = (value: string): [number, number, number] => {
      const job = parseFioJobText(`[j]\nbs=${value}\n`, 'b.fio').jobs[0];
      return [job.bs.read, job.bs.write, job.bs.trim];
    };
    expect(bs('256k')).toEqual([262144, 262144, 262144]);
    expect(bs('8k,32k')).toEqual([8192, 32768, 32768]);
    expect(bs('8k,32k,')).toEqual([8192, 32768, 4096]);
    expect(bs(',8k')).toEqual([4096, 8192, 8192]);
    expect(bs(',8k,')).toEqual([4096, 8192, 4096]);
    expect(bs('1k,2k,3k')).toEqual([1024, 2048, 3072]);
  });

  it('reads bssplit (blank shares split the rest), bsrange and blockalign', () => {
    const job = parseFioJobText('[j]\nrw=randrw\nbssplit=4k/50:8k/:64k/,16k/100\nbsrange=1k-4k\nblockalign=8k\n', 'b.fio').jobs[0];
    expect(job.bsSplit?.read).toEqual([
      { bytes: 4096, percent: 50 },
      { bytes: 8192, percent: 25 },
      { bytes: 65536, percent: 25 },
    ]);
    expect(job.bsSplit?.write).toEqual([{ bytes: 16384, percent: 100 }]);
    expect(job.bsSplit?.trim).toEqual([{ bytes: 16384, percent: 100 }]);
    expect(job.bsRange?.read).toEqual({ min: 1024, max: 4096 });
    expect(minBlockSize(job, 'read')).toBe(4096); // bssplit takes precedence over bsrange
    expect(maxBlockSize(job, 'read')).toBe(65536);
    expect(job.blockAlign).toEqual({ read: 8192, write: 8192, trim: 8192 });
    expect(job.norandommap).toBe(true); // fio: any use of blockalign turns off the random map
  });

  it('reads cpus_allowed, cpumask, rwmixwrite, direct/buffered, times and the rw :N suffix', () => {
    const job = parseFioJobText(
      '[j]\ncpus_allowed=0-3,6\ncpus_allowed_policy=split\nrwmixwrite=30\nbuffered=0\nrw=randrw:8\nrw_sequencer=identical\nthinktime=10ms\nthinktime_blocks=4\nramp_time=5m\nruntime=1h\nstartdelay=2\n',
      'j.fio',
    ).jobs[0];
    expect(job).toMatchObject({
      cpusAllowed: [0, 1, 2, 3, 6],
      cpusAllowedPolicy: 'split',
      rwmixread: 70,
      direct: true,
      randomRunLength: 8,
      rwSequencer: 'identical',
      thinktimeNs: 10e6,
      thinktimeBlocks: 4,
      rampTimeNs: 300e9,
      runtimeNs: 3600e9,
      startDelayNs: 2e9,
    });
    expect(parseFioJobText('[j]\ncpumask=0x5\n', 'm.fio').jobs[0].cpusAllowed).toEqual([0, 2]);
    expect(parseFioJobText('[j]\nrw=write:4k\n', 'm.fio').jobs[0].seqAddBytes).toBe(4096);
  });

  it('reads the other random distributions', () => {
    const dist = (v: string): unknown => parseFioJobText(`[j]\nrw=randread\nrandom_distribution=${v}\n`, 'd.fio').jobs[0].randomDistribution;
    expect(dist('zipf:1.2')).toEqual({ kind: 'zipf', theta: 1.2 });
    expect(dist('pareto:0.3:0.5')).toEqual({ kind: 'pareto', h: 0.3, center: 0.5 });
    expect(dist('normal:10')).toEqual({ kind: 'normal', deviationPercent: 10 });
    expect(dist('zoned:60/10:30/20:10/70')).toEqual({
      kind: 'zoned',
      zones: [
        { accessPercent: 60, sizePercent: 10 },
        { accessPercent: 30, sizePercent: 20 },
        { accessPercent: 10, sizePercent: 70 },
      ],
    });
    expect(dist('zoned_abs:80/1g:20/3g')).toEqual({
      kind: 'zoned_abs',
      zones: [
        { accessPercent: 80, sizeBytes: GiB },
        { accessPercent: 20, sizeBytes: 3 * GiB },
      ],
    });
  });

  it('reports malformed input with file, line and option', () => {
    expectWorkloadErrorSync(() => parseFioJobText('[j]\n\nbs=4q\n', 'e.fio'), { file: 'e.fio', line: 3, field: 'bs', message: /suffix/ });
    expectWorkloadErrorSync(() => parseFioJobText('bs=4k\n[j]\n', 'e.fio'), { file: 'e.fio', line: 1, field: 'option' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nrw=sideways\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'rw' });
    expectWorkloadErrorSync(() => parseFioJobText('[j\nrw=read\n', 'e.fio'), { file: 'e.fio', line: 1, field: 'section' });
    expectWorkloadErrorSync(() => parseFioJobText('[global]\niodepth=0\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'iodepth' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nbssplit=4k/60:8k/60\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'bssplit', message: /over 100/ });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nbssplit=4k/60:8k/30\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'bssplit', message: /not 100/ });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nruntime=10fortnights\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'runtime' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nsize=1.5g\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'size', message: /fractional/ });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nsize=$mb_memory\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'size' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\ncpus_allowed=3-1\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'cpus_allowed' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\ndirect=yes\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'direct' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nrandom_distribution=zipf:1\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'random_distribution' });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nbs\n', 'e.fio'), { file: 'e.fio', line: 2, field: 'bs', message: /needs a value/ });
  });
});

describe('fio sizes and times', () => {
  it('follows fio: k/m/g/t are powers of 1024 by default, KiB-style suffixes powers of 1000 (and the reverse with kb_base=1000)', () => {
    const bytes = (t: string, base: 1000 | 1024 = 1024): number => {
      const v = parseFioSize(t, base);
      return v.kind === 'bytes' ? v.bytes : -1;
    };
    expect([bytes('4k'), bytes('4K'), bytes('4kb'), bytes('4KB'), bytes('4KiB'), bytes('4kib')]).toEqual([4096, 4096, 4096, 4096, 4000, 4000]);
    expect([bytes('1m'), bytes('1g'), bytes('2t'), bytes('1MiB'), bytes('512'), bytes('512b'), bytes('0x1000')]).toEqual([
      1048576,
      GiB,
      2 * 1024 ** 4,
      1e6,
      512,
      512,
      4096,
    ]);
    expect([bytes('4k', 1000), bytes('4KiB', 1000), bytes('1GiB', 1000), bytes('1g', 1000)]).toEqual([4000, 4096, GiB, 1e9]);
    expect(parseFioSize('25%', 1024, true)).toEqual({ kind: 'percent', percent: 25 });
  });

  it('applies kb_base wherever it appears in the job', () => {
    const job = parseFioJobText('[j]\nbs=4k\nsize=1KiB\nkb_base=1000\n', 'k.fio').jobs[0];
    expect(job.bs.read).toBe(4000);
    expect(job.size).toEqual({ kind: 'bytes', bytes: 1024 });
    expect(job.kbBase).toBe(1000);
  });

  it('reads times with fio units: seconds by default for runtime, microseconds for thinktime', () => {
    expect(parseFioTimeNs('900', 's')).toBe(900e9);
    expect(parseFioTimeNs('10', 'us')).toBe(10e3);
    expect(['250us', '2ms', '3s', '5m', '1h', '1d'].map((t) => parseFioTimeNs(t, 's'))).toEqual([250e3, 2e6, 3e9, 300e9, 3600e9, 86400e9]);
  });

  it('expands CPU lists', () => {
    expect(parseCpuList('0-2,7,5-5')).toEqual([0, 1, 2, 5, 7]);
  });
});
