// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static void fill(struct fpvm_error *err, enum fpvm_err_class cls, enum fpvm_cfg_item item,
		 const char *fmt, va_list ap)
{
	err->cls = cls;
	err->item = item;
	err->item_at = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int fpvm_fail(struct fpvm_error *err, enum fpvm_err_class cls, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, cls, CFG_NONE, fmt, ap);
	va_end(ap);
	return errnum > 0 ? -errnum : -EINVAL;
}

int fpvm_fail_config(struct fpvm_error *err, enum fpvm_cfg_item item, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, FPVM_ERR_CONFIG, item, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void fpvm_error_item(struct fpvm_error *err, enum fpvm_cfg_item item, size_t named)
{
	size_t len = strlen(err->msg);

	err->item = item;
	err->item_at = (unsigned int)(named < len ? named : len);
}
