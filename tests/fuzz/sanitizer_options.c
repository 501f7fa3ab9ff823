// SPDX-License-Identifier: MIT
/*
 * Linked into every fuzz target.  UBSan's default is to print a report
 * and carry on, which libFuzzer does not notice: stop at the first one, so
 * the input that caused it is saved like any crash's.  Without UBSan
 * nothing calls this.
 */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}
