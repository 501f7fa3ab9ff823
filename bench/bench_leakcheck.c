// SPDX-License-Identifier: MIT
/*
 * bench_leakcheck FPVM: how fast leakcheck checks, against memory bandwidth
 * measured in the same run (memcmp of the same bytes):
 *   - the scanners alone, on XSAVE images of this host's layout;
 *   - a real `fpvm leakcheck` run: state bytes and exits checked per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../guest/canary.h"
#include "../cmd/cmd.h"
#include "bench.h"

#define OPS	20000

struct fill {
	uint8_t *img;
};

static void fill_slot(const struct canary_slot *s, void *ctx)
{
	struct fill *f = ctx;
	uint64_t v = canary_encode(0, 0, s->reg, s->word, 1);

	memcpy(f->img + s->offset, &v, s->width);
}

static double json_number(const char *json, const char *key)
{
	const char *p = strstr(json, key);

	return p ? strtod(p + strlen(key), NULL) : -1;
}

int main(int argc, char **argv)
{
	static uint8_t a[4096] __attribute__((aligned(64))),
		       c[4096] __attribute__((aligned(64))), g[4096] __attribute__((aligned(64)));
	double kvm[ROUNDS], same[ROUNDS], changed[ROUNDS], cmp[ROUNDS];
	struct fpvm_error err;
	struct host_fpu h;
	struct leak_table t = { 0 };
	struct leak_slots ls;
	uint32_t off[64];
	unsigned int words = 0;
	volatile int sink = 0;
	char json[65536] = "", path[] = "/tmp/fpvm-bench-XXXXXX";
	FILE *f;
	pid_t pid;
	int fd, ws;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_leakcheck build/fpvm\n");
		return 64;
	}
	if (host_fpu_probe(&h, &err)) {
		fprintf(stderr, "bench_leakcheck: %s\n", err.msg);
		return 1;
	}
	for (unsigned int bit = 0; bit < 64; bit++)
		off[bit] = h.layout.comp[bit].offset;
	leak_slots_init(&ls, &h.layout, h.xcr0);
	canary_for_each_slot(h.xcr0, off, fill_slot, &(struct fill){ a });
	memcpy(a + 512, &h.xcr0, 8);
	memcpy(c, a, sizeof(c));
	/* g: every register word changed, to values that are no canary. */
	for (unsigned int i = 0; i < sizeof(g) / 8; i++)
		((uint64_t *)g)[i] = 0x0101010101010101ULL * (i & 0xff);
	memcpy(g + 512, &h.xcr0, 8);

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = bench_now();

		for (int i = 0; i < OPS; i++)
			words = leak_scan_kvm(&ls, a, 0, 0, 0, &t);
		kvm[r] = (bench_now() - t0) / OPS;
		t0 = bench_now();
		/* The per-exit case: KVM put every host register back. */
		for (int i = 0; i < OPS; i++)
			leak_scan_host(&ls, c, a, 0, 0, 1, 0, &t);
		same[r] = (bench_now() - t0) / OPS;
		t0 = bench_now();
		for (int i = 0; i < OPS; i++)
			leak_scan_host(&ls, a, g, 0, 0, 1, 0, &t);
		changed[r] = (bench_now() - t0) / OPS;
		t0 = bench_now();
		for (int i = 0; i < OPS; i++) {
			sink += memcmp(a, c, ls.size) != 0;
			__asm__ volatile("" : : "r"(a), "r"(c) : "memory");
		}
		cmp[r] = (bench_now() - t0) / OPS;
	}
	printf("leakcheck benchmark: XCR0 0x%llx, %u register words in a %u-byte image, median of "
	       "%d rounds\n", (unsigned long long)h.xcr0, words, ls.size, ROUNDS);
	printf("  memcmp of the image (baseline)            %8.1f ns  %7.2f GB/s\n",
	       bench_median(cmp) * 1e9, ls.size / bench_median(cmp) / 1e9);
	printf("  host scan, registers restored (per exit)  %8.1f ns  %7.2f GB/s  %.1fx memcmp\n",
	       bench_median(same) * 1e9, ls.size / bench_median(same) / 1e9, bench_median(same) / bench_median(cmp));
	printf("  host scan, every word changed             %8.1f ns  %7.2f GB/s  %.1fx memcmp\n",
	       bench_median(changed) * 1e9, ls.size / bench_median(changed) / 1e9,
	       bench_median(changed) / bench_median(cmp));
	printf("  KVM state scan (decode every word)        %8.1f ns  %7.2f GB/s  %.1fx memcmp\n",
	       bench_median(kvm) * 1e9, ls.size / bench_median(kvm) / 1e9, bench_median(kvm) / bench_median(cmp));

	/* End to end: a real run, its own statistics. */
	if (!bench_kvm_usable("  fpvm leakcheck end to end", "/dev/kvm"))
		goto out;
	fd = mkstemp(path);
	close(fd);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* A child that cannot silence its stdout would garble the table: it skips. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(argv[1], argv[1], "leakcheck", "--duration", "3", "--json", path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &ws, 0);
	f = fopen(path, "r");
	if (f) {
		json[fread(json, 1, sizeof(json) - 1, f)] = '\0';
		fclose(f);
	}
	unlink(path);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) || !json[0]) {
		fprintf(stderr, "bench_leakcheck: fpvm leakcheck failed\n");
		return 1;
	}
	printf("  fpvm leakcheck, 2 VMs x 2 vCPUs, 3 s: %.0f exits checked/s, %.1f MB/s of state "
	       "checked\n    (the run is bound by exits, not by checking: %.5f of memcmp "
	       "bandwidth)\n", json_number(json, "\"exits_per_s\": "),
	       json_number(json, "\"bytes_per_s\": ") / 1e6,
	       json_number(json, "\"bytes_per_s\": ") / (ls.size / bench_median(cmp)));
out:
	leak_table_free(&t);
	leak_slots_free(&ls);
	host_fpu_release(&h);
	return sink < 0;
}
