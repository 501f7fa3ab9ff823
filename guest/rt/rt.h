/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the runtime's CPL0 part, its CPL3 part and entry.S.
 * Offsets used from assembly are checked against the structs below.
 */
#ifndef FPVM_GUEST_RT_H
#define FPVM_GUEST_RT_H

/* Selectors of the runtime's own GDT (kernel ones match the boot GDT). */
#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_DS		(0x18 | 3)
#define USER_CS		(0x20 | 3)
#define TSS_SEL(cpu)	(0x28 + 16 * (cpu))

/* Split of the 32 KiB boot stack fpvm gives each vCPU. */
#define KSTACK_SIZE	0x2000
#define ISTACK_SIZE	0x1000

/* System calls (INT3 gate, see entry.S): number in RAX, arguments in RDI, RSI, RDX. */
#define SYS_EXIT	0
#define SYS_WRITE	1
#define SYS_HALT	2
#define SYS_CPL0_CALL	3
#define SYS_PANIC	4
#define SYS_CTL		5	/* a control request already in place, no copy */

/* struct percpu (kernel GS) offsets */
#define PC_USER_RSP	0
#define PC_KSTACK	8
#define PC_CPU		16

/* struct guest_tls (user FS) offsets */
#define TLS_CPU		0x00
#define TLS_CATCH_RIP	0x08
#define TLS_CATCH_RSP	0x10
#define TLS_CATCH_REC	0x18
#define TLS_STACK_GUARD	0x28	/* where GCC's -fstack-protector looks */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "../runtime.h"

struct percpu {
	uint64_t user_rsp;
	uint64_t kstack;
	uint64_t cpu;
	struct guest_tls *tls;
};

struct guest_tls {
	uint64_t cpu;
	uint64_t catch_rip;
	uint64_t catch_rsp;
	struct guest_trap *catch_rec;
	uint64_t reserved;
	uint64_t stack_guard;
};

_Static_assert(offsetof(struct percpu, user_rsp) == PC_USER_RSP, "PC_USER_RSP");
_Static_assert(offsetof(struct percpu, kstack) == PC_KSTACK, "PC_KSTACK");
_Static_assert(offsetof(struct percpu, cpu) == PC_CPU, "PC_CPU");
_Static_assert(offsetof(struct guest_tls, catch_rip) == TLS_CATCH_RIP, "TLS");
_Static_assert(offsetof(struct guest_tls, catch_rsp) == TLS_CATCH_RSP, "TLS");
_Static_assert(offsetof(struct guest_tls, catch_rec) == TLS_CATCH_REC, "TLS");
_Static_assert(offsetof(struct guest_tls, stack_guard) == TLS_STACK_GUARD, "TLS");

/* Set by vCPU 0 before any vCPU enters CPL3; read-only afterwards. */
struct boot_info {
	uint64_t fdt;
	uint64_t nr_cpus;
};
extern struct boot_info rt_boot;
extern struct guest_tls rt_tls[GUEST_MAX_CPUS];

/* entry.S */
extern const uint64_t trap_stubs[32];
extern const char rt_syscall_return[];
_Noreturn void enter_user(uint64_t rip, uint64_t rsp);
_Noreturn void user_start(void);
long rt_syscall(long nr, long a0, long a1, long a2);

/* kernel.c, CPL0 only */
struct trap_frame;
void kernel_start(uint64_t fdt, uint64_t cpu, uint64_t nr_cpus, uint64_t stack_top);
void trap_handler(struct trap_frame *f);
#endif

#endif
