// SPDX-License-Identifier: MIT
/*
 * Takes an exception on purpose; argv[1] picks which (default "pf"):
 *   pf      write through a null pointer at CPL3 (#PF, vector 14)
 *   ud      UD2 (#UD, 6)          gp   non-canonical load (#GP, 13)
 *   de      divide by zero (#DE, 0)   bp   INT3 (#BP, 3)
 *   cpl0-pf null write at CPL0    triple  empty IDT, then a fault: triple fault
 *   panic   guest_panic()         catch   catch a #UD with guest_catch(), exit 0
 *   halt    halt every vCPU without an exit status
 *   cpl0-x87  FLD1 at CPL0: architecturally fine (exit 1, "no exception"), but
 *             hosts that emulate CPL0 and cannot emulate x87 stop with
 *             KVM_EXIT_INTERNAL_ERROR
 */
#include "runtime.h"

static volatile uint64_t *volatile null_ptr;
static volatile uint64_t zero;

static void do_pf(void *arg)
{
	(void)arg;
	*null_ptr = 0x1234;
}

static void do_ud(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

static void do_gp(void)
{
	__asm__ volatile("movq (%0), %%rax" : : "r"(0x8000000000000000ULL) : "rax");
}

static void do_de(void)
{
	uint64_t x = 1;

	__asm__ volatile("divq %1" : "+a"(x) : "r"(zero) : "rdx");
}

static uint64_t cpl0_pf(uint64_t arg)
{
	(void)arg;
	*null_ptr = 0x5678;
	return 0;
}

static uint64_t cpl0_x87(uint64_t arg)
{
	(void)arg;
	__asm__ volatile("fld1; fstp %%st(0)" ::: "memory");
	return 0;
}

static uint64_t cpl0_triple(uint64_t arg)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { 0, 0 };

	(void)arg;
	__asm__ volatile("lidt %0; ud2" : : "m"(idtr));
	return 0;
}

int guest_main(void)
{
	const char *mode = guest_argc() > 1 ? guest_argv(1) : "pf";
	struct guest_trap trap;

	guest_printf("fault: taking a '%s' exception\n", mode);
	if (!strcmp(mode, "pf"))
		do_pf(NULL);
	else if (!strcmp(mode, "ud"))
		do_ud(NULL);
	else if (!strcmp(mode, "gp"))
		do_gp();
	else if (!strcmp(mode, "de"))
		do_de();
	else if (!strcmp(mode, "bp"))
		__asm__ volatile("int3");
	else if (!strcmp(mode, "cpl0-pf"))
		guest_cpl0_call(cpl0_pf, 0);
	else if (!strcmp(mode, "cpl0-x87"))
		guest_cpl0_call(cpl0_x87, 0);
	else if (!strcmp(mode, "triple"))
		guest_cpl0_call(cpl0_triple, 0);
	else if (!strcmp(mode, "halt"))
		guest_halt();
	else if (!strcmp(mode, "panic"))
		guest_panic("fault guest panics on request");
	else if (!strcmp(mode, "catch")) {
		int v1 = guest_catch(do_ud, NULL, &trap);
		int v2 = guest_catch(do_pf, NULL, &trap);

		guest_printf("fault: caught vectors %d and %d (error code 0x%llx)\n", v1, v2,
			     (unsigned long long)trap.error_code);
		return v1 == 6 && v2 == 14 && trap.error_code == 6 ? 0 : 1;
	} else {
		guest_printf("fault: unknown mode '%s'\n", mode);
		return 2;
	}
	guest_printf("fault: no exception was raised\n");
	return 1;
}
