/**
 * A red-black tree of IOVA ranges keyed by pfnLo, with stable node handles.
 *
 * Linux keeps pointers to tree nodes across the erase of other nodes (the cached nodes of iova.c
 * become `rb_next(freed)` before the erase), so erase relinks nodes and never moves a key from one
 * node to another. Balancing follows the textbook algorithm (the same cases as lib/rbtree.c); only
 * the in-order sequence is observable to the allocator, the shape only affects running time.
 * Each node also links to its in-order neighbours: the allocation walk is a chain of rb_prev()
 * calls, and a link makes each one a single load instead of a climb through the tree.
 *
 * An augmented tree (number pfns) also keeps, per subtree, its node count and the largest gap below
 * any of its nodes, so the allocator can find the next gap of a given size below a node, and count
 * the nodes in between, in O(log n) — the walk's result and its step count without the walk.
 */
export class RbNode<P extends number | bigint> {
  pfnLo: P;
  pfnHi: P;
  left: RbNode<P> | null = null;
  right: RbNode<P> | null = null;
  parent: RbNode<P> | null = null;
  red = true;
  /** In-order neighbours, kept on insert and erase so that rb_prev()/rb_next() are one load. */
  prevNode: RbNode<P> | null = null;
  nextNode: RbNode<P> | null = null;
  /**
   * Augmentation (trees built with `augmented`, number pfns only): nodes in this subtree; this
   * node's gap (free pfns between its predecessor's pfnHi and its pfnLo; Infinity for the lowest
   * node); the largest gap in this subtree.
   */
  count = 1;
  gap = 0;
  maxGap = 0;

  constructor(pfnLo: P, pfnHi: P) {
    this.pfnLo = pfnLo;
    this.pfnHi = pfnHi;
  }
}

export class RbTree<P extends number | bigint> {
  root: RbNode<P> | null = null;
  size = 0;

  constructor(readonly augmented = false) {}

  /** The gap below `node`: free pfns since its predecessor (Infinity for the lowest node). */
  private gapOf(node: RbNode<P>): number {
    const before = node.prevNode;
    return before === null ? Infinity : (node.pfnLo as number) - (before.pfnHi as number) - 1;
  }

  private update(node: RbNode<P>): void {
    const left = node.left;
    const right = node.right;
    let count = 1;
    let maxGap = node.gap;
    if (left !== null) {
      count += left.count;
      if (left.maxGap > maxGap) maxGap = left.maxGap;
    }
    if (right !== null) {
      count += right.count;
      if (right.maxGap > maxGap) maxGap = right.maxGap;
    }
    node.count = count;
    node.maxGap = maxGap;
  }

  /**
   * Repairs the augmentation above a change, in one climb from `from` towards the root (the kernel's
   * augmented rbtree callbacks do the same: propagate until nothing changes). `countFrom` (`from` or
   * an ancestor; null: no count changes) is where the tree's shape changed: it and every node above
   * it get `countDelta`. `gapChanged` (on the path, or null) is a node whose own gap changed. Largest
   * gaps are recomputed until both points are behind and one comes out unchanged: above that no
   * largest gap can change, and the rest of the climb only adjusts counts.
   */
  private climb(from: RbNode<P> | null, countFrom: RbNode<P> | null, countDelta: number, gapChanged: RbNode<P> | null): void {
    let node = from;
    let counting = countFrom === null;
    let pendingGap = gapChanged;
    while (node !== null) {
      if (node === countFrom) counting = true;
      if (countFrom !== null && counting) node.count += countDelta;
      if (node === pendingGap) pendingGap = null;
      let maxGap = node.gap;
      const left = node.left;
      const right = node.right;
      if (left !== null && left.maxGap > maxGap) maxGap = left.maxGap;
      if (right !== null && right.maxGap > maxGap) maxGap = right.maxGap;
      const unchanged = maxGap === node.maxGap;
      node.maxGap = maxGap;
      node = node.parent;
      if (unchanged && counting && pendingGap === null) break;
    }
    if (countFrom !== null) for (; node !== null; node = node.parent) node.count += countDelta;
  }

  /** After a node's pfnLo moved (reserve_iova stretches ranges in place): its gap changed. */
  updateGap(node: RbNode<P>): void {
    if (!this.augmented) return;
    node.gap = this.gapOf(node);
    this.climb(node, null, 0, node);
  }

  /** Nodes before `node` in order. */
  rank(node: RbNode<P>): number {
    let rank = node.left === null ? 0 : node.left.count;
    for (let child = node, parent = node.parent; parent !== null; child = parent, parent = parent.parent) {
      if (child === parent.right) rank += 1 + (parent.left === null ? 0 : parent.left.count);
    }
    return rank;
  }

  /** The last node in order within `root`'s subtree whose gap is at least `size`, or null. */
  private lastWithGapIn(root: RbNode<P> | null, size: number): RbNode<P> | null {
    let node = root;
    while (node !== null && node.maxGap >= size) {
      if (node.right !== null && node.right.maxGap >= size) node = node.right;
      else if (node.gap >= size) return node;
      else node = node.left;
    }
    return null;
  }

  /** Going down in order from `start` (included), the first node whose gap is at least `size`. */
  lastWithGapFrom(start: RbNode<P>, size: number): RbNode<P> | null {
    if (start.gap >= size) return start;
    const below = this.lastWithGapIn(start.left, size);
    if (below !== null) return below;
    for (let child = start, parent = start.parent; parent !== null; child = parent, parent = parent.parent) {
      if (child !== parent.right) continue;
      if (parent.gap >= size) return parent;
      const found = this.lastWithGapIn(parent.left, size);
      if (found !== null) return found;
    }
    return null;
  }

  /** The last node in order with pfnLo below `pfn`, or null. */
  lastBelow(pfn: P): RbNode<P> | null {
    let node = this.root;
    let best: RbNode<P> | null = null;
    while (node !== null) {
      if (node.pfnLo < pfn) {
        best = node;
        node = node.right;
      } else {
        node = node.left;
      }
    }
    return best;
  }

  first(): RbNode<P> | null {
    let node = this.root;
    if (node === null) return null;
    while (node.left !== null) node = node.left;
    return node;
  }

  last(): RbNode<P> | null {
    let node = this.root;
    if (node === null) return null;
    while (node.right !== null) node = node.right;
    return node;
  }

  /** rb_prev(): the in-order predecessor, or null. */
  prev(node: RbNode<P>): RbNode<P> | null {
    return node.prevNode;
  }

  /** rb_next(): the in-order successor, or null. */
  next(node: RbNode<P>): RbNode<P> | null {
    return node.nextNode;
  }

  /** The node whose range holds pfn, or null (private_find_iova()). */
  findContaining(pfn: P): RbNode<P> | null {
    let node = this.root;
    while (node !== null) {
      if (pfn < node.pfnLo) node = node.left;
      else if (pfn > node.pfnHi) node = node.right;
      else return node;
    }
    return null;
  }

  /** The lowest node with pfnLo >= pfn, or null. */
  lowerBound(pfn: P): RbNode<P> | null {
    let node = this.root;
    let best: RbNode<P> | null = null;
    while (node !== null) {
      if (node.pfnLo >= pfn) {
        best = node;
        node = node.left;
      } else {
        node = node.right;
      }
    }
    return best;
  }

  /**
   * Links `node` in key order, descending from `hint` when given (iova_insert_rbtree() starts at
   * the node the allocation walk stopped at; the key must belong in hint's subtree) or else from the
   * root. Returns false, leaving the tree unchanged, when a node with the same pfnLo exists.
   */
  insert(node: RbNode<P>, hint: RbNode<P> | null = null): boolean {
    let parent: RbNode<P> | null = null;
    let current = hint ?? this.root;
    let goLeft = false;
    const key = node.pfnLo;
    while (current !== null) {
      parent = current;
      if (key < current.pfnLo) {
        goLeft = true;
        current = current.left;
      } else if (key > current.pfnLo) {
        goLeft = false;
        current = current.right;
      } else {
        return false;
      }
    }
    node.parent = parent;
    node.left = null;
    node.right = null;
    node.red = true;
    if (parent === null) this.root = node;
    else if (goLeft) parent.left = node;
    else parent.right = node;
    // A new leaf's neighbours: going left, the parent follows it; going right, the parent precedes it.
    const before = parent === null ? null : goLeft ? parent.prevNode : parent;
    const after = parent === null ? null : goLeft ? parent : parent.nextNode;
    node.prevNode = before;
    node.nextNode = after;
    if (before !== null) before.nextNode = node;
    if (after !== null) after.prevNode = node;
    this.size++;
    if (this.augmented) {
      // The new leaf's successor is one of its ancestors (its gap shrank), so one climb repairs both.
      node.count = 1;
      node.gap = this.gapOf(node);
      node.maxGap = node.gap;
      if (after !== null) after.gap = this.gapOf(after);
      this.climb(parent, parent, 1, after);
    }
    this.insertFixup(node);
    return true;
  }

  private rotateLeft(x: RbNode<P>): void {
    const y = x.right as RbNode<P>;
    x.right = y.left;
    if (y.left !== null) y.left.parent = x;
    y.parent = x.parent;
    if (x.parent === null) this.root = y;
    else if (x === x.parent.left) x.parent.left = y;
    else x.parent.right = y;
    y.left = x;
    x.parent = y;
    if (this.augmented) {
      this.update(x);
      this.update(y);
    }
  }

  private rotateRight(x: RbNode<P>): void {
    const y = x.left as RbNode<P>;
    x.left = y.right;
    if (y.right !== null) y.right.parent = x;
    y.parent = x.parent;
    if (x.parent === null) this.root = y;
    else if (x === x.parent.right) x.parent.right = y;
    else x.parent.left = y;
    y.right = x;
    x.parent = y;
    if (this.augmented) {
      this.update(x);
      this.update(y);
    }
  }

  private insertFixup(z: RbNode<P>): void {
    let node = z;
    let parent = node.parent;
    while (parent !== null && parent.red) {
      const grand = parent.parent as RbNode<P>;
      if (parent === grand.left) {
        const uncle = grand.right;
        if (uncle !== null && uncle.red) {
          parent.red = false;
          uncle.red = false;
          grand.red = true;
          node = grand;
        } else {
          if (node === parent.right) {
            node = parent;
            this.rotateLeft(node);
          }
          const p = node.parent as RbNode<P>;
          p.red = false;
          grand.red = true;
          this.rotateRight(grand);
        }
      } else {
        const uncle = grand.left;
        if (uncle !== null && uncle.red) {
          parent.red = false;
          uncle.red = false;
          grand.red = true;
          node = grand;
        } else {
          if (node === parent.left) {
            node = parent;
            this.rotateRight(node);
          }
          const p = node.parent as RbNode<P>;
          p.red = false;
          grand.red = true;
          this.rotateLeft(grand);
        }
      }
      parent = node.parent;
    }
    (this.root as RbNode<P>).red = false;
  }

  private transplant(u: RbNode<P>, v: RbNode<P> | null): void {
    if (u.parent === null) this.root = v;
    else if (u === u.parent.left) u.parent.left = v;
    else u.parent.right = v;
    if (v !== null) v.parent = u.parent;
  }

  /** rb_erase(): unlinks `z`; every other node keeps its key and identity. */
  erase(z: RbNode<P>): void {
    let child: RbNode<P> | null;
    let childParent: RbNode<P> | null;
    let removedRed = z.red;
    // Where the augmentation climb starts: the successor when it sits below z (z has only a right
    // child), else the removed position's parent (the successor, if any, is then on the way up).
    const climbFrom = z.left === null && z.right !== null ? z.nextNode : null;
    if (z.left === null) {
      child = z.right;
      childParent = z.parent;
      this.transplant(z, z.right);
    } else if (z.right === null) {
      child = z.left;
      childParent = z.parent;
      this.transplant(z, z.left);
    } else {
      let y = z.right;
      while (y.left !== null) y = y.left;
      removedRed = y.red;
      child = y.right;
      if (y.parent === z) {
        childParent = y;
      } else {
        childParent = y.parent;
        this.transplant(y, y.right);
        y.right = z.right;
        y.right.parent = y;
      }
      this.transplant(z, y);
      y.left = z.left;
      y.left.parent = y;
      y.red = z.red;
      // y takes z's place and subtree: z's count, less the one removed (applied by the climb).
      y.count = z.count;
    }
    const after = z.nextNode;
    if (z.prevNode !== null) z.prevNode.nextNode = after;
    if (after !== null) after.prevNode = z.prevNode;
    z.left = z.right = z.parent = z.prevNode = z.nextNode = null;
    this.size--;
    if (this.augmented) {
      if (after !== null) after.gap = this.gapOf(after);
      this.climb(climbFrom ?? childParent, childParent, -1, after);
    }
    if (!removedRed) this.eraseFixup(child, childParent);
  }

  private eraseFixup(x: RbNode<P> | null, xParent: RbNode<P> | null): void {
    let node = x;
    let parent = xParent;
    while (node !== this.root && (node === null || !node.red)) {
      const p = parent as RbNode<P>;
      if (node === p.left) {
        let w = p.right as RbNode<P>;
        if (w.red) {
          w.red = false;
          p.red = true;
          this.rotateLeft(p);
          w = p.right as RbNode<P>;
        }
        if ((w.left === null || !w.left.red) && (w.right === null || !w.right.red)) {
          w.red = true;
          node = p;
          parent = p.parent;
        } else {
          if (w.right === null || !w.right.red) {
            (w.left as RbNode<P>).red = false;
            w.red = true;
            this.rotateRight(w);
            w = p.right as RbNode<P>;
          }
          w.red = p.red;
          p.red = false;
          if (w.right !== null) w.right.red = false;
          this.rotateLeft(p);
          node = this.root;
          parent = null;
        }
      } else {
        let w = p.left as RbNode<P>;
        if (w.red) {
          w.red = false;
          p.red = true;
          this.rotateRight(p);
          w = p.left as RbNode<P>;
        }
        if ((w.left === null || !w.left.red) && (w.right === null || !w.right.red)) {
          w.red = true;
          node = p;
          parent = p.parent;
        } else {
          if (w.left === null || !w.left.red) {
            (w.right as RbNode<P>).red = false;
            w.red = true;
            this.rotateLeft(w);
            w = p.left as RbNode<P>;
          }
          w.red = p.red;
          p.red = false;
          if (w.left !== null) w.left.red = false;
          this.rotateRight(p);
          node = this.root;
          parent = null;
        }
      }
    }
    if (node !== null) node.red = false;
  }
}
