// SPDX-License-Identifier: MIT
/*
 * Snapshots: what taking and restoring one costs against guest memory
 * size, and what fpvm's fpstate handling adds to the bare KVM ioctls, as
 * ratios within one run; rounds alternate the contenders, medians count.
 *
 *   bench_snapshot FPVM GUEST_DIR [ROUNDS [FPSTATE_OPS]]
 *
 * 1. With 64 MiB, 256 MiB, 1 GiB and 4 GiB of guest memory, of which the
 *    snap guest (guest/snap.c) touches well under a MiB: `fpvm run
 *    --snapshot-dir` (the snapshot's own time from --stats=json's
 *    snapshot_ns) and `fpvm restore` of that snapshot, end to end and by
 *    --stats phase, against a cold boot of the same guest at the same size
 *    (that run's wall time less its snapshot: the guest cannot run without
 *    asking for one), and the snapshot's disk usage (st_blocks).
 * 2. In this process, on a vCPU created as fpvm creates it, with the image
 *    of the 64 MiB snapshot: the save path (vcpu_sync_xcr0() +
 *    vcpu_sync_fpstate()) against bare KVM_GET_XCRS + KVM_GET_XSAVE2; the
 *    load path (fpstate_import_uabi(), KVM_SET_XCRS, vcpu_set_fpstate())
 *    against bare KVM_SET_XCRS + KVM_SET_XSAVE; and restore's read-back
 *    check (KVM_GET_XSAVE2, two decodes, memcmp) apart.
 *
 * Target (the snapshot issue): the fpstate part at most 1.2x the bare ioctls.
 */
#include <dirent.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "../cmd/cmd.h"
#include "../snapshot/snapshot.h"
#include "../vcpu/vcpu.h"
#include "bench.h"

#define MAX_ROUNDS	BENCH_MAX_ROUNDS
#define DEFAULT_ROUNDS	15
#define DEFAULT_OPS	2000
#define GUEST_ROUNDS	"1000"
#define TARGET_FPSTATE	1.2
#define BASE_MAX	1024		/* the temporary directory's path */


/* ---- 1. snapshot and restore against memory size ---- */

static const struct mem_size {
	const char *arg, *name;
	uint64_t bytes;
} sizes[] = {
	{ "64M", "64 MiB", 64ULL << 20 },
	{ "256M", "256 MiB", 256ULL << 20 },
	{ "1G", "1 GiB", 1ULL << 30 },
	{ "4G", "4 GiB", 4ULL << 30 },
};
#define NR_SIZES	(sizeof(sizes) / sizeof(sizes[0]))

/* fpvm restore's --stats phases; "other" and "outside" are derived. */
static const char *const rphases[] = {
	"kvm_open", "fpu_config", "vm_create", "vcpus", "run", "teardown",
};
#define NR_RPHASES	(sizeof(rphases) / sizeof(rphases[0]))
#define RP_OTHER	NR_RPHASES		/* total less the phases: check, memory read */
#define RP_OUTSIDE	(NR_RPHASES + 1)	/* wall less total: exec, parts read, exit */
#define NR_RCOLS	(NR_RPHASES + 2)

struct size_figures {
	char dir[BASE_MAX + 8];
	double run[MAX_ROUNDS];		/* fpvm run --snapshot-dir, wall (s) */
	double snap[MAX_ROUNDS];	/* its snapshot_ns (s) */
	double cold[MAX_ROUNDS];	/* run less snapshot (s) */
	double restore[MAX_ROUNDS];	/* fpvm restore, wall (s) */
	double rphase[NR_RCOLS][MAX_ROUNDS];	/* ms */
	uint64_t disk, disk_memory;	/* st_blocks * 512 of the directory, of "memory" */
};

static int one_round(const char *fpvm, const char *guest, const char *stats,
		     const struct mem_size *sz, struct size_figures *f, unsigned int r)
{
	char *run_argv[] = { (char *)fpvm, "run", "--mem", (char *)sz->arg, "--snapshot-dir",
			     f->dir, "--stats=json", "--stats-file", (char *)stats, (char *)guest,
			     GUEST_ROUNDS, NULL };
	char *restore_argv[] = { (char *)fpvm, "restore", "--stats=json", "--stats-file",
				 (char *)stats, f->dir, NULL };
	double total, sum = 0;
	char text[16384];
	int status = -1;

	f->run[r] = bench_spawn_wait(run_argv, &status);
	if (f->run[r] < 0 || status || bench_read_text(stats, text, sizeof(text))) {
		fprintf(stderr, "snapshot: fpvm run --mem %s --snapshot-dir: failed (status %d)\n",
			sz->arg, status);
		return -1;
	}
	f->snap[r] = bench_json_number(text, "snapshot_ns") * 1e-9;
	if (f->snap[r] <= 0) {
		fprintf(stderr, "snapshot: fpvm run --stats=json gave no snapshot_ns\n");
		return -1;
	}
	f->cold[r] = f->run[r] - f->snap[r];
	f->restore[r] = bench_spawn_wait(restore_argv, &status);
	if (f->restore[r] < 0 || status || bench_read_text(stats, text, sizeof(text))) {
		fprintf(stderr, "snapshot: fpvm restore (%s): failed (status %d)\n", sz->arg,
			status);
		return -1;
	}
	for (unsigned int p = 0; p < NR_RPHASES; p++) {
		f->rphase[p][r] = bench_json_number(text, rphases[p]);
		sum += f->rphase[p][r];
	}
	total = bench_json_number(text, "total");
	f->rphase[RP_OTHER][r] = total - sum;
	f->rphase[RP_OUTSIDE][r] = f->restore[r] * 1e3 - total;
	return 0;
}

/* What the snapshot takes on disk (its manifest and parts), and its memory part alone. */
static void disk_usage(struct size_figures *f)
{
	struct snapshot_dir d;
	struct fpvm_error err;
	struct stat st;

	f->disk = f->disk_memory = 0;
	if (snapshot_open(f->dir, &d, &err))
		return;
	if (!fstatat(d.fd, "manifest", &st, AT_SYMLINK_NOFOLLOW))
		f->disk += (uint64_t)st.st_blocks * 512;
	for (unsigned int i = 0; i < d.m.nr_parts; i++) {
		if (fstatat(d.parts_fd, d.m.parts[i].name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		f->disk += (uint64_t)st.st_blocks * 512;
		if (!strcmp(d.m.parts[i].name, SNAPSHOT_MEMORY))
			f->disk_memory = (uint64_t)st.st_blocks * 512;
	}
	snapshot_close(&d);
}

/* A snapshot directory: its files, and its generations' (snapshot/snapshot.h). */
static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d))) {
			char sub[BASE_MAX + NAME_MAX + 2];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (e->d_type == DT_DIR) {
				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				remove_dir(sub);
			} else {
				unlinkat(dirfd(d), e->d_name, 0);
			}
		}
		closedir(d);
	}
	rmdir(path);
}

static int bench_sizes(const char *fpvm, const char *guest, const char *base,
		       struct size_figures *f, unsigned int rounds)
{
	char stats[BASE_MAX + 16];
	double snap[NR_SIZES], cold[NR_SIZES], rest[NR_SIZES], run[NR_SIZES];

	snprintf(stats, sizeof(stats), "%s/stats.json", base);
	for (unsigned int i = 0; i < NR_SIZES; i++)
		snprintf(f[i].dir, sizeof(f[i].dir), "%s/%s", base, sizes[i].arg);
	/* Every round takes each size in turn, starting one further each time. */
	for (unsigned int r = 0; r < rounds; r++)
		for (unsigned int k = 0; k < NR_SIZES; k++) {
			unsigned int i = (r + k) % NR_SIZES;

			if (one_round(fpvm, guest, stats, &sizes[i], &f[i], r))
				return -1;
		}
	unlink(stats);
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		disk_usage(&f[i]);
		snap[i] = bench_median_of(f[i].snap, rounds);
		cold[i] = bench_median_of(f[i].cold, rounds);
		rest[i] = bench_median_of(f[i].restore, rounds);
		run[i] = bench_median_of(f[i].run, rounds);
	}
	printf("snapshot: the snap guest (%s %s, 1 vCPU), %u rounds, medians; cold boot = "
	       "fpvm run less its snapshot\n", guest, GUEST_ROUNDS, rounds);
	printf("  %-8s %10s %7s %10s %10s %10s %8s %7s %12s %10s\n", "memory", "snapshot", "x64M",
	       "run+snap", "cold boot", "restore", "x cold", "x64M", "disk", "of memory");
	for (unsigned int i = 0; i < NR_SIZES; i++)
		printf("  %-8s %7.3f ms %6.2fx %7.3f ms %7.3f ms %7.3f ms %7.2fx %6.2fx %8.0f KiB "
		       "%9.4f%%\n", sizes[i].name, snap[i] * 1e3, snap[i] / snap[0], run[i] * 1e3,
		       cold[i] * 1e3, rest[i] * 1e3, rest[i] / cold[i], rest[i] / rest[0],
		       f[i].disk / 1024.0, 100.0 * f[i].disk / sizes[i].bytes);
	printf("  disk: st_blocks of every part; the memory part alone: ");
	for (unsigned int i = 0; i < NR_SIZES; i++)
		printf("%s%s %.0f KiB", i ? ", " : "", sizes[i].name, f[i].disk_memory / 1024.0);
	printf(" (apparent size = memory size)\n");
	printf("  fpvm restore's phases (ms, medians; other = total less the phases: host check, "
	       "devices, memory read; outside = wall less total: exec, parts read, exit):\n");
	printf("  %-8s", "memory");
	for (unsigned int p = 0; p < NR_RPHASES; p++)
		printf(" %10s", rphases[p]);
	printf(" %10s %10s\n", "other", "outside");
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		printf("  %-8s", sizes[i].name);
		for (unsigned int p = 0; p < NR_RCOLS; p++)
			printf(" %10.3f", bench_median_of(f[i].rphase[p], rounds));
		printf("\n");
	}
	return 0;
}

/* ---- 2. the fpstate part against the bare ioctls ---- */

struct fp_bench {
	struct vcpu *vcpu;
	const struct xstate_layout *here;
	unsigned long get_req;		/* KVM_GET_XSAVE2, or KVM_GET_XSAVE without it */
	struct kvm_xcrs xcrs;		/* what KVM_SET_XCRS sets: the snapshot's */
	struct fpstate_file snap;	/* vcpu0.xsave of the 64 MiB snapshot */
	uint8_t *buf;			/* for the bare gets */
	uint8_t *img;			/* fpvm's conversion goes here */
	uint8_t *img0;			/* converted once: what the bare set loads */
	struct fpregs *want, *got;
	struct fpvm_error err;
};

static int bare_save(struct fp_bench *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct kvm_xcrs xcrs;

		if (ioctl(b->vcpu->fd, KVM_GET_XCRS, &xcrs) < 0 ||
		    ioctl(b->vcpu->fd, b->get_req, b->buf) < 0)
			return -1;
	}
	return 0;
}

static int fpvm_save(struct fp_bench *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (vcpu_sync_xcr0(b->vcpu, &b->err) || vcpu_sync_fpstate(b->vcpu, &b->err))
			return -1;
	return 0;
}

static int bare_load(struct fp_bench *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (ioctl(b->vcpu->fd, KVM_SET_XCRS, &b->xcrs) < 0 ||
		    ioctl(b->vcpu->fd, KVM_SET_XSAVE, b->img0) < 0)
			return -1;
	return 0;
}

/* restore_vcpu()'s conversion, then vcpu_load_state()'s XCRs and image. */
static int fpvm_load(struct fp_bench *b, unsigned int n)
{
	struct vcpu *v = b->vcpu;

	for (unsigned int i = 0; i < n; i++) {
		struct fpstate_error ferr;
		int r;

		if (fpstate_import_uabi(&b->snap.layout, b->here, b->snap.xfeatures, b->snap.buf,
					b->snap.size, b->img, v->guest_fps.size, &ferr)) {
			fpvm_fail(&b->err, FPVM_ERR_INPUT, EINVAL, "%s", ferr.msg);
			return -1;
		}
		r = kvm_vcpu_set_xcrs(v->kvm, v->fd, &b->xcrs);
		if (r < 0) {
			fpvm_fail(&b->err, FPVM_ERR_SYSTEM, -r, "KVM_SET_XCRS: %s", strerror(-r));
			return -1;
		}
		if (vcpu_set_fpstate(v, b->img, &b->err))
			return -1;
	}
	return 0;
}

static int bare_get(struct fp_bench *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (ioctl(b->vcpu->fd, b->get_req, b->buf) < 0)
			return -1;
	return 0;
}

/* restore_vcpu()'s read-back: what KVM holds decodes to the snapshot's registers. */
static int fpvm_check(struct fp_bench *b, unsigned int n)
{
	struct vcpu *v = b->vcpu;

	for (unsigned int i = 0; i < n; i++) {
		if (vcpu_sync_fpstate(v, &b->err))
			return -1;
		fpstate_decode(&b->snap.layout, b->snap.xfeatures, b->snap.buf, b->snap.size,
			       b->want);
		fpstate_decode(b->here, b->snap.xfeatures, v->guest_fps.buf, v->guest_fps.size,
			       b->got);
		if (memcmp(b->want, b->got, sizeof(*b->want))) {
			fpvm_fail(&b->err, FPVM_ERR_KVM_STATE, EIO, "KVM holds other registers "
				  "than the snapshot after KVM_SET_XSAVE");
			return -1;
		}
	}
	return 0;
}

/* What the fpvm paths add, each alone, without an ioctl: where the ratios come from. */
static int only_convert(struct fp_bench *b, unsigned int n)
{
	struct fpstate_error ferr;

	for (unsigned int i = 0; i < n; i++)
		if (fpstate_convert_uabi(&b->snap.layout, b->here, b->snap.xfeatures, b->snap.buf,
					 b->snap.size, b->img, b->vcpu->guest_fps.size, &ferr))
			return -1;
	return 0;
}

static int only_validate(struct fp_bench *b, unsigned int n)
{
	struct fpstate_diag diag;

	for (unsigned int i = 0; i < n; i++)
		if (fpstate_validate_uabi(&b->vcpu->guest_fps, b->img0, b->vcpu->guest_fps.size,
					  &diag))
			return -1;
	return 0;
}

static int only_compare(struct fp_bench *b, unsigned int n)
{
	const struct vcpu *v = b->vcpu;

	for (unsigned int i = 0; i < n; i++) {
		fpstate_decode(&b->snap.layout, b->snap.xfeatures, b->snap.buf, b->snap.size,
			       b->want);
		fpstate_decode(b->here, b->snap.xfeatures, v->guest_fps.buf, v->guest_fps.size,
			       b->got);
		if (memcmp(b->want, b->got, sizeof(*b->want)))
			return -1;
	}
	return 0;
}

enum {
	OP_BARE_SAVE, OP_FPVM_SAVE, OP_BARE_LOAD, OP_FPVM_LOAD, OP_BARE_GET, OP_CHECK,
	OP_CONVERT, OP_VALIDATE, OP_COMPARE, NR_OPS
};

static const struct fp_op {
	const char *name;
	int (*fn)(struct fp_bench *b, unsigned int n);
} ops[NR_OPS] = {
	[OP_BARE_SAVE] = { "bare KVM_GET_XCRS + KVM_GET_XSAVE2", bare_save },
	[OP_FPVM_SAVE] = { "vcpu_sync_xcr0() + vcpu_sync_fpstate()", fpvm_save },
	[OP_BARE_LOAD] = { "bare KVM_SET_XCRS + KVM_SET_XSAVE", bare_load },
	[OP_FPVM_LOAD] = { "import + KVM_SET_XCRS + vcpu_set_fpstate()", fpvm_load },
	[OP_BARE_GET] = { "bare KVM_GET_XSAVE2", bare_get },
	[OP_CHECK] = { "read-back: sync_fpstate + 2 decodes + memcmp", fpvm_check },
	[OP_CONVERT] = { "fpstate_convert_uabi()", only_convert },
	[OP_VALIDATE] = { "fpstate_validate_uabi()", only_validate },
	[OP_COMPARE] = { "2 x fpstate_decode() + memcmp", only_compare },
};

/* vCPU 0's image and XCRs, read as restore reads them. */
static int snapshot_vcpu0(const char *dir, struct fpstate_file *image, struct kvm_xcrs *xcrs,
			  struct fpvm_error *err)
{
	struct vm_snapshot s;
	int r = vm_snapshot_open(&s, dir, err);

	if (!r) {
		*image = s.vcpus[0].fps;
		s.vcpus[0].fps.buf = NULL;	/* the caller's now */
		*xcrs = s.vcpus[0].state->xcrs;
	}
	vm_snapshot_close(&s);
	return r;
}

static int bench_fpstate_part(const char *guest_dir, const char *snap_dir, unsigned int nr_ops)
{
	struct vm_config cfg = {
		.nr_cpus = 1, .mem_size = 64ULL << 20, .timeout_ms = 10000,
		.serial_fd = -1, .dtb_fd = -1, .quiet = true,
	};
	static double t[NR_OPS][ROUNDS];
	double m[NR_OPS], save, load, whole, whole_bare;
	struct fp_bench b = { 0 };
	struct guest_fpu_cfg fpu_cfg;
	struct fpstate_error ferr;
	char fpu[PATH_MAX];
	struct kvm kvm;
	struct vm vm;
	int r = 1;

	snprintf(fpu, sizeof(fpu), "%s/fpu.elf", guest_dir);
	cfg.guest_path = fpu;
	cfg.serial_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	/* A vCPU as fpvm makes it, after the fpu guest ran on it (bench_fpstate.c). */
	if (guest_fpu_open(&kvm, &fpu_cfg, "/dev/kvm", false, NULL, &b.err))
		goto fail_early;
	if (vm_boot(&vm, &kvm, &fpu_cfg, &cfg, &b.err) ||
	    !(vm.stop == VM_STOP_GUEST_EXIT && vm.stop_value == 0)) {
		fprintf(stderr, "snapshot: fpu guest: %s\n", b.err.msg[0] ? b.err.msg : vm.reason);
		goto out_vm;
	}
	b.vcpu = vm.vcpus[0];
	b.here = &fpu_cfg.layout;
	b.get_req = vm.fpu.has_xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
	if (snapshot_vcpu0(snap_dir, &b.snap, &b.xcrs, &b.err)) {
		fprintf(stderr, "%s\n", b.err.msg);	/* "snapshot ...: ..." */
		goto out_file;
	}
	b.buf = aligned_alloc(64, b.vcpu->guest_fps.size);
	b.img = aligned_alloc(64, b.vcpu->guest_fps.size);
	b.img0 = aligned_alloc(64, b.vcpu->guest_fps.size);
	b.want = malloc(sizeof(*b.want));
	b.got = malloc(sizeof(*b.got));
	if (!b.buf || !b.img || !b.img0 || !b.want || !b.got) {
		fprintf(stderr, "snapshot: out of memory\n");
		goto out_bufs;
	}
	if (fpstate_convert_uabi(&b.snap.layout, b.here, b.snap.xfeatures, b.snap.buf,
				 b.snap.size, b.img0, b.vcpu->guest_fps.size, &ferr)) {
		fprintf(stderr, "snapshot: %s\n", ferr.msg);
		goto out_bufs;
	}
	/* Once each, untimed: the vCPU holds the snapshot's image from here on. */
	for (unsigned int i = 0; i < NR_OPS; i++)
		if (ops[(i + OP_BARE_LOAD) % NR_OPS].fn(&b, 1))
			goto fail_op;
	for (unsigned int round = 0; round < ROUNDS; round++)
		for (unsigned int k = 0; k < NR_OPS; k++) {
			unsigned int i = (round + k) % NR_OPS;
			double t0 = bench_now();

			if (ops[i].fn(&b, nr_ops))
				goto fail_op;
			t[i][round] = (bench_now() - t0) / nr_ops;
		}
	for (unsigned int i = 0; i < NR_OPS; i++)
		m[i] = bench_median(t[i]);
	save = m[OP_FPVM_SAVE] / m[OP_BARE_SAVE];
	load = m[OP_FPVM_LOAD] / m[OP_BARE_LOAD];
	whole = m[OP_FPVM_LOAD] + m[OP_CHECK];
	whole_bare = m[OP_BARE_LOAD] + m[OP_BARE_GET];
	printf("snapshot: fpstate part, in this process: %u-byte image, XCR0 0x%llx, %s, "
	       "%u ops a round, median of %d rounds\n", b.vcpu->guest_fps.size,
	       (unsigned long long)b.snap.xcr0, vm.fpu.has_xsave2 ? "KVM_GET_XSAVE2" :
	       "KVM_GET_XSAVE", nr_ops, ROUNDS);
	printf("  save  %-46s %8.2f us\n", ops[OP_BARE_SAVE].name, m[OP_BARE_SAVE] * 1e6);
	printf("        %-46s %8.2f us  %5.3fx\n", ops[OP_FPVM_SAVE].name, m[OP_FPVM_SAVE] * 1e6,
	       save);
	printf("  load  %-46s %8.2f us\n", ops[OP_BARE_LOAD].name, m[OP_BARE_LOAD] * 1e6);
	printf("        %-46s %8.2f us  %5.3fx\n", ops[OP_FPVM_LOAD].name, m[OP_FPVM_LOAD] * 1e6,
	       load);
	printf("  check %-46s %8.2f us\n", ops[OP_BARE_GET].name, m[OP_BARE_GET] * 1e6);
	printf("        %-46s %8.2f us  %5.3fx\n", ops[OP_CHECK].name, m[OP_CHECK] * 1e6,
	       m[OP_CHECK] / m[OP_BARE_GET]);
	printf("  of which, without an ioctl: convert %.3f us, validate %.3f us, 2 decodes + "
	       "memcmp %.3f us\n", m[OP_CONVERT] * 1e6, m[OP_VALIDATE] * 1e6, m[OP_COMPARE] * 1e6);
	printf("  restore's fpstate per vCPU (load + check) %.2f us: %.3fx the bare load, %.3fx "
	       "the bare ioctls it issues (load + KVM_GET_XSAVE2)\n", whole * 1e6,
	       whole / m[OP_BARE_LOAD], whole / whole_bare);
	printf("  target: the fpstate part at most %.1fx the bare ioctls: save %.3fx %s, load "
	       "%.3fx %s\n", TARGET_FPSTATE, save, save <= TARGET_FPSTATE ? "met" : "MISSED", load,
	       load <= TARGET_FPSTATE ? "met" : "MISSED");
	r = 0;
	goto out_bufs;
fail_op:
	fprintf(stderr, "snapshot: fpstate part: %s\n", b.err.msg[0] ? b.err.msg :
		strerror(errno));
out_bufs:
	free(b.buf);
	free(b.img);
	free(b.img0);
	free(b.want);
	free(b.got);
out_file:
	fpstate_file_free(&b.snap);
out_vm:
	vm_destroy(&vm);
	guest_fpu_close(&kvm, &fpu_cfg);
	close(cfg.serial_fd);
	return r;
fail_early:
	fprintf(stderr, "snapshot: %s\n", b.err.msg);
	close(cfg.serial_fd);
	return 1;
}

int main(int argc, char **argv)
{
	static struct size_figures f[NR_SIZES];
	unsigned int rounds = argc > 3 ? (unsigned int)atoi(argv[3]) : DEFAULT_ROUNDS;
	unsigned int nr_ops = argc > 4 ? (unsigned int)atoi(argv[4]) : DEFAULT_OPS;
	const char *tmp = getenv("TMPDIR");
	char base[BASE_MAX], guest[PATH_MAX];
	int r;

	if (argc < 3 || argc > 5 || rounds < 3 || rounds > MAX_ROUNDS || nr_ops < 1) {
		fprintf(stderr, "usage: bench_snapshot FPVM GUEST_DIR [ROUNDS 3..%d "
			"[FPSTATE_OPS]]\n", MAX_ROUNDS);
		return 64;
	}
	if (!bench_kvm_usable("snapshot", "/dev/kvm"))
		return BENCH_SKIP;
	snprintf(guest, sizeof(guest), "%s/snap.elf", argv[2]);
	snprintf(base, sizeof(base), "%s/fpvm-bench-snapshot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		fprintf(stderr, "snapshot: mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	r = bench_sizes(argv[1], guest, base, f, rounds) ||
	    bench_fpstate_part(argv[2], f[0].dir, nr_ops);
	for (unsigned int i = 0; i < NR_SIZES; i++)
		if (f[i].dir[0])
			remove_dir(f[i].dir);
	remove_dir(base);
	return r;
}
