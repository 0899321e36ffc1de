import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFioJobText } from '../../src/workloads/fio-job.js';
import { FIO_OPTION_GROUPS, closestFioOptions, fioOptionGroup, fioOptionNames, fioOptionsMarkdownTable } from '../../src/workloads/fio-options.js';
import { repoRoot } from '../support/shared.js';

const DOCS = join(repoRoot, 'docs/workloads.md');
const START = '<!-- fio-options-table:start -->';
const END = '<!-- fio-options-table:end -->';

describe('the fio option table', () => {
  it('docs/workloads.md carries the table generated from FIO_OPTION_GROUPS', () => {
    const text = readFileSync(DOCS, 'utf8');
    const from = text.indexOf(START);
    const to = text.indexOf(END);
    expect(from).toBeGreaterThan(-1);
    expect(to).toBeGreaterThan(from);
    const wanted = `${START}\n${fioOptionsMarkdownTable()}\n${END}`;
    if (process.env.FIO_OPTIONS_DOCS === 'write') writeFileSync(DOCS, text.slice(0, from) + wanted + text.slice(to + END.length));
    expect(text.slice(from, to + END.length)).toBe(wanted);
  });

  it('lists each name once, with a reason, and knows fio\'s options (and nothing fio refuses)', () => {
    const names = FIO_OPTION_GROUPS.flatMap((g) => g.names);
    expect(new Set(names).size).toBe(names.length);
    expect(fioOptionNames().length).toBe(names.length);
    expect(names.length).toBeGreaterThan(300);
    for (const group of FIO_OPTION_GROUPS) expect(group.how.length).toBeGreaterThan(5);
    for (const name of ['iodepth', 'bssplit', 'random_distribution', 'zonemode', 'verify_write_sequence', 'random_sequence_stride', 'steadystate_check_interval', 'hipri', 'fixedbufs', 'latency_target']) expect(fioOptionGroup(name), name).toBeDefined();
    // fio 3.33 answers "Bad option" to these.
    for (const name of ['io_depth', 'unaligned', 'threadsx', 'blocksizes']) expect(fioOptionGroup(name), name).toBeUndefined();
    expect(closestFioOptions('io_depth')).toContain('iodepth');
  });

  it('every option the parser reads is in the table, and each status produces notes accordingly', () => {
    // hipri is simulated (the platform profile's polled completion): no note; hipri_percentage is not.
    const parsed = parseFioJobText('[j]\nrw=randrw\nbssplit=4k/50:64k/50\nhipri\nhipri_percentage=50\nthinktime_spin=10\ngroup_reporting\nfsync=0\n', 'o.fio', { env: {} });
    expect(parsed.notes.map((n) => [n.option, n.message.split(':')[0]])).toEqual([
      ['hipri_percentage', 'not simulated'],
      ['thinktime_spin', 'approximated'],
    ]);
    const normal = parseFioJobText('[j]\nrw=randread\nrandom_distribution=normal:10\n[k]\nrw=randread\nrandom_distribution=zipf:1.2\n', 'o.fio', { env: {} });
    expect(normal.notes.map((n) => [n.option, n.line, n.message.split(':')[0]])).toEqual([['random_distribution', 3, 'approximated']]);
  });
});
