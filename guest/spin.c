// SPDX-License-Identifier: MIT
/* Never exits: every vCPU spins at CPL3 until fpvm stops the VM. */
#include "runtime.h"

static _Noreturn void spin(void)
{
	guest_printf("vCPU %u spinning\n", guest_vcpu_id());
	for (;;)
		guest_cpu_relax();
}

void guest_ap_main(void)
{
	spin();
}

int guest_main(void)
{
	spin();
}
