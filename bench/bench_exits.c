// SPDX-License-Identifier: MIT
/*
 * Exit round trip: fpvm against the raw KVM loop (kvm_floor.c) on the same
 * guests, in one run, rounds interleaved (in a fresh order each, bench.h):
 * guest/exits.S makes 5000 port I/O exits (exits-pio.elf) or 5000 MMIO
 * exits (exits-mmio.elf), and min.elf none to speak of.  One exit's round
 * trip is (exits guest - min guest) / 5000 for each program, so start-up
 * and teardown cancel out;
 * the ratio is fpvm's against the raw loop's.  Then fpvm's own time per
 * exit, from --stats (the time between two KVM_RUNs).
 *
 * The raw loop runs twice: as it is, its guest without XSAVE enabled, and
 * with the XCR0 fpvm gives its guests by default (kvm_floor --xcr0, the
 * value from `fpvm probe --json`).  KVM switches XCR0 and PKRU around each
 * entry for such a guest, which any VMM that gives it those features pays;
 * the target is judged against the loop whose guest has the same state.
 *
 *   bench_exits FPVM KVM_FLOOR GUEST_DIR [ROUNDS]
 *
 * Target (issue 23): fpvm at most 1.2x the raw loop for both kinds.
 */

#include "bench.h"

#define EXITS		5000	/* guest/exits.S */
#define TARGET		1.2

enum { MIN, PIO, MMIO, NR_GUESTS };
static const char *const guests[NR_GUESTS] = { "min.elf", "exits-pio.elf", "exits-mmio.elf" };

/* fpvm run --stats=json: the median of vcpu 0's vmm_us_per_exit. */
static double vmm_us_per_exit(const char *fpvm, const char *guest, unsigned int rounds)
{
	char path[] = "/tmp/fpvm-bench-exits-XXXXXX";
	int fd = mkstemp(path), status;
	double v[BENCH_MAX_ROUNDS];
	char text[16384];

	if (fd < 0)
		return -1;
	close(fd);
	for (unsigned int r = 0; r < rounds; r++) {
		char *argv[] = { (char *)fpvm, "run", "--stats=json", "--stats-file", path,
				 (char *)guest, NULL };

		if (bench_spawn_wait(argv, &status) < 0 || status ||
		    bench_read_text(path, text, sizeof(text))) {
			unlink(path);
			return -1;
		}
		v[r] = bench_json_number(text, "vmm_us_per_exit");
	}
	unlink(path);
	return bench_median_of(v, rounds);
}

/* fpvm's default guest XCR0, from `fpvm probe --json` ("default_xcr0": "0x..."). */
static int default_xcr0(const char *fpvm, char *xcr0, size_t size)
{
	char path[] = "/tmp/fpvm-bench-probe-XXXXXX", text[65536];
	char *argv[] = { (char *)fpvm, "probe", "--json", NULL };
	int fd = mkstemp(path), status;
	const char *p;

	if (fd < 0)
		return -1;
	close(fd);
	if (bench_spawn_to(argv, path, &status) < 0 || status ||
	    bench_read_text(path, text, sizeof(text))) {
		unlink(path);
		return -1;
	}
	unlink(path);
	p = strstr(text, "\"default_xcr0\": \"");
	if (size < 32 || !p || sscanf(p + strlen("\"default_xcr0\": \""), "%31[0-9a-fx]", xcr0) != 1)
		return -1;
	return 0;
}

enum { LOOP, LOOP_XCR0, FPVM, NR_CONTENDERS };

int main(int argc, char **argv)
{
	static double t[NR_CONTENDERS][NR_GUESTS][BENCH_MAX_ROUNDS];
	static const char *const who[NR_CONTENDERS] = {
		"raw KVM loop", "raw KVM loop with fpvm's XCR0", "fpvm run",
	};
	char path[NR_GUESTS][4096], xcr0[32];
	double med[NR_CONTENDERS][NR_GUESTS], per[NR_CONTENDERS][NR_GUESTS];
	uint64_t seed = BENCH_SEED;
	unsigned int rounds;
	int status = bench_floor_args("exits", argc, argv, 9, &rounds);

	if (status)
		return status;
	if (default_xcr0(argv[1], xcr0, sizeof(xcr0))) {
		fprintf(stderr, "exits: fpvm probe --json gave no default_xcr0\n");
		return 1;
	}
	for (unsigned int g = 0; g < NR_GUESTS; g++)
		snprintf(path[g], sizeof(path[g]), "%s/%s", argv[3], guests[g]);
	for (unsigned int r = 0; r < rounds; r++) {
		unsigned int order[NR_GUESTS * NR_CONTENDERS];

		bench_round_order(order, NR_GUESTS * NR_CONTENDERS, &seed);
		for (unsigned int k = 0; k < NR_GUESTS * NR_CONTENDERS; k++) {
			unsigned int g = order[k] / NR_CONTENDERS, c = order[k] % NR_CONTENDERS;
			char *args[NR_CONTENDERS][5] = {
				[LOOP] = { argv[2], path[g], NULL },
				[LOOP_XCR0] = { argv[2], "--xcr0", xcr0, path[g], NULL },
				[FPVM] = { argv[1], "run", path[g], NULL },
			};
			int status;

			bench_settle();
			t[c][g][r] = bench_spawn_wait(args[c], &status);
			if (t[c][g][r] < 0 || status) {
				fprintf(stderr, "exits: %s %s: failed (status %d)\n", who[c], guests[g],
					status);
				return 1;
			}
		}
	}
	printf("exits: %u rounds in shuffled order, %d ms apart, medians; %d exits a guest, "
	       "per exit = (guest - min) / %d; fpvm's guest XCR0 %s\n", rounds, BENCH_SETTLE_MS,
	       EXITS, EXITS, xcr0);
	for (unsigned int c = 0; c < NR_CONTENDERS; c++)
		for (unsigned int g = 0; g < NR_GUESTS; g++) {
			med[c][g] = bench_median_of(t[c][g], rounds);
			per[c][g] = (med[c][g] - med[c][MIN]) / EXITS;
		}
	for (unsigned int g = PIO; g < NR_GUESTS; g++) {
		double ratio = per[FPVM][g] / per[LOOP_XCR0][g];

		printf("  %-5s exit round trip: raw loop %.2f us (guest without XSAVE %.2f us), "
		       "fpvm %.2f us: %.2fx (at most %.1fx) %s; %.2fx the loop without XSAVE\n",
		       g == PIO ? "port" : "MMIO", per[LOOP_XCR0][g] * 1e6, per[LOOP][g] * 1e6,
		       per[FPVM][g] * 1e6, ratio, TARGET, ratio <= TARGET ? "met" : "MISSED",
		       per[FPVM][g] / per[LOOP][g]);
	}
	for (unsigned int c = 0; c < NR_CONTENDERS; c++)
		printf("  whole runs (ms), %s: min %.1f, pio %.1f, mmio %.1f\n", who[c],
		       med[c][MIN] * 1e3, med[c][PIO] * 1e3, med[c][MMIO] * 1e3);
	printf("  fpvm's own time per exit (--stats, between KVM_RUNs): port %.3f us, MMIO %.3f us\n",
	       vmm_us_per_exit(argv[1], path[PIO], rounds), vmm_us_per_exit(argv[1], path[MMIO], rounds));
	return 0;
}
