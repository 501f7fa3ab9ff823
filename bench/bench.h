/* SPDX-License-Identifier: MIT */
/* Timing for benchmarks: rounds alternate the contenders; the median counts. */
#ifndef FPVM_BENCH_H
#define FPVM_BENCH_H

#include <stdlib.h>
#include <time.h>

#define ROUNDS 9

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), bench_cmp);
	return v[ROUNDS / 2];
}

#endif
