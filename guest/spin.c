// SPDX-License-Identifier: MIT
/*
 * Never exits: every vCPU spins at CPL3 until fpvm stops the VM.
 * With argv[1] = "exit", vCPU 0 instead exits 0 once every other vCPU is
 * spinning, so fpvm must stop vCPUs that never exit on their own.
 */
#include "runtime.h"

static unsigned int spinning;

static _Noreturn void spin(void)
{
	guest_printf("vCPU %u spinning\n", guest_vcpu_id());
	__atomic_fetch_add(&spinning, 1, __ATOMIC_SEQ_CST);
	for (;;)
		guest_cpu_relax();
}

void guest_ap_main(void)
{
	spin();
}

int guest_main(void)
{
	if (guest_argc() > 1 && !strcmp(guest_argv(1), "exit")) {
		while (__atomic_load_n(&spinning, __ATOMIC_SEQ_CST) + 1 < guest_nr_cpus())
			guest_cpu_relax();
		guest_printf("vCPU 0 exits while %u vCPUs spin\n", guest_nr_cpus() - 1);
		return 0;
	}
	spin();
}
