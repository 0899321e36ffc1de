#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds bench/c/iova-harness against a kernel tree that is not in this repository:
#
#   KERNEL_SRC=/tmp/kernel-src bash bench/c/build.sh OUTDIR
#
# KERNEL_SRC is a Linux tree, or just the files of one that the harness needs (at their paths in
# the tree): drivers/iommu/iova.c, include/linux/iova.h, lib/rbtree.c, include/linux/rbtree.h,
# include/linux/rbtree_augmented.h and, from 5.15 on, include/linux/rbtree_types.h. They are
# copied to OUTDIR/kernel (so a full tree's other headers never shadow bench/c/include's shims)
# and compiled with gcc -O2, unmodified; OUTDIR/build-info.txt records their git blob ids.
# A missing file or tool is one line on stderr and exit status 1.
#
# Which tree matches which golden folder (../shared/conformance/README.md gives the blob ids):
# v7.0 with fa8fb60d3637 ("iommu/iova: Add NULL check in iova_magazine_free()") applied (iova.c
# 021daf6528de) prints 7.0/; v6.12 (16c6adff3eb7) prints 6.12/, which equals 7.0/; v5.19
# (db77aa675145) prints 5.19/. The rbtree files may come from a newer tree than iova.c (the
# 5.19 build here used 7.0-era ones): lib/rbtree.c's insert and erase cases have been the same
# since 2012, and a tree's shape changes no output of the golden traces, only timing (and, in a
# case none of them reaches, the visits of iova_find_limit()'s retry: see the conformance README).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: KERNEL_SRC=/path/to/linux bash bench/c/build.sh OUTDIR"
out="$1"
[ -n "${KERNEL_SRC:-}" ] || fail "KERNEL_SRC is not set (the kernel tree to build iova.c from, e.g. KERNEL_SRC=/tmp/kernel-src)"
[ -d "$KERNEL_SRC" ] || fail "KERNEL_SRC=$KERNEL_SRC is not a directory"
command -v "${CC:-gcc}" > /dev/null || fail "${CC:-gcc} not found (set CC to a C compiler)"

files=(drivers/iommu/iova.c include/linux/iova.h lib/rbtree.c include/linux/rbtree.h include/linux/rbtree_augmented.h)
for f in "${files[@]}"; do
  [ -f "$KERNEL_SRC/$f" ] || fail "$KERNEL_SRC/$f is missing (the harness needs ${files[*]} from one kernel tree)"
done
if grep -q 'linux/rbtree_types.h' "$KERNEL_SRC/include/linux/rbtree.h"; then
  [ -f "$KERNEL_SRC/include/linux/rbtree_types.h" ] \
    || fail "$KERNEL_SRC/include/linux/rbtree_types.h is missing (this tree's rbtree.h includes it)"
  files+=(include/linux/rbtree_types.h)
fi

mkdir -p "$out"
rm -rf "$out/kernel"
for f in "${files[@]}"; do
  mkdir -p "$out/kernel/$(dirname "$f")"
  cp "$KERNEL_SRC/$f" "$out/kernel/$f"
done

cc="${CC:-gcc}"
flags=(-O2 -std=gnu11 -I "$here/include" -I "$out/kernel/include")
"$cc" "${flags[@]}" -c "$out/kernel/lib/rbtree.c" -o "$out/rbtree.o"
"$cc" "${flags[@]}" -Wall -Wno-unused-function -include "$here/include/harness-hooks.h" -I "$out/kernel" \
  -c "$here/iova-harness.c" -o "$out/iova-harness.o"
"$cc" -O2 -o "$out/iova-harness" "$out/iova-harness.o" "$out/rbtree.o"

{
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $("$cc" --version | head -n 1), flags -O2 -std=gnu11"
  for f in "${files[@]}"; do
    if command -v git > /dev/null; then
      echo "$f $(git hash-object "$out/kernel/$f")"
    else
      echo "$f (git not found: no blob id)"
    fi
  done
} > "$out/build-info.txt"
echo "built $out/iova-harness (kernel sources: $KERNEL_SRC; blob ids in $out/build-info.txt)"
