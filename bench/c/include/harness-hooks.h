/* SPDX-License-Identifier: MIT */
/*
 * Forced into the harness's translation unit (gcc -include) before anything else, so that the
 * kernel's iova.c, compiled unmodified inside it, calls these instead of lib/rbtree.c's
 * functions of the same name; each hook counts and then calls the real function, which lives
 * in rbtree.o (compiled without this header), as rb_prev() does in the kernel.
 *
 *   rb_prev()          one call per step of the allocation walk in __alloc_and_insert_iova_range
 *                      (iova.c calls it nowhere else, in every version this harness builds): the
 *                      trace format's `visits`. The hook costs one increment and one compare per
 *                      step (the compare catches a walk that would never end: see
 *                      harness_abandon_walk in iova-harness.c).
 *   rb_insert_color()  and rb_erase(): the number of nodes in the tree, for `stats` and for the
 *                      step limit; one increment or decrement per insert or erase.
 *
 * The macros also rename the declarations in rbtree.h, which then declare the hooks.
 */
#ifndef IOVASIM_HARNESS_HOOKS_H
#define IOVASIM_HARNESS_HOOKS_H

struct rb_node;
struct rb_root;

#define rb_prev(node) harness_rb_prev(node)
#define rb_insert_color(node, root) harness_rb_insert_color(node, root)
#define rb_erase(node, root) harness_rb_erase(node, root)

#endif /* IOVASIM_HARNESS_HOOKS_H */
