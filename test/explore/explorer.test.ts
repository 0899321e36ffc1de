// The explorer's model side with the alternative allocators and in compare mode, in Node: every
// allocation the page would show lies inside its limit, the ranges drawn are the allocator's own,
// seeking back (a replay from the start for alternatives) reprints the same, and the divergence
// point is the first operation whose printed results differ.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOCATOR_NAMES } from '../../src/allocators/registry.js';
import { Explorer } from '../../src/explore/explorer.js';
import { OUTCOME_HANG, type ExploreSession } from '../../src/explore/session.js';
import { RANGE_PARKED } from '../../src/explore/view.js';
import { sharedDir } from '../support/shared.js';

const traceFile = (name: string): string => join(sharedDir(), 'conformance/7.0', `${name}.trace`);

describe('explorer with the alternative allocators', () => {
  for (const allocator of ALLOCATOR_NAMES.filter((name) => name !== 'linux')) {
    it(`${allocator}: t15 (4 CPUs, rcache) stays consistent and replays the same after seeking back`, () => {
      const file = traceFile('t15_rcache_4cpu_cross');
      const text = readFileSync(file, 'utf8');
      const explorer = new Explorer();
      const summary = explorer.open({ name: file, traceText: text, models: [{ allocator, kernel: '7.0' }], notes: [] });
      const timeline = explorer.timelines[0];
      const lines = text.split('\n');
      for (let i = 0; i < summary.opCount; i++) {
        const line = lines[timeline.trace.ops[i].line - 1].trim().split(/\s+/);
        if (line[0] === 'alloc_fast' && timeline.outputs[i] !== '0') {
          const pfn = Number(timeline.outputs[i]);
          expect(pfn).toBeGreaterThanOrEqual(1);
          expect(pfn + Number(line[1]) - 1).toBeLessThanOrEqual(Number(line[2]));
        }
      }
      const index = Math.floor(summary.opCount * 0.8);
      const [view] = explorer.view(index);
      const session = timeline.session as ExploreSession<number>;
      // Every range shown is one the allocator knows; parked ones are the magazines' pfns.
      for (let r = 0; r < view.states.length; r++) {
        const range = session.allocator!.findIova(view.ranges[2 * r]);
        expect(range?.pfnLo).toBe(view.ranges[2 * r]);
      }
      expect(view.states.some((s) => s === RANGE_PARKED)).toBe(true);
      // Back to a third of the way (a replay from the start), then forward again: same outputs.
      const back = Math.floor(summary.opCount / 3);
      timeline.seek(back);
      for (let i = back; i < back + 2000; i++) expect(session.step().output).toBe(timeline.outputs[i]);
    });
  }
});

describe('explorer views', () => {
  it('t21 (512-byte granules, 64-bit pfns): exact range text at every dump', () => {
    const file = traceFile('t21_granule512_start0');
    const text = readFileSync(file, 'utf8');
    const explorer = new Explorer();
    const summary = explorer.open({ name: file, traceText: text, models: [{ allocator: 'linux', kernel: '7.0' }], notes: [] });
    const timeline = explorer.timelines[0];
    const lines = text.split('\n');
    let dumps = 0;
    for (let i = 0; i < summary.opCount; i++) {
      if (!lines[timeline.trace.ops[i].line - 1].trim().startsWith('dump')) continue;
      const [view] = explorer.view(i);
      expect([...view.exact, 'end'].join('\n')).toBe(timeline.outputs[i]);
      expect(view.granule).toBe(512);
      dumps++;
    }
    expect(dumps).toBeGreaterThan(0);
  });

  it('t11 on 5.19: the livelock shows as a hang, with the walk that gave up', () => {
    const file = join(sharedDir(), 'conformance/5.19/t11_anchor_overflow.trace');
    const explorer = new Explorer();
    explorer.open({ name: file, traceText: readFileSync(file, 'utf8'), models: [{ allocator: 'linux', kernel: '5.19' }], notes: [] });
    const hang = explorer.find(OUTCOME_HANG, -1, 1);
    expect(hang).toBeGreaterThan(0);
    const [view] = explorer.view(hang);
    expect(view.output).toBe('hang');
    expect(view.walk.perPass[1]).toBeGreaterThan(0);
    expect(view.after.visits).toBe(view.before.visits); // the abandoned walk's visits are rolled back
  });
});

describe('explorer compare mode', () => {
  it('finds the first differing operation between Linux and buddy on t14, and none between a model and itself', () => {
    const file = traceFile('t14_rcache_1cpu');
    const text = readFileSync(file, 'utf8');
    const explorer = new Explorer();
    const summary = explorer.open({ name: file, traceText: text, models: [{ allocator: 'linux', kernel: '7.0' }, { allocator: 'buddy', kernel: '7.0' }], notes: [] });
    const [a, b] = explorer.timelines;
    expect(summary.divergence).toBeGreaterThan(0);
    expect(a.outputs[summary.divergence]).not.toBe(b.outputs[summary.divergence]);
    for (let i = 0; i < summary.divergence; i++) expect(a.outputs[i]).toBe(b.outputs[i]);
    const same = explorer.open({ name: file, traceText: text, models: [{ allocator: 'linux', kernel: '7.0' }, { allocator: 'linux', kernel: '7.0' }], notes: [] });
    expect(same.divergence).toBe(-1);
    const views = explorer.view(10);
    expect(views).toHaveLength(2);
  });

  it('rejects a third model and an unknown allocator', () => {
    const explorer = new Explorer();
    const file = traceFile('t01_tiny_basic');
    const text = readFileSync(file, 'utf8');
    const model = { allocator: 'linux', kernel: '7.0' };
    expect(() => explorer.open({ name: file, traceText: text, models: [model, model, model], notes: [] })).toThrow(/one model, or two/);
    expect(() => explorer.open({ name: file, traceText: text, models: [{ allocator: 'slab', kernel: '7.0' }], notes: [] })).toThrow(/allocator "slab"/);
  });
});
