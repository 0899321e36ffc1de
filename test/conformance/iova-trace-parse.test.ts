// The trace parser reads the usual line (single spaces, short numbers) on a fast path and every
// other line on a general one: both must give the same operations, lines and handles.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIovaTrace } from '../../src/conformance/iova-trace.js';
import { sharedDir } from '../support/shared.js';

/** A small seeded generator (mulberry32), so a failure names its seed and repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same trace with the spacing the general path reads: tabs, runs of blanks, CRs, comments, zero padding. */
function respaced(text: string, seed: number): string {
  const next = random(seed);
  const gap = (): string => [' ', '\t', '  ', ' \t '][Math.floor(next() * 4)];
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.split(' ');
    if (line === '' || line.startsWith('#') || next() < 0.5) {
      out.push(line);
      continue;
    }
    const padded = tokens.map((token, i) => (i > 0 && /^\d+$/.test(token) && next() < 0.2 ? '0'.repeat(16 - Math.min(15, token.length)) + token : token));
    let respacedLine = (next() < 0.3 ? gap() : '') + padded.join(gap());
    if (next() < 0.2) respacedLine += gap() + '# note';
    if (next() < 0.2) respacedLine += '\r';
    out.push(respacedLine);
    if (next() < 0.05) out.push(next() < 0.5 ? '' : '   # blank');
  }
  return out.join('\n');
}

describe('iova trace parser: fast and general paths agree', () => {
  const conformance = join(sharedDir(), 'conformance', '5.19');
  for (const name of ['t28_dma_large', 't27_tree_large', 't17_depot_tick', 't20_cpudead']) {
    it(`${name}: the first 6000 lines, respaced with seeds 1-3, parse to the same ops`, () => {
      const text = readFileSync(join(conformance, `${name}.trace`), 'utf8').split('\n').slice(0, 6000).join('\n');
      const plain = parseIovaTrace(text, name);
      for (const seed of [1, 2, 3]) {
        const other = respaced(text, seed);
        expect(other).not.toBe(text);
        const trace = parseIovaTrace(other, name);
        expect(trace.length, `seed ${seed}`).toBe(plain.length);
        expect(trace.allocCount, `seed ${seed}`).toBe(plain.allocCount);
        expect(Array.from(trace.opCodes), `seed ${seed}`).toEqual(Array.from(plain.opCodes));
        expect(Array.from(trace.handles), `seed ${seed}`).toEqual(Array.from(plain.handles));
        expect(Array.from(trace.numbers), `seed ${seed}`).toEqual(Array.from(plain.numbers));
      }
    });
  }

  it('numbers are exact on either side of 2^53, whatever their number of digits', () => {
    const below = parseIovaTrace('domain 4096 1\nfind 9007199254740991\nfind 4503599627370495\nfind 000000000000000000000000042\n', 'n.trace');
    expect(below.needsBigintPfns).toBe(false);
    expect(below.ops.map((op) => op.values[0])).toEqual([4096, 9007199254740991, 4503599627370495, 42]);
    for (const text of ['9007199254740992', '9007199254740993', '18446744073709551615', '00009007199254740993']) {
      const trace = parseIovaTrace(`domain 4096 1\nfind ${text}\n`, 'b.trace');
      expect(trace.needsBigintPfns, text).toBe(true);
      expect(trace.ops[1].values[0], text).toBe(BigInt(text));
    }
  });

  it('a line the fast path cannot finish is read and judged by the general path', () => {
    const trace = parseIovaTrace('domain 4096 1\nalloc 1 1048575 1\nfree @0\nfind 123456789012345678\n', 'x.trace');
    expect(trace.needsBigintPfns).toBe(true);
    expect(trace.ops.map((op) => op.handle)).toEqual([-1, -1, 0, -1]);
    expect(() => parseIovaTrace('domain 4096 1\nalloc 1 1048575 1\nfree @1\n', 'x.trace')).toThrow('x.trace:3: PFN handle @1 names alloc #1, but only 1 alloc/alloc_fast came before it');
    expect(() => parseIovaTrace('domain 4096 1\nalloc 1 1048575 1x\n', 'x.trace')).toThrow('x.trace:2: A "1x" is not an unsigned decimal number');
    expect(() => parseIovaTrace('domain 4096 1\nalloc 1 1048575 1 7\n', 'x.trace')).toThrow('x.trace:2: alloc takes 3 arguments (SIZE LIMIT A), got 4');
    expect(() => parseIovaTrace('domain 4096 1\nalloc @0 1048575 1\n', 'x.trace')).toThrow('x.trace:2: SIZE "@0" is not an unsigned decimal number');
  });
});
