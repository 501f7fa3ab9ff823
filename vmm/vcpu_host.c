// SPDX-License-Identifier: MIT
/*
 * Where a vCPU thread runs (vcpu_host.h).  A thread sets its own affinity
 * and policy, before its seccomp filter: sched_setaffinity(2) and
 * sched_setscheduler(2) with pid 0 act on the calling thread, not the
 * process.  The counters are the kernel's per thread: voluntary and
 * involuntary context switches in /proc/thread-self/status, migrations as
 * se.nr_migrations in /proc/thread-self/sched, which exists only with
 * CONFIG_SCHED_DEBUG (Documentation/filesystems/proc.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcpu_host.h"
#include "vm.h"

static int set_cpus(const struct cpu_mask *m, unsigned int id, struct fpvm_error *err)
{
	char list[64];
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	for (unsigned int cpu = 0; cpu < PLACEMENT_MAX_CPUS && cpu < CPU_SETSIZE; cpu++)
		if (cpu_mask_test(m, cpu))
			CPU_SET(cpu, &set);
	r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (!r)
		return 0;
	cpu_mask_format(m, list, sizeof(list));
	return fpvm_fail(err, r == EINVAL ? FPVM_ERR_CONFIG : FPVM_ERR_SYSTEM, r,
			 "vcpu %u: host CPUs %s: %s", id, list,
			 r == EINVAL ? "none of them is one this process may run on" : strerror(r));
}

static int set_policy(const struct sched_choice *s, unsigned int id, struct fpvm_error *err)
{
	struct sched_param sp = { .sched_priority = s->priority };

	if (!sched_setscheduler(0, sched_kind_policy(s->kind), &sp))
		return 0;
	/* sched(7): real-time policies need CAP_SYS_NICE or an RLIMIT_RTPRIO that allows them. */
	if (errno == EPERM)
		return fpvm_fail(err, FPVM_ERR_PERMISSION, EPERM, "vcpu %u: scheduling policy "
				 "%s:%d: not permitted to this process (it needs CAP_SYS_NICE or "
				 "an RLIMIT_RTPRIO of at least %d)", id, sched_kind_name(s->kind),
				 s->priority, s->priority);
	return fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "vcpu %u: scheduling policy %s: %s", id,
			 sched_kind_name(s->kind), strerror(errno));
}

int vcpu_host_place(const struct vm_config *cfg, unsigned int id, struct fpvm_error *err)
{
	const struct cpu_mask *cpus = placement_cpus(cfg->affinity, id);
	int r = cpus ? set_cpus(cpus, id, err) : 0;

	if (!r && cfg->sched.kind != SCHED_KIND_DEFAULT)
		r = set_policy(&cfg->sched, id, err);
	return r;
}

void vcpu_host_counters_open(struct vcpu_host_counters *c)
{
	c->status_fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	c->sched_fd = open("/proc/thread-self/sched", O_RDONLY | O_CLOEXEC);
}

/* The whole of a small /proc file, from one open descriptor, which it closes. */
static bool read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return false;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return n >= 0 && len;
}

/* The number after "@key" and blanks or colons on one of @text's lines; -1 without. */
static int64_t field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		long long v;

		if (strncmp(p, key, klen))
			continue;
		p += klen;
		p += strspn(p, " \t:");
		if (sscanf(p, "%lld", &v) == 1)
			return v;
	}
	return -1;
}

void vcpu_host_counters_read(struct vcpu_host_counters *c, struct vcpu_stats *st)
{
	char buf[8192];

	st->voluntary_switches = st->involuntary_switches = st->migrations = -1;
	if (read_all(c->status_fd, buf, sizeof(buf))) {
		st->voluntary_switches = field(buf, "voluntary_ctxt_switches");
		st->involuntary_switches = field(buf, "nonvoluntary_ctxt_switches");
	}
	if (read_all(c->sched_fd, buf, sizeof(buf)))
		st->migrations = field(buf, "se.nr_migrations");
	c->status_fd = c->sched_fd = -1;
}

void vcpu_host_note_cpu(struct vcpu_stats *st)
{
	int cpu = sched_getcpu();

	if (cpu >= 0 && cpu < PLACEMENT_MAX_CPUS)
		cpu_mask_set(&st->host_cpus, (unsigned int)cpu);
}
