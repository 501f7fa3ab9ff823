/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM mapped: one anonymous mapping laid out as loader/guest_mem.h
 * describes it.
 */
#ifndef FPVM_VMM_MEM_H
#define FPVM_VMM_MEM_H

#include <stdint.h>

#include "../base/error.h"
#include "../loader/guest_mem.h"

int guest_mem_alloc(struct guest_mem *mem, uint64_t size, struct fpvm_error *err);
void guest_mem_free(struct guest_mem *mem);
/* No transparent huge pages for guest RAM: a hint (mem.c says why). */
void guest_mem_small_pages(const struct guest_mem *mem);

#endif
