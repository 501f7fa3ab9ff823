// SPDX-License-Identifier: MIT
/*
 * fpvm leakcheck: VMs in separate processes sharing the host's CPUs, so
 * the host context-switches between them; this process coordinates them,
 * carries injected state between them, and judges the result.  With
 * snapshots, a VM process saves its VM when told and ends, and a new
 * process restores it from there and runs it on (vm.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define GRACE_MS	30000	/* beyond the run's duration before a VM is killed */
#define PROGRESS_MS	500
#define MIN_RUN_MS	300	/* a restored VM runs on for at least this long */
#define SETTLE_MS	100	/* from an injection to a snapshot of its VM */
#define MAX_PROCS	(LEAK_MAX_VMS * (1 + LEAK_SNAPSHOT_CYCLES))

/* A VM process: the one that booted VM @vm, or (@cycle > 0) a restore of it. */
struct child {
	pid_t pid;		/* -1: it never started */
	int fd;			/* -1 once the VM process is done */
	unsigned int vm, cycle;
	bool armed;
	bool asked;		/* LK_SNAPSHOT sent */
	bool done;		/* its LK_DONE arrived */
	enum vm_stop stop;
	uint32_t value;
	char reason[160];
	struct leak_stats st;
	struct rusage ru;	/* the process's threads, once it has ended */
};

struct coordinator {
	struct leak_run run;
	struct child *vm;	/* every VM process: the first nr_vms boot, the rest restore */
	unsigned int nr, cap;
	unsigned int cur[LEAK_MAX_VMS];	/* each VM's process now */
	struct timespec t0;
	bool requested;
	bool progress;
	uint64_t next_progress;
	char root[4096];	/* where the snapshots go */
	uint8_t *captured;	/* --inject snapshot: VM 1 vCPU 0's state */
	uint32_t captured_len;
	pid_t neighbour;	/* the neighbour's process, or -1 */
	struct rusage neighbour_ru;
};

static uint64_t elapsed_ms(const struct coordinator *co)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)((int64_t)(ts.tv_sec - co->t0.tv_sec) * 1000 +
			  (int64_t)(ts.tv_nsec - co->t0.tv_nsec) / 1000000);
}

static void kill_child(const struct child *ch)
{
	if (ch->pid > 0)
		kill(ch->pid, SIGKILL);
}

/* A VM process for VM @vm: it boots it (@cycle 0) or restores its snapshot @cycle. */
static int spawn(struct coordinator *co, unsigned int vm, unsigned int cycle, uint64_t run_ms)
{
	const struct leak_proc p = { .vm = vm, .cycle = cycle, .run_ms = run_ms, .t0 = co->t0,
				     .snapshot_root = co->root };
	struct child *ch = &co->vm[co->nr];
	int sv[2], r = 0;

	*ch = (struct child){ .pid = -1, .fd = -1, .vm = vm, .cycle = cycle };
	co->cur[vm] = co->nr++;
	fflush(NULL);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	ch->pid = fork();
	if (ch->pid == 0) {
		close(sv[0]);
		for (unsigned int j = 0; j + 1 < co->nr; j++)
			if (co->vm[j].fd >= 0)
				close(co->vm[j].fd);
		_exit(leak_vm_main(co->run.cfg, &p, sv[1]) & 0xff);
	}
	if (ch->pid < 0) {
		r = -errno;
		close(sv[0]);
	} else {
		ch->fd = sv[0];
	}
	close(sv[1]);
	return r;
}

/* The neighbour's process, which speaks no protocol: it ends when the run's time is up. */
static int spawn_neighbour(struct coordinator *co)
{
	fflush(NULL);
	co->neighbour = fork();
	if (co->neighbour == 0) {
		for (unsigned int j = 0; j < co->nr; j++)
			if (co->vm[j].fd >= 0)
				close(co->vm[j].fd);
		_exit(leak_neighbour_main(co->run.cfg, &co->t0));
	}
	return co->neighbour < 0 ? -errno : 0;
}

/*
 * The neighbour's end: its status says whether every boot ended well (it
 * said why not on stderr); one that outlives the VMs by the grace is killed.
 */
static void reap_neighbour(struct coordinator *co)
{
	uint64_t give_up = elapsed_ms(co) + GRACE_MS;
	int ws = 0;
	pid_t r;

	if (co->neighbour <= 0)
		return;
	while (!(r = wait4(co->neighbour, &ws, WNOHANG, &co->neighbour_ru)) &&
	       elapsed_ms(co) < give_up)
		poll(NULL, 0, 20);
	if (!r) {
		kill(co->neighbour, SIGKILL);
		r = wait4(co->neighbour, &ws, 0, &co->neighbour_ru);
	}
	co->run.neighbour_ok = r == co->neighbour && WIFEXITED(ws) && !WEXITSTATUS(ws);
}

/* @from's snapshot is whole: a new process restores it and runs it to the end. */
static void restore(struct coordinator *co, const struct child *from)
{
	uint64_t t = elapsed_ms(co), end = co->run.cfg->duration_ms;
	int r = spawn(co, from->vm, from->cycle + 1, t + MIN_RUN_MS < end ? end - t : MIN_RUN_MS);
	struct child *ch = &co->vm[co->nr - 1];

	if (!r)
		return;
	ch->done = true;
	ch->stop = VM_STOP_ERROR;
	ch->value = FPVM_ERR_SYSTEM;
	snprintf(ch->reason, sizeof(ch->reason), "cannot start a process to restore it: %s",
		 strerror(-r));
}

/* Where the injected leak comes from and goes to. */
static void expectation(struct leak_run *run)
{
	run->expect = (struct leak_finding){ .attributed = 1 };
	if (run->inject == INJECT_CROSS_VM || run->inject == INJECT_SNAPSHOT)
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
	kill_child(ch);
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
		all_armed &= co->vm[co->cur[i]].armed;
	if (co->requested || !all_armed || elapsed_ms(co) < c->duration_ms * 3 / 10)
		return;
	co->requested = true;
	switch (co->run.inject) {
	case INJECT_CROSS_VM:
	case INJECT_SNAPSHOT:
		send_to(co, co->cur[1], LK_CAPTURE, 0, 0, NULL, 0);
		break;
	case INJECT_CROSS_VCPU:
		send_to(co, co->cur[0], LK_INJECT_VCPU, 0, 1, NULL, 0);
		break;
	case INJECT_HOST:
		send_to(co, co->cur[0], LK_INJECT_HOST, 0, 0, NULL, 0);
		break;
	case INJECT_FRESH_VCPU:
		send_to(co, co->cur[0], LK_INJECT_FRESH, 0, 0, NULL, 0);
		break;
	case INJECT_NONE:
	case INJECT_NR:
		break;
	}
}

/*
 * --snapshot: each VM is snapshotted at 40% and 70% of the run (VMs a
 * little apart), once its writers hold canaries, and not while another
 * injection is on its way; --inject snapshot's carries VM 1's state.
 */
static void send_snapshots(struct coordinator *co)
{
	const struct leak_config *c = co->run.cfg;
	enum leak_inject inj = co->run.inject;
	uint64_t t = elapsed_ms(co);

	if (inj != INJECT_NONE && inj != INJECT_SNAPSHOT &&
	    (!co->run.injected || t < co->run.injected_ms + SETTLE_MS))
		return;
	for (unsigned int i = 0; i < c->nr_vms; i++) {
		struct child *ch = &co->vm[co->cur[i]];
		uint64_t due = (uint64_t)c->duration_ms * (4 + 3 * ch->cycle) / 10 +
			       (uint64_t)c->duration_ms * i / (10 * c->nr_vms);
		bool carry = inj == INJECT_SNAPSHOT && i == 0 && !ch->cycle;

		/*
		 * The snapshot that carries an injection is taken whenever its
		 * VM still runs: on a loaded host the VMs arm late, and a window
		 * closing at 90% of the run would leave the self-test unproven.
		 */
		if (ch->asked || !ch->armed || ch->fd < 0 || ch->cycle >= LEAK_SNAPSHOT_CYCLES ||
		    t < due || (!carry && t > (uint64_t)c->duration_ms * 9 / 10) ||
		    (carry && !co->captured))
			continue;
		ch->asked = true;
		send_to(co, co->cur[i], LK_SNAPSHOT, 0, 0, carry ? co->captured : NULL,
			carry ? co->captured_len : 0);
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
		/* The captured state of VM 1 vCPU 0 goes into VM 0 vCPU 0, or its snapshot. */
		if (co->run.inject == INJECT_CROSS_VM)
			send_to(co, co->cur[0], LK_INJECT, 0, 0, data, m->len);
		if (co->run.inject == INJECT_SNAPSHOT && !co->captured) {
			co->captured = malloc(m->len);
			if (co->captured)
				memcpy(co->captured, data, m->len);
			co->captured_len = m->len;
		}
		break;
	case LK_SAVED:
		if (co->run.cfg->snapshot && ch->asked && co->cur[ch->vm] == i && co->nr < co->cap)
			restore(co, ch);
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
		/* A restored VM's figures are its last process's. */
		free(co->run.vm_stats[ch->vm]);
		co->run.vm_stats[ch->vm] = strndup(data, m->len);
		break;
	case LK_DONE:
		ch->done = true;
		ch->stop = (enum vm_stop)m->arg;
		ch->value = m->vcpu;
		snprintf(ch->reason, sizeof(ch->reason), "%.*s", (int)m->len, (const char *)data);
		break;
	}
}

static void add_switches(struct leak_stats *t, const struct rusage *ru)
{
	t->voluntary_switches += (uint64_t)ru->ru_nvcsw;
	t->involuntary_switches += (uint64_t)ru->ru_nivcsw;
}

static void totals(struct coordinator *co)
{
	struct leak_stats *t = &co->run.total;

	*t = (struct leak_stats){ 0 };
	add_switches(t, &co->neighbour_ru);
	for (unsigned int i = 0; i < co->nr; i++) {
		const struct leak_stats *s = &co->vm[i].st;

		add_switches(t, &co->vm[i].ru);
		t->rounds += s->rounds;
		t->exits += s->exits;
		t->host_bytes += s->host_bytes;
		t->kvm_bytes += s->kvm_bytes;
		t->guest_bytes += s->guest_bytes;
		t->readers += s->readers;
		t->leaks += s->leaks;
		t->snapshots += s->snapshots;
		t->restores += s->restores;
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

static void vm_failed(struct coordinator *co, const struct child *ch, const char *why)
{
	co->run.result = LEAK_VM_FAILED;
	co->run.failed.vm = ch->vm;
	co->run.failed.stop = ch->stop;
	co->run.failed.value = ch->value;
	if (ch->cycle)
		snprintf(co->run.verdict, sizeof(co->run.verdict), "VM%u, restored from "
			 "snapshot %u, failed: %s", ch->vm, ch->cycle, why);
	else
		snprintf(co->run.verdict, sizeof(co->run.verdict), "VM%u failed: %s", ch->vm, why);
}

/*
 * A VM that failed decides the result; otherwise what was found does, and
 * a clean --snapshot run fails if a VM had no restored copy run a round.
 */
static void judge(struct coordinator *co)
{
	for (unsigned int i = 0; i < co->nr; i++)
		if (child_failed(&co->vm[i])) {
			const char *why = co->vm[i].reason;

			vm_failed(co, &co->vm[i], why[0] ? why : "it died");
			return;
		}
	if (co->run.cfg->neighbour && !co->run.neighbour_ok) {
		co->run.result = LEAK_VM_FAILED;
		co->run.failed.stop = VM_STOP_ERROR;
		co->run.failed.value = FPVM_ERR_SYSTEM;
		snprintf(co->run.verdict, sizeof(co->run.verdict), "the neighbour %.150s failed "
			 "(its message is above)", co->run.cfg->neighbour);
		return;
	}
	leak_judge(&co->run);
	for (unsigned int i = 0; co->run.cfg->snapshot && co->run.result == LEAK_CLEAN &&
	     i < co->run.cfg->nr_vms; i++) {
		bool ran = false;

		for (unsigned int j = 0; j < co->nr; j++)
			ran |= co->vm[j].vm == i && co->vm[j].cycle && co->vm[j].armed;
		if (!ran) {
			struct child ch = { .vm = i, .stop = VM_STOP_TIMEOUT };

			vm_failed(co, &ch, "no restored copy of it ran a round (is the run too "
				  "short for its snapshots?)");
		}
	}
}

/* The snapshots' directory and everything in it. */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int make_root(struct coordinator *co, struct fpvm_error *err)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(co->root, sizeof(co->root), "%s/fpvm-leakcheck.XXXXXX", tmp);
	if (mkdtemp(co->root))
		return 0;
	fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "the snapshots' directory %s: %s", co->root,
		  strerror(errno));
	err->item = CFG_LEAK_SNAPSHOT;	/* the command names its option */
	return -EIO;
}

int leakcheck_run(const struct leak_config *c, enum leak_inject inject, bool progress,
		  struct leak_run *run, struct fpvm_error *err)
{
	struct coordinator co = { .run = { .cfg = c, .inject = inject }, .progress = progress,
				  .neighbour = -1 };
	struct guest_fpu_cfg fpu_cfg;
	struct kvm kvm;
	bool running = true;
	int poll_errno = 0, r = 0;

	*run = co.run;
	/* Fail fast and once, rather than once per VM process. */
	if (guest_fpu_open(&kvm, &fpu_cfg, c->kvm_path, false, NULL, err))
		return -ENODEV;
	guest_fpu_close(&kvm, &fpu_cfg);
	if (c->neighbour && leak_neighbour_check(c, err))
		return -EINVAL;
	if (c->snapshot && make_root(&co, err))
		return -EIO;
	co.cap = c->nr_vms * (c->snapshot ? 1 + LEAK_SNAPSHOT_CYCLES : 1);
	co.vm = calloc(co.cap, sizeof(*co.vm));
	co.run.vm_stats = calloc(c->nr_vms, sizeof(*co.run.vm_stats));
	if (!co.vm || !co.run.vm_stats) {
		r = fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
		goto out;
	}
	expectation(&co.run);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &co.t0);
	for (unsigned int i = 0; i < c->nr_vms && !r; i++)
		r = spawn(&co, i, 0, c->duration_ms);
	if (!r && c->neighbour)
		r = spawn_neighbour(&co);
	if (r) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "leakcheck: cannot start VM processes: %s",
			  strerror(-r));
		for (unsigned int i = 0; i < co.nr; i++)
			kill_child(&co.vm[i]);
		if (co.neighbour > 0)
			kill(co.neighbour, SIGKILL);
		running = false;
	}
	while (running) {
		struct pollfd pfd[MAX_PROCS];
		unsigned int n = 0, who[MAX_PROCS];

		for (unsigned int i = 0; i < co.nr; i++)
			if (co.vm[i].fd >= 0) {
				who[n] = i;
				pfd[n++] = (struct pollfd){ .fd = co.vm[i].fd, .events = POLLIN };
			}
		if (!n)
			break;
		if (poll(pfd, n, 50) < 0 && errno != EINTR) {
			poll_errno = errno;
			for (unsigned int i = 0; i < co.nr; i++)
				kill_child(&co.vm[i]);
			break;
		}
		for (unsigned int j = 0; j < n; j++)
			if (pfd[j].revents & (POLLIN | POLLHUP))
				receive(&co, who[j]);
		if (co.run.inject != INJECT_NONE)
			send_injection(&co);
		if (c->snapshot)
			send_snapshots(&co);
		show_progress(&co, false);
		if (elapsed_ms(&co) > c->duration_ms + GRACE_MS) {
			for (unsigned int i = 0; i < co.nr; i++)
				if (co.vm[i].fd >= 0) {
					kill_child(&co.vm[i]);
					co.vm[i].done = true;
					co.vm[i].stop = VM_STOP_TIMEOUT;
					snprintf(co.vm[i].reason, sizeof(co.vm[i].reason),
						 "still running %u s after the run's duration",
						 GRACE_MS / 1000);
				}
			running = false;
		}
	}
	for (unsigned int i = 0; i < co.nr; i++) {
		int ws;

		if (co.vm[i].fd >= 0)
			close(co.vm[i].fd);
		if (co.vm[i].pid > 0 && wait4(co.vm[i].pid, &ws, 0, &co.vm[i].ru) == co.vm[i].pid &&
		    !co.vm[i].done) {
			co.vm[i].stop = VM_STOP_ERROR;
			co.vm[i].value = FPVM_ERR_SYSTEM;
			snprintf(co.vm[i].reason, sizeof(co.vm[i].reason), "VM process %s",
				 WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws)) : "ended without a result");
		}
	}
	reap_neighbour(&co);
	if (r)
		goto out;
	if (poll_errno) {
		r = fpvm_fail(err, FPVM_ERR_SYSTEM, poll_errno, "leakcheck: poll: %s",
			      strerror(poll_errno));
		goto out;
	}
	co.run.elapsed_ms = elapsed_ms(&co);
	show_progress(&co, true);
	totals(&co);
	judge(&co);
	*run = co.run;
	co.run.vm_stats = NULL;
	co.run.table = (struct leak_table){ 0 };
out:
	leak_run_release(&co.run);
	if (co.root[0])
		nftw(co.root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(co.captured);
	free(co.vm);
	return r;
}
