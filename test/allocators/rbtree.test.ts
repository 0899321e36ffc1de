// Model-based tests of the red-black tree: invariants, handle stability, and in-order navigation
// against a sorted array.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { NIL, RbTree, type RbHandle } from '../../src/allocators/rbtree.js';

/** A plain check: expect() per node and step would cost more than the tree operations themselves. */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** Checks the red-black and BST invariants and returns the in-order keys. */
function checkInvariants(tree: RbTree<number>): number[] {
  const keys: number[] = [];
  const blackHeight = (node: RbHandle, parent: RbHandle, lo: number, hi: number): number => {
    if (node === NIL) return 1;
    const key = tree.pfnLo(node);
    check(tree.parent(node) === parent, () => `node ${key}: wrong parent`);
    check(key > lo && key < hi, () => `node ${key}: outside (${lo}, ${hi}), not a search tree`);
    if (tree.isRed(node)) check((tree.left(node) === NIL || !tree.isRed(tree.left(node))) && (tree.right(node) === NIL || !tree.isRed(tree.right(node))), () => `red node ${key} has a red child`);
    const left = blackHeight(tree.left(node), node, lo, key);
    keys.push(key);
    const right = blackHeight(tree.right(node), node, key, hi);
    check(left === right, () => `node ${key}: black heights ${left} and ${right}`);
    return left + (tree.isRed(node) ? 0 : 1);
  };
  check(tree.root === NIL || !tree.isRed(tree.root), () => 'red root');
  blackHeight(tree.root, NIL, -Infinity, Infinity);
  check(keys.length === tree.size, () => `size ${tree.size}, ${keys.length} nodes`);
  return keys;
}

type Step = { kind: 'insert'; key: number } | { kind: 'erase'; pick: number };

const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), key: fc.integer({ min: 0, max: 400 }) }),
    fc.record({ kind: fc.constant('erase' as const), pick: fc.nat() }),
  ),
  // minLength matters: without it fast-check 4 keeps arrays to about 10 elements.
  { minLength: 100, maxLength: 300 },
);

/** Checks the augmentation (counts, gaps, largest gaps) against a recomputation. */
function checkAugmentation(tree: RbTree<number>): void {
  const visit = (node: RbHandle): { count: number; maxGap: number } => {
    if (node === NIL) return { count: 0, maxGap: -Infinity };
    const left = visit(tree.left(node));
    const right = visit(tree.right(node));
    const before = tree.prev(node);
    expect(tree.gap(node)).toBe(before === NIL ? Infinity : tree.pfnLo(node) - tree.pfnHi(before) - 1);
    expect(tree.count(node)).toBe(1 + left.count + right.count);
    expect(tree.maxGap(node)).toBe(Math.max(tree.gap(node), left.maxGap, right.maxGap));
    return { count: tree.count(node), maxGap: tree.maxGap(node) };
  };
  visit(tree.root);
}

describe('RbTree', () => {
  const counted = { steps: 0 };
  afterAll(() => console.log(`RbTree properties: ${counted.steps} insert/erase steps`));

  it('keeps red-black invariants, stable handles and prev/next equal to a sorted array', () => {
    fc.assert(
      fc.property(steps, (script: Step[]) => {
        counted.steps += script.length;
        const tree = new RbTree<number>();
        const handles = new Map<number, RbHandle>();
        for (const step of script) {
          if (step.kind === 'insert') {
            const node = tree.newNode(step.key, step.key);
            const inserted = tree.insert(node);
            expect(inserted).toBe(!handles.has(step.key));
            if (inserted) handles.set(step.key, node);
            else tree.release(node);
          } else if (handles.size > 0) {
            const keys = [...handles.keys()];
            const key = keys[step.pick % keys.length];
            const node = handles.get(key) as RbHandle;
            tree.erase(node);
            // Released slots are handed out again: later handles reuse them, earlier ones must not move.
            tree.release(node);
            handles.delete(key);
          }
          const inOrder = checkInvariants(tree);
          const sorted = [...handles.keys()].sort((a, b) => a - b);
          check(inOrder.length === sorted.length && inOrder.every((k, i) => k === sorted[i]), () => `in order ${inOrder}, expected ${sorted}`);
          // Every handle still holds its own key after other nodes were erased.
          for (const [key, node] of handles) check(tree.pfnLo(node) === key, () => `handle of ${key} now holds ${tree.pfnLo(node)}`);
        }
        const sorted = [...handles.keys()].sort((a, b) => a - b);
        const keyOf = (node: RbHandle): number | null => (node === NIL ? null : tree.pfnLo(node));
        sorted.forEach((key, i) => {
          const node = handles.get(key) as RbHandle;
          expect(keyOf(tree.prev(node))).toBe(i > 0 ? sorted[i - 1] : null);
          expect(keyOf(tree.next(node))).toBe(i + 1 < sorted.length ? sorted[i + 1] : null);
        });
        expect(keyOf(tree.first())).toBe(sorted[0] ?? null);
        expect(keyOf(tree.last())).toBe(sorted.at(-1) ?? null);
      }),
      { numRuns: 200 },
    );
  });

  it('finds containing ranges and lower bounds like a linear scan', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 0, maxLength: 60, size: 'max' }), fc.integer({ min: 0, max: 2000 }), (starts, probe) => {
        const tree = new RbTree<number>();
        // Ranges [10s, 10s + 4]: disjoint, with gaps between them.
        for (const s of starts) tree.insert(tree.newNode(s * 10, s * 10 + 4));
        const keyOf = (node: RbHandle): number | null => (node === NIL ? null : tree.pfnLo(node));
        const ranges = starts.map((s) => [s * 10, s * 10 + 4]).sort((a, b) => a[0] - b[0]);
        const holding = ranges.find(([lo, hi]) => lo <= probe && probe <= hi);
        expect(keyOf(tree.findContaining(probe))).toBe(holding ? holding[0] : null);
        const lower = ranges.find(([lo]) => lo >= probe);
        expect(keyOf(tree.lowerBound(probe))).toBe(lower ? lower[0] : null);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps subtree counts and largest gaps, and answers rank and gap searches like a scan', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 30 }), (script: Step[], size) => {
        counted.steps += script.length;
        const tree = new RbTree<number>(true);
        const handles = new Map<number, RbHandle>();
        for (const step of script) {
          if (step.kind === 'insert') {
            // Ranges [4k, 4k + 1]: gaps of 2 and more between them.
            const node = tree.newNode(step.key * 4, step.key * 4 + 1);
            if (tree.insert(node)) handles.set(step.key, node);
            else tree.release(node);
          } else if (handles.size > 0) {
            const keys = [...handles.keys()];
            const key = keys[step.pick % keys.length];
            const node = handles.get(key) as RbHandle;
            tree.erase(node);
            tree.release(node);
            handles.delete(key);
          }
        }
        checkAugmentation(tree);
        const inOrder: RbHandle[] = [];
        for (let node = tree.first(); node !== NIL; node = tree.next(node)) inOrder.push(node);
        inOrder.forEach((node, i) => {
          expect(tree.rank(node)).toBe(i);
          let expected: RbHandle = NIL;
          for (let j = i; j >= 0; j--) {
            if (tree.gap(inOrder[j]) >= size) {
              expected = inOrder[j];
              break;
            }
          }
          expect(tree.lastWithGapFrom(node, size)).toBe(expected);
          expect(tree.lastBelow(tree.pfnLo(node))).toBe(i > 0 ? inOrder[i - 1] : NIL);
        });
        // Moving a node's start down (reserve_iova's stretch) updates its gap.
        const victim = inOrder[Math.floor(inOrder.length / 2)];
        if (victim !== undefined && tree.gap(victim) > 1 && tree.gap(victim) !== Infinity) {
          tree.setPfnLo(victim, tree.pfnLo(victim) - 1);
          checkAugmentation(tree);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('inserts from a hint into the same place as from the root', () => {
    const tree = new RbTree<number>();
    const nodes = [50, 30, 70, 20, 40, 60, 80].map((k) => tree.newNode(k, k));
    for (const node of nodes) tree.insert(node);
    const node = tree.newNode(45, 45);
    // The allocation walk inserts just below the node it stopped at (here 50).
    expect(tree.insert(node, nodes[0])).toBe(true);
    expect(tree.prev(nodes[0])).toBe(node);
    expect(tree.next(nodes[4])).toBe(node);
    expect(tree.insert(tree.newNode(45, 45))).toBe(false);
    checkInvariants(tree);
  });
});

/** The first node whose count, gap or largest gap differs from a recomputation, or null (no expect calls: fast). */
function staleAugmentation(tree: RbTree<number>): string | null {
  let stale: string | null = null;
  const visit = (node: RbHandle): { count: number; maxGap: number } => {
    if (node === NIL) return { count: 0, maxGap: -Infinity };
    const left = visit(tree.left(node));
    const right = visit(tree.right(node));
    const before = tree.prev(node);
    const gap = before === NIL ? Infinity : tree.pfnLo(node) - tree.pfnHi(before) - 1;
    const count = 1 + left.count + right.count;
    const maxGap = Math.max(gap, left.maxGap, right.maxGap);
    if (stale === null && (tree.gap(node) !== gap || tree.count(node) !== count || tree.maxGap(node) !== maxGap)) {
      stale = `node ${tree.pfnLo(node)}: gap ${tree.gap(node)}/${gap}, count ${tree.count(node)}/${count}, maxGap ${tree.maxGap(node)}/${maxGap}`;
    }
    return { count, maxGap };
  };
  visit(tree.root);
  return stale;
}

describe('RbTree augmentation climb', () => {
  it('keeps counts and largest gaps exact after every single insert and erase', () => {
    // A seeded mix of inserts and erases (leaves, one-child and two-child nodes, the root), with
    // the augmentation recomputed from scratch after each one: the single early-stopping climb
    // must leave nothing stale.
    let state = 12345;
    const next = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const tree = new RbTree<number>(true);
    const live: RbHandle[] = [];
    const used = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      if (live.length < 5 || (live.length < 400 && next(3) !== 0)) {
        const key = next(5000);
        if (used.has(key)) continue;
        const node = tree.newNode(key * 4, key * 4 + next(3));
        expect(tree.insert(node)).toBe(true);
        used.add(key);
        live.push(node);
      } else {
        const node = live.splice(next(live.length), 1)[0];
        used.delete(tree.pfnLo(node) / 4);
        tree.erase(node);
        tree.release(node);
      }
      const stale = staleAugmentation(tree);
      if (stale !== null) expect(`step ${step}: ${stale}`).toBe(`step ${step}: none stale`);
      expect(tree.size).toBe(live.length);
    }
    checkAugmentation(tree);
    checkInvariants(tree);
  });
});

describe('RbTree storage', () => {
  it('runs the same algorithm on bigint pfns, past 2^53, through several doublings of its columns', () => {
    const tree = new RbTree<bigint>(false, true);
    const base = 2n ** 60n;
    const handles = new Map<bigint, RbHandle>();
    let state = 99;
    const next = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    for (let step = 0; step < 2000; step++) {
      const key = base + BigInt(next(700)) * 3n;
      const existing = handles.get(key);
      if (existing === undefined) {
        const node = tree.newNode(key, key + 1n);
        expect(tree.insert(node)).toBe(true);
        handles.set(key, node);
      } else {
        tree.erase(existing);
        tree.release(existing);
        handles.delete(key);
      }
    }
    const sorted = [...handles.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const inOrder: bigint[] = [];
    for (let node = tree.first(); node !== NIL; node = tree.next(node)) inOrder.push(tree.pfnLo(node));
    expect(inOrder).toEqual(sorted);
    for (const [key, node] of handles) expect(tree.findContaining(key + 1n)).toBe(node);
    expect(tree.size).toBe(handles.size);
  });

  it('reuses released slots and refuses to release a linked node or the same slot twice', () => {
    const tree = new RbTree<number>(true);
    const a = tree.newNode(10, 11);
    const b = tree.newNode(20, 21);
    tree.insert(a);
    tree.insert(b);
    expect(() => tree.release(a)).toThrow(/linked/);
    expect(() => tree.release(b)).toThrow(/linked/);
    tree.erase(b);
    tree.release(b);
    expect(() => tree.release(b)).toThrow(/not in use/);
    expect(() => tree.release(NIL)).toThrow(/not in use/);
    const c = tree.newNode(30, 31);
    expect(c).toBe(b);
    expect(tree.insert(c)).toBe(true);
    expect(tree.gap(c)).toBe(30 - 11 - 1);
    expect(tree.next(a)).toBe(c);
    checkAugmentation(tree);
  });

  it('rejects an augmented tree of bigint pfns', () => {
    expect(() => new RbTree<bigint>(true, true)).toThrow(RangeError);
  });
});
