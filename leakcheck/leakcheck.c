// SPDX-License-Identifier: MIT
/*
 * fpvm leakcheck: VMs in separate processes sharing the host's CPUs, so
 * the host context-switches between them; this process coordinates them,
 * carries injected state between them, and judges the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define GRACE_MS	30000	/* beyond --duration before a VM is killed */
#define PROGRESS_MS	500

struct child {
	pid_t pid;
	int fd;			/* -1 once the VM process is done */
	bool armed;
	bool done;		/* its LK_DONE arrived */
	enum vm_stop stop;
	uint32_t value;
	char reason[160];
	struct leak_stats st;
};

struct coordinator {
	struct leak_run run;
	struct child *vm;
	struct timespec t0;
	bool requested;
	bool progress;
	uint64_t next_progress;
};

static uint64_t elapsed_ms(const struct coordinator *co)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)((int64_t)(ts.tv_sec - co->t0.tv_sec) * 1000 +
			  (int64_t)(ts.tv_nsec - co->t0.tv_nsec) / 1000000);
}

static int spawn(struct coordinator *co, const struct leak_config *c)
{
	fflush(NULL);
	for (unsigned int i = 0; i < c->nr_vms; i++) {
		int sv[2];

		co->vm[i].fd = -1;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return -errno;
		co->vm[i].pid = fork();
		if (co->vm[i].pid < 0)
			return -errno;
		if (co->vm[i].pid == 0) {
			close(sv[0]);
			for (unsigned int j = 0; j < i; j++)
				close(co->vm[j].fd);
			_exit(leak_vm_main(c, i, sv[1]) & 0xff);
		}
		close(sv[1]);
		co->vm[i].fd = sv[0];
	}
	return 0;
}

/* Where the injected leak comes from and goes to. */
static void expectation(struct leak_run *run)
{
	run->expect = (struct leak_finding){ .attributed = 1 };
	if (run->inject == INJECT_CROSS_VM)
		run->expect.src_vm = 1;
	else if (run->inject == INJECT_CROSS_VCPU)
		run->expect.src_vcpu = 1;
}

/* A VM this process cannot reach has failed: the run must not pass without it. */
static void send_to(struct coordinator *co, unsigned int i, uint32_t type, uint32_t vcpu,
		    uint32_t arg, const void *data, uint32_t len)
{
	struct child *ch = &co->vm[i];
	int r = ch->fd < 0 ? -EPIPE : leak_send(ch->fd, type, vcpu, arg, data, len);

	if (!r)
		return;
	kill(ch->pid, SIGKILL);
	ch->done = true;
	ch->stop = VM_STOP_ERROR;
	ch->value = FPVM_ERR_SYSTEM;
	snprintf(ch->reason, sizeof(ch->reason), "cannot send to its process: %s", strerror(-r));
}

static void send_injection(struct coordinator *co)
{
	const struct leak_config *c = co->run.cfg;
	bool all_armed = true;

	for (unsigned int i = 0; i < c->nr_vms; i++)
		all_armed &= co->vm[i].armed;
	if (co->requested || !all_armed || elapsed_ms(co) < c->duration_ms * 3 / 10)
		return;
	co->requested = true;
	switch (co->run.inject) {
	case INJECT_CROSS_VM:
		send_to(co, 1, LK_CAPTURE, 0, 0, NULL, 0);
		break;
	case INJECT_CROSS_VCPU:
		send_to(co, 0, LK_INJECT_VCPU, 0, 1, NULL, 0);
		break;
	case INJECT_HOST:
		send_to(co, 0, LK_INJECT_HOST, 0, 0, NULL, 0);
		break;
	case INJECT_FRESH_VCPU:
		send_to(co, 0, LK_INJECT_FRESH, 0, 0, NULL, 0);
		break;
	case INJECT_NONE:
		break;
	}
}

static void receive(struct coordinator *co, unsigned int i)
{
	uint8_t buf[sizeof(struct leak_msg) + LEAK_MSG_MAX];
	const struct leak_msg *m = (const void *)buf;
	const void *data = buf + sizeof(*m);
	struct child *ch = &co->vm[i];
	ssize_t n = recv(ch->fd, buf, sizeof(buf), 0);

	if (n <= 0) {
		close(ch->fd);
		ch->fd = -1;
		return;
	}
	if (n < (ssize_t)sizeof(*m) || (size_t)n != sizeof(*m) + m->len)
		return;
	switch (m->type) {
	case LK_STATS:
		if (m->len == sizeof(ch->st))
			memcpy(&ch->st, data, sizeof(ch->st));
		break;
	case LK_ARMED:
		ch->armed = true;
		break;
	case LK_STATE:
		/* The captured state of VM 1 vCPU 0 goes into VM 0 vCPU 0. */
		if (co->run.inject == INJECT_CROSS_VM)
			send_to(co, 0, LK_INJECT, 0, 0, data, m->len);
		break;
	case LK_INJECTED:
		co->run.injected = true;
		co->run.injected_ms = elapsed_ms(co);
		if (co->run.inject == INJECT_FRESH_VCPU)
			co->run.expect.victim_vcpu = m->vcpu;	/* which vCPU is fresh */
		break;
	case LK_CELL:
		if (m->len == sizeof(struct leak_cell)) {
			struct leak_cell cell;

			memcpy(&cell, data, sizeof(cell));
			leak_table_add(&co->run.table, &cell.first, cell.count);
		}
		break;
	case LK_VMSTATS:
		free(co->run.vm_stats[i]);
		co->run.vm_stats[i] = strndup(data, m->len);
		break;
	case LK_DONE:
		ch->done = true;
		ch->stop = (enum vm_stop)m->arg;
		ch->value = m->vcpu;
		snprintf(ch->reason, sizeof(ch->reason), "%.*s", (int)m->len, (const char *)data);
		break;
	}
}

static void totals(struct coordinator *co)
{
	struct leak_stats *t = &co->run.total;

	*t = (struct leak_stats){ 0 };
	for (unsigned int i = 0; i < co->run.cfg->nr_vms; i++) {
		const struct leak_stats *s = &co->vm[i].st;

		t->rounds += s->rounds;
		t->exits += s->exits;
		t->host_bytes += s->host_bytes;
		t->kvm_bytes += s->kvm_bytes;
		t->guest_bytes += s->guest_bytes;
		t->readers += s->readers;
		t->leaks += s->leaks;
		if (s->xcr0)
			t->xcr0 = s->xcr0;
	}
}

static void show_progress(struct coordinator *co, bool last)
{
	uint64_t t = elapsed_ms(co);

	if (!co->progress || (!last && t < co->next_progress))
		return;
	co->next_progress = t + PROGRESS_MS;
	totals(co);
	fprintf(stderr, "\r[%5.1f/%.1f s] %u VMs: %llu rounds, %llu exits checked (%.0f/s), "
		"%llu fresh vCPUs%s", (double)t / 1000.0, co->run.cfg->duration_ms / 1000.0,
		co->run.cfg->nr_vms, (unsigned long long)co->run.total.rounds,
		(unsigned long long)co->run.total.exits,
		t ? co->run.total.exits * 1000.0 / (double)t : 0.0,
		(unsigned long long)co->run.total.readers, last ? "\n" : "   ");
}

/* A VM ran to its end when its clock ran out, or its guest exited with 0. */
static bool child_failed(const struct child *ch)
{
	return !ch->done || (ch->stop != VM_STOP_NONE &&
			     !(ch->stop == VM_STOP_GUEST_EXIT && ch->value == 0));
}

/* A VM that failed decides the result; otherwise what was found does. */
static void judge(struct coordinator *co)
{
	for (unsigned int i = 0; i < co->run.cfg->nr_vms; i++)
		if (child_failed(&co->vm[i])) {
			co->run.result = LEAK_VM_FAILED;
			co->run.failed.vm = i;
			co->run.failed.stop = co->vm[i].stop;
			co->run.failed.value = co->vm[i].value;
			snprintf(co->run.verdict, sizeof(co->run.verdict), "VM%u failed: %s", i,
				 co->vm[i].reason[0] ? co->vm[i].reason : "it died");
			return;
		}
	leak_judge(&co->run);
}

int leakcheck_run(const struct leak_config *c, enum leak_inject inject, bool progress,
		  struct leak_run *run, struct fpvm_error *err)
{
	struct coordinator co = { .run = { .cfg = c, .inject = inject }, .progress = progress };
	struct kvm kvm;
	bool running = true;
	int poll_errno = 0;

	*run = co.run;
	/* Fail fast and once, rather than once per VM process. */
	if (kvm_open(&kvm, c->kvm_path, err))
		return -ENODEV;
	kvm_close(&kvm);
	co.vm = calloc(c->nr_vms, sizeof(*co.vm));
	co.run.vm_stats = calloc(c->nr_vms, sizeof(*co.run.vm_stats));
	if (!co.vm || !co.run.vm_stats) {
		free(co.vm);
		free(co.run.vm_stats);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	}
	expectation(&co.run);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &co.t0);
	if (spawn(&co, c)) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "leakcheck: cannot start VM processes: %s",
			  strerror(errno));
		free(co.vm);
		return -errno;
	}
	while (running) {
		struct pollfd pfd[LEAK_MAX_VMS];
		unsigned int n = 0;

		for (unsigned int i = 0; i < c->nr_vms; i++)
			if (co.vm[i].fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = co.vm[i].fd, .events = POLLIN };
		if (!n)
			break;
		if (poll(pfd, n, 50) < 0 && errno != EINTR) {
			poll_errno = errno;
			for (unsigned int i = 0; i < c->nr_vms; i++)
				kill(co.vm[i].pid, SIGKILL);
			break;
		}
		for (unsigned int i = 0; i < c->nr_vms; i++)
			for (unsigned int j = 0; j < n; j++)
				if (pfd[j].fd == co.vm[i].fd && (pfd[j].revents & (POLLIN | POLLHUP)))
					receive(&co, i);
		if (co.run.inject != INJECT_NONE)
			send_injection(&co);
		show_progress(&co, false);
		if (elapsed_ms(&co) > c->duration_ms + GRACE_MS) {
			for (unsigned int i = 0; i < c->nr_vms; i++)
				if (co.vm[i].fd >= 0) {
					kill(co.vm[i].pid, SIGKILL);
					co.vm[i].done = true;
					co.vm[i].stop = VM_STOP_TIMEOUT;
					snprintf(co.vm[i].reason, sizeof(co.vm[i].reason),
						 "still running %u s after --duration", GRACE_MS / 1000);
				}
			running = false;
		}
	}
	for (unsigned int i = 0; i < c->nr_vms; i++) {
		int ws;

		if (co.vm[i].fd >= 0)
			close(co.vm[i].fd);
		if (waitpid(co.vm[i].pid, &ws, 0) == co.vm[i].pid && !co.vm[i].done) {
			co.vm[i].stop = VM_STOP_ERROR;
			co.vm[i].value = FPVM_ERR_SYSTEM;
			snprintf(co.vm[i].reason, sizeof(co.vm[i].reason), "VM process %s",
				 WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws)) : "ended without a result");
		}
	}
	if (poll_errno) {
		free(co.vm);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, poll_errno, "leakcheck: poll: %s",
				 strerror(poll_errno));
	}
	co.run.elapsed_ms = elapsed_ms(&co);
	show_progress(&co, true);
	totals(&co);
	judge(&co);
	free(co.vm);
	*run = co.run;
	return 0;
}
