/* SPDX-License-Identifier: MIT */
/* Timing for benchmarks: rounds alternate the contenders; the median counts. */
#ifndef FPVM_BENCH_H
#define FPVM_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
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

/* Benchmarks that run fpvm as a process, rounds at a time (startup, snapshot). */
#define BENCH_MAX_ROUNDS 200

extern char **environ;

/* The median of @n <= BENCH_MAX_ROUNDS values, leaving @in as it is. */
static inline double bench_median_of(const double *in, unsigned int n)
{
	double v[BENCH_MAX_ROUNDS];

	memcpy(v, in, n * sizeof(*v));
	qsort(v, n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One process, stdout to @out and stderr to /dev/null; its wall time, or < 0. */
static inline double bench_spawn_to(char *const argv[], const char *out, int *status)
{
	posix_spawn_file_actions_t fa;
	double t0 = bench_now();
	pid_t pid;
	int ws;

	*status = -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &ws, 0) != pid)
		return -1;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return bench_now() - t0;
}

/*
 * Where contenders each start a VM, KVM_CREATE_VM and the VM's destruction
 * wait for RCU grace periods (the NX-recovery thread's cgroup attach, its
 * kthread_stop, SRCU cleanup: docs/performance.md, "Where the rest goes"),
 * and how long depends on what ran just before: a grace period another VM
 * started may still be under way, its workers still freeing.  So each
 * round runs the contenders in a fresh order (a fixed-seed xorshift, so a
 * run repeats), and every start waits BENCH_SETTLE_MS for the previous
 * one's deferred work to end: no contender always follows the same one or
 * inherits its leftovers.
 */
#define BENCH_SETTLE_MS 50
#define BENCH_SEED	0x9e3779b97f4a7c15ULL	/* bench_round_order()'s first state */

static inline void bench_round_order(unsigned int *order, unsigned int n, uint64_t *seed)
{
	for (unsigned int i = 0; i < n; i++)
		order[i] = i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j, k;

		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		j = (unsigned int)(*seed % (i + 1));
		k = order[i];
		order[i] = order[j];
		order[j] = k;
	}
}

static inline void bench_settle(void)
{
	struct timespec ts = { 0, BENCH_SETTLE_MS * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One process, stdout and stderr to /dev/null; its wall time, or < 0. */
static inline double bench_spawn_wait(char *const argv[], int *status)
{
	return bench_spawn_to(argv, "/dev/null", status);
}

/* A number after "key": in a --stats=json file, or -1. */
static inline double bench_json_number(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(text, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* A small text file into @buf, NUL-terminated; -1 if empty or unreadable. */
static inline int bench_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
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

/*
 * The arguments FPVM KVM_FLOOR GUEST_DIR [ROUNDS] of the benchmarks that set
 * fpvm against the raw floor: 0 and *@rounds, or the status to exit with
 * (a usage error, or a skip without KVM).
 */
static inline int bench_floor_args(const char *name, int argc, char **argv, unsigned int def,
				   unsigned int *rounds)
{
	*rounds = argc > 4 ? (unsigned int)atoi(argv[4]) : def;
	if (argc < 4 || *rounds < 3 || *rounds > BENCH_MAX_ROUNDS) {
		fprintf(stderr, "usage: bench_%s FPVM KVM_FLOOR GUEST_DIR [ROUNDS 3..%d]\n", name,
			BENCH_MAX_ROUNDS);
		return 64;
	}
	return bench_kvm_usable(name, "/dev/kvm") ? 0 : BENCH_SKIP;
}

#endif
