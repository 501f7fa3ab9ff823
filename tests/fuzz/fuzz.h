/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target shares: libFuzzer's entry point, which replay.c
 * also calls in the normal build, and the check that turns a broken
 * invariant into a finding.
 */
#ifndef FPVM_TESTS_FUZZ_H
#define FPVM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A wrong answer is as much a bug as a crash, but only a crash makes
 * libFuzzer keep the input: abort, naming the invariant.
 */
#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

#endif
