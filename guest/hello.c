// SPDX-License-Identifier: MIT
/* The smallest useful guest: a greeting, its arguments, exit 0. */
#include "runtime.h"

int guest_main(void)
{
	guest_printf("Hello from fpvm guest! (%u vCPU%s)\n", guest_nr_cpus(),
		     guest_nr_cpus() == 1 ? "" : "s");
	for (int i = 1; i < guest_argc(); i++)
		guest_printf("arg[%d] = %s\n", i, guest_argv(i));
	return 0;
}
