/* SPDX-License-Identifier: MIT */
/* Timing for benchmarks: rounds alternate the contenders; the median counts. */
#ifndef FPVM_BENCH_H
#define FPVM_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * A benchmark that needs a KVM and finds none is skipped with its reason
 * (meson's status 77), as the test suites are, never failed.
 */
#define BENCH_SKIP 77

static inline bool bench_kvm_usable(const char *name, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("%s: skipped: no usable KVM: %s: %s\n", name, path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

#endif
