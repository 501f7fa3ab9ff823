// SPDX-License-Identifier: MIT
/*
 * The one place that turns what went wrong into an exit status (README,
 * "Exit status"): library error classes, a VM's stop, and the option a
 * configuration error is about.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* What each status means, in a few words: 'fpvm --help' lists them from here. */
static const char *const meanings[] = {
	[FPVM_EXIT_USAGE] = "usage error",
	[FPVM_EXIT_DATAERR] = "bad guest image, input file or snapshot",
	[FPVM_EXIT_UNAVAILABLE] = "KVM unavailable",
	[FPVM_EXIT_SOFTWARE] = "internal error",
	[FPVM_EXIT_IOERR] = "output file error",
	[FPVM_EXIT_NOPERM] = "real-time policy not permitted",
	[FPVM_EXIT_SNAPSHOT_HOST] = "snapshot does not fit this host",
	[FPVM_EXIT_UNEXPECTED] = "unexpected KVM exit",
	[FPVM_EXIT_EXCEPTION] = "guest exception",
	[FPVM_EXIT_TRIPLE_FAULT] = "triple fault",
	[FPVM_EXIT_FAIL_ENTRY] = "entry failure",
	[FPVM_EXIT_INTERNAL] = "KVM internal error",
	[FPVM_EXIT_HALTED] = "all vCPUs halted",
	[FPVM_EXIT_STRICT_IO] = "--strict-io violation",
	[FPVM_EXIT_SYSTEM_EVENT] = "system event",
	[FPVM_EXIT_PANIC] = "guest panic",
	[FPVM_EXIT_HOST_FPSTATE] = "host registers changed across KVM_RUN",
	[FPVM_EXIT_BAD_FPSTATE] = "invalid guest fpstate from KVM",
	[FPVM_EXIT_LEAK] = "leak found",
	[FPVM_EXIT_SELFTEST] = "leakcheck self-test failed",
	[FPVM_EXIT_TIMEOUT] = "timeout",
	[FPVM_EXIT_SECCOMP] = "forbidden system call (seccomp)",
	[FPVM_EXIT_SIGINT] = "SIGINT",
	[FPVM_EXIT_SIGTERM] = "SIGTERM",
};

#define NR_MEANINGS	(sizeof(meanings) / sizeof(meanings[0]))

const char *status_meaning(int status)
{
	return status >= 0 && (size_t)status < NR_MEANINGS ? meanings[status] : NULL;
}

void status_print_all(FILE *f)
{
	char item[96];
	int col = fprintf(f, "Exit status: the guest's value (0-255);");

	/* Filled to 79 columns, broken only at a blank, never right after a number. */
	for (int st = 1; (size_t)st < NR_MEANINGS; st++) {
		const char *w = item;

		if (!meanings[st])
			continue;
		snprintf(item, sizeof(item), "%d %s%s", st, meanings[st],
			 (size_t)st + 1 == NR_MEANINGS ? "." : ";");
		while (*w) {
			int len = (int)strcspn(w, " ");

			if (w == item && w[len])
				len += 1 + (int)strcspn(w + len + 1, " ");

			if (col + 1 + len > 79) {
				fputc('\n', f);
				col = 0;
			} else {
				fputc(' ', f);
				col++;
			}
			col += fprintf(f, "%.*s", len, w);
			w += len + (w[len] == ' ');
		}
	}
	fputc('\n', f);
}

int status_of_error(const struct fpvm_error *err)
{
	static const int status[] = {
		[FPVM_ERR_NONE] = FPVM_EXIT_SOFTWARE,
		[FPVM_ERR_CONFIG] = FPVM_EXIT_USAGE,
		[FPVM_ERR_INPUT] = FPVM_EXIT_DATAERR,
		[FPVM_ERR_UNAVAILABLE] = FPVM_EXIT_UNAVAILABLE,
		[FPVM_ERR_SYSTEM] = FPVM_EXIT_SOFTWARE,
		[FPVM_ERR_OUTPUT] = FPVM_EXIT_IOERR,
		[FPVM_ERR_KVM_STATE] = FPVM_EXIT_BAD_FPSTATE,
		[FPVM_ERR_INCOMPATIBLE] = FPVM_EXIT_SNAPSHOT_HOST,
		[FPVM_ERR_PERMISSION] = FPVM_EXIT_NOPERM,
	};

	return (unsigned int)err->cls < sizeof(status) / sizeof(status[0]) ? status[err->cls]
									   : FPVM_EXIT_SOFTWARE;
}

int status_of_stop(enum vm_stop stop, uint32_t value, enum exit_mode mode)
{
	struct fpvm_error err = { .cls = (enum fpvm_err_class)value };

	switch (stop) {
	case VM_STOP_NONE:
		return 0;
	case VM_STOP_GUEST_EXIT:
		if (mode == EXIT_MODE_QEMU)
			return (int)(((value << 1) | 1) & 0xff);
		return value > 255 ? 255 : (int)value;	/* never wrap to 0 */
	case VM_STOP_HALTED:
		return FPVM_EXIT_HALTED;
	case VM_STOP_EXCEPTION:
		return FPVM_EXIT_EXCEPTION;
	case VM_STOP_PANIC:
		return FPVM_EXIT_PANIC;
	case VM_STOP_TRIPLE_FAULT:
		return FPVM_EXIT_TRIPLE_FAULT;
	case VM_STOP_FAIL_ENTRY:
		return FPVM_EXIT_FAIL_ENTRY;
	case VM_STOP_INTERNAL_ERROR:
		return FPVM_EXIT_INTERNAL;
	case VM_STOP_SYSTEM_EVENT:
		return FPVM_EXIT_SYSTEM_EVENT;
	case VM_STOP_UNHANDLED_EXIT:
		return FPVM_EXIT_UNEXPECTED;
	case VM_STOP_STRICT_IO:
		return FPVM_EXIT_STRICT_IO;
	case VM_STOP_TIMEOUT:
		return FPVM_EXIT_TIMEOUT;
	case VM_STOP_SIGNAL:
		return value == SIGINT ? FPVM_EXIT_SIGINT : FPVM_EXIT_SIGTERM;
	case VM_STOP_ERROR:
		return status_of_error(&err);
	}
	return FPVM_EXIT_SOFTWARE;
}

int report_error(const struct fpvm_error *err)
{
	/* @at goes where the message names the item (err->item_at), @after at its end. */
	static const struct {
		const char *at, *after;
	} option[] = {
		[CFG_NONE] = { "", "" },
		[CFG_CPUS] = { "--cpus ", "" },
		[CFG_MEM] = { "--mem ", "" },
		[CFG_XCR0] = { "--xcr0: ", "" },
		[CFG_XCR0_NEEDS_AMX] = { "--xcr0: ", " (AMX needs --amx)" },
		[CFG_AMX] = { "--amx: ", "" },
		[CFG_LEAK_SNAPSHOT] = { "--snapshot: ", "" },
		[CFG_MODULES] = { " (--module, --initrd)", "" },
	};
	int at = (int)strnlen(err->msg, err->item_at);

	fprintf(stderr, "fpvm: %.*s%s%s%s\n", at, err->msg, option[err->item].at, err->msg + at,
		option[err->item].after);
	return status_of_error(err);
}

int usage_fail_after(struct fpvm_error *err, const char *option)
{
	char msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	return fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL, "%s%s", option, msg);
}

void report_stop(enum vm_stop stop, const char *reason)
{
	/* The stops an option made out of what would otherwise go on. */
	static const char *const option[] = {
		[VM_STOP_STRICT_IO] = " (--strict-io)",
	};

	fprintf(stderr, "fpvm: %s%s\n", reason,
		(size_t)stop < sizeof(option) / sizeof(option[0]) && option[stop] ? option[stop]
										    : "");
}
