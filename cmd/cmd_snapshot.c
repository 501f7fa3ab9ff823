// SPDX-License-Identifier: MIT
/*
 * fpvm snapshot show: what a snapshot holds, read and verified with no
 * KVM: the machine, the host it came from, and per vCPU its XCR0, the
 * XSAVE features its image holds and where it stood.
 */
#include <stdio.h>
#include <string.h>

#include "../base/json.h"
#include "../snapshot/snapshot.h"
#include "../vcpu/vcpu.h"
#include "cmd.h"

static void print_vcpu(const struct vm_snapshot *s, unsigned int i, bool json)
{
	const struct vm_snapshot_vcpu *v = &s->vcpus[i];
	uint64_t xstate_bv;
	char feat[256], bv[256];

	memcpy(&xstate_bv, v->fps.buf + XSAVE_HDR_OFFSET, sizeof(xstate_bv));
	xfeatures_str(v->fps.xcr0, feat, sizeof(feat));
	xfeatures_str(xstate_bv, bv, sizeof(bv));
	if (json) {
		printf("%s\n    {\"id\": %u, \"xcr0\": \"0x%llx\", \"xcr0_features\": ", i ? "," : "",
		       i, (unsigned long long)v->fps.xcr0);
		json_str(stdout, feat);
		printf(", \"xstate_bv\": \"0x%llx\", \"xstate_features\": ",
		       (unsigned long long)xstate_bv);
		json_str(stdout, bv);
		printf(", \"xsave_size\": %u, \"rip\": \"0x%llx\", \"cr0\": \"0x%llx\", \"cr4\": "
		       "\"0x%llx\", \"mp_state\": %u, \"halted\": %s, \"msrs\": %u, \"cpuid_entries\": %u}",
		       v->fps.size, (unsigned long long)v->state->regs.rip,
		       (unsigned long long)v->state->sregs.cr0, (unsigned long long)v->state->sregs.cr4,
		       v->state->mp_state.mp_state, s->halted[i] ? "true" : "false",
		       v->state->nr_msrs, v->cpuid->nent);
		return;
	}
	printf("vcpu %u: XCR0 0x%llx (%s); XSAVE image %u bytes holding %s; rip 0x%llx, cr0 "
	       "0x%llx, cr4 0x%llx; %u MSRs; %u CPUID entries%s\n", i,
	       (unsigned long long)v->fps.xcr0, feat, v->fps.size, xstate_bv ? bv : "nothing",
	       (unsigned long long)v->state->regs.rip, (unsigned long long)v->state->sregs.cr0,
	       (unsigned long long)v->state->sregs.cr4, v->state->nr_msrs, v->cpuid->nent,
	       s->halted[i] ? "; halted" : "");
}

static int snapshot_show(const void *opts)
{
	const struct snapshot_opts *o = opts;
	struct fpvm_error err = { 0 };
	struct vm_snapshot s;
	int status = 0;

	if (vm_snapshot_open(&s, o->path, &err) || vm_snapshot_verify_memory(&s, &err)) {
		status = report_error(&err);
		goto out;
	}
	snapshot_manifest_print(stdout, s.m, o->json);
	if (o->json)
		printf(",\n  \"platform\": \"%s\",\n  \"vcpus\": [", s.pc ? "pc" : "fpvm");
	else
		printf("platform: %s\n", s.pc ? "PC (Multiboot kernel)" : "fpvm");
	for (unsigned int i = 0; i < s.nr_vcpus; i++)
		print_vcpu(&s, i, o->json);
	if (o->json)
		printf("\n  ]\n}\n");
	if (fflush(stdout))
		status = FPVM_EXIT_IOERR;
out:
	vm_snapshot_close(&s);
	return status;
}

static const struct opt snapshot_opts[] = {
	OPT_FLAG("json", 0, struct snapshot_opts, json, "one JSON object"),
};

static int snapshot_operands(void *opts, int argc, char **argv, struct fpvm_error *err)
{
	struct snapshot_opts *o = opts;

	if (argc != 1)
		return USAGE_FAIL(err, "snapshot show: expected one snapshot directory");
	o->path = argv[0];
	return 0;
}

const struct command cmd_snapshot_show = {
	.name = "snapshot show",
	.synopsis = "[--json] SNAPSHOT-DIR",
	.summary = "what a snapshot holds: machine, vCPUs, XCR0, XSAVE features, source host",
	.description =
		"Reads and verifies every part of SNAPSHOT-DIR, with no KVM, as restore\n"
		"does, and prints the machine (vCPUs, memory, platform), the host it was\n"
		"taken on (vendor, model, KVM's XCR0 and XSS, uABI size, fpvm version), the\n"
		"directory of its parts (gen-N) and every part with its size and checksum,\n"
		"and per vCPU its XCR0, the features its XSAVE image holds and where it stood.",
	.opts = snapshot_opts,
	.nr_opts = NR_OPTS(snapshot_opts),
	.operands = snapshot_operands,
	.run = snapshot_show,
	.statuses = "0 shown; 64 usage error; 65 damaged, missing or inconsistent snapshot\n(the part is named); 74 output error.",
};
