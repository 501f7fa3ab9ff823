/* SPDX-License-Identifier: MIT */
/*
 * The error every fpvm library returns.
 */
#ifndef FPVM_BASE_ERROR_H
#define FPVM_BASE_ERROR_H

#include <stddef.h>

/*
 * What kind of failure a library call reports.  The library says what went
 * wrong; the command that called it decides the exit status (cmd/status.c).
 */
enum fpvm_err_class {
	FPVM_ERR_NONE,
	FPVM_ERR_CONFIG,	/* a configuration value this machine cannot take */
	FPVM_ERR_INPUT,		/* a bad guest image or input file */
	FPVM_ERR_UNAVAILABLE,	/* KVM missing or lacking a capability */
	FPVM_ERR_SYSTEM,	/* a system call or ioctl failed, out of memory */
	FPVM_ERR_OUTPUT,	/* cannot write an output file */
	FPVM_ERR_KVM_STATE,	/* KVM returned guest state that fails validation */
	FPVM_ERR_INCOMPATIBLE,	/* a snapshot this host cannot restore */
	FPVM_ERR_PERMISSION,	/* the host refused what was asked (a real-time policy) */
};

/*
 * Which configuration value an error is about (a FPVM_ERR_CONFIG one, or
 * another class's where a setting led to it), so that the command can name
 * its own option for it; the library never does.
 */
enum fpvm_cfg_item {
	CFG_NONE,
	CFG_CPUS,
	CFG_MEM,
	CFG_XCR0,
	CFG_XCR0_NEEDS_AMX,	/* the XCR0 has AMX, which has no guest permission */
	CFG_AMX,
	CFG_LEAK_SNAPSHOT,	/* leakcheck's snapshots (their directory) */
	CFG_MODULES,		/* the modules given to a kernel */
};

/* What a failing library call tells its caller: a class and a message. */
struct fpvm_error {
	enum fpvm_err_class cls;
	enum fpvm_cfg_item item;
	/*
	 * With @item: where in @msg the command names its option, just past
	 * the library's own name for the item (0: before the message, which
	 * then begins with the item's value).
	 */
	unsigned int item_at;
	char msg[320];
};

/* Fills @err; returns -@errnum (-EINVAL when @errnum is 0). */
int fpvm_fail(struct fpvm_error *err, enum fpvm_err_class cls, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A FPVM_ERR_CONFIG failure about @item. */
int fpvm_fail_config(struct fpvm_error *err, enum fpvm_cfg_item item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Says that @err is about @item, which its message names in its first
 * @named bytes ("PATH: modules"): the command names its option there.
 */
void fpvm_error_item(struct fpvm_error *err, enum fpvm_cfg_item item, size_t named);

#endif
