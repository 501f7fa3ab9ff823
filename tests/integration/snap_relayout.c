// SPDX-License-Identifier: MIT
/*
 * snap_relayout SNAPSHOT CPUID-FIXTURE: rewrites every vCPU's XSAVE image
 * of a snapshot into the standard-format layout of another machine (leaf
 * 0xD of a CPUID fixture, tests/fixtures/cpuid/), with its .layout file and
 * the manifest's checksums, as if the snapshot had been taken there.  The
 * snapshot suite restores the result on this host, so fpvm must convert it
 * back, component by component, and the guest must not notice.
 *
 * snap_relayout --cpuid-bit SNAPSHOT LEAF SUBLEAF REG BIT: gives every vCPU
 * of the snapshot one more CPUID feature bit (REG: eax ebx ecx edx), as a
 * snapshot from a host with that feature would have; a restore here must
 * refuse it, naming the feature.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fpstate/fpstate.h"
#include "../../snapshot/snapshot.h"

/* Leaf 0xD of a fixture: "0x0000000d SUB FLAGS EAX EBX ECX EDX" lines. */
static int fixture_layout(const char *path, struct xstate_layout *l)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 64 * sizeof(c->entries[0]));
	struct fpstate_error ferr;
	char line[512];
	FILE *f = fopen(path, "r");
	int r;

	if (!f || !c) {
		fprintf(stderr, "snap_relayout: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && c->nent < 64) {
		unsigned int fn, idx, a, b, cx, d;
		char flags[16];

		if (sscanf(line, "%x %x %15s %x %x %x %x", &fn, &idx, flags, &a, &b, &cx, &d) == 7 &&
		    fn == 0xd)
			c->entries[c->nent++] = (struct kvm_cpuid_entry2){
				.function = fn, .index = idx, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
				.eax = a, .ebx = b, .ecx = cx, .edx = d,
			};
	}
	fclose(f);
	r = xstate_layout_init(l, c, &ferr);
	free(c);
	if (r)
		fprintf(stderr, "snap_relayout: %s: %s\n", path, ferr.msg);
	return r;
}

static int relayout_vcpu(const char *dir, int dirfd, struct snapshot_manifest *m, unsigned int i,
			 const struct xstate_layout *to)
{
	struct fpstate_error ferr;
	struct fpvm_error err;
	struct fpstate_file sf;
	struct fpstate fps;
	char path[4096], name[SNAPSHOT_NAME_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/vcpu%u.xsave", dir, i);
	if (fpstate_file_load(path, &sf, &ferr)) {
		fprintf(stderr, "snap_relayout: %s\n", ferr.msg);
		return -1;
	}
	fps = (struct fpstate){ .layout = to, .xfeatures = sf.xfeatures, .size = sf.size,
				.is_guest = true, .buf = aligned_alloc(64, sf.size) };
	r = fpstate_convert_uabi(&sf.layout, to, sf.xfeatures, sf.buf, sf.size, fps.buf, fps.size,
				 &ferr) ?: fpstate_file_save(dir, (int)i, &fps, sf.xcr0, &ferr);
	free(fps.buf);
	fpstate_file_free(&sf);
	if (r) {
		fprintf(stderr, "snap_relayout: vcpu %u: %s\n", i, ferr.msg);
		return -1;
	}
	snprintf(name, sizeof(name), "vcpu%u.xsave", i);
	r = snapshot_part_add_file(dirfd, m, name, &err);
	snprintf(name, sizeof(name), "vcpu%u.layout", i);
	r = r ?: snapshot_part_add_file(dirfd, m, name, &err);
	if (r)
		fprintf(stderr, "snap_relayout: %s\n", err.msg);
	return r;
}

static int add_cpuid_bit(int dirfd, struct snapshot_manifest *m, char **argv)
{
	uint32_t fn = (uint32_t)strtoul(argv[0], NULL, 0), idx = (uint32_t)strtoul(argv[1], NULL, 0);
	unsigned int reg = !strcmp(argv[2], "eax") ? 0 : !strcmp(argv[2], "ebx") ? 1 :
			   !strcmp(argv[2], "ecx") ? 2 : 3, bit = (unsigned int)atoi(argv[3]);
	struct fpvm_error err;

	for (unsigned int i = 0; i < m->nr_cpus; i++) {
		char name[SNAPSHOT_NAME_MAX];
		struct kvm_cpuid2 *c;
		size_t len;
		int fd, found = 0;

		snprintf(name, sizeof(name), "vcpu%u.cpuid", i);
		if (snapshot_part_read(dirfd, m, name, (void **)&c, &len, &err)) {
			fprintf(stderr, "snap_relayout: %s\n", err.msg);
			return -1;
		}
		for (uint32_t e = 0; e < c->nent; e++) {
			struct kvm_cpuid_entry2 *x = &c->entries[e];
			uint32_t *regs[] = { &x->eax, &x->ebx, &x->ecx, &x->edx };

			if (x->function == fn && x->index == idx) {
				*regs[reg] |= 1U << bit;
				found = 1;
			}
		}
		fd = openat(dirfd, name, O_WRONLY | O_TRUNC);
		if (!found || fd < 0 || write(fd, c, len) != (ssize_t)len || close(fd) ||
		    snapshot_part_add_file(dirfd, m, name, &err)) {
			fprintf(stderr, "snap_relayout: %s: %s\n", name,
				found ? "cannot rewrite it" : "no such leaf");
			free(c);
			return -1;
		}
		free(c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct snapshot_manifest m;
	struct xstate_layout to;
	struct fpvm_error err;
	int dirfd, r;

	if (argc == 7 && !strcmp(argv[1], "--cpuid-bit")) {
		if (snapshot_dir_open(argv[2], &dirfd, &err) ||
		    snapshot_manifest_read(dirfd, &m, &err)) {
			fprintf(stderr, "snap_relayout: %s\n", err.msg);
			return 1;
		}
		r = add_cpuid_bit(dirfd, &m, argv + 3);
		if (!r && snapshot_manifest_write(dirfd, &m, &err)) {
			fprintf(stderr, "snap_relayout: %s\n", err.msg);
			r = -1;
		}
		snapshot_manifest_free(&m);
		close(dirfd);
		return r ? 1 : 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: snap_relayout SNAPSHOT CPUID-FIXTURE\n"
			"       snap_relayout --cpuid-bit SNAPSHOT LEAF SUBLEAF REG BIT\n");
		return 64;
	}
	if (fixture_layout(argv[2], &to))
		return 1;
	if (snapshot_dir_open(argv[1], &dirfd, &err) || snapshot_manifest_read(dirfd, &m, &err)) {
		fprintf(stderr, "snap_relayout: %s\n", err.msg);
		return 1;
	}
	r = 0;
	for (unsigned int i = 0; i < m.nr_cpus && !r; i++)
		r = relayout_vcpu(argv[1], dirfd, &m, i, &to);
	if (!r && snapshot_manifest_write(dirfd, &m, &err)) {
		fprintf(stderr, "snap_relayout: %s\n", err.msg);
		r = 1;
	}
	snapshot_manifest_free(&m);
	close(dirfd);
	return r ? 1 : 0;
}
