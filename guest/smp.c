// SPDX-License-Identifier: MIT
/*
 * Every vCPU reports in; vCPU 0 exits 0 only once all of them did, and 1
 * if some never arrive within its own deadline.
 */
#include "runtime.h"

#define DEADLINE_TSC	(20ULL * 1000 * 1000 * 1000)	/* 5-20 s at 1-4 GHz */

static unsigned int reported;

static void report(void)
{
	guest_printf("vCPU %u of %u reporting\n", guest_vcpu_id(), guest_nr_cpus());
	__atomic_fetch_add(&reported, 1, __ATOMIC_SEQ_CST);
}

void guest_ap_main(void)
{
	report();
}

int guest_main(void)
{
	uint64_t deadline = guest_rdtsc() + DEADLINE_TSC;
	unsigned int n = guest_nr_cpus(), seen;

	report();
	while ((seen = __atomic_load_n(&reported, __ATOMIC_SEQ_CST)) < n &&
	       guest_rdtsc() < deadline)
		guest_cpu_relax();
	if (seen != n) {
		guest_printf("smp: only %u of %u vCPUs reported\n", seen, n);
		return 1;
	}
	guest_printf("smp: all %u vCPUs reported\n", n);
	return 0;
}
