// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "testutil.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must point at tests/fixtures"
#endif

const char *fixture_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	return path;
}

static struct kvm_cpuid2 *cpuid_alloc(unsigned int n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	return c;
}

int cpuid_fixture_load(const char *name, struct cpuid_fixture *f)
{
	FILE *fp = fopen(fixture_path(name), "r");
	char line[512];

	*f = (struct cpuid_fixture){ .kvm = cpuid_alloc(256), .host = cpuid_alloc(256) };
	if (!fp || !f->kvm || !f->host)
		return -ENOENT;
	while (fgets(line, sizeof(line), fp)) {
		unsigned int fn, idx, a, b, c, d;
		char flags[16];
		unsigned long long xcr0;
		struct kvm_cpuid2 *t;

		if (sscanf(line, "# host XCR0 = %llx", &xcr0) == 1) {
			f->host_xcr0 = xcr0;
			continue;
		}
		if (line[0] == '#' ||
		    sscanf(line, "%x %x %15s %x %x %x %x", &fn, &idx, flags, &a, &b, &c, &d) != 7)
			continue;
		t = strcmp(flags, "-") ? f->kvm : f->host;
		if (t->nent == 256)
			break;
		t->entries[t->nent++] = (struct kvm_cpuid_entry2){
			.function = fn, .index = idx,
			.flags = strcmp(flags, "-") ? (uint32_t)strtoul(flags, NULL, 0)
						    : KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			.eax = a, .ebx = b, .ecx = c, .edx = d,
		};
	}
	fclose(fp);
	return 0;
}

struct xstate_layout cpuid_fixture_layout(const char *name, bool kvm)
{
	struct cpuid_fixture f;
	struct fpstate_error err;
	struct xstate_layout l;

	ck_assert_int_eq(cpuid_fixture_load(name, &f), 0);
	ck_assert_msg(!xstate_layout_init(&l, kvm ? f.kvm : f.host, &err), "%s: %s", name, err.msg);
	cpuid_fixture_free(&f);
	return l;
}

void cpuid_fixture_free(struct cpuid_fixture *f)
{
	free(f->kvm);
	free(f->host);
}
