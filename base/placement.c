// SPDX-License-Identifier: MIT
/*
 * CPU lists, vCPU placements and scheduling policies as users write them
 * (placement.h).  The list syntax is the kernel's (cpuset(7), "List
 * format"), which taskset -c and Cpus_allowed_list use too.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"

unsigned int cpu_mask_count(const struct cpu_mask *m)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < PLACEMENT_MAX_CPUS / 64; i++)
		n += (unsigned int)__builtin_popcountll(m->bits[i]);
	return n;
}

const char *cpu_mask_format(const struct cpu_mask *m, char *buf, unsigned int size)
{
	unsigned int len = 0;

	buf[0] = '\0';
	for (unsigned int cpu = 0; cpu < PLACEMENT_MAX_CPUS; cpu++) {
		unsigned int last = cpu;
		int n;

		if (!cpu_mask_test(m, cpu))
			continue;
		while (cpu_mask_test(m, last + 1))
			last++;
		n = last > cpu ? snprintf(buf + len, size - len, "%s%u-%u", len ? "," : "", cpu, last)
			       : snprintf(buf + len, size - len, "%s%u", len ? "," : "", cpu);
		if (n < 0 || (unsigned int)n >= size - len) {
			if (size > 4)
				strcpy(buf + size - 4, "...");
			return buf;
		}
		len += (unsigned int)n;
		cpu = last;
	}
	return buf;
}

/* A CPU number at *@s, moving past it: digits only, no sign or blanks. */
static int cpu_number(const char **s, unsigned int *cpu)
{
	unsigned long v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p++ - '0');
		if (v >= PLACEMENT_MAX_CPUS)
			return -ERANGE;
	}
	*s = p;
	*cpu = (unsigned int)v;
	return 0;
}

/* One "N" or "N-M" of a list, up to @end. */
static int cpu_range(const char *s, const char *end, struct cpu_mask *m, const char *whole,
		     struct fpvm_error *err)
{
	unsigned int lo, hi;
	int r = cpu_number(&s, &lo);

	hi = lo;
	if (!r && s < end && *s == '-') {
		s++;
		r = cpu_number(&s, &hi);
	}
	if (r == -ERANGE)
		return fpvm_fail_config(err, CFG_NONE, "%s: a CPU number above %d", whole,
					PLACEMENT_MAX_CPUS - 1);
	if (r || s != end)
		return fpvm_fail_config(err, CFG_NONE, "'%s': not a CPU list (examples: 0, 0-3, "
					"0,2-3)", whole);
	if (hi < lo)
		return fpvm_fail_config(err, CFG_NONE, "%s: range %u-%u runs backwards", whole, lo,
					hi);
	for (unsigned int c = lo; c <= hi; c++)
		cpu_mask_set(m, c);
	return 0;
}

/* A list of ranges from @s to @end, added to @m; @whole names it in messages. */
static int cpu_list_part(const char *s, const char *end, struct cpu_mask *m, const char *whole,
			 struct fpvm_error *err)
{
	if (s == end)
		return fpvm_fail_config(err, CFG_NONE, "'%s': an empty CPU list", whole);
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *stop = comma ? comma : end;
		int r;

		if (stop == s || (comma && comma + 1 == end))
			return fpvm_fail_config(err, CFG_NONE, "'%s': an empty entry in the CPU list",
						whole);
		r = cpu_range(s, stop, m, whole, err);
		if (r)
			return r;
		s = comma ? comma + 1 : end;
	}
	return 0;
}

int parse_cpu_list(const char *s, struct cpu_mask *out, struct fpvm_error *err)
{
	*out = (struct cpu_mask){ 0 };
	return cpu_list_part(s, s + strlen(s), out, s, err);
}

/* "all" or a vCPU number, from @s to @end. */
static int vcpu_name(const char *s, const char *end, struct placement_entry *e,
		     const char *whole, struct fpvm_error *err)
{
	unsigned int v = 0;

	if (end - s == 3 && !memcmp(s, "all", 3)) {
		e->all = true;
		return 0;
	}
	if (s == end)
		return fpvm_fail_config(err, CFG_NONE, "'%s': a CPU list without its vCPU "
					"(expected VCPU:LIST or all:LIST)", whole);
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return fpvm_fail_config(err, CFG_NONE, "'%s': '%.*s' is not a vCPU number "
						"or 'all'", whole, (int)(end - s), s);
		v = v * 10 + (unsigned int)(*p - '0');
		if (v >= PLACEMENT_MAX_CPUS)
			return fpvm_fail_config(err, CFG_NONE, "%s: vCPU %.*s out of range", whole,
						(int)(end - s), s);
	}
	e->vcpu = v;
	return 0;
}

static bool same_vcpu(const struct placement_entry *a, const struct placement_entry *b)
{
	return a->all == b->all && (a->all || a->vcpu == b->vcpu);
}

int parse_vcpu_placement(const char *s, struct vcpu_placement *out, struct fpvm_error *err)
{
	const char *p = s, *end = s + strlen(s);

	out->nr = 0;
	if (!strchr(s, ':'))
		return fpvm_fail_config(err, CFG_NONE, "'%s': expected VCPU:LIST[,VCPU:LIST...] "
					"or all:LIST (example: 0:2,1:3)", s);
	while (p < end) {
		const char *colon = strchr(p, ':');
		const char *list_end = end;
		struct placement_entry *e;
		int r;

		/* This entry's list ends at the comma before the next "VCPU:". */
		if (colon) {
			const char *next = strchr(colon + 1, ':');

			if (next) {
				list_end = next;
				while (list_end > colon && *list_end != ',')
					list_end--;
				if (list_end == colon)
					return fpvm_fail_config(err, CFG_NONE, "'%s': expected a "
								"comma between entries", s);
			}
		}
		if (!colon)
			return fpvm_fail_config(err, CFG_NONE, "'%s': expected VCPU:LIST", s);
		if (out->nr == PLACEMENT_MAX_ENTRIES)
			return fpvm_fail_config(err, CFG_NONE, "%s: more than %d entries", s,
						PLACEMENT_MAX_ENTRIES);
		e = &out->entry[out->nr];
		*e = (struct placement_entry){ 0 };
		r = vcpu_name(p, colon, e, s, err);
		if (!r)
			r = cpu_list_part(colon + 1, list_end, &e->cpus, s, err);
		if (r)
			return r;
		for (unsigned int i = 0; i < out->nr; i++)
			if (same_vcpu(&out->entry[i], e))
				return e->all ? fpvm_fail_config(err, CFG_NONE, "%s: 'all' given "
								 "twice", s)
					      : fpvm_fail_config(err, CFG_NONE, "%s: vCPU %u given "
								 "twice", s, e->vcpu);
		out->nr++;
		p = list_end < end ? list_end + 1 : end;
	}
	return 0;
}

static const char *const sched_names[] = {
	[SCHED_KIND_DEFAULT] = "default", [SCHED_KIND_OTHER] = "other",
	[SCHED_KIND_BATCH] = "batch", [SCHED_KIND_IDLE] = "idle", [SCHED_KIND_FIFO] = "fifo",
	[SCHED_KIND_RR] = "rr",
};

const char *sched_kind_name(enum sched_kind kind)
{
	return sched_names[kind];
}

int sched_kind_policy(enum sched_kind kind)
{
	switch (kind) {
	case SCHED_KIND_BATCH:
		return SCHED_BATCH;
	case SCHED_KIND_IDLE:
		return SCHED_IDLE;
	case SCHED_KIND_FIFO:
		return SCHED_FIFO;
	case SCHED_KIND_RR:
		return SCHED_RR;
	case SCHED_KIND_DEFAULT:
	case SCHED_KIND_OTHER:
		break;
	}
	return SCHED_OTHER;
}

int parse_sched_choice(const char *s, struct sched_choice *out, struct fpvm_error *err)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	for (enum sched_kind k = SCHED_KIND_OTHER; k <= SCHED_KIND_RR; k++) {
		bool rt = k == SCHED_KIND_FIFO || k == SCHED_KIND_RR;
		unsigned long prio;
		char *end;

		if (strlen(sched_names[k]) != n || memcmp(s, sched_names[k], n))
			continue;
		*out = (struct sched_choice){ .kind = k };
		if (!rt && !colon)
			return 0;
		if (!rt)
			return fpvm_fail_config(err, CFG_NONE, "'%s': %s takes no priority", s,
						sched_names[k]);
		/* sched(7): real-time priorities are 1 (low) to 99 (high) on Linux. */
		if (!colon || colon[1] < '0' || colon[1] > '9')
			return fpvm_fail_config(err, CFG_NONE, "'%s': %s needs a priority, "
						"%s:1 to %s:99", s, sched_names[k], sched_names[k],
						sched_names[k]);
		errno = 0;
		prio = strtoul(colon + 1, &end, 10);
		if (*end || errno || prio < 1 || prio > 99)
			return fpvm_fail_config(err, CFG_NONE, "'%s': the priority must be 1 to 99",
						s);
		out->priority = (int)prio;
		return 0;
	}
	return fpvm_fail_config(err, CFG_NONE, "'%s': expected other, batch, idle, fifo:PRIO or "
				"rr:PRIO", s);
}

const struct cpu_mask *placement_cpus(const struct vcpu_placement *p, unsigned int vcpu)
{
	const struct cpu_mask *all = NULL;

	for (unsigned int i = 0; p && i < p->nr; i++) {
		if (!p->entry[i].all && p->entry[i].vcpu == vcpu)
			return &p->entry[i].cpus;
		if (p->entry[i].all)
			all = &p->entry[i].cpus;
	}
	return all;
}

int cpu_mask_check_host(const struct cpu_mask *m, struct fpvm_error *err)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "sched_getaffinity: %s",
				 strerror(errno));
	for (unsigned int cpu = 0; cpu < PLACEMENT_MAX_CPUS; cpu++)
		if (cpu_mask_test(m, cpu) && !CPU_ISSET(cpu, &allowed)) {
			char list[64];
			struct cpu_mask own = { 0 };

			for (unsigned int c = 0; c < PLACEMENT_MAX_CPUS && c < CPU_SETSIZE; c++)
				if (CPU_ISSET(c, &allowed))
					cpu_mask_set(&own, c);
			return fpvm_fail_config(err, CFG_NONE, "CPU %u: not one this process may run "
						"on (it may use %s)", cpu,
						cpu_mask_format(&own, list, sizeof(list)));
		}
	return 0;
}

int placement_check(const struct vcpu_placement *p, unsigned int nr_vcpus,
		    struct fpvm_error *err)
{
	for (unsigned int i = 0; i < p->nr; i++) {
		const struct placement_entry *e = &p->entry[i];
		int r;

		if (!e->all && e->vcpu >= nr_vcpus)
			return fpvm_fail_config(err, CFG_NONE, "vCPU %u: the VM has %u vCPU%s",
						e->vcpu, nr_vcpus, nr_vcpus == 1 ? "" : "s");
		r = cpu_mask_check_host(&e->cpus, err);
		if (r)
			return r;
	}
	return 0;
}
