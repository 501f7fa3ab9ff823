/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime as test code sees it.  Test bodies run at CPL3; the
 * runtime's small CPL0 part (guest/rt/kernel.c) owns the IDT, TSS, syscall
 * entry and the ports.  Everything here is callable from CPL3.
 */
#ifndef FPVM_GUEST_RUNTIME_H
#define FPVM_GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#define GUEST_MAX_CPUS	64

/*
 * guest_main() runs on vCPU 0; its return value is the VM's exit status.
 * guest_ap_main(), if the guest defines it, runs on every other vCPU; when
 * it returns, that vCPU halts.  Without it the other vCPUs halt at once.
 */
int guest_main(void);
void guest_ap_main(void);

unsigned int guest_vcpu_id(void);
unsigned int guest_nr_cpus(void);
const void *guest_fdt(void);
/* The XCR0 fpvm configured for this guest (device tree /chosen/fpvm,xcr0). */
uint64_t guest_xcr0(void);

/* argv as fpvm passed it: argv[0] is the guest image path. */
int guest_argc(void);
const char *guest_argv(int i);

void guest_write(const char *buf, size_t len);
void guest_puts(const char *s);
int guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

_Noreturn void guest_exit(int status);
_Noreturn void guest_halt(void);
_Noreturn void guest_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Send a control-port request built in place (8-byte aligned, below 4 GiB;
 * the runtime does not copy it).  Returns fpvm's result.
 */
long guest_ctl(struct fpvm_ctl_req *req);

/* Run fn(arg) at CPL0 and return its result. */
uint64_t guest_cpl0_call(uint64_t (*fn)(uint64_t), uint64_t arg);

/*
 * Run fn(arg) at CPL3; if it raises an exception, resume after the call
 * with the exception recorded.  Returns the vector, or -1 if none.
 */
struct guest_trap {
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
};
int guest_catch(void (*fn)(void *), void *arg, struct guest_trap *trap);

/* A rough, monotonic clock for guest-side timeouts: TSC ticks. */
static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void guest_cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* The freestanding C library the runtime provides (libfdt uses it too). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
unsigned long strtoul(const char *s, char **end, int base);

#endif
