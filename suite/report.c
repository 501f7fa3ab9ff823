// SPDX-License-Identifier: MIT
/*
 * How a suite ended, three ways: TAP13 as tests end (with YAML diagnostics
 * for failures), JUnit XML as GitLab, GitHub and Jenkins read it, JSON.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/json.h"
#include "../base/utf8.h"
#include "suite.h"

#define JUNIT_LOG_MAX	(64 << 10)	/* of each log in <system-out> */

const char *suite_result_name(enum suite_result r)
{
	static const char *const names[] = {
		[SUITE_NOT_RUN] = "not-run", [SUITE_PASS] = "pass", [SUITE_FAIL] = "fail",
		[SUITE_TIMEOUT] = "timeout", [SUITE_SKIP] = "skip",
	};

	return names[r];
}

/*
 * The end of the log: at most @lines lines and @max bytes of them.  The
 * log is fpvm's own file: a link or a FIFO in its place is not read.
 */
char *suite_log_tail(const struct suite_test *t, unsigned int lines, size_t max)
{
	struct fpvm_error ignored;
	uint64_t size = 0;
	int fd = t->log_path ? file_open_regular(AT_FDCWD, t->log_path, FILE_NOFOLLOW,
						 FPVM_ERR_INPUT, &size, &ignored) : -1;
	off_t from = 0;
	char *buf, *p;
	ssize_t n;

	if (fd < 0)
		return strdup("");
	if (size > max)
		from = (off_t)(size - max);
	buf = malloc(max + 1);
	n = buf ? pread(fd, buf, max, from) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	buf[n] = '\0';
	p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines) {
		p--;
		if (*p == '\n' && !--lines) {
			p++;
			break;
		}
	}
	memmove(buf, p, strlen(p) + 1);
	return buf;
}

void suite_tap_plan(FILE *f, const struct suite *s)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->nr; i++)
		n += s->tests[i].selected;
	fprintf(f, "TAP version 13\n1..%u\n", n);
}

/* A YAML block scalar: every line indented, each one printable (utf8.h). */
static void yaml_block(FILE *f, const char *key, const char *text)
{
	fprintf(f, "  %s: |\n", key);
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		fputs("    ", f);
		utf8_put_line(f, l, n, 0);
		fputc('\n', f);
		l += n + (e ? 1 : 0);
	}
}

/* A YAML single-quoted scalar: ' doubled, one printable line. */
static void yaml_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, "  %s: '", key);
	utf8_put_line(f, s, strlen(s), '\'');
	fputs("'\n", f);
}

void suite_tap_result(FILE *f, const struct suite_test *t, unsigned int number)
{
	char *tail;

	switch (t->result) {
	case SUITE_PASS:
		fprintf(f, "ok %u - %s\n", number, t->name);
		return;
	case SUITE_SKIP:
		/* The reason may quote a path or a guest: one printable line of it. */
		fprintf(f, "ok %u - %s # SKIP ", number, t->name);
		utf8_put_line(f, t->reason, strlen(t->reason), 0);
		fputc('\n', f);
		return;
	default:
		break;
	}
	fprintf(f, "not ok %u - %s\n  ---\n", number, t->name);
	yaml_str(f, "message", t->reason);
	fprintf(f, "  result: %s\n", suite_result_name(t->result));
	fprintf(f, "  status: %d\n  expected: %d\n  duration_ms: %llu\n", t->status, t->expect,
		(unsigned long long)t->duration_ms);
	if (t->log_path)
		yaml_str(f, "log", t->log_path);
	tail = suite_log_tail(t, SUITE_TAIL_LINES, 4096);
	if (tail && *tail)
		yaml_block(f, "output", tail);
	free(tail);
	fputs("  ...\n", f);
}

/*
 * XML 1.0 text (section 2.2, Char): the five escapes; CR as a reference,
 * so that it survives line-end normalisation; other control characters
 * and the noncharacters U+FFFE and U+FFFF, which XML cannot carry even as
 * references, as '?'; ill-formed UTF-8 as U+FFFD.
 */
static void put_xml(const char *seq, unsigned int len, uint32_t c, void *f)
{
	if (c == UTF8_ILL_FORMED) {
		fputs(UTF8_REPLACEMENT, f);
		return;
	}
	switch (c) {
	case '<': fputs("&lt;", f); break;
	case '>': fputs("&gt;", f); break;
	case '&': fputs("&amp;", f); break;
	case '"': fputs("&quot;", f); break;
	case '\'': fputs("&apos;", f); break;
	case '\r': fputs("&#13;", f); break;
	case '\t': case '\n': fputc((int)c, f); break;
	case 0xfffe: case 0xffff: fputc('?', f); break;
	default:
		if (c < 0x20)
			fputc('?', f);
		else
			fwrite(seq, 1, len, f);
		break;
	}
}

static void xml_text(FILE *f, const char *s)
{
	utf8_each(s, strlen(s), put_xml, f);
}

struct counts {
	unsigned int tests, failures, skipped;
};

static struct counts count(const struct suite *s)
{
	struct counts c = { 0 };

	for (unsigned int i = 0; i < s->nr; i++) {
		enum suite_result r = s->tests[i].result;

		if (!s->tests[i].selected || r == SUITE_NOT_RUN)
			continue;
		c.tests++;
		c.failures += r == SUITE_FAIL || r == SUITE_TIMEOUT;
		c.skipped += r == SUITE_SKIP;
	}
	return c;
}

static void junit_case(FILE *f, const struct suite *s, const struct suite_test *t)
{
	char *log;

	fputs("    <testcase name=\"", f);
	xml_text(f, t->name);
	fputs("\" classname=\"", f);
	xml_text(f, s->name);
	fprintf(f, "\" time=\"%.3f\">\n", (double)t->duration_ms / 1000);
	if (t->result == SUITE_SKIP) {
		fputs("      <skipped message=\"", f);
		xml_text(f, t->reason);
		fputs("\"/>\n", f);
	} else if (t->result != SUITE_PASS) {
		fprintf(f, "      <failure type=\"%s\" message=\"", suite_result_name(t->result));
		xml_text(f, t->reason);
		fprintf(f, "\">status %d, expected %d</failure>\n", t->status, t->expect);
	}
	log = suite_log_tail(t, ~0u, JUNIT_LOG_MAX);
	if (log && *log) {
		fputs("      <system-out>", f);
		xml_text(f, log);
		fputs("</system-out>\n", f);
	}
	free(log);
	fputs("    </testcase>\n", f);
}

void suite_print_junit(FILE *f, const struct suite *s)
{
	struct counts c = count(s);
	char stamp[32], host[256] = "localhost";
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	gethostname(host, sizeof(host) - 1);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"fpvm\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
		"skipped=\"%u\" time=\"%.3f\">\n", c.tests, c.failures, c.skipped,
		(double)s->duration_ms / 1000);
	fputs("  <testsuite name=\"", f);
	xml_text(f, s->name);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\" "
		"timestamp=\"%s\" hostname=\"", c.tests, c.failures, c.skipped,
		(double)s->duration_ms / 1000, stamp);
	xml_text(f, host);
	fputs("\">\n", f);
	for (unsigned int i = 0; i < s->nr; i++)
		if (s->tests[i].selected && s->tests[i].result != SUITE_NOT_RUN)
			junit_case(f, s, &s->tests[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
}

#define STATS_MAX	16383	/* bytes of a test's --stats=json object */

/* The test's 'fpvm run --stats=json' object, or null when it wrote none. */
static void print_stats(FILE *f, const struct suite_test *t)
{
	struct fpvm_error ignored;
	char path[4096 + 16];
	uint8_t *buf = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s.stats", t->log_path ? t->log_path : "");
	/* Only a whole object that fits: never half of one in the report. */
	if (!t->log_path || file_read_regular(AT_FDCWD, path, FILE_NOFOLLOW, STATS_MAX,
					      FPVM_ERR_INPUT, &buf, &n, &ignored))
		n = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (n < 2 || buf[0] != '{' || buf[n - 1] != '}')
		fputs("null", f);
	else
		fwrite(buf, 1, n, f);
	free(buf);
}

void suite_print_json(FILE *f, const struct suite *s)
{
	struct counts c = count(s);
	bool first = true;

	fputs("{\"manifest\": ", f);
	json_str(f, s->path);
	fprintf(f, ", \"tests\": %u, \"passed\": %u, \"failed\": %u, \"skipped\": %u, "
		"\"duration_ms\": %llu, \"interrupted\": %s, \"results\": [", c.tests,
		c.tests - c.failures - c.skipped, c.failures, c.skipped,
		(unsigned long long)s->duration_ms, s->interrupted ? "true" : "false");
	for (unsigned int i = 0; i < s->nr; i++) {
		const struct suite_test *t = &s->tests[i];

		if (!t->selected || t->result == SUITE_NOT_RUN)
			continue;
		fprintf(f, "%s\n  {\"name\": ", first ? "" : ",");
		first = false;
		json_str(f, t->name);
		fprintf(f, ", \"result\": \"%s\", \"status\": %d, \"expected\": %d, "
			"\"duration_ms\": %llu, \"reason\": ", suite_result_name(t->result),
			t->status, t->expect, (unsigned long long)t->duration_ms);
		json_str(f, t->reason);
		fputs(", \"log\": ", f);
		if (t->log_path)
			json_str(f, t->log_path);
		else
			fputs("null", f);
		fputs(", \"stats\": ", f);
		print_stats(f, t);
		fputs(", \"groups\": [", f);
		for (unsigned int g = 0; g < t->groups.nr; g++) {
			fputs(g ? ", " : "", f);
			json_str(f, t->groups.w[g]);
		}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
}
