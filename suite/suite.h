/* SPDX-License-Identifier: MIT */
/*
 * Suites of test guests: a manifest of tests, each run as its own fpvm
 * process, and reports of how they ended (TAP13, JUnit XML, JSON).
 * Nothing here knows KVM: requirements are judged by the command, which
 * marks the tests it skips before suite_run().
 */
#ifndef FPVM_SUITE_H
#define FPVM_SUITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"

#define SUITE_DEFAULT_TIMEOUT_MS	30000
#define SUITE_NAME_MAX			200	/* NAME.log.stats must fit a file name */
#define SUITE_MAX_TESTS		4096	/* in a manifest, or in merged reports */
#define SUITE_TAIL_LINES		10	/* of a failed test's log, in TAP */

enum suite_result {
	SUITE_NOT_RUN,		/* not selected, or the run was interrupted first */
	SUITE_PASS,
	SUITE_FAIL,
	SUITE_TIMEOUT,
	SUITE_SKIP,
};

/* A list of words, as a value of args, options, groups or requires. */
struct suite_words {
	char **w;
	unsigned int nr;
	unsigned int line;	/* of its key in the manifest; 0 when absent */
};

/* How a manifest is written: fpvm's keys, or kvm-unit-tests' unittests.cfg. */
enum suite_dialect {
	SUITE_DIALECT_FPVM,
	SUITE_DIALECT_KVM_UNIT_TESTS,
};

struct suite_test {
	char *name;
	unsigned int line;		/* of its [name] */
	char *guest;			/* resolved against the guest directory */
	struct suite_words args;	/* the guest's arguments */
	struct suite_words options;	/* extra 'fpvm run' options */
	struct suite_words groups;
	struct suite_words requires;
	unsigned int cpus;		/* 0: fpvm's default */
	char *mem;			/* NULL: fpvm's default */
	unsigned int mem_line;		/* of the key that set it */
	uint64_t timeout_ms;
	int expect;			/* the exit status that passes */
	int skip_status;		/* the status of a test that skipped itself; 0: none */
	char *output;			/* text the log must hold, or NULL */

	bool selected;
	enum suite_result result;
	int status;			/* fpvm's exit status; -1 when killed */
	char reason[256];		/* why it failed or was skipped */
	uint64_t duration_ms;
	char *log_path;
};

struct suite {
	char *path;			/* the manifest */
	char *name;			/* its file name without .cfg */
	struct suite_test *tests;
	unsigned int nr;
	uint64_t duration_ms;
	int interrupted;			/* the signal that stopped the run, or 0 */
};

/* suite->interrupted of a merge one of whose shards was interrupted. */
#define SUITE_INTERRUPTED_SHARD	(-1)
#define SUITE_MAX_SHARDS	4096	/* as many as a manifest has tests */

/*
 * Parses manifest @text (from @path, which names it in errors: "path:line:
 * problem").  Relative guest paths resolve against @guest_dir.
 */
int suite_parse(const char *text, const char *path, const char *guest_dir,
		enum suite_dialect dialect, struct suite *s, struct fpvm_error *err);
int suite_load(const char *path, const char *guest_dir, enum suite_dialect dialect,
	       struct suite *s, struct fpvm_error *err);
void suite_free(struct suite *s);
/* s->path is @path, s->name its file name without .cfg. */
int suite_set_names(struct suite *s, const char *path, struct fpvm_error *err);

/* Selects tests in any of @groups (none: all) whose name matches any of @globs (none: all). */
unsigned int suite_select(struct suite *s, char *const *groups, unsigned int nr_groups,
			  char *const *globs, unsigned int nr_globs);
bool suite_in_group(const struct suite_test *t, const char *group);

struct suite_run_cfg {
	const char *fpvm;		/* the fpvm executable each test runs */
	const char *kvm_path;
	const char *log_dir;
	unsigned int jobs;
	int timeout_status;		/* fpvm run's status when its --timeout expires */
	bool progress;			/* a progress line on stderr */
	FILE *tap;			/* TAP13, as tests end; NULL: none */
};

/*
 * Runs every selected test not already skipped, @jobs at a time.  SIGINT
 * or SIGTERM stops them all; what finished keeps its result and
 * s->interrupted tells.  Returns 0, or a negative errno with @err set.
 */
int suite_run(struct suite *s, const struct suite_run_cfg *c, struct fpvm_error *err);

/*
 * The 'fpvm run' words a test gives: --cpus, --mem, its options and the
 * guest, into @argv (room for 5 + options.nr); @cpus holds the number.
 * Returns how many.  fpvm test checks them with run's parser, then runs them.
 */
unsigned int suite_run_words(const struct suite_test *t, char cpus[16], char **argv);

/*
 * Shards (shard.c).  suite_shard_of(): the stable shard (0..@n-1) of a test
 * name, which no other test moves.  suite_shard(): keeps selected only the
 * selected tests of shard @k (0-based) of @n; with @timings (an earlier
 * report, suite_load_report()), the tests it knows are spread longest
 * first onto the least loaded shard, the others stay on their stable
 * shard.  Returns how many stay selected, or -1 out of memory.
 * suite_parse_shard(): "K/N" (1 <= K <= N) into a 0-based @k and @n; -1
 * when malformed.
 */
unsigned int suite_shard_of(const char *name, unsigned int n);
int suite_shard(struct suite *s, unsigned int k, unsigned int n, const struct suite *timings);
int suite_parse_shard(const char *arg, unsigned int *k, unsigned int *n);

/*
 * Reading fpvm test's JSON reports back (merge.c): every result of report
 * @text (from @path, named in errors) is appended to @s, selected, with
 * its result, status, expected status, duration, reason, log and groups.
 * The first report names the suite; durations add up; a test already in
 * @s is an error (the same shard merged twice).  suite_free() the suite.
 */
int suite_read_report(const char *text, size_t len, const char *path, struct suite *s,
		      struct fpvm_error *err);
int suite_load_report(const char *path, struct suite *s, struct fpvm_error *err);

/* Reports (report.c). */
void suite_tap_plan(FILE *f, const struct suite *s);
void suite_tap_result(FILE *f, const struct suite_test *t, unsigned int number);
void suite_print_junit(FILE *f, const struct suite *s);
void suite_print_json(FILE *f, const struct suite *s);
const char *suite_result_name(enum suite_result r);
/* The last @lines lines of a test's log, or "" (caller frees). */
char *suite_log_tail(const struct suite_test *t, unsigned int lines, size_t max);

#endif
