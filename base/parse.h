/* SPDX-License-Identifier: MIT */
/*
 * Numbers as users write them, for the command line and for manifests:
 * each returns 0, -EINVAL (not such a number) or -ERANGE.
 */
#ifndef FPVM_BASE_PARSE_H
#define FPVM_BASE_PARSE_H

#include <stdint.h>

int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out);
/* A size with an optional K, M or G suffix; plain numbers are MiB (QEMU's -m). */
int parse_size(const char *s, uint64_t *out);
/*
 * Seconds as a plain decimal (fractions and exponents allowed), rounded up
 * to whole milliseconds: anything above 0 is at least 1 ms, and 0 stays 0
 * for the caller to refuse or accept.  -ERANGE above 10^7 s.
 */
int parse_seconds_ms(const char *s, uint64_t *ms);

#endif
