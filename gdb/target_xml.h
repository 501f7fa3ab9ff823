/* SPDX-License-Identifier: MIT */
/*
 * The target description gdb reads with qXfer:features:read:target.xml
 * (gdb's manual, "Target Descriptions"): x86-64's core, SSE and segment
 * features, then AVX, AVX-512 and PKU as the vCPU's XCR0 enables them.
 * Pure: a function of the register set (regs.h).
 */
#ifndef FPVM_GDB_TARGET_XML_H
#define FPVM_GDB_TARGET_XML_H

#include <stddef.h>

#include "regs.h"

/* The description into @buf; returns its length, or 0 when @size is too small. */
size_t gdb_target_xml(const struct gdb_regset *set, char *buf, size_t size);

#endif
