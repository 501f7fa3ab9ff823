// SPDX-License-Identifier: MIT
/*
 * Shards: a suite split over N runners (a CI matrix, a Kubernetes Indexed
 * Job), each running 'fpvm test --shard K/N'.  Every runner computes the
 * same split on its own, with no coordinator, so the split is a pure
 * function of the selected test names and, optionally, an earlier report's
 * durations.
 */
#include <stdlib.h>
#include <string.h>

#include "suite.h"

/*
 * FNV-1a, 64 bits: a test's shard depends on its own name alone, so
 * adding or removing another test never moves it.
 */
unsigned int suite_shard_of(const char *name, unsigned int n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (unsigned int)(h % n);
}

struct timed {
	struct suite_test *t;
	uint64_t ms;
};

static int by_name(const void *a, const void *b)
{
	const struct suite_test *x = *(struct suite_test *const *)a;
	const struct suite_test *y = *(struct suite_test *const *)b;

	return strcmp(x->name, y->name);
}

/* Longest first; equal durations by name, so every runner sorts alike. */
static int longest_first(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? 1 : -1;
	return strcmp(x->t->name, y->t->name);
}

/* Earlier durations of the tests that ran, sorted by name; NULL when none. */
static struct suite_test **index_timings(const struct suite *timings, unsigned int *nr)
{
	struct suite_test **idx = NULL;

	*nr = 0;
	if (timings && timings->nr)
		idx = malloc(timings->nr * sizeof(*idx));
	for (unsigned int i = 0; idx && i < timings->nr; i++)
		if (timings->tests[i].result != SUITE_NOT_RUN)
			idx[(*nr)++] = &timings->tests[i];
	if (idx)
		qsort(idx, *nr, sizeof(*idx), by_name);
	return idx;
}

static const struct suite_test *find(struct suite_test **idx, unsigned int nr, const char *name)
{
	struct suite_test key = { .name = (char *)name }, *k = &key, **hit;

	hit = idx ? bsearch(&k, idx, nr, sizeof(*idx), by_name) : NULL;
	return hit ? *hit : NULL;
}

int suite_shard(struct suite *s, unsigned int k, unsigned int n, const struct suite *timings)
{
	unsigned int nr_idx, nr_timed = 0, kept = 0;
	struct suite_test **idx = index_timings(timings, &nr_idx);
	struct timed *timed = calloc(s->nr + 1, sizeof(*timed));
	uint64_t *load = calloc(n, sizeof(*load)), known = 0;
	unsigned int *shard = calloc(s->nr + 1, sizeof(*shard));

	if ((timings && timings->nr && !idx) || !timed || !load || !shard) {
		free(idx);
		free(timed);
		free(load);
		free(shard);
		return -1;
	}
	for (unsigned int i = 0; i < s->nr; i++) {
		const struct suite_test *old;

		if (!s->tests[i].selected)
			continue;
		old = find(idx, nr_idx, s->tests[i].name);
		if (old) {
			timed[nr_timed++] = (struct timed){ &s->tests[i], old->duration_ms };
			known += old->duration_ms;
		}
	}
	/*
	 * Tests the report does not know go to their stable shard, each
	 * counted at the known tests' mean; then the known ones, longest
	 * first, each onto the least loaded shard (Graham's LPT rule: within
	 * 4/3 of the best split).
	 */
	for (unsigned int i = 0; i < s->nr; i++) {
		if (!s->tests[i].selected || find(idx, nr_idx, s->tests[i].name))
			continue;
		shard[i] = suite_shard_of(s->tests[i].name, n);
		load[shard[i]] += nr_timed ? known / nr_timed : 0;
	}
	qsort(timed, nr_timed, sizeof(*timed), longest_first);
	for (unsigned int i = 0; i < nr_timed; i++) {
		unsigned int least = 0;

		for (unsigned int j = 1; j < n; j++)
			if (load[j] < load[least])
				least = j;
		load[least] += timed[i].ms;
		shard[timed[i].t - s->tests] = least;
	}
	for (unsigned int i = 0; i < s->nr; i++) {
		if (s->tests[i].selected && shard[i] != k)
			s->tests[i].selected = false;
		kept += s->tests[i].selected;
	}
	free(idx);
	free(timed);
	free(load);
	free(shard);
	return (int)kept;
}

int suite_parse_shard(const char *arg, unsigned int *k, unsigned int *n)
{
	char *end;
	unsigned long kk, nn;

	if (*arg < '0' || *arg > '9')
		return -1;
	kk = strtoul(arg, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	nn = strtoul(end + 1, &end, 10);
	if (*end || nn < 1 || nn > SUITE_MAX_SHARDS || kk < 1 || kk > nn)
		return -1;
	*k = (unsigned int)kk - 1;
	*n = (unsigned int)nn;
	return 0;
}
