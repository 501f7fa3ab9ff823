/* SPDX-License-Identifier: MIT */
/* The main() of every unit test program, on its own so a test can link nothing else of ours. */
#ifndef FPVM_CHECK_RUN_H
#define FPVM_CHECK_RUN_H

#include <check.h>

/* Runs a Check suite: 0 when every test passed, 1 otherwise. */
int run_suite(Suite *s);

#endif
