/* SPDX-License-Identifier: MIT */
/* Stands in for the kernel header of this name: see ../kernel-shim.h. */
#include "../kernel-shim.h"
