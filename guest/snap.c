// SPDX-License-Identifier: MIT
/*
 * The snapshot proof guest.  Every vCPU fills its x87, SSE/AVX/AVX-512
 * and opmask registers with known values (fpu_pattern.h, per vCPU) and
 * computes with them (snap_compute.S).  Halfway, with every register
 * live, vCPU 0 waits for the others to reach their halfway point too and
 * asks fpvm for a snapshot; they wait until it has one.  Then everyone
 * computes on and prints a digest of its final registers.  The run that
 * took the snapshot and every restore of it print the same digests.
 *
 * Arguments: [ROUNDS] (default 200000).
 */
#include "fpu_pattern.h"
#include "runtime.h"

struct snap_ctx {
	uint64_t level;		/* 0 SSE, 1 AVX, 2 AVX-512 */
	uint64_t iters;
	uint64_t mid;
	void (*mid_fn)(void);
	uint8_t pad[32];
	uint8_t vec[32][64];	/* 64 */
	uint64_t st[8];		/* 2112 */
	uint64_t k[8];		/* 2176 */
	uint8_t fx[512];	/* 2240, FXSAVE */
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct snap_ctx, vec) == 64, "snap_compute.S");
_Static_assert(__builtin_offsetof(struct snap_ctx, st) == 2112, "snap_compute.S");
_Static_assert(__builtin_offsetof(struct snap_ctx, k) == 2176, "snap_compute.S");
_Static_assert(__builtin_offsetof(struct snap_ctx, fx) == 2240, "snap_compute.S");

void snap_compute(struct snap_ctx *c);

static struct snap_ctx ctx[GUEST_MAX_CPUS];
static unsigned int at_mid, done;
static int snapshot_taken;		/* 0 waiting, 1 taken */

static void wait_for(unsigned int *counter, unsigned int n)
{
	while (__atomic_load_n(counter, __ATOMIC_SEQ_CST) < n)
		guest_cpu_relax();
}

/* vCPU 0 at its halfway point: everyone else is there too, registers live. */
static void bsp_mid(void)
{
	struct fpvm_ctl_req req __attribute__((aligned(8))) = {
		.magic = FPVM_CTL_MAGIC, .op = FPVM_CTL_SNAPSHOT,
	};
	long r;

	wait_for(&at_mid, guest_nr_cpus() - 1);
	r = guest_ctl(&req);
	if (r < 0)
		guest_panic("snapshot request failed: %ld", r);
	guest_printf("snap: %s\n", r == FPVM_SNAPSHOT_RESTORED ? "restored" : "snapshot taken");
	__atomic_store_n(&snapshot_taken, 1, __ATOMIC_SEQ_CST);
}

static void ap_mid(void)
{
	__atomic_fetch_add(&at_mid, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&snapshot_taken, __ATOMIC_SEQ_CST))
		guest_cpu_relax();
}

static uint64_t digest(const struct snap_ctx *c)
{
	const uint8_t *p = (const uint8_t *)c->vec;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (unsigned int i = 0; i < sizeof(c->vec) + sizeof(c->st) + sizeof(c->k) + 416; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;	/* fx up to the end of xmm15 */
	return h;
}

static void compute(unsigned int cpu, void (*mid_fn)(void))
{
	struct snap_ctx *c = &ctx[cpu];
	uint64_t xcr0 = guest_xcr0();
	long rounds = guest_argc() > 1 ? 0 : 200000;

	for (const char *s = guest_argc() > 1 ? guest_argv(1) : ""; *s >= '0' && *s <= '9'; s++)
		rounds = rounds * 10 + (*s - '0');
	c->level = (xcr0 & 0xe0) == 0xe0 ? 2 : (xcr0 & 0x4) ? 1 : 0;
	c->iters = (uint64_t)rounds;
	c->mid = (uint64_t)rounds / 2;
	c->mid_fn = mid_fn;
	for (unsigned int r = 0; r < 32; r++)
		for (unsigned int b = 0; b < 64; b++)
			c->vec[r][b] = (uint8_t)(fpu_pattern_vec(r, b) + cpu);
	for (unsigned int i = 0; i < 8; i++) {
		c->st[i] = FPU_PATTERN_ST_BASE + i + 100 * cpu;
		c->k[i] = fpu_pattern_k(i) + cpu;
	}
	snap_compute(c);
	guest_printf("snap: vcpu %u level %llu rounds %ld digest 0x%016llx\n", cpu,
		     (unsigned long long)c->level, rounds, (unsigned long long)digest(c));
}

void guest_ap_main(void)
{
	compute(guest_vcpu_id(), ap_mid);
	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
}

int guest_main(void)
{
	compute(0, bsp_mid);
	wait_for(&done, guest_nr_cpus() - 1);
	return 0;
}
