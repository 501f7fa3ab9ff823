// SPDX-License-Identifier: MIT
/*
 * Running a suite: each test is its own 'fpvm run' process with its output
 * in a log file, @jobs at a time.  One signalfd carries SIGCHLD, SIGINT and
 * SIGTERM, so the loop never races a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../base/file.h"
#include "suite.h"

/* After its own --timeout, a test has this long to exit before SIGKILL. */
#define KILL_GRACE_MS	10000
/* After Ctrl-C, running tests have this long to exit before SIGKILL. */
#define STOP_GRACE_MS	5000

struct job {
	struct suite_test *t;
	pid_t pid;
	uint64_t start_ms, kill_ms;
	bool killed;
};

struct runner {
	struct suite *s;
	const struct suite_run_cfg *c;
	struct job *jobs;
	unsigned int running, next, done, total, failed, tap_number;
	unsigned int drawn;		/* what the progress line last showed */
	int log_dirfd;			/* c->log_dir, opened once */
	bool stopping;
	uint64_t stop_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned int suite_run_words(const struct suite_test *t, char cpus[16], char **argv)
{
	unsigned int n = 0;

	if (t->cpus) {
		snprintf(cpus, 16, "%u", t->cpus);
		argv[n++] = "--cpus";
		argv[n++] = cpus;
	}
	if (t->mem) {
		argv[n++] = "--mem";
		argv[n++] = t->mem;
	}
	for (unsigned int i = 0; i < t->options.nr; i++)
		argv[n++] = t->options.w[i];
	argv[n++] = t->guest;
	return n;
}

/* @fd above stdin, stdout and stderr, which the child is about to replace; kept across exec. */
static int inherit_above_stdio(int fd)
{
	if (fd > 2)
		return fcntl(fd, F_SETFD, 0) ? -1 : fd;
	return fcntl(fd, F_DUPFD, 3);
}

/*
 * The child: 'fpvm run' with the test's options, output into its log.
 * Its --stats-file is the file this process created beside the log,
 * passed as /proc/self/fd/N: the child never opens a path in the log
 * directory itself, so a link planted there cannot redirect it.
 */
static void exec_test(const struct suite_test *t, const struct suite_run_cfg *c, int log_fd,
		      int stats_fd, const sigset_t *mask)
{
	char cpus[16], timeout[32], stats[32];
	char *argv[16 + 256 + 256];
	unsigned int n = 0;
	int null_fd;

	sigprocmask(SIG_UNBLOCK, mask, NULL);
	log_fd = inherit_above_stdio(log_fd);
	stats_fd = inherit_above_stdio(stats_fd);
	null_fd = open("/dev/null", O_RDONLY);
	if (log_fd < 0 || stats_fd < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 ||
	    dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	argv[n++] = (char *)c->fpvm;
	argv[n++] = "run";
	argv[n++] = "--kvm";
	argv[n++] = (char *)c->kvm_path;
	snprintf(timeout, sizeof(timeout), "%llu.%03llu", (unsigned long long)t->timeout_ms / 1000,
		 (unsigned long long)t->timeout_ms % 1000);
	argv[n++] = "--timeout";
	argv[n++] = timeout;
	/* Every test's figures, for the JSON report: fpvm run's own --stats. */
	snprintf(stats, sizeof(stats), "/proc/self/fd/%d", stats_fd);
	argv[n++] = "--stats=json";
	argv[n++] = "--stats-file";
	argv[n++] = stats;
	/* The test's own options come later, so they win over the ones above. */
	n += suite_run_words(t, cpus, argv + n);
	argv[n++] = "--";
	for (unsigned int i = 0; i < t->args.nr; i++)
		argv[n++] = t->args.w[i];
	argv[n] = NULL;
	execv(c->fpvm, argv);
	dprintf(2, "fpvm test: cannot run %s: %s\n", c->fpvm, strerror(errno));
	_exit(127);
}

/*
 * DIR/@name, created in the log directory this run opened once: never
 * through a link planted there, never blocking on a FIFO (base/file.h).
 */
static int create_in_log_dir(struct runner *r, const char *name, struct fpvm_error *err)
{
	int fd = file_create(r->log_dirfd, name, 0644, err);
	char msg[sizeof(err->msg)];

	if (fd >= 0)
		return fd;
	/* file_create() names @name alone: say which directory it is in. */
	snprintf(msg, sizeof(msg), "%s", err->msg);
	return fpvm_fail(err, err->cls, -fd, "%s/%s", r->c->log_dir, msg);
}

/* The test's log and its stats file, both fresh: 0, or -errno with @err set. */
static int open_log(struct runner *r, struct suite_test *t, int *log_fd, int *stats_fd,
		    struct fpvm_error *err)
{
	size_t n = strlen(r->c->log_dir) + strlen(t->name) + 6;
	char name[SUITE_NAME_MAX + 16];

	free(t->log_path);
	t->log_path = malloc(n);
	if (!t->log_path)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	snprintf(t->log_path, n, "%s/%s.log", r->c->log_dir, t->name);
	snprintf(name, sizeof(name), "%s.log", t->name);
	*log_fd = create_in_log_dir(r, name, err);
	if (*log_fd < 0)
		return *log_fd;
	snprintf(name, sizeof(name), "%s.log.stats", t->name);
	*stats_fd = create_in_log_dir(r, name, err);
	if (*stats_fd < 0) {
		close(*log_fd);
		return *stats_fd;
	}
	return 0;
}

static int start(struct runner *r, struct job *j, struct suite_test *t, const sigset_t *mask,
		 struct fpvm_error *err)
{
	int log_fd = -1, stats_fd = -1, ret;

	ret = open_log(r, t, &log_fd, &stats_fd, err);
	if (ret)
		return ret;
	*j = (struct job){ .t = t, .start_ms = now_ms() };
	j->kill_ms = j->start_ms + t->timeout_ms + KILL_GRACE_MS;
	j->pid = fork();
	if (!j->pid)
		exec_test(t, r->c, log_fd, stats_fd, mask);
	if (j->pid < 0)
		ret = fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "fork: %s", strerror(errno));
	close(log_fd);
	close(stats_fd);
	if (!ret)
		r->running++;
	return ret;
}

/* The log holds @text: the test's serial output or fpvm's messages. */
static bool log_holds(const struct suite_test *t, const char *text)
{
	char *tail = suite_log_tail(t, ~0u, 1 << 20);
	bool found = tail && strstr(tail, text);

	free(tail);
	return found;
}

static void judge(struct suite_test *t, const struct suite_run_cfg *c, int ws, bool killed)
{
	t->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	if (killed) {
		t->result = SUITE_TIMEOUT;
		snprintf(t->reason, sizeof(t->reason), "killed %d s after its %g s timeout",
			 KILL_GRACE_MS / 1000, (double)t->timeout_ms / 1000);
	} else if (!WIFEXITED(ws)) {
		t->result = SUITE_FAIL;
		snprintf(t->reason, sizeof(t->reason), "fpvm died of %s", strsignal(WTERMSIG(ws)));
	} else if (t->skip_status && t->status == t->skip_status) {
		t->result = SUITE_SKIP;
		snprintf(t->reason, sizeof(t->reason), "the test skipped itself (status %d)",
			 t->status);
	} else if (t->status == t->expect) {
		t->result = SUITE_PASS;
		if (t->output && !log_holds(t, t->output)) {
			t->result = SUITE_FAIL;
			snprintf(t->reason, sizeof(t->reason), "output lacks '%.200s'", t->output);
		}
	} else if (t->status == c->timeout_status) {
		t->result = SUITE_TIMEOUT;
		snprintf(t->reason, sizeof(t->reason), "timed out after %g s",
			 (double)t->timeout_ms / 1000);
	} else {
		t->result = SUITE_FAIL;
		snprintf(t->reason, sizeof(t->reason), "exit status %d, expected %d", t->status,
			 t->expect);
	}
}

/* Redrawn only when it changes: a serial console is slow, and logs keep every byte. */
static void progress(struct runner *r)
{
	unsigned int now = r->done << 20 | r->running << 10 | r->failed;

	if (!r->c->progress || now == r->drawn)
		return;
	r->drawn = now;
	fprintf(stderr, "\r\033[K[%u/%u] %u running, %u failed", r->done, r->total, r->running,
		r->failed);
	fflush(stderr);
}

static void report(struct runner *r, struct suite_test *t)
{
	if (r->c->progress && r->drawn) {
		fputs("\r\033[K", stderr);
		r->drawn = 0;
	}
	if (r->c->tap) {
		suite_tap_result(r->c->tap, t, ++r->tap_number);
		fflush(r->c->tap);
	}
}

static void reap(struct runner *r)
{
	int ws;
	pid_t pid;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (unsigned int i = 0; i < r->c->jobs; i++) {
			struct job *j = &r->jobs[i];

			if (!j->t || j->pid != pid)
				continue;
			j->t->duration_ms = now_ms() - j->start_ms;
			if (r->stopping) {
				/* Ended by the interrupt: no result, as if never run. */
				j->t->result = SUITE_NOT_RUN;
			} else {
				judge(j->t, r->c, ws, j->killed);
				r->done++;
				r->failed += j->t->result == SUITE_FAIL || j->t->result == SUITE_TIMEOUT;
				report(r, j->t);
			}
			j->t = NULL;
			r->running--;
		}
	}
}

static void watchdog(struct runner *r)
{
	uint64_t t = now_ms();

	for (unsigned int i = 0; i < r->c->jobs; i++) {
		struct job *j = &r->jobs[i];

		if (!j->t || j->killed)
			continue;
		if (t >= j->kill_ms || (r->stopping && t >= r->stop_ms + STOP_GRACE_MS)) {
			kill(j->pid, SIGKILL);
			j->killed = true;
		}
	}
}

static void stop_all(struct runner *r, int sig)
{
	if (!r->stopping)
		r->s->interrupted = sig;
	r->stopping = true;
	r->stop_ms = now_ms();
	for (unsigned int i = 0; i < r->c->jobs; i++)
		if (r->jobs[i].t)
			kill(r->jobs[i].pid, SIGTERM);
}

static struct suite_test *next_test(struct runner *r)
{
	while (r->next < r->s->nr) {
		struct suite_test *t = &r->s->tests[r->next++];

		if (t->selected && t->result == SUITE_NOT_RUN)
			return t;
	}
	return NULL;
}

static int loop(struct runner *r, int sfd, const sigset_t *mask, struct fpvm_error *err)
{
	struct suite_test *t = NULL;
	int ret = 0;

	for (;;) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;

		while (!r->stopping && !ret && r->running < r->c->jobs && (t = next_test(r))) {
			for (unsigned int i = 0; i < r->c->jobs; i++)
				if (!r->jobs[i].t) {
					ret = start(r, &r->jobs[i], t, mask, err);
					break;
				}
		}
		if (ret && !r->stopping)
			stop_all(r, 0);	/* a log or fork failed: stop, but reap */
		if (!r->running && (r->stopping || !t))
			break;
		progress(r);
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			if (!ret)
				ret = fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "poll: %s", strerror(errno));
			stop_all(r, 0);
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
				stop_all(r, (int)si.ssi_signo);
		reap(r);
		watchdog(r);
	}
	return ret;
}

int suite_run(struct suite *s, const struct suite_run_cfg *c, struct fpvm_error *err)
{
	struct runner r = { .s = s, .c = c };
	uint64_t t0 = now_ms();
	sigset_t mask, old;
	int sfd, ret;

	for (unsigned int i = 0; i < s->nr; i++)
		if (s->tests[i].selected)
			r.total++;
	if (mkdir(c->log_dir, 0755) && errno != EEXIST)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "%s: %s", c->log_dir, strerror(errno));
	/* The directory the user named, followed as named; what fpvm names in it is not. */
	r.log_dirfd = open(c->log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.log_dirfd < 0)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "%s: %s", c->log_dir, strerror(errno));
	r.jobs = calloc(c->jobs, sizeof(*r.jobs));
	if (!r.jobs) {
		close(r.log_dirfd);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	/* A shell starts background jobs with SIGINT ignored; Ctrl-C must still stop the suite. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		ret = fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "signalfd: %s", strerror(errno));
	} else {
		/* Tests already judged (skips) are reported first, in manifest order. */
		for (unsigned int i = 0; i < s->nr; i++)
			if (s->tests[i].selected && s->tests[i].result == SUITE_SKIP) {
				r.done++;
				report(&r, &s->tests[i]);
			}
		ret = loop(&r, sfd, &mask, err);
		close(sfd);
	}
	if (c->progress && r.drawn)
		fputs("\r\033[K", stderr);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(r.log_dirfd);
	free(r.jobs);
	s->duration_ms = now_ms() - t0;
	return ret;
}
