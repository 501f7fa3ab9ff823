// SPDX-License-Identifier: MIT
/*
 * Opening a snapshot for restore, with no KVM: whole snapshots written
 * through the part API from fake state (a vCPU as KVM would have given
 * it, on the AMD fixture's CPUID), then each made inconsistent in one way
 * KVM would refuse, or damaged in a part fpvm does not use.  Every such
 * snapshot must be refused as one (FPVM_ERR_INPUT, status 65), naming the
 * part, before /dev/kvm is ever needed, so that restore --check tells the
 * truth.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../vmm/machine_state.h"
#include "../../vmm/vm_snapshot.h"
#include "snaptest.h"

#define AMD		"cpuid/amd-epyc-avx512-pvm-host.txt"
#define SNAP_MEM	(2ULL << 20)
#define XCR0		0xe7ULL

/* The state one vCPU's snapshot is made of; each test changes some, then builds. */
static struct machine_state *ms;
static struct vcpu_state *vs;
static struct kvm_cpuid2 *cpuid;
static size_t cpuid_len;
static struct xstate_layout layout;
static uint8_t *image;
static uint32_t image_size;
static uint64_t layout_xfeatures;
static uint64_t manifest_xcr0;		/* the manifest's guest XCR0 */
static char extra_part[SNAPSHOT_NAME_MAX];	/* a part fpvm does not use, if named */
static struct vm_snapshot snap;

static void make_state(void)
{
	struct cpuid_fixture f;

	make_base();
	ms = calloc(1, sizeof(*ms));
	vs = calloc(1, sizeof(*vs));
	ck_assert(ms && vs);
	*ms = (struct machine_state){ .magic = MACHINE_STATE_MAGIC, .size = sizeof(*ms),
				      .nr_cpus = 1 };
	vs->magic = VCPU_STATE_MAGIC;
	vs->size = sizeof(*vs);
	vs->sregs.cr0 = 0x80050033;
	vs->sregs.cr4 = 0x620;
	vs->sregs.cr3 = 0x1000;
	vs->sregs.efer = 0xd01;
	vs->sregs.cs.l = 1;
	vs->sregs.apic_base = 0xfee00900;
	vs->xcrs.nr_xcrs = 1;
	vs->xcrs.xcrs[0].value = XCR0;
	vs->mp_state.mp_state = KVM_MP_STATE_RUNNABLE;
	ck_assert_int_eq(cpuid_fixture_load(AMD, &f), 0);
	cpuid_len = sizeof(*f.kvm) + f.kvm->nent * sizeof(f.kvm->entries[0]);
	cpuid = malloc(cpuid_len);
	ck_assert_ptr_nonnull(cpuid);
	memcpy(cpuid, f.kvm, cpuid_len);
	cpuid_fixture_free(&f);
	layout = cpuid_fixture_layout(AMD, true);
	layout_xfeatures = XCR0;
	manifest_xcr0 = XCR0;
	image_size = XSAVE_UABI_MIN;
	image = aligned_alloc(64, image_size);
	ck_assert_ptr_nonnull(image);
	fpstate_init_uabi(image, image_size);
	extra_part[0] = '\0';
	snap = (struct vm_snapshot){ 0 };
}

static void free_state(void)
{
	vm_snapshot_close(&snap);
	free(ms);
	free(vs);
	free(cpuid);
	free(image);
	remove_base();
}

/* The snapshot of the state above, in a new directory; its path. */
static const char *build(void)
{
	static char path[700];
	struct snapshot_writer w = { 0 };
	struct fpstate fps = { .layout = &layout, .xfeatures = layout_xfeatures,
			       .size = image_size, .is_guest = true, .buf = image };
	uint8_t *m = map(SNAP_MEM);
	char name[SNAPSHOT_NAME_MAX];
	size_t len;
	char *text = fpstate_layout_format(&fps, XCR0, 0, &len);

	ck_assert(m && text);
	m[4096] = 0x5a;
	snprintf(path, sizeof(path), "%s/snap-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(path));
	ck_assert_msg(!snapshot_write_begin(&w, path, &err), "%s", err.msg);
	fill_manifest(&w.m);
	w.m.nr_cpus = 1;
	w.m.guest_xcr0 = manifest_xcr0;
	ck_assert_msg(!snapshot_memory_write(&w, m, SNAP_MEM, &err) &&
		      !snapshot_part_write(&w, "machine", ms, sizeof(*ms), &err) &&
		      !snapshot_part_write(&w, snapshot_vcpu_part(name, 0, SNAPSHOT_VCPU_STATE), vs,
					   sizeof(*vs), &err) &&
		      !snapshot_part_write(&w, snapshot_vcpu_part(name, 0, SNAPSHOT_VCPU_CPUID),
					   cpuid, cpuid_len, &err) &&
		      !snapshot_part_write(&w, snapshot_vcpu_part(name, 0, SNAPSHOT_VCPU_LAYOUT),
					   text, len, &err) &&
		      !snapshot_part_write(&w, snapshot_vcpu_part(name, 0, SNAPSHOT_VCPU_XSAVE),
					   image, image_size, &err) &&
		      (!extra_part[0] ||
		       !snapshot_part_write(&w, extra_part, "extra", 5, &err)) &&
		      !snapshot_write_commit(&w, &err), "%s", err.msg);
	free(text);
	munmap(m, SNAP_MEM);
	return path;
}

/* The directory of @path's parts, open. */
static int gen_dir(const char *path)
{
	char gen[800];
	int fd;

	snprintf(gen, sizeof(gen), "%s/gen-1", path);
	fd = open(gen, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Refused as an inconsistent or damaged snapshot, naming @want. */
static void expect_refused(const char *path, const char *want)
{
	vm_snapshot_close(&snap);
	expect_error(vm_snapshot_open(&snap, path, &err), want);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
}

START_TEST(good_snapshot_opens)
{
	const char *path = build();

	ck_assert_msg(!vm_snapshot_open(&snap, path, &err), "%s", err.msg);
	ck_assert_uint_eq(snap.nr_vcpus, 1);
	ck_assert_uint_eq(snap.vcpus[0].fps.size, XSAVE_UABI_MIN);
	ck_assert_uint_eq(snap.vcpus[0].fps.xcr0, XCR0);
	ck_assert_int_eq(memcmp(snap.vcpus[0].fps.buf, image, image_size), 0);
	ck_assert_msg(!vm_snapshot_verify_memory(&snap, &err), "%s", err.msg);
	ck_assert_msg(!vm_snapshot_read_memory(&snap, &err), "%s", err.msg);
	ck_assert_ptr_nonnull(snap.mem);
	ck_assert_uint_eq(snap.mem->size, SNAP_MEM);
	ck_assert_uint_eq(snap.mem->host[4096], 0x5a);
	ck_assert_uint_eq(snap.mem->host[4097], 0);
}
END_TEST

/* issue 20 item 8: what KVM_SET_SREGS, _MP_STATE, _XCRS and _CPUID2 refuse. */
START_TEST(cr4_all_ones)
{
	vs->sregs.cr4 = ~0ULL;
	expect_refused(build(), "snapshot: part vcpu0.state: CR4 0xffffffffffffffff:");
}
END_TEST

START_TEST(mp_state_99)
{
	vs->mp_state.mp_state = 99;
	expect_refused(build(), "snapshot: part vcpu0.state: MP state 99: not an x86 vCPU state");
}
END_TEST

/* A test guest whose vCPUs had KVM's LAPIC: a halted one restores, into a VM with it again. */
START_TEST(test_guest_with_kvm_lapic)
{
	struct vm_config cfg = { 0 };

	vs->flags = VCPU_STATE_LAPIC;
	vs->mp_state.mp_state = KVM_MP_STATE_HALTED;
	ck_assert_msg(!vm_snapshot_open(&snap, build(), &err), "%s", err.msg);
	vm_snapshot_config(&snap, &cfg);
	ck_assert(!cfg.pc);
	ck_assert_int_eq(cfg.lapic, VM_LAPIC_KVM);
}
END_TEST

/* One taken before test guests had a LAPIC: restored without one, as it ran. */
START_TEST(test_guest_without_lapic)
{
	struct vm_config cfg = { 0 };

	ck_assert_msg(!vm_snapshot_open(&snap, build(), &err), "%s", err.msg);
	vm_snapshot_config(&snap, &cfg);
	ck_assert_int_eq(cfg.lapic, VM_LAPIC_NONE);
}
END_TEST

START_TEST(xcr0_zero)
{
	vs->xcrs.xcrs[0].value = 0;
	expect_refused(build(), "snapshot: part vcpu0.state: ");
	ck_assert_ptr_nonnull(strstr(err.msg, "x87"));
}
END_TEST

START_TEST(cpuid_empty)
{
	cpuid->nent = 0;
	cpuid_len = sizeof(*cpuid);
	expect_refused(build(), "snapshot: part vcpu0.cpuid: 0 entries, without leaf 0 or 1");
}
END_TEST

START_TEST(mxcsr_reserved_bits)
{
	uint32_t mxcsr = 0x80001f80;

	memcpy(image + 24, &mxcsr, 4);
	expect_refused(build(), "snapshot: part vcpu0.xsave: MXCSR 0x80001f80");
}
END_TEST

START_TEST(uart_index_past_its_buffer)
{
	ms->serial.rx_head = 200;
	expect_refused(build(), "snapshot: part machine: impossible UART state");
}
END_TEST

/* The guest's kind decides its ends after the restore: an unknown one is refused. */
START_TEST(guest_kind_unknown_or_off_its_platform)
{
	ms->image_kind = NR_IMAGE_KINDS;
	expect_refused(build(), "snapshot: part machine: unknown guest kind");
}
END_TEST

START_TEST(linux_guest_off_the_pc)
{
	ms->image_kind = IMAGE_LINUX;	/* ms->pc is 0 */
	expect_refused(build(), "snapshot: part machine: unknown guest kind, or a PC guest off "
		       "the PC");
}
END_TEST

/* Not "does not fit this host" (110): the snapshot disagrees with itself. */
START_TEST(xstate_bv_outside_the_manifests_xcr0)
{
	image[XSAVE_HDR_OFFSET + 1] |= 0x02;	/* bit 9, PKRU: not in XCR0 0xe7 */
	expect_refused(build(), "snapshot: part vcpu0.xsave: XSTATE_BV 0x203");
	ck_assert_ptr_nonnull(strstr(err.msg, "outside the guest fpstate's features 0xe7"));
}
END_TEST

START_TEST(xcomp_bv_set)
{
	image[XSAVE_HDR_OFFSET + 15] = 0x80;
	expect_refused(build(), "snapshot: part vcpu0.xsave: XCOMP_BV is 0x8000000000000000");
}
END_TEST

START_TEST(layout_size_too_small)
{
	image_size = 3000;	/* an image of 0xe7's features is 2432 bytes, KVM's at least 4096 */
	expect_refused(build(), "snapshot: part vcpu0.");
	ck_assert_ptr_nonnull(strstr(err.msg, "size"));
}
END_TEST

/* The image's layout is of AVX-512 state; the manifest's guest had none. */
START_TEST(layout_features_outside_xcr0)
{
	manifest_xcr0 = 0x7;
	vs->xcrs.xcrs[0].value = 0x7;
	expect_refused(build(), "snapshot: part vcpu0.layout: its features disagree with the "
		       "manifest's guest XCR0");
}
END_TEST

/* issue 20 item 9: parts fpvm does not use are checked all the same. */
START_TEST(unused_part_damaged_or_missing)
{
	const char *path;
	int fd;

	snprintf(extra_part, sizeof(extra_part), "notes");
	path = build();
	ck_assert_msg(!vm_snapshot_open(&snap, path, &err), "%s", err.msg);
	fd = gen_dir(path);
	ck_assert_int_eq(unlinkat(fd, "notes", 0), 0);
	expect_refused(path, "snapshot: part notes: missing");
	ck_assert_int_eq(close(openat(fd, "notes", O_WRONLY | O_CREAT, 0644)), 0);
	expect_refused(path, "snapshot: part notes: 0 bytes, the manifest says 5");
	close(fd);
}
END_TEST

/* issue 20 item 9: damaged memory is a damaged snapshot (65), found with no KVM. */
START_TEST(memory_damaged_without_kvm)
{
	const char *path = build();
	int fd = gen_dir(path), mfd = openat(fd, "memory", O_WRONLY);

	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(pwrite(mfd, "\x01", 1, 4096 + 7), 1);
	close(mfd);
	close(fd);
	ck_assert_msg(!vm_snapshot_open(&snap, path, &err), "%s", err.msg);
	expect_error(vm_snapshot_read_memory(&snap, &err), "snapshot: part memory: checksum "
		     "mismatch");
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_null(snap.mem);
}
END_TEST

/*
 * issue 20 items 3 and 6: the layout read by path after its checksum (a
 * link swapped in between reached outside the snapshot), a FIFO as the
 * machine part (blocked forever).  Each part is read once, from one
 * descriptor that is a regular file's.
 */
START_TEST(link_or_fifo_as_a_part)
{
	const char *path = build();
	int fd = gen_dir(path);
	char outside[700];

	snprintf(outside, sizeof(outside), "%s/outside.layout", base);
	ck_assert_int_eq(renameat(fd, "vcpu0.layout", AT_FDCWD, outside), 0);
	ck_assert_int_eq(symlinkat(outside, fd, "vcpu0.layout"), 0);
	expect_refused(path, "snapshot: part vcpu0.layout: a symbolic link, not a file");
	ck_assert_int_eq(unlinkat(fd, "vcpu0.layout", 0), 0);
	ck_assert_int_eq(renameat(AT_FDCWD, outside, fd, "vcpu0.layout"), 0);
	ck_assert_int_eq(unlinkat(fd, "machine", 0), 0);
	ck_assert_int_eq(mkfifoat(fd, "machine", 0644), 0);
	alarm(10);
	expect_refused(path, "snapshot: part machine: is a FIFO, not a regular file");
	alarm(0);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("restore");
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, make_state, free_state);
	tcase_add_test(tc, good_snapshot_opens);
	tcase_add_test(tc, guest_kind_unknown_or_off_its_platform);
	tcase_add_test(tc, linux_guest_off_the_pc);
	tcase_add_test(tc, cr4_all_ones);
	tcase_add_test(tc, mp_state_99);
	tcase_add_test(tc, test_guest_with_kvm_lapic);
	tcase_add_test(tc, test_guest_without_lapic);
	tcase_add_test(tc, xcr0_zero);
	tcase_add_test(tc, cpuid_empty);
	tcase_add_test(tc, mxcsr_reserved_bits);
	tcase_add_test(tc, uart_index_past_its_buffer);
	tcase_add_test(tc, xstate_bv_outside_the_manifests_xcr0);
	tcase_add_test(tc, xcomp_bv_set);
	tcase_add_test(tc, layout_size_too_small);
	tcase_add_test(tc, layout_features_outside_xcr0);
	tcase_add_test(tc, unused_part_damaged_or_missing);
	tcase_add_test(tc, memory_damaged_without_kvm);
	tcase_add_test(tc, link_or_fifo_as_a_part);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
