#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the C harness from Debian's packaged kernel source, for machines without a kernel tree
# (CI installs the package; see .ci/run):
#
#   apt-get install linux-source-6.1 gcc xz-utils
#   bash bench/c/build-debian.sh OUTDIR
#
# Debian 12's linux-source-6.1 (6.1.192 at the time of writing) carries the iova.c of 6.1.7
# (blob fe452ce46642, checked below): the harness then prints the golden 6.1.7/ outputs, so run
# the harness tests with IOVASIM_C_HARNESS_KERNEL=6.1.7. Only the six files build.sh needs are
# taken from the tarball, into a temporary folder that is removed afterwards.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "build-debian.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: bash bench/c/build-debian.sh OUTDIR"
tarball="${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}"
[ -f "$tarball" ] || fail "$tarball not found (apt-get install linux-source-6.1, or set LINUX_SOURCE_TARBALL)"
top="$(basename "$tarball" .tar.xz)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xJf "$tarball" -C "$work" \
  "$top/drivers/iommu/iova.c" "$top/include/linux/iova.h" "$top/lib/rbtree.c" \
  "$top/include/linux/rbtree.h" "$top/include/linux/rbtree_augmented.h" "$top/include/linux/rbtree_types.h" \
  || fail "could not take the harness's files out of $tarball"
blob="$(git hash-object "$work/$top/drivers/iommu/iova.c" 2>/dev/null || echo unknown)"
case "$blob" in
  fe452ce46642*) ;;
  *) echo "build-debian.sh: note: $tarball's iova.c is blob $blob, not 6.1.7's fe452ce46642: find the golden folder it matches before testing" >&2 ;;
esac
KERNEL_SRC="$work/$top" bash "$here/build.sh" "$1"
