// SPDX-License-Identifier: MIT
/*
 * Exit round trip: fpvm against the raw KVM loop (kvm_floor.c) on the same
 * guests, in one run, rounds interleaved: guest/exits.S makes 5000 port
 * I/O exits (exits-pio.elf) or 5000 MMIO exits (exits-mmio.elf), and
 * min.elf none to speak of.  One exit's round trip is (exits guest - min
 * guest) / 5000 for each program, so start-up and teardown cancel out;
 * the ratio is fpvm's against the raw loop's.  Then fpvm's own time per
 * exit, from --stats (the time between two KVM_RUNs).
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

int main(int argc, char **argv)
{
	static double t[2][NR_GUESTS][BENCH_MAX_ROUNDS];
	static const char *const who[2] = { "raw KVM loop", "fpvm run" };
	char path[NR_GUESTS][4096];
	double med[2][NR_GUESTS], per[2][NR_GUESTS];
	unsigned int rounds;
	int status = bench_floor_args("exits", argc, argv, 9, &rounds);

	if (status)
		return status;
	for (unsigned int g = 0; g < NR_GUESTS; g++)
		snprintf(path[g], sizeof(path[g]), "%s/%s", argv[3], guests[g]);
	for (unsigned int r = 0; r < rounds; r++)
		for (unsigned int g = 0; g < NR_GUESTS; g++)
			for (unsigned int c = 0; c < 2; c++) {
				char *floor_argv[] = { argv[2], path[g], NULL };
				char *fpvm_argv[] = { argv[1], "run", path[g], NULL };
				int status;

				t[c][g][r] = bench_spawn_wait(c ? fpvm_argv : floor_argv, &status);
				if (t[c][g][r] < 0 || status) {
					fprintf(stderr, "exits: %s %s: failed (status %d)\n", who[c],
						guests[g], status);
					return 1;
				}
			}
	printf("exits: %u rounds, medians; %d exits a guest, per exit = (guest - min) / %d\n",
	       rounds, EXITS, EXITS);
	for (unsigned int c = 0; c < 2; c++)
		for (unsigned int g = 0; g < NR_GUESTS; g++) {
			med[c][g] = bench_median_of(t[c][g], rounds);
			per[c][g] = (med[c][g] - med[c][MIN]) / EXITS;
		}
	for (unsigned int g = PIO; g < NR_GUESTS; g++) {
		double ratio = per[1][g] / per[0][g];

		printf("  %-5s exit round trip: raw loop %.2f us, fpvm %.2f us: %.2fx (at most "
		       "%.1fx) %s\n", g == PIO ? "port" : "MMIO", per[0][g] * 1e6, per[1][g] * 1e6,
		       ratio, TARGET, ratio <= TARGET ? "met" : "MISSED");
	}
	printf("  whole runs (ms): raw loop min %.1f, pio %.1f, mmio %.1f; fpvm min %.1f, pio %.1f, "
	       "mmio %.1f\n", med[0][MIN] * 1e3, med[0][PIO] * 1e3, med[0][MMIO] * 1e3,
	       med[1][MIN] * 1e3, med[1][PIO] * 1e3, med[1][MMIO] * 1e3);
	printf("  fpvm's own time per exit (--stats, between KVM_RUNs): port %.3f us, MMIO %.3f us\n",
	       vmm_us_per_exit(argv[1], path[PIO], rounds), vmm_us_per_exit(argv[1], path[MMIO], rounds));
	return 0;
}
