// SPDX-License-Identifier: MIT
/*
 * fpvm test's report files (--junit, --json), for a run and for --merge
 * alike.  They are files the user names, opened as named, so /dev/stdout or
 * a FIFO works; a failure names the option (status 74).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../suite/suite.h"
#include "cmd.h"

static int write_report(const char *option, const char *path, const struct suite *s,
			void (*print)(FILE *, const struct suite *))
{
	FILE *f;

	if (!path)
		return 0;
	errno = 0;
	f = fopen(path, "w");
	if (f) {
		bool bad;

		print(f, s);
		bad = ferror(f);
		if (!fclose(f) && !bad)
			return 0;
	}
	fprintf(stderr, "fpvm: %s %s: %s\n", option, path, strerror(errno ? errno : EIO));
	return FPVM_EXIT_IOERR;
}

int test_write_reports(const struct test_opts *o, const struct suite *s)
{
	int junit = write_report("--junit", o->junit_path, s, suite_print_junit);
	int json = write_report("--json", o->json_path, s, suite_print_json);

	return junit ?: json;
}
