// SPDX-License-Identifier: MIT
/*
 * The /init of the Linux guest tests: a static program that the kernel
 * runs as process 1 from the initramfs (tests/linux/mkinitramfs.py).  It
 * prints what the tests look at on the console and reports its result
 * the way any test in a Linux guest can, with no driver: the status
 * written to fpvm's exit port 0xf4 (guest/abi.h) from user space, which
 * ioperm(2) allows a root process.
 *
 * Its arguments are the words after "--" on the kernel command line
 * (init/main.c gives them to init as argv), acted on in order:
 *   cpus=N      fail unless N CPUs are online (/proc/cpuinfo)
 *   xcr0=MASK   fail unless XGETBV gives MASK
 *   sleep=S     print a tick a second for S seconds (timers, snapshots)
 *   status=N    the status to report at the end (default 0)
 *   exit=N      return N from init: the kernel panics ("Attempted to kill init!")
 *   poweroff    reboot(2) POWER_OFF: the kernel's ACPI S5
 *   reboot      reboot(2) RESTART: the kernel's reset path
 * A check that fails reports status 1 at once.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../guest/abi.h"

#define SYSLOG_ACTION_READ_ALL	3
#define CPUID_1_ECX_OSXSAVE	(1u << 27)

/*
 * Everything printed, out of the UART.  A write to the console returns once
 * the TTY holds the bytes; the 8250 driver sends them from its THRE
 * interrupt, which with 2 CPUs may run on the other one while this one
 * goes on to the exit port, and the VM stops with the rest of the line
 * still in guest memory.  tcdrain() waits until the UART has sent it all.
 */
static void flush_console(void)
{
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
}

/* The exit port ends the VM; what follows it runs only where it did not. */
static void report(int status)
{
	flush_console();
	if (ioperm(FPVM_PORT_DEBUG_EXIT, 4, 1)) {
		printf("fpvm-init: ioperm(0x%x): %s\n", FPVM_PORT_DEBUG_EXIT, strerror(errno));
	} else {
		outl((uint32_t)status, FPVM_PORT_DEBUG_EXIT);
		printf("fpvm-init: status %d written to port 0x%x, but the VM goes on\n", status,
		       FPVM_PORT_DEBUG_EXIT);
	}
	fflush(stdout);
	for (;;)
		pause();
}

static uint64_t xgetbv0(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & CPUID_1_ECX_OSXSAVE))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* Online CPUs, and the first one's "flags" line, as /proc/cpuinfo gives them. */
static int cpuinfo(char *flags, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int n = 0;

	flags[0] = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "processor", 9))
			n++;
		else if (!strncmp(line, "flags", 5) && !flags[0] && strchr(line, ':'))
			snprintf(flags, size, "%s", strchr(line, ':') + 2);
	}
	fclose(f);
	flags[strcspn(flags, "\n")] = 0;
	return n;
}

/* The kernel's "x86/fpu:" lines and any XSAVE complaint, from its log buffer. */
static void fpu_log(void)
{
	static char buf[1 << 20];
	int len = klogctl(SYSLOG_ACTION_READ_ALL, buf, sizeof(buf) - 1);

	if (len < 0)
		return;
	buf[len] = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "x86/fpu:") || strstr(line, "XSAVE"))
			printf("fpvm-init: dmesg: %s\n", line);
}

/* Only the XSAVE-related flags: the whole line is too long to compare by eye. */
static void print_fpu_flags(const char *flags)
{
	static const char *const names[] = {
		"fpu", "sse", "sse2", "xsave", "avx", "avx2", "avx512f", "avx512bw",
		"xsaveopt", "xsavec", "xsaves", "pku", "ospke",
	};
	char set[256] = "";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		for (const char *p = strstr(flags, names[i]); p; p = strstr(p + 1, names[i]))
			if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || !p[n])) {
				strcat(set, " ");
				strcat(set, names[i]);
				break;
			}
	}
	printf("fpvm-init: fpu flags:%s\n", set);
}

static void tick(long seconds)
{
	for (long i = 1; i <= seconds; i++) {
		struct timespec one = { .tv_sec = 1 };

		while (nanosleep(&one, &one) && errno == EINTR)
			;
		printf("fpvm-init: tick %ld\n", i);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	char flags[4096];
	int cpus, status = 0;

	struct timespec up;

	/* The first line, at once: the boot benchmark measures up to here. */
	clock_gettime(CLOCK_BOOTTIME, &up);
	printf("fpvm-init: started %ld.%03ld s after the kernel\n", (long)up.tv_sec,
	       up.tv_nsec / 1000000);
	fflush(stdout);
	if (mount("proc", "/proc", "proc", 0, NULL))
		printf("fpvm-init: mount /proc: %s\n", strerror(errno));
	cpus = cpuinfo(flags, sizeof(flags));
	printf("fpvm-init: cpus %d\n", cpus);
	printf("fpvm-init: xcr0 0x%llx\n", (unsigned long long)xgetbv0());
	print_fpu_flags(flags);
	fpu_log();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		long v = eq ? strtol(eq + 1, NULL, 0) : 0;

		if (!strncmp(a, "cpus=", 5) && v != cpus) {
			printf("fpvm-init: FAIL: %d CPUs online, expected %ld\n", cpus, v);
			report(1);
		} else if (!strncmp(a, "xcr0=", 5) && (uint64_t)v != xgetbv0()) {
			printf("fpvm-init: FAIL: XCR0 0x%llx, expected 0x%lx\n",
			       (unsigned long long)xgetbv0(), v);
			report(1);
		} else if (!strncmp(a, "sleep=", 6)) {
			tick(v);
		} else if (!strncmp(a, "status=", 7)) {
			status = (int)v;
		} else if (!strncmp(a, "exit=", 5)) {
			printf("fpvm-init: exiting with %ld\n", v);
			flush_console();
			return (int)v;
		} else if (!strcmp(a, "poweroff") || !strcmp(a, "reboot")) {
			printf("fpvm-init: %s\n", a);
			flush_console();
			sync();
			reboot(a[0] == 'p' ? RB_POWER_OFF : RB_AUTOBOOT);
			printf("fpvm-init: reboot(2): %s\n", strerror(errno));
			report(1);
		} else if (strncmp(a, "cpus=", 5) && strncmp(a, "xcr0=", 5)) {
			printf("fpvm-init: unknown argument '%s'\n", a);
			report(2);
		}
	}
	printf("fpvm-init: done, status %d\n", status);
	report(status);
}
