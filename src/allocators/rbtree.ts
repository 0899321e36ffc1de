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
 * Storage. A node is a handle: a small integer, the index of its record in one ArrayBuffer seen
 * through two views (a Float64Array and an Int32Array). A record is 64 bytes, one cache line: pfnLo,
 * pfnHi, gap and largest gap as doubles (number pfns are exact below 2^53, and the anchor's 2^64 is
 * exact too, see ./pfn.ts), then the left, right, parent, in-order prev and next links, the subtree
 * count and the colour as int32s. Bigint pfns live in two plain arrays by handle instead (pfnLo(),
 * pfnHi() and setKey() are the only code that differs): both representations run the same
 * algorithm. Record 0 is NIL, the null handle: its count is 0 and its largest gap -Infinity, so a
 * missing child reads as an empty subtree without a test, and its colour is black. Records are
 * taken from a free list (nodes erased and released) or the end; when the buffer is full it
 * doubles, it is never compacted, so a handle stays valid until its node is released. Against a
 * JavaScript object per node (~176 bytes with its boxed doubles), the records cost 64 bytes a node
 * and give the garbage collector nothing to trace.
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
/** Bytes per node: one record of 8 doubles' room, one cache line. */
const RECORD_BYTES = 64;
// A record seen as doubles (index node * 8 + field): pfns (number pfns only) and the augmentation.
const LO = 0;
const HI = 1;
const GAP = 2;
const MAX_GAP = 3;
// The same record seen as int32s (index node * 16 + field): links, subtree count, colour.
const LEFT = 8;
const RIGHT = 9;
const PARENT = 10;
const PREV = 11;
const NEXT = 12;
const COUNT = 13;
const COLOUR = 14;

export class RbTree<P extends number | bigint> {
  root: RbHandle = NIL;
  size = 0;
  private capacity = INITIAL_CAPACITY;
  /** Slots ever taken from the end (slot 0 is NIL). */
  private used = 1;
  /** Released slots, chained through their `next` link. */
  private freeHead: RbHandle = NIL;
  /**
   * The records, as doubles and as int32s (two views of one buffer). Per node: pfnLo and pfnHi
   * (number pfns); the augmentation (trees built with `augmented`, number pfns only): its gap (free
   * pfns between its predecessor's pfnHi and its pfnLo; Infinity for the lowest node), the largest
   * gap and the node count of its subtree; its links (left, right, parent, in-order prev and next)
   * and colour.
   */
  private f64: Float64Array;
  private i32: Int32Array;
  /** Bigint pfns, by handle (null for number pfns, which live in the records). */
  private bigLo: bigint[] | null;
  private bigHi: bigint[] | null;

  constructor(
    readonly augmented = false,
    bigintPfns = false,
  ) {
    if (augmented && bigintPfns) throw new RangeError('an augmented tree needs number pfns');
    const buffer = new ArrayBuffer(INITIAL_CAPACITY * RECORD_BYTES);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.bigLo = bigintPfns ? new Array<bigint>(INITIAL_CAPACITY).fill(0n) : null;
    this.bigHi = bigintPfns ? new Array<bigint>(INITIAL_CAPACITY).fill(0n) : null;
    this.f64[(NIL << 3) + GAP] = -Infinity;
    this.f64[(NIL << 3) + MAX_GAP] = -Infinity;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    if (capacity > 2 ** 26) throw new RangeError('red-black tree: more than 2^26 nodes');
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    const f64 = new Float64Array(buffer);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(buffer);
    if (this.bigLo !== null && this.bigHi !== null) {
      for (let slot = this.capacity; slot < capacity; slot++) {
        this.bigLo.push(0n);
        this.bigHi.push(0n);
      }
    }
    this.capacity = capacity;
  }

  private setKey(node: RbHandle, pfnLo: P, pfnHi: P): void {
    if (this.bigLo === null || this.bigHi === null) {
      this.f64[(node << 3) + LO] = pfnLo as number;
      this.f64[(node << 3) + HI] = pfnHi as number;
    } else {
      this.bigLo[node] = pfnLo as bigint;
      this.bigHi[node] = pfnHi as bigint;
    }
  }

  /** A new unlinked node holding [pfnLo, pfnHi]; link it with insert(). */
  newNode(pfnLo: P, pfnHi: P): RbHandle {
    let node = this.freeHead;
    if (node !== NIL) this.freeHead = this.i32[(node << 4) + NEXT];
    else {
      if (this.used === this.capacity) this.grow();
      node = this.used++;
    }
    // A slot from the end is all zeros (NIL links); a released one was unlinked by erase() (or never
    // linked), so only its free-list link is left to clear. insert() sets the augmentation.
    this.setKey(node, pfnLo, pfnHi);
    this.i32[(node << 4) + NEXT] = NIL;
    this.i32[(node << 4) + COLOUR] = RED;
    return node;
  }

  /** Gives an unlinked node's slot back (free_iova_mem()); its handle may then be handed out again. */
  release(node: RbHandle): void {
    if (node === NIL || node >= this.used || this.i32[(node << 4) + COLOUR] === RELEASED) throw new RangeError(`red-black tree: release of a handle not in use (${node})`);
    if (node === this.root || this.i32[(node << 4) + PARENT] !== NIL) throw new RangeError(`red-black tree: release of a linked node (${node})`);
    this.i32[(node << 4) + COLOUR] = RELEASED;
    this.i32[(node << 4) + NEXT] = this.freeHead;
    this.freeHead = node;
  }

  pfnLo(node: RbHandle): P {
    return (this.bigLo === null ? this.f64[(node << 3) + LO] : this.bigLo[node]) as P;
  }

  pfnHi(node: RbHandle): P {
    return (this.bigHi === null ? this.f64[(node << 3) + HI] : this.bigHi[node]) as P;
  }

  left(node: RbHandle): RbHandle {
    return this.i32[(node << 4) + LEFT];
  }

  right(node: RbHandle): RbHandle {
    return this.i32[(node << 4) + RIGHT];
  }

  parent(node: RbHandle): RbHandle {
    return this.i32[(node << 4) + PARENT];
  }

  isRed(node: RbHandle): boolean {
    return this.i32[(node << 4) + COLOUR] === RED;
  }

  /** Nodes in `node`'s subtree (augmented trees; 0 for NIL). */
  count(node: RbHandle): number {
    return this.i32[(node << 4) + COUNT];
  }

  /** Free pfns between the predecessor's pfnHi and pfnLo (augmented trees; Infinity for the lowest node). */
  gap(node: RbHandle): number {
    return this.f64[(node << 3) + GAP];
  }

  /** The largest gap in `node`'s subtree (augmented trees; -Infinity for NIL). */
  maxGap(node: RbHandle): number {
    return this.f64[(node << 3) + MAX_GAP];
  }

  /** The gap below `node`: free pfns since its predecessor (Infinity for the lowest node). */
  private gapOf(node: RbHandle): number {
    const i32 = this.i32;
    const f64 = this.f64;
    const before = i32[(node << 4) + PREV];
    return before === NIL ? Infinity : f64[(node << 3) + LO] - f64[(before << 3) + HI] - 1;
  }

  private update(node: RbHandle): void {
    const i32 = this.i32;
    const f64 = this.f64;
    const left = i32[(node << 4) + LEFT];
    const right = i32[(node << 4) + RIGHT];
    let maxGap = f64[(node << 3) + GAP];
    if (f64[(left << 3) + MAX_GAP] > maxGap) maxGap = f64[(left << 3) + MAX_GAP];
    if (f64[(right << 3) + MAX_GAP] > maxGap) maxGap = f64[(right << 3) + MAX_GAP];
    i32[(node << 4) + COUNT] = 1 + i32[(left << 4) + COUNT] + i32[(right << 4) + COUNT];
    f64[(node << 3) + MAX_GAP] = maxGap;
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
    const i32 = this.i32;
    const f64 = this.f64;
    let node = from;
    let counting = countFrom === NIL;
    let pendingGap = gapChanged;
    while (node !== NIL) {
      if (node === countFrom) counting = true;
      if (countFrom !== NIL && counting) i32[(node << 4) + COUNT] += countDelta;
      if (node === pendingGap) pendingGap = NIL;
      let maxGap = f64[(node << 3) + GAP];
      const leftMax = f64[(i32[(node << 4) + LEFT] << 3) + MAX_GAP];
      const rightMax = f64[(i32[(node << 4) + RIGHT] << 3) + MAX_GAP];
      if (leftMax > maxGap) maxGap = leftMax;
      if (rightMax > maxGap) maxGap = rightMax;
      const unchanged = maxGap === f64[(node << 3) + MAX_GAP];
      f64[(node << 3) + MAX_GAP] = maxGap;
      node = i32[(node << 4) + PARENT];
      if (unchanged && counting && pendingGap === NIL) break;
    }
    if (countFrom !== NIL) for (; node !== NIL; node = i32[(node << 4) + PARENT]) i32[(node << 4) + COUNT] += countDelta;
  }

  /**
   * Moves a linked node's pfnLo (reserve_iova stretches ranges down in place; the caller keeps the
   * key order) and repairs its gap.
   */
  setPfnLo(node: RbHandle, pfnLo: P): void {
    this.setKey(node, pfnLo, this.pfnHi(node));
    if (!this.augmented) return;
    this.f64[(node << 3) + GAP] = this.gapOf(node);
    this.climb(node, NIL, 0, node);
  }

  /** Nodes before `node` in order (augmented trees). */
  rank(node: RbHandle): number {
    const i32 = this.i32;
    let rank = i32[(i32[(node << 4) + LEFT] << 4) + COUNT];
    for (let child = node, parent = i32[(node << 4) + PARENT]; parent !== NIL; child = parent, parent = i32[(parent << 4) + PARENT]) {
      if (child === i32[(parent << 4) + RIGHT]) rank += 1 + i32[(i32[(parent << 4) + LEFT] << 4) + COUNT];
    }
    return rank;
  }

  /** The last node in order within `root`'s subtree whose gap is at least `size`, or NIL. */
  private lastWithGapIn(root: RbHandle, size: number): RbHandle {
    const i32 = this.i32;
    const f64 = this.f64;
    let node = root;
    while (node !== NIL && f64[(node << 3) + MAX_GAP] >= size) {
      const right = i32[(node << 4) + RIGHT];
      if (f64[(right << 3) + MAX_GAP] >= size) node = right;
      else if (f64[(node << 3) + GAP] >= size) return node;
      else node = i32[(node << 4) + LEFT];
    }
    return NIL;
  }

  /** Going down in order from `start` (included), the first node whose gap is at least `size`, or NIL (augmented trees). */
  lastWithGapFrom(start: RbHandle, size: number): RbHandle {
    const i32 = this.i32;
    const f64 = this.f64;
    if (f64[(start << 3) + GAP] >= size) return start;
    const below = this.lastWithGapIn(i32[(start << 4) + LEFT], size);
    if (below !== NIL) return below;
    for (let child = start, parent = i32[(start << 4) + PARENT]; parent !== NIL; child = parent, parent = i32[(parent << 4) + PARENT]) {
      if (child !== i32[(parent << 4) + RIGHT]) continue;
      if (f64[(parent << 3) + GAP] >= size) return parent;
      const found = this.lastWithGapIn(i32[(parent << 4) + LEFT], size);
      if (found !== NIL) return found;
    }
    return NIL;
  }

  /** The last node in order with pfnLo below `pfn`, or NIL. */
  lastBelow(pfn: P): RbHandle {
    const i32 = this.i32;
    let node = this.root;
    let best = NIL;
    while (node !== NIL) {
      if (this.pfnLo(node) < pfn) {
        best = node;
        node = i32[(node << 4) + RIGHT];
      } else {
        node = i32[(node << 4) + LEFT];
      }
    }
    return best;
  }

  first(): RbHandle {
    const i32 = this.i32;
    let node = this.root;
    if (node === NIL) return NIL;
    while (i32[(node << 4) + LEFT] !== NIL) node = i32[(node << 4) + LEFT];
    return node;
  }

  last(): RbHandle {
    const i32 = this.i32;
    let node = this.root;
    if (node === NIL) return NIL;
    while (i32[(node << 4) + RIGHT] !== NIL) node = i32[(node << 4) + RIGHT];
    return node;
  }

  /** rb_prev(): the in-order predecessor, or NIL. */
  prev(node: RbHandle): RbHandle {
    return this.i32[(node << 4) + PREV];
  }

  /** rb_next(): the in-order successor, or NIL. */
  next(node: RbHandle): RbHandle {
    return this.i32[(node << 4) + NEXT];
  }

  /** The node whose range holds pfn, or NIL (private_find_iova()). */
  findContaining(pfn: P): RbHandle {
    const i32 = this.i32;
    let node = this.root;
    while (node !== NIL) {
      if (pfn < this.pfnLo(node)) node = i32[(node << 4) + LEFT];
      else if (pfn > this.pfnHi(node)) node = i32[(node << 4) + RIGHT];
      else return node;
    }
    return NIL;
  }

  /** The lowest node with pfnLo >= pfn, or NIL. */
  lowerBound(pfn: P): RbHandle {
    const i32 = this.i32;
    let node = this.root;
    let best = NIL;
    while (node !== NIL) {
      if (this.pfnLo(node) >= pfn) {
        best = node;
        node = i32[(node << 4) + LEFT];
      } else {
        node = i32[(node << 4) + RIGHT];
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
    const i32 = this.i32;
    const f64 = this.f64;
    let parent = NIL;
    let current = hint !== NIL ? hint : this.root;
    let goLeft = false;
    const key = this.pfnLo(node);
    while (current !== NIL) {
      parent = current;
      const currentKey = this.pfnLo(current);
      if (key < currentKey) {
        goLeft = true;
        current = i32[(current << 4) + LEFT];
      } else if (key > currentKey) {
        goLeft = false;
        current = i32[(current << 4) + RIGHT];
      } else {
        return false;
      }
    }
    i32[(node << 4) + PARENT] = parent;
    i32[(node << 4) + LEFT] = NIL;
    i32[(node << 4) + RIGHT] = NIL;
    i32[(node << 4) + COLOUR] = RED;
    if (parent === NIL) this.root = node;
    else if (goLeft) i32[(parent << 4) + LEFT] = node;
    else i32[(parent << 4) + RIGHT] = node;
    // A new leaf's neighbours: going left, the parent follows it; going right, the parent precedes it.
    const before = parent === NIL ? NIL : goLeft ? i32[(parent << 4) + PREV] : parent;
    const after = parent === NIL ? NIL : goLeft ? parent : i32[(parent << 4) + NEXT];
    i32[(node << 4) + PREV] = before;
    i32[(node << 4) + NEXT] = after;
    if (before !== NIL) i32[(before << 4) + NEXT] = node;
    if (after !== NIL) i32[(after << 4) + PREV] = node;
    this.size++;
    if (this.augmented) {
      // The new leaf's successor is one of its ancestors (its gap shrank), so one climb repairs both.
      const gap = this.gapOf(node);
      i32[(node << 4) + COUNT] = 1;
      f64[(node << 3) + GAP] = gap;
      f64[(node << 3) + MAX_GAP] = gap;
      if (after !== NIL) f64[(after << 3) + GAP] = this.gapOf(after);
      this.climb(parent, parent, 1, after);
    }
    this.insertFixup(node);
    return true;
  }

  private rotateLeft(x: RbHandle): void {
    const i32 = this.i32;
    const y = i32[(x << 4) + RIGHT];
    const yLeft = i32[(y << 4) + LEFT];
    i32[(x << 4) + RIGHT] = yLeft;
    if (yLeft !== NIL) i32[(yLeft << 4) + PARENT] = x;
    const xParent = i32[(x << 4) + PARENT];
    i32[(y << 4) + PARENT] = xParent;
    if (xParent === NIL) this.root = y;
    else if (x === i32[(xParent << 4) + LEFT]) i32[(xParent << 4) + LEFT] = y;
    else i32[(xParent << 4) + RIGHT] = y;
    i32[(y << 4) + LEFT] = x;
    i32[(x << 4) + PARENT] = y;
    if (this.augmented) {
      this.update(x);
      this.update(y);
    }
  }

  private rotateRight(x: RbHandle): void {
    const i32 = this.i32;
    const y = i32[(x << 4) + LEFT];
    const yRight = i32[(y << 4) + RIGHT];
    i32[(x << 4) + LEFT] = yRight;
    if (yRight !== NIL) i32[(yRight << 4) + PARENT] = x;
    const xParent = i32[(x << 4) + PARENT];
    i32[(y << 4) + PARENT] = xParent;
    if (xParent === NIL) this.root = y;
    else if (x === i32[(xParent << 4) + RIGHT]) i32[(xParent << 4) + RIGHT] = y;
    else i32[(xParent << 4) + LEFT] = y;
    i32[(y << 4) + RIGHT] = x;
    i32[(x << 4) + PARENT] = y;
    if (this.augmented) {
      this.update(x);
      this.update(y);
    }
  }

  private insertFixup(z: RbHandle): void {
    const i32 = this.i32;
    let node = z;
    let parent = i32[(node << 4) + PARENT];
    while (parent !== NIL && i32[(parent << 4) + COLOUR] === RED) {
      const grand = i32[(parent << 4) + PARENT];
      if (parent === i32[(grand << 4) + LEFT]) {
        const uncle = i32[(grand << 4) + RIGHT];
        if (i32[(uncle << 4) + COLOUR] === RED) {
          i32[(parent << 4) + COLOUR] = BLACK;
          i32[(uncle << 4) + COLOUR] = BLACK;
          i32[(grand << 4) + COLOUR] = RED;
          node = grand;
        } else {
          if (node === i32[(parent << 4) + RIGHT]) {
            node = parent;
            this.rotateLeft(node);
          }
          i32[(i32[(node << 4) + PARENT] << 4) + COLOUR] = BLACK;
          i32[(grand << 4) + COLOUR] = RED;
          this.rotateRight(grand);
        }
      } else {
        const uncle = i32[(grand << 4) + LEFT];
        if (i32[(uncle << 4) + COLOUR] === RED) {
          i32[(parent << 4) + COLOUR] = BLACK;
          i32[(uncle << 4) + COLOUR] = BLACK;
          i32[(grand << 4) + COLOUR] = RED;
          node = grand;
        } else {
          if (node === i32[(parent << 4) + LEFT]) {
            node = parent;
            this.rotateRight(node);
          }
          i32[(i32[(node << 4) + PARENT] << 4) + COLOUR] = BLACK;
          i32[(grand << 4) + COLOUR] = RED;
          this.rotateLeft(grand);
        }
      }
      parent = i32[(node << 4) + PARENT];
    }
    i32[(this.root << 4) + COLOUR] = BLACK;
  }

  private transplant(u: RbHandle, v: RbHandle): void {
    const i32 = this.i32;
    const uParent = i32[(u << 4) + PARENT];
    if (uParent === NIL) this.root = v;
    else if (u === i32[(uParent << 4) + LEFT]) i32[(uParent << 4) + LEFT] = v;
    else i32[(uParent << 4) + RIGHT] = v;
    if (v !== NIL) i32[(v << 4) + PARENT] = uParent;
  }

  /** rb_erase(): unlinks `z`; every other node keeps its key and handle. z's slot stays taken until release(). */
  erase(z: RbHandle): void {
    const i32 = this.i32;
    const f64 = this.f64;
    let child: RbHandle;
    let childParent: RbHandle;
    let removedRed = i32[(z << 4) + COLOUR] === RED;
    // Where the augmentation climb starts: the successor when it sits below z (z has only a right
    // child), else the removed position's parent (the successor, if any, is then on the way up).
    const climbFrom = i32[(z << 4) + LEFT] === NIL && i32[(z << 4) + RIGHT] !== NIL ? i32[(z << 4) + NEXT] : NIL;
    if (i32[(z << 4) + LEFT] === NIL) {
      child = i32[(z << 4) + RIGHT];
      childParent = i32[(z << 4) + PARENT];
      this.transplant(z, child);
    } else if (i32[(z << 4) + RIGHT] === NIL) {
      child = i32[(z << 4) + LEFT];
      childParent = i32[(z << 4) + PARENT];
      this.transplant(z, child);
    } else {
      let y = i32[(z << 4) + RIGHT];
      while (i32[(y << 4) + LEFT] !== NIL) y = i32[(y << 4) + LEFT];
      removedRed = i32[(y << 4) + COLOUR] === RED;
      child = i32[(y << 4) + RIGHT];
      if (i32[(y << 4) + PARENT] === z) {
        childParent = y;
      } else {
        childParent = i32[(y << 4) + PARENT];
        this.transplant(y, child);
        i32[(y << 4) + RIGHT] = i32[(z << 4) + RIGHT];
        i32[(i32[(y << 4) + RIGHT] << 4) + PARENT] = y;
      }
      this.transplant(z, y);
      i32[(y << 4) + LEFT] = i32[(z << 4) + LEFT];
      i32[(i32[(y << 4) + LEFT] << 4) + PARENT] = y;
      i32[(y << 4) + COLOUR] = i32[(z << 4) + COLOUR];
      // y takes z's place and subtree: z's count, less the one removed (applied by the climb).
      i32[(y << 4) + COUNT] = i32[(z << 4) + COUNT];
    }
    const before = i32[(z << 4) + PREV];
    const after = i32[(z << 4) + NEXT];
    if (before !== NIL) i32[(before << 4) + NEXT] = after;
    if (after !== NIL) i32[(after << 4) + PREV] = before;
    i32[(z << 4) + LEFT] = i32[(z << 4) + RIGHT] = i32[(z << 4) + PARENT] = i32[(z << 4) + PREV] = i32[(z << 4) + NEXT] = NIL;
    this.size--;
    if (this.augmented) {
      if (after !== NIL) f64[(after << 3) + GAP] = this.gapOf(after);
      this.climb(climbFrom !== NIL ? climbFrom : childParent, childParent, -1, after);
    }
    if (!removedRed) this.eraseFixup(child, childParent);
  }

  private eraseFixup(x: RbHandle, xParent: RbHandle): void {
    const i32 = this.i32;
    let node = x;
    let parent = xParent;
    // i32[(NIL << 4) + COLOUR] is BLACK, so a missing child reads as black.
    while (node !== this.root && i32[(node << 4) + COLOUR] !== RED) {
      const p = parent;
      if (node === i32[(p << 4) + LEFT]) {
        let w = i32[(p << 4) + RIGHT];
        if (i32[(w << 4) + COLOUR] === RED) {
          i32[(w << 4) + COLOUR] = BLACK;
          i32[(p << 4) + COLOUR] = RED;
          this.rotateLeft(p);
          w = i32[(p << 4) + RIGHT];
        }
        if (i32[(i32[(w << 4) + LEFT] << 4) + COLOUR] !== RED && i32[(i32[(w << 4) + RIGHT] << 4) + COLOUR] !== RED) {
          i32[(w << 4) + COLOUR] = RED;
          node = p;
          parent = i32[(p << 4) + PARENT];
        } else {
          if (i32[(i32[(w << 4) + RIGHT] << 4) + COLOUR] !== RED) {
            i32[(i32[(w << 4) + LEFT] << 4) + COLOUR] = BLACK;
            i32[(w << 4) + COLOUR] = RED;
            this.rotateRight(w);
            w = i32[(p << 4) + RIGHT];
          }
          i32[(w << 4) + COLOUR] = i32[(p << 4) + COLOUR];
          i32[(p << 4) + COLOUR] = BLACK;
          if (i32[(w << 4) + RIGHT] !== NIL) i32[(i32[(w << 4) + RIGHT] << 4) + COLOUR] = BLACK;
          this.rotateLeft(p);
          node = this.root;
          parent = NIL;
        }
      } else {
        let w = i32[(p << 4) + LEFT];
        if (i32[(w << 4) + COLOUR] === RED) {
          i32[(w << 4) + COLOUR] = BLACK;
          i32[(p << 4) + COLOUR] = RED;
          this.rotateRight(p);
          w = i32[(p << 4) + LEFT];
        }
        if (i32[(i32[(w << 4) + LEFT] << 4) + COLOUR] !== RED && i32[(i32[(w << 4) + RIGHT] << 4) + COLOUR] !== RED) {
          i32[(w << 4) + COLOUR] = RED;
          node = p;
          parent = i32[(p << 4) + PARENT];
        } else {
          if (i32[(i32[(w << 4) + LEFT] << 4) + COLOUR] !== RED) {
            i32[(i32[(w << 4) + RIGHT] << 4) + COLOUR] = BLACK;
            i32[(w << 4) + COLOUR] = RED;
            this.rotateLeft(w);
            w = i32[(p << 4) + LEFT];
          }
          i32[(w << 4) + COLOUR] = i32[(p << 4) + COLOUR];
          i32[(p << 4) + COLOUR] = BLACK;
          if (i32[(w << 4) + LEFT] !== NIL) i32[(i32[(w << 4) + LEFT] << 4) + COLOUR] = BLACK;
          this.rotateRight(p);
          node = this.root;
          parent = NIL;
        }
      }
    }
    if (node !== NIL) i32[(node << 4) + COLOUR] = BLACK;
  }
}
