// SPDX-License-Identifier: MIT
/*
 * The manifest: kvm-unit-tests' unittests.cfg shape, one [name] section
 * per test and key = value lines, with fpvm's keys (docs/testing.md).
 * Every problem is reported as "path:line: problem".
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/parse.h"
#include "suite.h"

#define MANIFEST_MAX	(1 << 20)
#define MAX_WORDS	256
#define MAX_TIMEOUT_MS	86400000	/* a day: anything longer is a typo */

struct parser {
	const char *path;
	const char *guest_dir;
	enum suite_dialect dialect;
	unsigned int line;
	struct suite *s;
	struct fpvm_error *err;
};

static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fpvm_fail(p->err, FPVM_ERR_INPUT, EINVAL, "%s:%u: %s", p->path, p->line, msg);
}

static int no_memory(struct parser *p)
{
	return fpvm_fail(p->err, FPVM_ERR_SYSTEM, ENOMEM, "%s: out of memory", p->path);
}

/*
 * Shell-like words: blanks separate, '...' is literal, "..." and a
 * backslash escape the next character.  No expansion of any kind.
 */
static int split_words(struct parser *p, const char *v, struct suite_words *out)
{
	char *buf = malloc(strlen(v) + 1);

	if (!buf)
		return no_memory(p);
	free(out->w ? out->w[0] : NULL);
	free(out->w);
	*out = (struct suite_words){ .line = p->line };
	out->w = calloc(MAX_WORDS, sizeof(*out->w));
	if (!out->w) {
		free(buf);
		return no_memory(p);
	}
	for (char *o = buf; *v;) {
		char quote = 0;

		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			break;
		if (out->nr == MAX_WORDS)
			return fail(p, "more than %d words", MAX_WORDS);
		out->w[out->nr++] = o;
		for (; *v && (quote || (*v != ' ' && *v != '\t')); v++) {
			if (quote == '\'' && *v == '\'') {
				quote = 0;
			} else if (quote == '\'') {
				*o++ = *v;
			} else if (*v == '\\' && v[1] && (!quote || v[1] == '"' || v[1] == '\\')) {
				*o++ = *++v;
			} else if (*v == '"' || (!quote && *v == '\'')) {
				quote = quote ? 0 : *v;
			} else {
				*o++ = *v;
			}
		}
		if (quote)
			return fail(p, "unterminated %c quote", quote);
		*o++ = '\0';
	}
	if (!out->nr)
		out->w[0] = buf;	/* owned through w[0], as when it has words */
	return 0;
}

static int set_string(struct parser *p, const char *v, char **out)
{
	free(*out);
	*out = strdup(v);
	return *out ? 0 : no_memory(p);
}

static int set_guest(struct parser *p, struct suite_test *t, const char *v)
{
	size_t n;

	if (!*v)
		return fail(p, "guest: empty path");
	free(t->guest);
	t->guest = NULL;
	if (*v == '/' || !p->guest_dir)
		return set_string(p, v, &t->guest);
	n = strlen(p->guest_dir) + strlen(v) + 2;
	t->guest = malloc(n);
	if (!t->guest)
		return no_memory(p);
	snprintf(t->guest, n, "%s/%s", p->guest_dir, v);
	return 0;
}

static int set_key(struct parser *p, struct suite_test *t, const char *key, const char *v)
{
	unsigned int n;

	if (!strcmp(key, "guest"))
		return set_guest(p, t, v);
	if (!strcmp(key, "args"))
		return split_words(p, v, &t->args);
	if (!strcmp(key, "options"))
		return split_words(p, v, &t->options);
	if (!strcmp(key, "groups"))
		return split_words(p, v, &t->groups);
	if (!strcmp(key, "requires"))
		return split_words(p, v, &t->requires);
	if (!strcmp(key, "output"))
		return *v ? set_string(p, v, &t->output) : fail(p, "output: empty text");
	if (!strcmp(key, "mem")) {
		/* fpvm test checks the size with run's parser, and names this line. */
		t->mem_line = p->line;
		return *v ? set_string(p, v, &t->mem) : fail(p, "mem: empty size");
	}
	if (!strcmp(key, "cpus")) {
		if (parse_uint(v, 1, 1024, &t->cpus))
			return fail(p, "cpus '%s': expected 1..1024", v);
		return 0;
	}
	if (!strcmp(key, "expect")) {
		if (parse_uint(v, 0, 255, &n))
			return fail(p, "expect '%s': expected an exit status 0..255", v);
		t->expect = (int)n;
		return 0;
	}
	if (!strcmp(key, "timeout")) {
		if (parse_seconds_ms(v, &t->timeout_ms) || !t->timeout_ms ||
		    t->timeout_ms > MAX_TIMEOUT_MS)
			return fail(p, "timeout '%s': expected seconds, more than 0 and at most %d",
				    v, MAX_TIMEOUT_MS / 1000);
		return 0;
	}
	return fail(p, "unknown key '%s' (guest, args, options, cpus, mem, timeout, expect, "
		    "output, groups, requires)", key);
}

/*
 * kvm-unit-tests' unittests.cfg (its scripts/common.bash reads it): file,
 * smp, test_args, groups, timeout, arch, accel, check, and QEMU's own
 * options in qemu_params/extra_params, of which only -m and -append mean
 * something here.  Tests exit through isa-debug-exit as QEMU maps it:
 * 1 passes, 77 skipped itself (lib/report.c), anything else fails.
 */
static int skip_at_load(struct suite_test *t, const char *fmt, const char *what)
{
	if (t->result != SUITE_SKIP) {
		t->result = SUITE_SKIP;
		snprintf(t->reason, sizeof(t->reason), fmt, what);
	}
	return 0;
}

/* "PATH=VALUE ...": the host settings a test needs, as kvm-unit-tests checks them. */
static int kut_check(struct suite_test *t, const char *v)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		struct fpvm_error ignored;
		char *eq = strchr(w, '=');
		uint8_t *have = NULL;
		size_t n;
		bool holds;

		if (!eq)
			continue;
		*eq = '\0';
		/*
		 * Regular files only (sysfs and procfs are; sysfs says 4096 bytes):
		 * a FIFO must not block us.  What cannot be read does not hold.
		 */
		holds = !file_read_regular(AT_FDCWD, w, 0, 4096, FPVM_ERR_INPUT, &have, &n, &ignored);
		if (holds) {
			have[strcspn((char *)have, "\n")] = '\0';
			holds = !strcmp((char *)have, eq + 1);
		}
		free(have);
		if (!holds) {
			*eq = '=';
			return skip_at_load(t, "check %.200s does not hold on this host", w);
		}
	}
	return 0;
}

static int kut_qemu_params(struct parser *p, struct suite_test *t, const char *v)
{
	struct suite_words w = { 0 };
	int r = split_words(p, v, &w);

	for (unsigned int i = 0; !r && i + 1 < w.nr; i++) {
		if (!strcmp(w.w[i], "-m")) {
			t->mem_line = p->line;
			r = set_string(p, w.w[i + 1], &t->mem);
		}
		else if (!strcmp(w.w[i], "-append"))
			r = split_words(p, w.w[i + 1], &t->args);
	}
	if (w.w)
		free(w.w[0]);
	free(w.w);
	return r;
}

/*
 * timeout(1)'s DURATION, as their runner passes it on: a number with at
 * most one unit after it (s, m, h or d), and within fpvm's own bound.
 */
static int kut_timeout(struct parser *p, struct suite_test *t, const char *v)
{
	static const char units[] = "smhd";
	static const unsigned int scale[] = { 1, 60, 3600, 86400 };
	size_t n = strlen(v);
	const char *unit = n ? strchr(units, v[n - 1]) : NULL;
	unsigned int mul = 1;
	char num[32];
	uint64_t ms;

	if (unit && *unit) {
		mul = scale[unit - units];
		n--;
	}
	if (n >= sizeof(num))
		return fail(p, "timeout '%s': expected seconds", v);
	memcpy(num, v, n);
	num[n] = '\0';
	if (parse_seconds_ms(num, &ms) || !ms || ms > MAX_TIMEOUT_MS / mul)
		return fail(p, "timeout '%s': expected a duration (s, m, h or d) more than 0 "
			    "and at most %d s", v, MAX_TIMEOUT_MS / 1000);
	t->timeout_ms = ms * mul;
	return 0;
}

static int set_kut_key(struct parser *p, struct suite_test *t, const char *key, const char *v)
{
	unsigned int n;

	if (!strcmp(key, "file"))
		return set_guest(p, t, v);
	if (!strcmp(key, "test_args"))
		return split_words(p, v, &t->args);
	if (!strcmp(key, "groups"))
		return split_words(p, v, &t->groups);
	if (!strcmp(key, "qemu_params") || !strcmp(key, "extra_params"))
		return kut_qemu_params(p, t, v);
	if (!strcmp(key, "smp")) {
		/* A shell expression ($MAX_SMP ...) means "as many as the host has". */
		if (!parse_uint(v, 1, 1024, &n))
			t->cpus = n;
		else if (v[0] == '$')
			t->cpus = 0xffff;
		else
			return fail(p, "smp '%s': expected a number", v);
		return 0;
	}
	if (!strcmp(key, "timeout"))
		return kut_timeout(p, t, v);
	if (!strcmp(key, "arch"))
		return strcmp(v, "x86_64") ? skip_at_load(t, "arch %.200s: fpvm runs the x86_64 build",
							  v) : 0;
	if (!strcmp(key, "accel"))
		return strcmp(v, "kvm") ? skip_at_load(t, "accel %.200s: fpvm is KVM only", v) : 0;
	if (!strcmp(key, "check"))
		return kut_check(t, v);
	return 0;	/* keys of other runners (disabled_if, ...) mean nothing here */
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_-.+", *s)))
			return false;
	return true;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int start_test(struct parser *p, char *name)
{
	struct suite *s = p->s;

	if (!valid_name(name))
		return fail(p, "test name '%s': use letters, digits and _ - . +", name);
	if (strlen(name) > SUITE_NAME_MAX)
		return fail(p, "test name '%.40s...': longer than %d characters", name,
			    SUITE_NAME_MAX);
	for (unsigned int i = 0; i < s->nr; i++)
		if (!strcmp(s->tests[i].name, name))
			return fail(p, "test '%s' already defined on line %u", name,
				    s->tests[i].line);
	if (s->nr == SUITE_MAX_TESTS)
		return fail(p, "more than %d tests", SUITE_MAX_TESTS);
	s->tests[s->nr] = (struct suite_test){
		.line = p->line, .timeout_ms = SUITE_DEFAULT_TIMEOUT_MS, .selected = true,
		.name = strdup(name),
	};
	if (p->dialect == SUITE_DIALECT_KVM_UNIT_TESTS) {
		/*
		 * Their default timeout (scripts/runtime.bash), QEMU's default RAM
		 * (128 MiB: sieve needs more than fpvm's 64), their exit convention.
		 */
		s->tests[s->nr].timeout_ms = 90000;
		s->tests[s->nr].mem = strdup("128M");
		s->tests[s->nr].mem_line = p->line;
		if (!s->tests[s->nr].mem)
			return no_memory(p);
		s->tests[s->nr].expect = 1;
		s->tests[s->nr].skip_status = 77;
		s->nr++;
		return split_words(p, "--exit-status=qemu", &s->tests[s->nr - 1].options);
	}
	if (!s->tests[s->nr].name)
		return no_memory(p);
	s->nr++;
	return 0;
}

static int finish_test(struct parser *p)
{
	struct suite_test *t = p->s->nr ? &p->s->tests[p->s->nr - 1] : NULL;

	if (t && !t->guest) {
		if (p->dialect == SUITE_DIALECT_KVM_UNIT_TESTS && t->result == SUITE_SKIP)
			return set_string(p, "/dev/null", &t->guest);	/* skipped: never run */
		p->line = t->line;
		return fail(p, "test '%s' has no guest", t->name);
	}
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	char *l = trim(line), *eq;

	if (!*l || *l == '#' || *l == ';')
		return 0;
	if (*l == '[') {
		char *end = strchr(l, ']');

		if (!end || trim(end + 1)[0])
			return fail(p, "expected [test-name]");
		*end = '\0';
		return finish_test(p) ?: start_test(p, trim(l + 1));
	}
	eq = strchr(l, '=');
	if (!eq)
		return fail(p, "expected key = value or [test-name]");
	*eq = '\0';
	if (!p->s->nr)
		return fail(p, "'%s' before the first [test-name]", trim(l));
	if (p->dialect == SUITE_DIALECT_KVM_UNIT_TESTS)
		return set_kut_key(p, &p->s->tests[p->s->nr - 1], trim(l), trim(eq + 1));
	return set_key(p, &p->s->tests[p->s->nr - 1], trim(l), trim(eq + 1));
}

int suite_set_names(struct suite *s, const char *path, struct fpvm_error *err)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".cfg"))
		n -= 4;
	s->path = strdup(path);
	s->name = strndup(base, n);
	if (!s->path || !s->name)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "%s: out of memory", path);
	return 0;
}

int suite_parse(const char *text, const char *path, const char *guest_dir,
		enum suite_dialect dialect, struct suite *s, struct fpvm_error *err)
{
	struct parser p = { .path = path, .guest_dir = guest_dir, .dialect = dialect, .s = s,
			    .err = err };
	char *copy = strdup(text), *line, *next;
	int r;

	*s = (struct suite){ 0 };
	s->tests = calloc(SUITE_MAX_TESTS, sizeof(*s->tests));
	if (!copy || !s->tests || suite_set_names(s, path, err)) {
		free(copy);
		suite_free(s);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "%s: out of memory", path);
	}
	r = 0;
	for (line = copy; line && !r; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		r = parse_line(&p, line);
	}
	if (!r)
		r = finish_test(&p);
	if (!r && !s->nr)
		r = fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: no tests ([test-name] sections)",
			      path);
	free(copy);
	if (r)
		suite_free(s);
	return r;
}

int suite_load(const char *path, const char *guest_dir, enum suite_dialect dialect,
	       struct suite *s, struct fpvm_error *err)
{
	char dir[4096], *slash;
	uint8_t *text;
	size_t n;
	int r;

	/* A FIFO or a device named as the manifest is refused, never waited on. */
	r = file_read_regular(AT_FDCWD, path, 0, MANIFEST_MAX, FPVM_ERR_INPUT, &text, &n, err);
	if (r)
		return r;
	if (memchr(text, '\0', n)) {
		free(text);
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: not a manifest (a NUL byte)", path);
	}
	/* Without --guest-dir, guests sit beside their manifest. */
	if (!guest_dir) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		guest_dir = dir;
	}
	r = suite_parse((const char *)text, path, guest_dir, dialect, s, err);
	free(text);
	return r;
}

static void free_words(struct suite_words *w)
{
	if (w->w)
		free(w->w[0]);
	free(w->w);
}

void suite_free(struct suite *s)
{
	for (unsigned int i = 0; s->tests && i < s->nr; i++) {
		struct suite_test *t = &s->tests[i];

		free(t->name);
		free(t->guest);
		free(t->mem);
		free(t->output);
		free(t->log_path);
		free_words(&t->args);
		free_words(&t->options);
		free_words(&t->groups);
		free_words(&t->requires);
	}
	free(s->tests);
	free(s->path);
	free(s->name);
	*s = (struct suite){ 0 };
}

bool suite_in_group(const struct suite_test *t, const char *group)
{
	for (unsigned int i = 0; i < t->groups.nr; i++)
		if (!strcmp(t->groups.w[i], group))
			return true;
	return false;
}

unsigned int suite_select(struct suite *s, char *const *groups, unsigned int nr_groups,
			  char *const *globs, unsigned int nr_globs)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->nr; i++) {
		struct suite_test *t = &s->tests[i];
		bool in_group = !nr_groups, named = !nr_globs;

		for (unsigned int g = 0; g < nr_groups && !in_group; g++)
			in_group = suite_in_group(t, groups[g]);
		for (unsigned int g = 0; g < nr_globs && !named; g++)
			named = !fnmatch(globs[g], t->name, 0);
		t->selected = in_group && named;
		n += t->selected;
	}
	return n;
}
