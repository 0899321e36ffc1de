/**
 * A red-black tree of IOVA ranges keyed by pfnLo, with nodes in typed arrays and stable handles.
 *
 * Linux keeps pointers to tree nodes across the erase of other nodes (the cached nodes of iova.c
 * become `rb_next(freed)` before the erase), so erase relinks nodes and never moves a key from one
 * node to another. Balancing follows the textbook algorithm (the same cases as lib/rbtree.c); only
 * the in-order sequence is observable to the allocator, the shape only affects running time.
 * Each node also links to its in-order neighbours: the allocation walk is a chain of rb_prev()
 * calls, and a link makes each one a single load instead of a climb through the tree.
 *
 * Storage. A node is a handle: a small integer, the index of its slot in parallel columns (struct
 * of arrays). Links (left, right, parent, prev, next) and subtree counts are Int32Arrays, colours a
 * Uint8Array; pfns are a Float64Array for number pfns (exact below 2^53, and 2^64 for the anchor,
 * see ./pfn.ts) or a plain array for bigint pfns: the one place where the two representations
 * differ, so both run the same code. Slot 0 is NIL, the null handle: its count is 0 and its largest
 * gap -Infinity, so a missing child reads as an empty subtree without a test. Slots are taken from
 * a free list (erased and released nodes) or the end; when the columns are full they double in
 * place of being compacted, so a handle stays valid until its node is released. A node costs
 * 57 bytes (4 doubles, 6 int32s, 1 byte) against ~150 as a JavaScript object with boxed doubles.
 *
 * An augmented tree (number pfns) also keeps, per subtree, its node count and the largest gap below
 * any of its nodes, so the allocator can find the next gap of a given size below a node, and count
 * the nodes in between, in O(log n) — the walk's result and its step count without the walk. Each
 * insert and erase repairs them in one climb (see climb()).
 */

/** A node: the index of its slot. NIL (0) is no node. */
export type RbHandle = number;
export const NIL: RbHandle = 0;

const BLACK = 0;
const RED = 1;
/** Marks a released slot, so that releasing it twice is caught instead of corrupting the free list. */
const RELEASED = 2;
const INITIAL_CAPACITY = 64;

/** A pfn column: a Float64Array for number pfns, an array for bigint pfns; indexed by handle. */
type PfnColumn<P> = { [slot: number]: P };

export class RbTree<P extends number | bigint> {
  root: RbHandle = NIL;
  size = 0;
  private capacity = INITIAL_CAPACITY;
  /** Slots ever taken from the end (slot 0 is NIL). */
  private used = 1;
  /** Released slots, chained through their `next` link. */
  private freeHead: RbHandle = NIL;
  private lo: PfnColumn<P>;
  private hi: PfnColumn<P>;
  private lefts: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private rights: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private parents: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private prevs: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private nexts: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private colours: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  /**
   * Augmentation (trees built with `augmented`, number pfns only): nodes in each subtree; each
   * node's gap (free pfns between its predecessor's pfnHi and its pfnLo; Infinity for the lowest
   * node); the largest gap in each subtree.
   */
  private counts: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private gaps: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private maxGaps: Float64Array = new Float64Array(INITIAL_CAPACITY);

  constructor(
    readonly augmented = false,
    readonly bigintPfns = false,
  ) {
    if (augmented && bigintPfns) throw new RangeError('an augmented tree needs number pfns');
    this.lo = this.newPfnColumn(INITIAL_CAPACITY, null);
    this.hi = this.newPfnColumn(INITIAL_CAPACITY, null);
    this.gaps[NIL] = -Infinity;
    this.maxGaps[NIL] = -Infinity;
  }

  private newPfnColumn(capacity: number, old: PfnColumn<P> | null): PfnColumn<P> {
    if (!this.bigintPfns) {
      const column = new Float64Array(capacity);
      if (old !== null) column.set(old as unknown as Float64Array);
      return column as unknown as PfnColumn<P>;
    }
    const column = old === null ? [] : (old as unknown as bigint[]);
    while (column.length < capacity) column.push(0n);
    return column as unknown as PfnColumn<P>;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    if (capacity > 2 ** 31) throw new RangeError('red-black tree: more than 2^31 nodes');
    const int32 = (old: Int32Array): Int32Array => {
      const column = new Int32Array(capacity);
      column.set(old);
      return column;
    };
    const float64 = (old: Float64Array): Float64Array => {
      const column = new Float64Array(capacity);
      column.set(old);
      return column;
    };
    this.lo = this.newPfnColumn(capacity, this.lo);
    this.hi = this.newPfnColumn(capacity, this.hi);
    this.lefts = int32(this.lefts);
    this.rights = int32(this.rights);
    this.parents = int32(this.parents);
    this.prevs = int32(this.prevs);
    this.nexts = int32(this.nexts);
    this.counts = int32(this.counts);
    const colours = new Uint8Array(capacity);
    colours.set(this.colours);
    this.colours = colours;
    this.gaps = float64(this.gaps);
    this.maxGaps = float64(this.maxGaps);
    this.capacity = capacity;
  }

  /** A new unlinked node holding [pfnLo, pfnHi]; link it with insert(). */
  newNode(pfnLo: P, pfnHi: P): RbHandle {
    let node = this.freeHead;
    if (node !== NIL) this.freeHead = this.nexts[node];
    else {
      if (this.used === this.capacity) this.grow();
      node = this.used++;
    }
    // A slot from the end is all zeros (NIL links); a released one was unlinked by erase() (or never
    // linked), so only its free-list link is left to clear. insert() sets the augmentation.
    this.lo[node] = pfnLo;
    this.hi[node] = pfnHi;
    this.nexts[node] = NIL;
    this.colours[node] = RED;
    return node;
  }

  /** Gives an unlinked node's slot back (free_iova_mem()); its handle may then be handed out again. */
  release(node: RbHandle): void {
    if (node === NIL || node >= this.used || this.colours[node] === RELEASED) throw new RangeError(`red-black tree: release of a handle not in use (${node})`);
    if (node === this.root || this.parents[node] !== NIL) throw new RangeError(`red-black tree: release of a linked node (${node})`);
    this.colours[node] = RELEASED;
    this.nexts[node] = this.freeHead;
    this.freeHead = node;
  }

  pfnLo(node: RbHandle): P {
    return this.lo[node];
  }

  pfnHi(node: RbHandle): P {
    return this.hi[node];
  }

  left(node: RbHandle): RbHandle {
    return this.lefts[node];
  }

  right(node: RbHandle): RbHandle {
    return this.rights[node];
  }

  parent(node: RbHandle): RbHandle {
    return this.parents[node];
  }

  isRed(node: RbHandle): boolean {
    return this.colours[node] === RED;
  }

  /** Nodes in `node`'s subtree (augmented trees; 0 for NIL). */
  count(node: RbHandle): number {
    return this.counts[node];
  }

  /** Free pfns between the predecessor's pfnHi and pfnLo (augmented trees; Infinity for the lowest node). */
  gap(node: RbHandle): number {
    return this.gaps[node];
  }

  /** The largest gap in `node`'s subtree (augmented trees; -Infinity for NIL). */
  maxGap(node: RbHandle): number {
    return this.maxGaps[node];
  }

  /** The gap below `node`: free pfns since its predecessor (Infinity for the lowest node). */
  private gapOf(node: RbHandle): number {
    const before = this.prevs[node];
    return before === NIL ? Infinity : (this.lo[node] as number) - (this.hi[before] as number) - 1;
  }

  private update(node: RbHandle): void {
    const left = this.lefts[node];
    const right = this.rights[node];
    const maxGaps = this.maxGaps;
    let maxGap = this.gaps[node];
    if (maxGaps[left] > maxGap) maxGap = maxGaps[left];
    if (maxGaps[right] > maxGap) maxGap = maxGaps[right];
    this.counts[node] = 1 + this.counts[left] + this.counts[right];
    maxGaps[node] = maxGap;
  }

  /**
   * Repairs the augmentation above a change, in one climb from `from` towards the root (the kernel's
   * augmented rbtree callbacks do the same: propagate until nothing changes). `countFrom` (`from` or
   * an ancestor; NIL: no count changes) is where the tree's shape changed: it and every node above
   * it get `countDelta`. `gapChanged` (on the path, or NIL) is a node whose own gap changed. Largest
   * gaps are recomputed until both points are behind and one comes out unchanged: above that no
   * largest gap can change, and the rest of the climb only adjusts counts (a subtree's size changes
   * up to the root).
   */
  private climb(from: RbHandle, countFrom: RbHandle, countDelta: number, gapChanged: RbHandle): void {
    const parents = this.parents;
    const counts = this.counts;
    const maxGaps = this.maxGaps;
    const gaps = this.gaps;
    const lefts = this.lefts;
    const rights = this.rights;
    let node = from;
    let counting = countFrom === NIL;
    let pendingGap = gapChanged;
    while (node !== NIL) {
      if (node === countFrom) counting = true;
      if (countFrom !== NIL && counting) counts[node] += countDelta;
      if (node === pendingGap) pendingGap = NIL;
      let maxGap = gaps[node];
      const leftMax = maxGaps[lefts[node]];
      const rightMax = maxGaps[rights[node]];
      if (leftMax > maxGap) maxGap = leftMax;
      if (rightMax > maxGap) maxGap = rightMax;
      const unchanged = maxGap === maxGaps[node];
      maxGaps[node] = maxGap;
      node = parents[node];
      if (unchanged && counting && pendingGap === NIL) break;
    }
    if (countFrom !== NIL) for (; node !== NIL; node = parents[node]) counts[node] += countDelta;
  }

  /**
   * Moves a linked node's pfnLo (reserve_iova stretches ranges down in place; the caller keeps the
   * key order) and repairs its gap.
   */
  setPfnLo(node: RbHandle, pfnLo: P): void {
    this.lo[node] = pfnLo;
    if (!this.augmented) return;
    this.gaps[node] = this.gapOf(node);
    this.climb(node, NIL, 0, node);
  }

  /** Nodes before `node` in order (augmented trees). */
  rank(node: RbHandle): number {
    const parents = this.parents;
    const counts = this.counts;
    const lefts = this.lefts;
    const rights = this.rights;
    let rank = counts[lefts[node]];
    for (let child = node, parent = parents[node]; parent !== NIL; child = parent, parent = parents[parent]) {
      if (child === rights[parent]) rank += 1 + counts[lefts[parent]];
    }
    return rank;
  }

  /** The last node in order within `root`'s subtree whose gap is at least `size`, or NIL. */
  private lastWithGapIn(root: RbHandle, size: number): RbHandle {
    const maxGaps = this.maxGaps;
    let node = root;
    while (node !== NIL && maxGaps[node] >= size) {
      const right = this.rights[node];
      if (maxGaps[right] >= size) node = right;
      else if (this.gaps[node] >= size) return node;
      else node = this.lefts[node];
    }
    return NIL;
  }

  /** Going down in order from `start` (included), the first node whose gap is at least `size`, or NIL (augmented trees). */
  lastWithGapFrom(start: RbHandle, size: number): RbHandle {
    if (this.gaps[start] >= size) return start;
    const below = this.lastWithGapIn(this.lefts[start], size);
    if (below !== NIL) return below;
    const parents = this.parents;
    for (let child = start, parent = parents[start]; parent !== NIL; child = parent, parent = parents[parent]) {
      if (child !== this.rights[parent]) continue;
      if (this.gaps[parent] >= size) return parent;
      const found = this.lastWithGapIn(this.lefts[parent], size);
      if (found !== NIL) return found;
    }
    return NIL;
  }

  /** The last node in order with pfnLo below `pfn`, or NIL. */
  lastBelow(pfn: P): RbHandle {
    const lo = this.lo;
    let node = this.root;
    let best = NIL;
    while (node !== NIL) {
      if (lo[node] < pfn) {
        best = node;
        node = this.rights[node];
      } else {
        node = this.lefts[node];
      }
    }
    return best;
  }

  first(): RbHandle {
    let node = this.root;
    if (node === NIL) return NIL;
    while (this.lefts[node] !== NIL) node = this.lefts[node];
    return node;
  }

  last(): RbHandle {
    let node = this.root;
    if (node === NIL) return NIL;
    while (this.rights[node] !== NIL) node = this.rights[node];
    return node;
  }

  /** rb_prev(): the in-order predecessor, or NIL. */
  prev(node: RbHandle): RbHandle {
    return this.prevs[node];
  }

  /** rb_next(): the in-order successor, or NIL. */
  next(node: RbHandle): RbHandle {
    return this.nexts[node];
  }

  /** The node whose range holds pfn, or NIL (private_find_iova()). */
  findContaining(pfn: P): RbHandle {
    const lo = this.lo;
    const hi = this.hi;
    let node = this.root;
    while (node !== NIL) {
      if (pfn < lo[node]) node = this.lefts[node];
      else if (pfn > hi[node]) node = this.rights[node];
      else return node;
    }
    return NIL;
  }

  /** The lowest node with pfnLo >= pfn, or NIL. */
  lowerBound(pfn: P): RbHandle {
    const lo = this.lo;
    let node = this.root;
    let best = NIL;
    while (node !== NIL) {
      if (lo[node] >= pfn) {
        best = node;
        node = this.lefts[node];
      } else {
        node = this.rights[node];
      }
    }
    return best;
  }

  /**
   * Links `node` (from newNode()) in key order, descending from `hint` when given (iova_insert_rbtree()
   * starts at the node the allocation walk stopped at; the key must belong in hint's subtree) or else
   * from the root. Returns false, leaving the tree unchanged, when a node with the same pfnLo exists.
   */
  insert(node: RbHandle, hint: RbHandle = NIL): boolean {
    const lo = this.lo;
    const lefts = this.lefts;
    const rights = this.rights;
    const prevs = this.prevs;
    const nexts = this.nexts;
    let parent = NIL;
    let current = hint !== NIL ? hint : this.root;
    let goLeft = false;
    const key = lo[node];
    while (current !== NIL) {
      parent = current;
      const currentKey = lo[current];
      if (key < currentKey) {
        goLeft = true;
        current = lefts[current];
      } else if (key > currentKey) {
        goLeft = false;
        current = rights[current];
      } else {
        return false;
      }
    }
    this.parents[node] = parent;
    lefts[node] = NIL;
    rights[node] = NIL;
    this.colours[node] = RED;
    if (parent === NIL) this.root = node;
    else if (goLeft) lefts[parent] = node;
    else rights[parent] = node;
    // A new leaf's neighbours: going left, the parent follows it; going right, the parent precedes it.
    const before = parent === NIL ? NIL : goLeft ? prevs[parent] : parent;
    const after = parent === NIL ? NIL : goLeft ? parent : nexts[parent];
    prevs[node] = before;
    nexts[node] = after;
    if (before !== NIL) nexts[before] = node;
    if (after !== NIL) prevs[after] = node;
    this.size++;
    if (this.augmented) {
      // The new leaf's successor is one of its ancestors (its gap shrank), so one climb repairs both.
      const gap = this.gapOf(node);
      this.counts[node] = 1;
      this.gaps[node] = gap;
      this.maxGaps[node] = gap;
      if (after !== NIL) this.gaps[after] = this.gapOf(after);
      this.climb(parent, parent, 1, after);
    }
    this.insertFixup(node);
    return true;
  }

  private rotateLeft(x: RbHandle): void {
    const lefts = this.lefts;
    const rights = this.rights;
    const parents = this.parents;
    const y = rights[x];
    const yLeft = lefts[y];
    rights[x] = yLeft;
    if (yLeft !== NIL) parents[yLeft] = x;
    const xParent = parents[x];
    parents[y] = xParent;
    if (xParent === NIL) this.root = y;
    else if (x === lefts[xParent]) lefts[xParent] = y;
    else rights[xParent] = y;
    lefts[y] = x;
    parents[x] = y;
    if (this.augmented) {
      this.update(x);
      this.update(y);
    }
  }

  private rotateRight(x: RbHandle): void {
    const lefts = this.lefts;
    const rights = this.rights;
    const parents = this.parents;
    const y = lefts[x];
    const yRight = rights[y];
    lefts[x] = yRight;
    if (yRight !== NIL) parents[yRight] = x;
    const xParent = parents[x];
    parents[y] = xParent;
    if (xParent === NIL) this.root = y;
    else if (x === rights[xParent]) rights[xParent] = y;
    else lefts[xParent] = y;
    rights[y] = x;
    parents[x] = y;
    if (this.augmented) {
      this.update(x);
      this.update(y);
    }
  }

  private insertFixup(z: RbHandle): void {
    const colours = this.colours;
    const parents = this.parents;
    const lefts = this.lefts;
    const rights = this.rights;
    let node = z;
    let parent = parents[node];
    while (parent !== NIL && colours[parent] === RED) {
      const grand = parents[parent];
      if (parent === lefts[grand]) {
        const uncle = rights[grand];
        if (colours[uncle] === RED) {
          colours[parent] = BLACK;
          colours[uncle] = BLACK;
          colours[grand] = RED;
          node = grand;
        } else {
          if (node === rights[parent]) {
            node = parent;
            this.rotateLeft(node);
          }
          colours[parents[node]] = BLACK;
          colours[grand] = RED;
          this.rotateRight(grand);
        }
      } else {
        const uncle = lefts[grand];
        if (colours[uncle] === RED) {
          colours[parent] = BLACK;
          colours[uncle] = BLACK;
          colours[grand] = RED;
          node = grand;
        } else {
          if (node === lefts[parent]) {
            node = parent;
            this.rotateRight(node);
          }
          colours[parents[node]] = BLACK;
          colours[grand] = RED;
          this.rotateLeft(grand);
        }
      }
      parent = parents[node];
    }
    colours[this.root] = BLACK;
  }

  private transplant(u: RbHandle, v: RbHandle): void {
    const parents = this.parents;
    const uParent = parents[u];
    if (uParent === NIL) this.root = v;
    else if (u === this.lefts[uParent]) this.lefts[uParent] = v;
    else this.rights[uParent] = v;
    if (v !== NIL) parents[v] = uParent;
  }

  /** rb_erase(): unlinks `z`; every other node keeps its key and handle. z's slot stays taken until release(). */
  erase(z: RbHandle): void {
    const lefts = this.lefts;
    const rights = this.rights;
    const parents = this.parents;
    const colours = this.colours;
    const prevs = this.prevs;
    const nexts = this.nexts;
    let child: RbHandle;
    let childParent: RbHandle;
    let removedRed = colours[z] === RED;
    // Where the augmentation climb starts: the successor when it sits below z (z has only a right
    // child), else the removed position's parent (the successor, if any, is then on the way up).
    const climbFrom = lefts[z] === NIL && rights[z] !== NIL ? nexts[z] : NIL;
    if (lefts[z] === NIL) {
      child = rights[z];
      childParent = parents[z];
      this.transplant(z, child);
    } else if (rights[z] === NIL) {
      child = lefts[z];
      childParent = parents[z];
      this.transplant(z, child);
    } else {
      let y = rights[z];
      while (lefts[y] !== NIL) y = lefts[y];
      removedRed = colours[y] === RED;
      child = rights[y];
      if (parents[y] === z) {
        childParent = y;
      } else {
        childParent = parents[y];
        this.transplant(y, child);
        rights[y] = rights[z];
        parents[rights[y]] = y;
      }
      this.transplant(z, y);
      lefts[y] = lefts[z];
      parents[lefts[y]] = y;
      colours[y] = colours[z];
      // y takes z's place and subtree: z's count, less the one removed (applied by the climb).
      this.counts[y] = this.counts[z];
    }
    const before = prevs[z];
    const after = nexts[z];
    if (before !== NIL) nexts[before] = after;
    if (after !== NIL) prevs[after] = before;
    lefts[z] = rights[z] = parents[z] = prevs[z] = nexts[z] = NIL;
    this.size--;
    if (this.augmented) {
      if (after !== NIL) this.gaps[after] = this.gapOf(after);
      this.climb(climbFrom !== NIL ? climbFrom : childParent, childParent, -1, after);
    }
    if (!removedRed) this.eraseFixup(child, childParent);
  }

  private eraseFixup(x: RbHandle, xParent: RbHandle): void {
    const colours = this.colours;
    const lefts = this.lefts;
    const rights = this.rights;
    const parents = this.parents;
    let node = x;
    let parent = xParent;
    // colours[NIL] is BLACK, so a missing child reads as black.
    while (node !== this.root && colours[node] !== RED) {
      const p = parent;
      if (node === lefts[p]) {
        let w = rights[p];
        if (colours[w] === RED) {
          colours[w] = BLACK;
          colours[p] = RED;
          this.rotateLeft(p);
          w = rights[p];
        }
        if (colours[lefts[w]] !== RED && colours[rights[w]] !== RED) {
          colours[w] = RED;
          node = p;
          parent = parents[p];
        } else {
          if (colours[rights[w]] !== RED) {
            colours[lefts[w]] = BLACK;
            colours[w] = RED;
            this.rotateRight(w);
            w = rights[p];
          }
          colours[w] = colours[p];
          colours[p] = BLACK;
          if (rights[w] !== NIL) colours[rights[w]] = BLACK;
          this.rotateLeft(p);
          node = this.root;
          parent = NIL;
        }
      } else {
        let w = lefts[p];
        if (colours[w] === RED) {
          colours[w] = BLACK;
          colours[p] = RED;
          this.rotateRight(p);
          w = lefts[p];
        }
        if (colours[lefts[w]] !== RED && colours[rights[w]] !== RED) {
          colours[w] = RED;
          node = p;
          parent = parents[p];
        } else {
          if (colours[lefts[w]] !== RED) {
            colours[rights[w]] = BLACK;
            colours[w] = RED;
            this.rotateLeft(w);
            w = lefts[p];
          }
          colours[w] = colours[p];
          colours[p] = BLACK;
          if (lefts[w] !== NIL) colours[lefts[w]] = BLACK;
          this.rotateRight(p);
          node = this.root;
          parent = NIL;
        }
      }
    }
    if (node !== NIL) colours[node] = BLACK;
  }
}
