/**
 * What fio does to option values before reading them: ${VAR} and $keyword substitution, and
 * arithmetic in parentheses. Expected values follow fio's HOWTO and what fio 3.33 does with
 * the same lines (`fio --showcmd` / `--parse-only`, noted per case).
 */
import { describe, expect, it } from 'vitest';
import { evaluateFioExpression } from '../../src/workloads/fio-expression.js';
import { parseFioJobFile, parseFioJobText } from '../../src/workloads/fio-job.js';
import { expectWorkloadErrorSync, fixture } from './helpers.js';

describe('${VAR} and $keywords', () => {
  it('replaces ${VAR} by its value, and by nothing when unset (fio 3.33: filename=/tmp/x${NOPE}y opens /tmp/xy)', () => {
    const env = { FIO_BS: '8k', FIO_RW: 'randwrite' };
    const job = parseFioJobText('[j]\nrw=${FIO_RW}\nbs=${FIO_BS}\nfilename=/tmp/x${NOPE}y\n', 'e.fio', { env }).jobs[0];
    expect([job.rw, job.bs.write, job.filename]).toEqual(['randwrite', 8192, '/tmp/xy']);
    // An unset variable in a number leaves an empty value: fio fails to parse it, and so do we.
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nbs=${NOPE}\n', 'e.fio', { env: {} }), { file: 'e.fio', line: 2, field: 'bs' });
  });

  it('xnvme-compare.fio runs with its ${FIO_*} variables set, as its comment shows', () => {
    const parsed = parseFioJobFile(fixture('fio/xnvme-compare.fio'), { env: { FIO_RW: 'randwrite', FIO_BS: '64k', FIO_IODEPTH: '16' } });
    expect(parsed.jobs.map((j) => [j.name, j.rw, j.bs.write, j.iodepth])).toEqual([
      ['default', 'randread', 4096, 1],
      ['override', 'randwrite', 65536, 16],
    ]);
  });

  it('$pagesize is 4096 unless told; $ncpus and $mb_memory need the host, and arithmetic with them is evaluated', () => {
    expect(parseFioJobText('[j]\nbs=$pagesize\n', 'k.fio').jobs[0].bs.read).toBe(4096);
    expect(parseFioJobText('[j]\nnumjobs=$ncpus\nsize=8*$mb_memory\n', 'k.fio', { ncpus: 6, mbMemory: 100 }).jobs[0]).toMatchObject({ numjobs: 6, size: { kind: 'bytes', bytes: 800 } });
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nnumjobs=$ncpus\n', 'k.fio'), { file: 'k.fio', line: 2, field: 'numjobs', message: /ncpus/ });
  });
});

describe('arithmetic in parentheses (fio HOWTO "Parameter types")', () => {
  it('evaluates + - * / % ^ with precedence, integer division, and size units with kb_base', () => {
    expect(evaluateFioExpression('(4k*2)', 'size')).toBe(8192);
    expect(evaluateFioExpression('$(1m+512k)', 'size')).toBe(1572864);
    expect(evaluateFioExpression('(2+3*4)', 'none')).toBe(14);
    expect(evaluateFioExpression('((2+3)*4)', 'none')).toBe(20);
    expect(evaluateFioExpression('(2^3^2)', 'none')).toBe(512);
    expect(evaluateFioExpression('(7/2)', 'none')).toBe(3);
    expect(evaluateFioExpression('(7.0/2*2)', 'none')).toBe(7);
    expect(evaluateFioExpression('(10%4)', 'none')).toBe(2);
    expect(evaluateFioExpression('(-3+5)', 'none')).toBe(2);
    expect(evaluateFioExpression('(1k)', 'size', 1000)).toBe(1000);
    expect(() => evaluateFioExpression('(1/0)', 'none')).toThrow(/division by zero/);
    expect(() => evaluateFioExpression('(1+)', 'none')).toThrow(/expected a number/);
  });

  it('in a job: sizes, counts and times (bare numbers in a time expression are microseconds, unlike outside one)', () => {
    const job = parseFioJobText('[j]\nbs=(4k*2)\nsize=$(1g/4)\niodepth=(2*8)\nruntime=(10s+500ms)\nthinktime=(100)\n', 't.fio').jobs[0];
    expect(job).toMatchObject({ bs: { read: 8192 }, size: { kind: 'bytes', bytes: 256 * 1024 * 1024 }, iodepth: 16, runtimeNs: 10.5e9, thinktimeNs: 100e3 });
    expect(parseFioJobText('[j]\nruntime=(100)\n', 't.fio').jobs[0].runtimeNs).toBe(100e3);
    expectWorkloadErrorSync(() => parseFioJobText('[j]\nbs=(4q)\n', 't.fio'), { file: 't.fio', line: 2, field: 'bs', message: /unit/ });
  });
});
