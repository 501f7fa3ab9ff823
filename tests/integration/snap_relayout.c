// SPDX-License-Identifier: MIT
/*
 * snap_relayout SNAPSHOT CPUID-FIXTURE: rewrites every vCPU's XSAVE image
 * of a snapshot into the standard-format layout of another machine (leaf
 * 0xD of a CPUID fixture, tests/fixtures/cpuid/), with its layout part and
 * the manifest's checksums, as if the snapshot had been taken there.  The
 * snapshot suite restores the result on this host, so fpvm must convert it
 * back, component by component, and the guest must not notice.
 *
 * snap_relayout --cpuid-bit SNAPSHOT LEAF SUBLEAF REG BIT: gives every vCPU
 * of the snapshot one more CPUID feature bit (REG: eax ebx ecx edx), as a
 * snapshot from a host with that feature would have; a restore here must
 * refuse it, naming the feature.
 *
 * snap_relayout --edit SNAPSHOT WHAT: makes vCPU 0 of the snapshot (or its
 * machine) inconsistent in one way KVM would refuse, checksums fixed, so
 * that only the content is wrong: cr4 (all ones), mp-state (99), xcr0 (0),
 * cpuid-empty, mxcsr (a reserved bit), xcomp-bv (set), uart (a FIFO index
 * past its buffer); or extra: one more part, "notes", that fpvm does not use;
 * or amx: AMX state in the guest's XCR0 and every vCPU's layout and image
 * (XTILECFG and XTILEDATA where Intel puts them), consistent in itself, as
 * a snapshot from a host with AMX would be.
 *
 * Each writes a new generation of the snapshot through the part API, as
 * fpvm does, and leaves the snapshot's other parts as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fpstate/fpstate.h"
#include "../../snapshot/snapshot.h"
#include "../../vcpu/vcpu.h"
#include "../../vmm/machine_state.h"

struct edit {
	struct snapshot_dir d;		/* the snapshot as it is */
	struct snapshot_writer w;	/* its next generation */
};

static int fail(const char *what, const char *msg)
{
	fprintf(stderr, "snap_relayout: %s%s%s\n", what, *what ? ": " : "", msg);
	return -1;
}

static int edit_begin(struct edit *e, const char *path)
{
	struct fpvm_error err;

	memset(e, 0, sizeof(*e));
	if (snapshot_open(path, &e->d, &err))
		return fail("", err.msg);
	if (snapshot_edit_begin(&e->w, path, &err)) {
		snapshot_close(&e->d);
		return fail("", err.msg);
	}
	return 0;
}

static int edit_end(struct edit *e, int r)
{
	struct fpvm_error err;

	snapshot_close(&e->d);
	if (r) {
		snapshot_write_abort(&e->w);
		return r;
	}
	return snapshot_write_commit(&e->w, &err) ? fail("", err.msg) : 0;
}

static int read_part(struct edit *e, const char *name, void **buf, size_t *len)
{
	struct fpvm_error err;

	return snapshot_part_read(&e->d, name, buf, len, &err) ? fail("", err.msg) : 0;
}

static int write_part(struct edit *e, const char *name, const void *buf, size_t len)
{
	struct fpvm_error err;

	return snapshot_part_write(&e->w, name, buf, len, &err) ? fail("", err.msg) : 0;
}

/* Leaf 0xD of a fixture: "0x0000000d SUB FLAGS EAX EBX ECX EDX" lines. */
static int fixture_layout(const char *path, struct xstate_layout *l)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 64 * sizeof(c->entries[0]));
	struct fpstate_error ferr;
	char line[512];
	FILE *f = fopen(path, "r");
	int r;

	if (!f || !c)
		return fail(path, strerror(errno));
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
	return r ? fail(path, ferr.msg) : 0;
}

/* vCPU @i's image and layout, as the snapshot has them. */
static int read_fpstate(struct edit *e, unsigned int i, struct fpstate_file *sf)
{
	char layout[SNAPSHOT_NAME_MAX], xsave[SNAPSHOT_NAME_MAX];
	struct fpstate_error ferr;
	void *text, *image;
	size_t len, size;
	int r;

	memset(sf, 0, sizeof(*sf));
	snapshot_vcpu_part(layout, i, SNAPSHOT_VCPU_LAYOUT);
	snapshot_vcpu_part(xsave, i, SNAPSHOT_VCPU_XSAVE);
	if (read_part(e, layout, &text, &len))
		return -1;
	r = fpstate_layout_parse(text, len, layout, sf, &ferr);
	free(text);
	if (r || read_part(e, xsave, &image, &size))
		return r ? fail(layout, ferr.msg) : -1;
	r = fpstate_file_set_image(sf, image, size, xsave, &ferr);
	free(image);
	return r ? fail(xsave, ferr.msg) : 0;
}

/* vCPU @i's image and layout written as @fps holds them. */
static int write_fpstate(struct edit *e, unsigned int i, const struct fpstate *fps, uint64_t xcr0)
{
	char name[SNAPSHOT_NAME_MAX];
	size_t len;
	char *text = fpstate_layout_format(fps, xcr0, (int)i, &len);
	int r;

	if (!text)
		return fail("", "out of memory");
	r = write_part(e, snapshot_vcpu_part(name, i, SNAPSHOT_VCPU_LAYOUT), text, len) ?:
	    write_part(e, snapshot_vcpu_part(name, i, SNAPSHOT_VCPU_XSAVE), fps->buf, fps->size);
	free(text);
	return r;
}

static int relayout_vcpu(struct edit *e, unsigned int i, const struct xstate_layout *to)
{
	struct fpstate_error ferr;
	struct fpstate_file sf;
	struct fpstate fps;
	int r;

	if (read_fpstate(e, i, &sf))
		return -1;
	fps = (struct fpstate){ .layout = to, .xfeatures = sf.xfeatures, .size = sf.size,
				.is_guest = true, .buf = aligned_alloc(64, sf.size) };
	r = fpstate_convert_uabi(&sf.layout, to, sf.xfeatures, sf.buf, sf.size, fps.buf, fps.size,
				 &ferr);
	if (r)
		fail("", ferr.msg);
	else
		r = write_fpstate(e, i, &fps, sf.xcr0);
	free(fps.buf);
	fpstate_file_free(&sf);
	return r;
}

static int add_cpuid_bit(struct edit *e, char **argv)
{
	uint32_t fn = (uint32_t)strtoul(argv[0], NULL, 0), idx = (uint32_t)strtoul(argv[1], NULL, 0);
	unsigned int reg = !strcmp(argv[2], "eax") ? 0 : !strcmp(argv[2], "ebx") ? 1 :
			   !strcmp(argv[2], "ecx") ? 2 : 3, bit = (unsigned int)atoi(argv[3]);

	for (unsigned int i = 0; i < e->d.m.nr_cpus; i++) {
		char name[SNAPSHOT_NAME_MAX];
		struct kvm_cpuid2 *c;
		size_t len;
		int found = 0, r;

		if (read_part(e, snapshot_vcpu_part(name, i, SNAPSHOT_VCPU_CPUID), (void **)&c, &len))
			return -1;
		for (uint32_t k = 0; k < c->nent; k++) {
			struct kvm_cpuid_entry2 *x = &c->entries[k];
			uint32_t *regs[] = { &x->eax, &x->ebx, &x->ecx, &x->edx };

			if (x->function == fn && x->index == idx) {
				*regs[reg] |= 1U << bit;
				found = 1;
			}
		}
		r = found ? write_part(e, name, c, len) : fail(name, "no such leaf");
		free(c);
		if (r)
			return r;
	}
	return 0;
}

/* Every vCPU's layout and image grown by AMX's two components, and the manifest's XCR0. */
static int add_amx(struct edit *e)
{
	for (unsigned int i = 0; i < e->d.m.nr_cpus; i++) {
		struct fpstate_file sf;
		struct fpstate fps;
		int r;

		if (read_fpstate(e, i, &sf))
			return -1;
		/* CPUID.(EAX=0DH,ECX=17/18) of Sapphire Rapids: 64 bytes at 2752, 8192 at 2816. */
		sf.layout.comp[XFEATURE_XTILE_CFG] = (struct xstate_component){ 64, 2752, 0 };
		sf.layout.comp[XFEATURE_XTILE_DATA] = (struct xstate_component){ 8192, 2816,
										 XCOMP_XFD };
		/* A layout agrees with its own CPUID (the parser checks): AMX supported, in max_size. */
		sf.layout.xcr0_supported |= XFEATURE_MASK_XTILE;
		if (sf.layout.max_size < 2816 + 8192)
			sf.layout.max_size = 2816 + 8192;
		fps = (struct fpstate){ .layout = &sf.layout, .size = 2816 + 8192, .is_guest = true,
					.xfeatures = sf.xfeatures | XFEATURE_MASK_XTILE,
					.buf = calloc(1, 2816 + 8192) };
		if (!fps.buf)
			return fail("", "out of memory");
		memcpy(fps.buf, sf.buf, sf.size < fps.size ? sf.size : fps.size);
		r = write_fpstate(e, i, &fps, sf.xcr0 | XFEATURE_MASK_XTILE);
		free(fps.buf);
		fpstate_file_free(&sf);
		if (r)
			return r;
	}
	e->w.m.guest_xcr0 |= XFEATURE_MASK_XTILE;
	return 0;
}

/* One inconsistency in vCPU 0 or the machine, as --edit names it. */
static int plant(struct edit *e, const char *what)
{
	bool in_state = !strcmp(what, "cr4") || !strcmp(what, "mp-state") || !strcmp(what, "xcr0");
	bool in_image = !strcmp(what, "mxcsr") || !strcmp(what, "xcomp-bv");
	char name[SNAPSHOT_NAME_MAX];
	void *buf;
	size_t len;
	int r;

	if (!strcmp(what, "extra"))
		return write_part(e, "notes", "notes", 5);
	if (!strcmp(what, "amx"))
		return add_amx(e);
	if (in_state || !strcmp(what, "cpuid-empty"))
		snapshot_vcpu_part(name, 0, in_state ? SNAPSHOT_VCPU_STATE : SNAPSHOT_VCPU_CPUID);
	else if (in_image)
		snapshot_vcpu_part(name, 0, SNAPSHOT_VCPU_XSAVE);
	else if (!strcmp(what, "uart"))
		snprintf(name, sizeof(name), "machine");
	else
		return fail(what, "not cr4, mp-state, xcr0, cpuid-empty, mxcsr, xcomp-bv, uart, "
			    "extra or amx");
	if (read_part(e, name, &buf, &len))
		return -1;
	if (!strcmp(what, "cr4") && len == sizeof(struct vcpu_state))
		((struct vcpu_state *)buf)->sregs.cr4 = ~0ULL;
	else if (!strcmp(what, "mp-state") && len == sizeof(struct vcpu_state))
		((struct vcpu_state *)buf)->mp_state.mp_state = 99;
	else if (!strcmp(what, "xcr0") && len == sizeof(struct vcpu_state))
		((struct vcpu_state *)buf)->xcrs.xcrs[0].value = 0;
	else if (!strcmp(what, "cpuid-empty") && len >= sizeof(struct kvm_cpuid2))
		((struct kvm_cpuid2 *)buf)->nent = 0, len = sizeof(struct kvm_cpuid2);
	else if (!strcmp(what, "mxcsr") && len >= XSAVE_UABI_MIN)
		((uint8_t *)buf)[24 + 3] |= 0x80;	/* MXCSR bit 31: reserved everywhere */
	else if (!strcmp(what, "xcomp-bv") && len >= XSAVE_UABI_MIN)
		((uint8_t *)buf)[XSAVE_HDR_OFFSET + 15] |= 0x80;
	else if (!strcmp(what, "uart") && len == sizeof(struct machine_state))
		((struct machine_state *)buf)->serial.rx_head = 200;
	else
		return free(buf), fail(name, "not the size this tool knows");
	r = write_part(e, name, buf, len);
	free(buf);
	return r;
}

int main(int argc, char **argv)
{
	struct xstate_layout to;
	struct edit e;
	int r = 0;

	if (argc == 7 && !strcmp(argv[1], "--cpuid-bit")) {
		if (edit_begin(&e, argv[2]))
			return 1;
		return edit_end(&e, add_cpuid_bit(&e, argv + 3)) ? 1 : 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--edit")) {
		if (edit_begin(&e, argv[2]))
			return 1;
		return edit_end(&e, plant(&e, argv[3])) ? 1 : 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: snap_relayout SNAPSHOT CPUID-FIXTURE\n"
			"       snap_relayout --cpuid-bit SNAPSHOT LEAF SUBLEAF REG BIT\n"
			"       snap_relayout --edit SNAPSHOT WHAT\n");
		return 64;
	}
	if (fixture_layout(argv[2], &to) || edit_begin(&e, argv[1]))
		return 1;
	for (unsigned int i = 0; i < e.d.m.nr_cpus && !r; i++)
		r = relayout_vcpu(&e, i, &to);
	return edit_end(&e, r) ? 1 : 0;
}
